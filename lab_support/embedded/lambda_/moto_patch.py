"""Where the local runtime plugs into moto 5.2.5 (``moto/awslambda/models.py``).

moto executes function code at one place, ``LambdaFunction._invoke_lambda(event) -> (payload, errored, logs)``,
reached from ``LambdaFunction.invoke(body, request_headers, response_headers)`` (S3, SNS, SQS, Kinesis,
DynamoDB streams, EventBridge) and from ``LambdaBackend.invoke(function_name, qualifier, body, headers,
response_headers)`` (the Invoke API). All three are replaced while a session runs, and restored on stop:

* ``LambdaResponse.invoke``: hands boto3's ``?Qualifier=`` on (moto only reads ``?qualifier=``);
* ``LambdaResponse._enrich_response`` (added; inherited from ``BaseResponse``): ``x-amzn-RequestId`` is the
  invocation's request id, as on AWS, instead of moto's random one;
* ``LambdaBackend.invoke``: alias routing, the executed version, FunctionError / LogResult headers, 202/204;
* ``LambdaFunction.invoke`` and ``_invoke_lambda``: the same run for moto's own triggers;
* ``LambdaBackend.create_function`` / ``update_function_configuration``: the execution role must exist *and*
  trust ``lambda.amazonaws.com``, else ``InvalidParameterValueException`` "The role defined for the function
  cannot be assumed by Lambda." (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html).

They are declared in :data:`PATCHES` (:mod:`lab_support.core.patching`), applied when moto's Lambda modules are
first imported and undone by ``lab.stop()``. ``tests/test_patching.py`` pins their signatures, so a moto upgrade
that moves the seam fails loudly instead of silently falling back to moto's Docker path.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from typing import Any
from urllib.parse import unquote

from lab_support.core import patching
from lab_support.embedded.iam.policy import Decision, resource_policy_decision
from lab_support.embedded.lambda_ import invocation, runtime, runtimes

_SESSION: Any = None


def _header(headers: Any, name: str, default: str | None = None) -> str | None:
    if headers is None:
        return default
    getter = getattr(headers, "get", None)
    if getter is None:
        return default
    value = getter(name)
    if value is None:
        from werkzeug.datastructures import Headers

        if isinstance(headers, Headers):  # moto's request headers: lookups already ignore case
            return default
        lowered = name.lower()
        for key in list(headers.keys()):
            if str(key).lower() == lowered:
                return str(headers[key])
        return default
    return str(value)


def _to_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def _client_error(err: runtime.InvokeError) -> Exception:
    from moto.awslambda.exceptions import LambdaClientError

    exc = LambdaClientError(err.code, err.message)
    exc.code = err.status
    reason = getattr(err, "reason", None)
    if reason:  # TooManyRequestsException carries Reason and Type (API_Invoke.html)
        exc.description = json.dumps({"__type": err.code, "message": err.message, "Reason": reason, "Type": "User"})
    return exc


def _client_context(headers: Any) -> Any:
    raw = _header(headers, "X-Amz-Client-Context")
    if not raw:
        return None
    try:
        return json.loads(base64.b64decode(raw))
    except Exception:
        return None


def _run_for_moto(fn: Any, body: Any, headers: Any, response_headers: dict[str, Any], invoked_arn: str,
                  function_name: str, qualifier: str | None) -> bytes:
    inv_type = _header(headers, "X-Amz-Invocation-Type", "RequestResponse") or "RequestResponse"
    log_type = _header(headers, "X-Amz-Log-Type", "None") or "None"
    try:
        result = invocation.dispatch(_SESSION, fn, _to_bytes(body), invoked_arn=invoked_arn,
                                  function_name=function_name, qualifier=qualifier, invocation_type=inv_type,
                                  log_type=log_type, client_context=_client_context(headers))
    except runtime.InvokeError as err:
        raise _client_error(err) from None
    if result.function_error:
        response_headers["x-amz-function-error"] = result.function_error
    if inv_type == "RequestResponse":
        response_headers["x-amz-executed-version"] = result.executed_version
        if result.log_result is not None:
            response_headers["x-amz-log-result"] = result.log_result
    response_headers["Content-Length"] = str(len(result.payload))
    response_headers[_RID_MARK] = result.request_id  # becomes x-amzn-RequestId in _enrich_response
    return result.payload


# On AWS the Invoke response's x-amzn-RequestId (boto3: ResponseMetadata.RequestId) is the invocation's
# request id, the one in the START / END / REPORT log lines and context.aws_request_id
# (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html). moto's BaseResponse._enrich_response
# overwrites x-amzn-requestid with a random id after the action ran, so LambdaResponse gets its own
# _enrich_response that puts the invocation's id back. The marker header never leaves the process.
_RID_MARK = "x-lab-lambda-request-id"


def _enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
    from moto.core.responses import BaseResponse

    rid = headers.pop(_RID_MARK, None)
    headers, body = BaseResponse._enrich_response(headers, body)
    if rid:
        headers["x-amzn-requestid"] = rid
    return headers, body


_REQUEST = threading.local()


def _wrap_response_invoke(original: Any) -> Any:
    def invoke(self: Any) -> Any:
        """moto reads ``?qualifier=``; boto3 sends ``?Qualifier=``: pass it on to ``_backend_invoke``."""
        _REQUEST.qualifier = (self.querystring.get("Qualifier") or [None])[0]
        try:
            return original(self)
        finally:
            _REQUEST.qualifier = None

    return invoke


def _backend_invoke(self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any,
                    response_headers: Any) -> bytes:
    qualifier = qualifier or getattr(_REQUEST, "qualifier", None)
    try:
        fn, invoked_arn, _alias = runtime.resolve(self, unquote(function_name), qualifier)
    except runtime.ResourceNotFound as err:
        from moto.awslambda.exceptions import UnknownFunctionException

        raise UnknownFunctionException(err.message.replace("Function not found: ", "")) from None
    name, qual = runtime.split_name(unquote(function_name), qualifier)
    return _run_for_moto(fn, body, headers, response_headers, invoked_arn, name, qual)


def _function_invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
    arn = self.function_arn
    qual = None if str(self.version) == "$LATEST" else str(self.version)
    return _run_for_moto(self, body, request_headers or {}, response_headers if response_headers is not None else {},
                         arn, self.function_name, qual)


def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
    payload = _to_bytes(event if event is not None else {})
    try:
        result = invocation.dispatch(_SESSION, self, payload, invoked_arn=self.function_arn,
                                  function_name=self.function_name, qualifier=None, log_type="Tail")
    except runtime.InvokeError as err:
        return json.dumps({"errorMessage": err.message, "errorType": err.code}), True, ""
    return result.payload.decode("utf-8", "replace"), result.function_error is not None, result.log_tail


# -- execution role check ------------------------------------------------------------------------------
def role_trusts_lambda(document: Any, role_arn: str = "*") -> bool:
    """Whether a trust policy lets ``lambda.amazonaws.com`` call ``sts:AssumeRole`` (an Allow and no Deny),
    decided by the package's one evaluator (:mod:`lab_support.embedded.iam.policy`)."""
    try:
        decision = resource_policy_decision(document, principal="lambda.amazonaws.com", action="sts:AssumeRole",
                                            resource=role_arn)
    except ValueError:  # not JSON: IAM itself refuses such a document, no role can have it
        return False
    return decision is Decision.ALLOW


