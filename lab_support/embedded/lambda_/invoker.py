"""How the event sources run a function: through the local Lambda runtime.

``invoke_sync`` is a synchronous (RequestResponse) invocation, as the Lambda
service makes one for an event source mapping or for each attempt of an
asynchronous invocation: resolved and run by :mod:`.runtime` (the service itself
is the caller, so there is no resource-policy check). Tests may replace it with
:func:`set_invoker`. This module sits below :mod:`.async_invoke`, so it never
imports the package's public ``invoke`` (which dispatches to async_invoke).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lab_support.core.session import current
from lab_support.embedded.lambda_ import runtime


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
    session = current()
    backend = runtime.backend_for(session.account_id, session.region)
    fn, invoked_arn, _alias = runtime.resolve(backend, function_name, qualifier)
    runtime.check_request(payload, "RequestResponse")
    result = runtime.execute(session, fn, payload, invoked_arn=invoked_arn, request_id=request_id)
    return Outcome(
        status_code=int(result.status_code),
        payload=bytes(result.payload or b""),
        function_error=result.function_error,
        executed_version=str(result.executed_version),
        request_id=str(result.request_id),
    )
