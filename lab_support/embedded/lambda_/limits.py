"""Lambda's Invoke quotas and the messages that report them: defined here once, imported everywhere else.

Sources: the Invoke API reference (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html) and the
quotas page (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html, where "MB" means
1,024 KB): 6 MB for a synchronous request or response, 1 MB for an asynchronous request. Lambda enforces
6,291,456 bytes for requests and 6,291,556 bytes for responses, the numbers its error messages give.
API Gateway's Lambda integrations invoke synchronously, so the same request quota applies to them
(https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html, "Lambda payload size").
"""

from __future__ import annotations

SYNC_REQUEST_LIMIT = 6 * 1024 * 1024
"""6,291,456 bytes: the largest RequestResponse (and API Gateway Lambda integration) payload."""

SYNC_RESPONSE_LIMIT = SYNC_REQUEST_LIMIT + 100
"""6,291,556 bytes: the largest synchronous response, as Lambda's ``Function.ResponseSizeTooLarge`` message says."""

ASYNC_REQUEST_LIMIT = 1024 * 1024
"""1 MB for an Event invocation since October 2025 (it was 256 KB)."""

TAIL_BYTES = 4 * 1024
"""``LogType=Tail``: "the last 4 KB of the execution log" (API_Invoke.html, ``LogResult``)."""


def request_too_large_message(limit: int) -> str:
    """``RequestEntityTooLargeException``'s text, e.g. "Request must be smaller than 6291456 bytes for the
    InvokeFunction operation" (as users report it, e.g. https://github.com/pelmers/streetwarp-web/issues/14)."""
    return f"Request must be smaller than {limit} bytes for the InvokeFunction operation"


def response_too_large_message(limit: int = SYNC_RESPONSE_LIMIT) -> str:
    """``Function.ResponseSizeTooLarge``'s text: "Response payload size exceeded maximum allowed payload size
    (6291556 bytes)." (the 6 MB response quota of gettingstarted-limits.html, in Lambda's words)."""
    return f"Response payload size exceeded maximum allowed payload size ({limit} bytes)."
