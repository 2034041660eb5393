"""The Invoke operation as the Lambda service runs it: who may call, then the three invocation types.

* :func:`invoke`: the package's Invoke (API Gateway integrations, S3/SNS pushes, tests); checks ``caller``
  against the function's resource-based policy with :mod:`lab_support.embedded.iam`.
* :func:`dispatch`: an Invoke whose function is already resolved (also moto's Invoke API, through
  :mod:`.moto_patch`): ``DryRun`` validates (204), ``Event`` goes to :mod:`.async_invoke` (202, retries,
  destinations, DLQ), ``RequestResponse`` runs in an execution environment (:func:`.runtime.execute`).

Invocation types and status codes: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html.
Within the package this module sits above :mod:`.async_invoke`, which sits above :mod:`.invoker` and
:mod:`.runtime` (an import-linter contract in ``pyproject.toml`` keeps that order).
"""

from __future__ import annotations

import uuid
from typing import Any

from lab_support.core.session import current
from lab_support.embedded.iam import Decision, function_policy, invoke_denied_message, resource_policy_decision
from lab_support.embedded.lambda_ import async_invoke, runtime
from lab_support.embedded.lambda_.runtime import Caller, Invocation, InvokeDenied

INVOKE_ACTION = "lambda:InvokeFunction"


def invoke(
    function_name: str,
    payload: bytes | str = b"{}",
    *,
    qualifier: str | None = None,
    invocation_type: str = "RequestResponse",
    log_type: str = "None",
    caller: Caller | None = None,
    request_id: str | None = None,
    trace_header: str | None = None,
) -> Invocation:
    """Invoke a function of the embedded account, as the Invoke API does, and return the :class:`Invocation`.

    ``function_name`` may be a name, ``name:qualifier`` or an ARN. ``caller`` (a service or IAM principal) is
    checked against the function's resource-based policy: :class:`InvokeDenied` when no statement allows it
    (or one denies it). Unknown functions raise :class:`~.runtime.ResourceNotFound`; oversized or non-JSON
    payloads raise :class:`~.runtime.RequestTooLarge` / :class:`~.runtime.InvalidRequestContent`.
    ``request_id`` lets async retries keep one id; ``trace_header`` (an ``X-Amzn-Trace-Id`` value, e.g. from a
    traced API Gateway stage) becomes the handler's ``_X_AMZN_TRACE_ID``.
    """
    session = current()
    backend = runtime.backend_for(session.account_id, session.region)
    data = payload.encode() if isinstance(payload, str) else bytes(payload)
    fn, invoked_arn, _alias = runtime.resolve(backend, function_name, qualifier)
    name, qual = runtime.split_name(function_name, qualifier)
    if caller is not None:
        check_caller(fn.account_id, invoked_arn, caller)
    return dispatch(session, fn, data, invoked_arn=invoked_arn, function_name=name, qualifier=qual,
                    invocation_type=invocation_type, log_type=log_type, request_id=request_id, caller=caller,
                    trace_header=trace_header)


def check_caller(account_id: str, invoked_arn: str, caller: Caller) -> None:
    """Refuse with :class:`InvokeDenied` when the function's resource-based policy does not let ``caller`` invoke.

    An IAM principal of the function's own account needs only an identity-based policy (evaluated by
    :mod:`lab_support.embedded.iam` on its signed requests), unless a statement explicitly denies it
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
    """
    decision = resource_policy_decision(function_policy(invoked_arn), principal=caller.principal,
                                        action=INVOKE_ACTION, resource=invoked_arn, source_arn=caller.source_arn,
                                        source_account=caller.source_account)
    if decision is Decision.ALLOW:
        return
    parts = caller.principal.split(":")
    same_account = caller.principal.startswith("arn:") and len(parts) > 4 and parts[4] == account_id
    explicit = decision is Decision.EXPLICIT_DENY
    if same_account and not explicit:
        return
    raise InvokeDenied(invoke_denied_message(caller.principal, invoked_arn, explicit=explicit))


def dispatch(
    session: Any,
    fn: Any,
    payload: bytes,
    *,
    invoked_arn: str,
    function_name: str,
    qualifier: str | None,
    invocation_type: str = "RequestResponse",
    log_type: str = "None",
    client_context: Any = None,
    request_id: str | None = None,
    caller: Caller | None = None,
    trace_header: str | None = None,
) -> Invocation:
    """Run (or queue, or only validate) one invocation of the resolved function version ``fn``."""
    runtime.check_request(payload, invocation_type)
    version = runtime.executed_version(fn)
    rid = request_id or str(uuid.uuid4())
    if invocation_type == "DryRun":
        return Invocation(204, b"", None, None, version, rid)
    if invocation_type == "Event":
        rid = async_invoke.submit(function_name, payload, qualifier, caller, request_id=rid)
        return Invocation(202, b"", None, None, version, rid)
    return runtime.execute(session, fn, payload, invoked_arn=invoked_arn, log_type=log_type,
                           client_context=client_context, request_id=rid, trace_header=trace_header)
