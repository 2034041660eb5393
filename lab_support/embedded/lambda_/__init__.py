"""The course's local Lambda runtime: real Python handlers behind the plain Lambda API, no Docker.

With the embedded backend, ``boto3.client("lambda").create_function(...)`` then ``.invoke(...)`` runs the
handler in its own worker process (an *execution environment*), with Lambda's environment variables, context
object, error shapes, timeouts, memory limit, log lines in CloudWatch Logs, versions and weighted aliases.
Nothing here changes what a notebook calls: the same cells run against a real account.

Public API (also in ``docs/SEAMS.md``)::

    invoke(function_name, payload=b"{}", *, qualifier=None, invocation_type="RequestResponse",
           log_type="None", caller=None, request_id=None) -> Invocation
    Caller, Invocation                         # dataclasses
    InvokeError, ResourceNotFound, InvokeDenied, RequestTooLarge, InvalidRequestContent
    environments()                             # live execution environments (pid, spec, busy, log_stream)

Attached to every embedded session by ``lab.register_extension("lambda", install)``.
"""

from __future__ import annotations

from typing import Any

from lab_support.embedded.lambda_ import moto_patch, pool, runtime
from lab_support.embedded.lambda_.invocation import invoke
from lab_support.embedded.lambda_.runtime import (
    Caller,
    InvalidRequestContent,
    Invocation,
    InvokeDenied,
    InvokeError,
    RequestTooLarge,
    ResourceNotFound,
)

__all__ = [
    "Caller",
    "InvalidRequestContent",
    "Invocation",
    "InvokeDenied",
    "InvokeError",
    "RequestTooLarge",
    "ResourceNotFound",
    "environments",
    "install",
    "invoke",
]


def environments() -> list[pool.Environment]:
    """The execution environments alive now (each has ``.pid``, ``.spec``, ``.busy``, ``.log_stream``)."""
    return runtime.get_pool().environments()


def install(session: Any) -> None:
    """Attach the runtime to an embedded session (called by ``lab.start()``)."""
    moto_patch.patch(session)
    session.on_reset(runtime.stop_workers)

    def stop() -> None:
        runtime.shutdown_pool()
        moto_patch.detach()  # lab.stop() undoes the patches after the on_stop callbacks

    session.on_stop(stop)
