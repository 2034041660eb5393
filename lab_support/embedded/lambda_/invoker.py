"""How the event sources run a function: through the local Lambda runtime.

``invoke_sync`` is a synchronous (RequestResponse) invocation, as the Lambda
service makes one for an event source mapping or for each attempt of an
asynchronous invocation. It goes to ``lab_support.embedded.lambda_.invoke`` (see
docs/SEAMS.md). Tests may replace it with :func:`set_invoker`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Outcome:
    """What one synchronous invocation returned (the fields of the runtime's ``Invocation``)."""

    status_code: int
    payload: bytes
    function_error: str | None
    executed_version: str
    request_id: str

    @property
    def failed(self) -> bool:
        return self.function_error is not None

    def json(self) -> Any:
        """The payload parsed as JSON (``None`` if empty or not JSON)."""
        try:
            return json.loads(self.payload or b"null")
        except ValueError:
            return None


Invoker = Callable[[str, bytes, "str | None"], Outcome]
_OVERRIDE: Invoker | None = None


def set_invoker(invoker: Invoker | None) -> None:
    """Replace how functions are run (``None`` restores the local Lambda runtime)."""
    global _OVERRIDE
    _OVERRIDE = invoker


def invoke_sync(function_name: str, payload: bytes, qualifier: str | None = None, *,
                request_id: str | None = None) -> Outcome:
    """Invoke synchronously, as the Lambda service does on behalf of an event source.

    The service itself is the caller here (no resource-policy check): a mapping or an
    accepted asynchronous event has already been authorised.
    """
    if _OVERRIDE is not None:
        return _OVERRIDE(function_name, payload, qualifier)
    try:
        from lab_support.embedded.lambda_ import invoke
    except ImportError:
        return _invoke_with_moto(function_name, payload, qualifier)
    kwargs: dict[str, Any] = {"request_id": request_id} if request_id else {}
    result = invoke(function_name, payload, qualifier=qualifier, invocation_type="RequestResponse", **kwargs)
    return Outcome(
        status_code=int(result.status_code),
        payload=bytes(result.payload or b""),
        function_error=result.function_error,
        executed_version=str(result.executed_version),
        request_id=str(result.request_id),
    )


def _invoke_with_moto(function_name: str, payload: bytes, qualifier: str | None) -> Outcome:
    """Fallback without the local runtime: moto's own invoke (echo or Docker)."""
    from moto.awslambda.utils import get_backend

    from lab_support.embedded import moto_state as util

    account, region = util.account_region(function_name)
    headers: dict[str, Any] = {}
    body = get_backend(account, region).invoke(function_name, qualifier, payload.decode(), {}, headers)
    raw = body if isinstance(body, bytes) else str(body or "").encode()
    error = headers.get("x-amz-function-error")
    return Outcome(200, raw, "Unhandled" if error else None, qualifier or "$LATEST", util.new_request_id())