def _check_role(backend: Any, role_arn: str | None) -> None:
    if not role_arn:
        return
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.iam.models import iam_backends

    message = "The role defined for the function cannot be assumed by Lambda."
    partition = role_arn.split(":")[1] if role_arn.count(":") >= 5 else "aws"
    try:
        role = iam_backends[backend.account_id][partition].get_role_by_arn(role_arn)
    except Exception:
        raise InvalidParameterValueException(message) from None
    if not role_trusts_lambda(role.assume_role_policy_document, role_arn):
        raise InvalidParameterValueException(message)


def _wrap_create_function(original: Any) -> Any:
    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        from moto.awslambda.exceptions import InvalidRoleFormat

        runtimes.check(spec.get("Runtime"), spec.get("PackageType"))  # unknown, blocked or not Python: AWS's 400
        role = spec.get("Role")
        if role and re.match(InvalidRoleFormat.pattern, role):  # moto reports a malformed ARN itself
            _check_role(self, role)
        return original(self, spec)

    return create_function


def _wrap_update_function_configuration(original: Any) -> Any:
    def update_function_configuration(self: Any, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        if "Runtime" in body:
            runtimes.check(body["Runtime"])
        if body.get("Role"):
            _check_role(self, body["Role"])
        return original(self, function_name, qualifier, body)

    return update_function_configuration


def _wrap_get_policy(original: Any) -> Any:
    """GetPolicy answers the policy of the very resource asked for: the function, or one version or alias.

    moto stores an alias's statements on the version the alias points to, so every alias of that version (and the
    function itself) showed the same statements. AWS keeps one policy per function, version and alias
    ("Returns the resource-based IAM policy for a function, version, or alias":
    https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html), and answers ResourceNotFoundException for one
    without statements.
    """

    def get_policy(self: Any, function_name: str, qualifier: str | None = None) -> str:
        from moto.awslambda.exceptions import GenericResourcNotFound  # loaded with moto's Lambda models

        wire = json.loads(original(self, function_name, qualifier))
        parts = function_name.split(":")
        name, named_qualifier = (parts[6], parts[7] if len(parts) > 7 else None) if function_name.startswith("arn:") \
            else (parts[0], parts[1] if len(parts) > 1 else None)
        base = self._lambdas.get_function_by_name_or_arn_with_qualifier(name, None).function_arn.split(":$LATEST")[0]
        wanted_qualifier = qualifier or named_qualifier
        wanted = f"{base}:{wanted_qualifier}" if wanted_qualifier and wanted_qualifier != "$LATEST" else base
        policy = json.loads(wire["Policy"])
        mine = [st for st in policy.get("Statement", []) if st.get("Resource") == wanted]
        if not mine:
            raise GenericResourcNotFound()
        wire["Policy"] = json.dumps({**policy, "Statement": mine})
        return json.dumps(wire)

    return get_policy


# -- the patches --------------------------------------------------------------------------------------------
_MODELS = "moto.awslambda.models"
_RESPONSES = "moto.awslambda.responses"

PATCHES = patching.group("lambda", [
    patching.Patch(f"{_RESPONSES}:LambdaResponse.invoke", wrap=_wrap_response_invoke, signature=["self"],
                   why="hands boto3's `?Qualifier=` on (moto reads `?qualifier=`)"),
    patching.Patch(f"{_RESPONSES}:LambdaResponse._enrich_response", replacement=staticmethod(_enrich_response),
                   signature=["headers", "body"],
                   why="set on LambdaResponse (inherited from BaseResponse): x-amzn-RequestId = the invocation's id"),
    patching.Patch(f"{_MODELS}:LambdaBackend.invoke", replacement=_backend_invoke,
                   signature=["self", "function_name", "qualifier", "body", "headers", "response_headers"],
                   why="the Invoke API runs the handler locally: aliases, executed version, FunctionError, LogResult"),
    patching.Patch(f"{_MODELS}:LambdaBackend.create_function", wrap=_wrap_create_function, signature=["self", "spec"],
                   why="the execution role must exist and trust lambda.amazonaws.com"),
    patching.Patch(f"{_MODELS}:LambdaBackend.update_function_configuration", wrap=_wrap_update_function_configuration,
                   signature=["self", "function_name", "qualifier", "body"], why="the same role check"),
    patching.Patch(f"{_MODELS}:LambdaFunction.invoke", replacement=_function_invoke,
                   signature=["self", "body", "request_headers", "response_headers"],
                   why="moto's own triggers run the handler locally"),
    patching.Patch(f"{_MODELS}:LambdaFunction._invoke_lambda", replacement=_invoke_lambda, signature=["self", "event"],
                   why="moto's execution point (else Docker) runs the handler locally"),
    patching.Patch(f"{_MODELS}:LambdaBackend.get_policy", wrap=_wrap_get_policy,
                   signature=["self", "function_name", "qualifier"],
                   why="GetPolicy answers one function's, version's or alias's own statements"),
])


# -- install / uninstall ----------------------------------------------------------------------------------
def patch(session: Any) -> None:
    """Replace moto's execution point with the local runtime (idempotent; applied when moto's Lambda models are
    first imported, undone by ``lab.stop()``)."""
    global _SESSION
    _SESSION = session
    patching.apply(PATCHES)


def detach() -> None:
    """Forget the session (``lab.stop()`` undoes the patches themselves)."""
    global _SESSION
    _SESSION = None


def patched() -> bool:
    """True while the local runtime is attached to moto (applied, or waiting for moto's Lambda models)."""
    return patching.active(PATCHES)
