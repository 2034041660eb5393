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

import json
from fnmatch import fnmatchcase
from typing import Any

from lab_support.core.session import current
from lab_support.embedded.lambda_ import moto_patch, pool, runtime
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


def invoke(
    function_name: str,
    payload: bytes | str = b"{}",
    *,
    qualifier: str | None = None,
    invocation_type: str = "RequestResponse",
    log_type: str = "None",
    caller: Caller | None = None,
    request_id: str | None = None,
) -> Invocation:
    """Invoke a function of the embedded account, as the Invoke API does, and return the :class:`Invocation`.

    ``function_name`` may be a name, ``name:qualifier`` or an ARN. ``caller`` (a service or IAM principal) is
    checked against the function's resource-based policy: :class:`InvokeDenied` when no statement allows it.
    Unknown functions raise :class:`ResourceNotFound`; oversized or non-JSON payloads raise
    :class:`RequestTooLarge` / :class:`InvalidRequestContent`. ``request_id`` lets async retries keep one id.
    """
    session = current()
    backend = runtime.backend_for(session.account_id, session.region)
    data = payload.encode() if isinstance(payload, str) else bytes(payload)
    fn, invoked_arn, _alias = runtime.resolve(backend, function_name, qualifier)
    name, qual = runtime.split_name(function_name, qualifier)
    if caller is not None:
        _check_caller(backend, fn, name, qual, invoked_arn, caller)
    return runtime.dispatch(session, fn, data, invoked_arn=invoked_arn, function_name=name, qualifier=qual,
                            invocation_type=invocation_type, log_type=log_type, request_id=request_id,
                            caller=caller)


def _check_caller(backend: Any, fn: Any, name: str, qualifier: str | None, invoked_arn: str, caller: Caller) -> None:
    """Refuse with :class:`InvokeDenied` when the function's resource-based policy does not allow ``caller``."""
    try:  # lab_support.embedded.iam: the course's policy engine (covers qualified statements too)
        from lab_support.embedded.iam import invoke_denied_message, lambda_invoke_allowed  # type: ignore[attr-defined]
    except ImportError:
        lambda_invoke_allowed = invoke_denied_message = None
    if lambda_invoke_allowed is not None:
        allowed = lambda_invoke_allowed(invoked_arn, principal=caller.principal, source_arn=caller.source_arn,
                                        source_account=caller.source_account)
    else:
        try:
            policy = json.loads(json.loads(backend.get_policy(name, qualifier))["Policy"])
        except Exception:
            policy = None
        allowed = _resource_policy_allows(policy, principal=caller.principal, action="lambda:InvokeFunction",
                                          resource=invoked_arn, source_arn=caller.source_arn,
                                          source_account=caller.source_account)
    # An IAM principal of the same account needs only an identity policy (evaluated by lab_support.embedded.iam).
    parts = caller.principal.split(":")
    same_account = caller.principal.startswith("arn:") and len(parts) > 4 and parts[4] == fn.account_id
    if not allowed and not same_account:
        if invoke_denied_message is not None:
            raise InvokeDenied(invoke_denied_message(caller.principal, invoked_arn))
        raise InvokeDenied(
            f"User: {caller.principal} is not authorized to perform: lambda:InvokeFunction on resource: "
            f"{invoked_arn} because no resource-based policy allows the lambda:InvokeFunction action"
        )


def _listify(value: Any) -> list[Any]:
    return [value] if isinstance(value, str | dict) else list(value or [])


def _resource_policy_allows(policy: dict[str, Any] | None, *, principal: str, action: str, resource: str,
                            source_arn: str | None = None, source_account: str | None = None) -> bool:
    """Small fallback evaluator (used until ``lab_support.embedded.iam`` provides the real one)."""
    if not policy:
        return False
    allowed = False
    for st in _listify(policy.get("Statement")):
        p = st.get("Principal")
        principals = ["*"] if p == "*" else _listify(p.get("Service")) + _listify(p.get("AWS")) if isinstance(
            p, dict) else []
        if not any(x == "*" or x == principal or (x.isdigit() and f":{x}:" in principal) for x in principals):
            continue
        if not any(fnmatchcase(action, a) for a in _listify(st.get("Action"))):
            continue
        if not any(fnmatchcase(resource, r) or (fnmatchcase(resource.rsplit(":", 1)[0], r) and r.count(":") == 6)
                   for r in _listify(st.get("Resource"))):
            continue
        ok = True
        for op, conds in (st.get("Condition") or {}).items():
            for key, want in conds.items():
                have = {"aws:sourcearn": source_arn, "aws:sourceaccount": source_account}.get(key.lower())
                wants = _listify(want)
                if have is None or not any(fnmatchcase(have, w) if "Like" in op else have == w for w in wants):
                    ok = False
        if not ok:
            continue
        if st.get("Effect") == "Deny":
            return False
        allowed = allowed or st.get("Effect") == "Allow"
    return allowed


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
