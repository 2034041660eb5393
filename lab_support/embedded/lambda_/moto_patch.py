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

``tests/test_lambda_runtime.py::test_seam_signatures`` pins these signatures, so a moto upgrade that moves
the seam fails loudly instead of silently falling back to moto's Docker path.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from typing import Any
from urllib.parse import unquote

from lab_support.embedded.lambda_ import runtime

# (owner, attribute) -> original
_ORIGINALS: dict[tuple[type, str], Any] = {}
_SESSION: Any = None
_INHERITED = object()  # marks an attribute the class inherits (deleted again on unpatch)

SEAM = {
    "LambdaResponse.invoke": ["self"],
    "LambdaFunction.invoke": ["self", "body", "request_headers", "response_headers"],
    "LambdaFunction._invoke_lambda": ["self", "event"],
    "LambdaBackend.invoke": ["self", "function_name", "qualifier", "body", "headers", "response_headers"],
    "LambdaBackend.create_function": ["self", "spec"],
    "LambdaBackend.update_function_configuration": ["self", "function_name", "qualifier", "body"],
}


def _header(headers: Any, name: str, default: str | None = None) -> str | None:
    if not headers:
        return default
    getter = getattr(headers, "get", None)
    if getter is None:
        return default
    value = getter(name)
    if value is None:
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
        result = runtime.dispatch(_SESSION, fn, _to_bytes(body), invoked_arn=invoked_arn,
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


def _response_invoke(self: Any) -> Any:
    """moto reads ``?qualifier=``; boto3 sends ``?Qualifier=``: pass it on to ``_backend_invoke``."""
    _REQUEST.qualifier = (self.querystring.get("Qualifier") or [None])[0]
    try:
        return _ORIGINALS[(_response_cls(), "invoke")](self)
    finally:
        _REQUEST.qualifier = None


def _response_cls() -> type:
    from moto.awslambda.responses import LambdaResponse

    return LambdaResponse


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
        result = runtime.dispatch(_SESSION, self, payload, invoked_arn=self.function_arn,
                                  function_name=self.function_name, qualifier=None, log_type="Tail")
    except runtime.InvokeError as err:
        return json.dumps({"errorMessage": err.message, "errorType": err.code}), True, ""
    return result.payload.decode("utf-8", "replace"), result.function_error is not None, result.log_tail


# -- execution role check ------------------------------------------------------------------------------
def _principal_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        values = principal.get("Service", [])
        values = [values] if isinstance(values, str) else values
        aws = principal.get("AWS", [])
        aws = [aws] if isinstance(aws, str) else aws
        return service in values or "*" in aws
    return False


def _action_matches(action: Any) -> bool:
    actions = [action] if isinstance(action, str) else list(action or [])
    return any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions)


def role_trusts_lambda(document: Any) -> bool:
    """Whether a trust policy lets ``lambda.amazonaws.com`` call ``sts:AssumeRole`` (Allow and no Deny)."""
    if isinstance(document, str):
        try:
            document = json.loads(unquote(document) if document.lstrip().startswith("%") else document)
        except ValueError:
            return False
    statements = (document or {}).get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    allowed = False
    for statement in statements:
        if _principal_matches(statement.get("Principal"), "lambda.amazonaws.com") and _action_matches(
            statement.get("Action")
        ):
            if statement.get("Effect") == "Deny":
                return False
            if statement.get("Effect") == "Allow":
                allowed = True
    return allowed


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
    if not role_trusts_lambda(role.assume_role_policy_document):
        raise InvalidParameterValueException(message)


def _create_function(self: Any, spec: dict[str, Any]) -> Any:
    from moto.awslambda.exceptions import InvalidRoleFormat

    role = spec.get("Role")
    if role and re.match(InvalidRoleFormat.pattern, role):  # moto reports a malformed ARN itself
        _check_role(self, role)
    return _ORIGINALS[(_backend_cls(), "create_function")](self, spec)


def _update_function_configuration(self: Any, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
    if body.get("Role"):
        _check_role(self, body["Role"])
    return _ORIGINALS[(_backend_cls(), "update_function_configuration")](self, function_name, qualifier, body)


def _backend_cls() -> type:
    from moto.awslambda.models import LambdaBackend

    return LambdaBackend


# -- install / uninstall ----------------------------------------------------------------------------------
def patch(session: Any) -> None:
    """Replace moto's execution point with the local runtime (idempotent)."""
    global _SESSION
    from moto.awslambda.models import LambdaBackend, LambdaFunction
    from moto.awslambda.responses import LambdaResponse

    _SESSION = session
    replacements = {
        (LambdaResponse, "invoke"): _response_invoke,
        (LambdaBackend, "invoke"): _backend_invoke,
        (LambdaBackend, "create_function"): _create_function,
        (LambdaBackend, "update_function_configuration"): _update_function_configuration,
        (LambdaFunction, "invoke"): _function_invoke,
        (LambdaFunction, "_invoke_lambda"): _invoke_lambda,
        (LambdaResponse, "_enrich_response"): staticmethod(_enrich_response),
    }
    for (owner, name), new in replacements.items():
        if (owner, name) not in _ORIGINALS:
            _ORIGINALS[(owner, name)] = owner.__dict__.get(name, _INHERITED)
        setattr(owner, name, new)


def unpatch() -> None:
    """Give moto its own methods back."""
    global _SESSION
    for (owner, name), original in list(_ORIGINALS.items()):
        if original is _INHERITED:
            if name in owner.__dict__:
                delattr(owner, name)
        else:
            setattr(owner, name, original)
    _ORIGINALS.clear()
    _SESSION = None


def patched() -> bool:
    """True while the local runtime is attached to moto."""
    return bool(_ORIGINALS)
