"""How the gateway reaches what is behind an integration: Lambda, HTTP servers, AWS services.

Every call runs under the integration's timeout; a call that overruns gives :class:`Timeout`
(the gateway answers 504 while the call itself finishes in the background, as on AWS, where the
function keeps running after API Gateway has given up).
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from lab_support.core.guard import is_loopback
from lab_support.core.session import current
from lab_support.embedded import lambda_ as runtime
from lab_support.embedded.apigateway.context import CONFIG
from lab_support.embedded.iam import credentials_for_role
from lab_support.embedded.iam.policy import Decision, resource_policy_decision
from lab_support.embedded.lambda_.limits import SYNC_REQUEST_LIMIT
from lab_support.embedded.moto_state import sqs_queue_by_arn

T = TypeVar("T")
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="lab-gateway")

# VPC links lead to private load balancers that do not exist here. A "private backend" is a
# local server (loopback only) standing in for one: register it under the VPC link id, the
# load balancer ARN the link targets, or the host name the integration URI uses.
_PRIVATE_BACKENDS: dict[str, str] = {}


class Timeout(Exception):
    """The integration did not answer within its timeout."""


class IntegrationFailure(Exception):
    """The integration could not be called; ``log`` is the execution-log line AWS writes."""

    def __init__(self, log: str) -> None:
        super().__init__(log)
        self.log = log


def with_timeout(fn: Callable[[], T], timeout_ms: int) -> T:
    """Run ``fn()`` and give up after ``timeout_ms``."""
    future = _POOL.submit(fn)
    try:
        return future.result(timeout=timeout_ms / 1000)
    except concurrent.futures.TimeoutError:
        raise Timeout() from None


# -- Lambda ---------------------------------------------------------------------------------
_LAMBDA_URI = re.compile(r"^arn:aws[a-z-]*:apigateway:(?P<region>[^:]+):lambda:path/[^/]+/functions/(?P<fn>.+)/invocations$")


def lambda_target(uri: str) -> tuple[str, str | None]:
    """``(function_arn_or_name, qualifier)`` from an integration URI or a plain function ARN.

    URI form: ``arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations``
    (https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html, ``uri``).
    """
    m = _LAMBDA_URI.match(uri)
    fn = urllib.parse.unquote(m.group("fn")) if m else uri
    parts = fn.split(":")
    if fn.startswith("arn:") and len(parts) == 8:  # arn:aws:lambda:region:acct:function:name:qualifier
        return ":".join(parts[:7]), parts[7]
    return fn, None


# Time an execution environment may take to start (worker process, imports, init) on top of the function's
# timeout, before the gateway's own timeout is the one that can end the request.
COLD_START_SLACK_MS = 10_000


def function_timeout_ms(function: str, qualifier: str | None, account_id: str) -> int | None:
    """The function's configured timeout (``Timeout``, seconds) in ms, or ``None`` when it cannot be read."""
    try:
        from moto.awslambda.models import lambda_backends

        parts = function.split(":")
        region = parts[3] if function.startswith("arn:") and len(parts) > 3 else _default_region()
        return int(lambda_backends[account_id][region].get_function(function, qualifier).timeout) * 1000
    except Exception:
        return None


def _default_region() -> str:
    return CONFIG.region


@dataclass
class LambdaResult:
    payload: bytes
    function_error: str | None


def invoke_lambda(uri: str, payload: bytes, *, source_arn: str, account_id: str, timeout_ms: int,
                  trace_header: str | None = None) -> LambdaResult:
    """Invoke through ``lab_support.embedded.lambda_.invoke`` as ``apigateway.amazonaws.com``.

    Raises :class:`IntegrationFailure` (permission, unknown function, runtime missing),
    :class:`PayloadTooLarge` or :class:`Timeout`.
    """
    if len(payload) > LAMBDA_REQUEST_LIMIT:
        raise PayloadTooLarge()
    function, qualifier = lambda_target(uri)
    caller = runtime.Caller(principal="apigateway.amazonaws.com", source_arn=source_arn, source_account=account_id)

    def call() -> Any:
        return runtime.invoke(function, payload, qualifier=qualifier, caller=caller, trace_header=trace_header)

    # The runtime ends a function at its own timeout: when that comes well before the integration's, call it on
    # the request's own thread (a hop to the pool and back costs more than the rest of the gateway).
    function_timeout = function_timeout_ms(function, qualifier, account_id)
    inline = function_timeout is not None and function_timeout + COLD_START_SLACK_MS <= timeout_ms
    try:
        result = call() if inline else with_timeout(call, timeout_ms)
    except Timeout:
        raise
    except Exception as err:
        name = type(err).__name__
        if name == "InvokeDenied":
            # https://repost.aws/knowledge-center/api-gateway-rest-api-lambda-integrations
            raise IntegrationFailure(
                "Execution failed due to configuration error: Invalid permissions on Lambda function"
            ) from None
        if name in ("ResourceNotFound", "ResourceNotFoundException"):
            raise IntegrationFailure(f"Execution failed due to configuration error: {err}") from None
        if "TooLarge" in name:
            raise PayloadTooLarge() from None
        raise IntegrationFailure(f"Execution failed due to an internal error: {name}: {err}") from None
    return LambdaResult(bytes(result.payload or b""), result.function_error)


LAMBDA_REQUEST_LIMIT = SYNC_REQUEST_LIMIT  # Lambda's quota, defined in lambda_/limits.py


class PayloadTooLarge(Exception):
    """The event is over Lambda's 6 MB synchronous payload quota."""


# -- HTTP -------------------------------------------------------------------------------------
@dataclass
class HttpResult:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
               "transfer-encoding", "upgrade", "content-length", "host", "content-encoding"}


def register_private_backend(key: str, url: str) -> None:
    """Stand a local server in for a private (VPC link) backend.

    ``key`` is a VPC link id, the load balancer ARN the link targets, or the host name in the
    integration URI; ``url`` is a loopback base URL such as ``http://127.0.0.1:8080``.
    """
    _PRIVATE_BACKENDS[key] = url.rstrip("/")


def clear_private_backends() -> None:
    _PRIVATE_BACKENDS.clear()


def resolve_private(uri: str, keys: list[str]) -> str:
    """Rewrite a VPC-link integration URI to its registered local backend."""
    parsed = urllib.parse.urlsplit(uri)
    for key in [*keys, parsed.hostname or "", parsed.netloc]:
        if key and key in _PRIVATE_BACKENDS:
            base = urllib.parse.urlsplit(_PRIVATE_BACKENDS[key])
            return urllib.parse.urlunsplit((base.scheme, base.netloc, parsed.path, parsed.query, ""))
    if is_loopback(parsed.hostname):
        return uri
    raise IntegrationFailure(
        "Execution failed due to configuration error: no local backend stands in for the private "
        f"integration {uri!r}; call lab_support.embedded.apigateway.register_private_backend(<vpc link id or host>, "
        "'http://127.0.0.1:PORT') first"
    )


def http_call(method: str, url: str, headers: list[tuple[str, str]], body: bytes, timeout_ms: int, *,
              host: str | None = None) -> HttpResult:
    """One HTTP request to an integration endpoint (the network guard keeps it on loopback); ``host`` replaces
    the ``Host`` header (a private integration sends its URI's host name to the load balancer)."""
    import requests

    send_headers = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
    if host:
        send_headers.append(("Host", host))

    def call() -> HttpResult:
        resp = requests.request(method, url, headers=dict(send_headers), data=body or None,
                                timeout=timeout_ms / 1000 + 1, allow_redirects=False)
        # urllib3's headers keep repeated ones (Set-Cookie) apart; requests' dict joins them.
        raw = getattr(resp.raw, "headers", None)
        raw_headers = list(raw.items()) if raw is not None else list(resp.headers.items())
        return HttpResult(resp.status_code, raw_headers, resp.content)

    try:
        return with_timeout(call, timeout_ms)
    except Timeout:
        raise
    except Exception as err:
        raise IntegrationFailure(
            f"Execution failed due to configuration error: Invalid endpoint address ({type(err).__name__}: {err})"
        ) from None


# -- AWS services -----------------------------------------------------------------------------
_AWS_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:(?P<region>[^:]+):(?P<service>[^:/]+?)(?:\.[^:]*)?:(?P<kind>path|action)/(?P<rest>.*)$"
)


# -- who signs an AWS integration's request ----------------------------------------------------------
# API Gateway assumes the integration's `credentials` role and calls the service with it: the role must trust
# apigateway.amazonaws.com and allow the action (https://docs.aws.amazon.com/apigateway/latest/developerguide/
# integrating-api-with-aws-services-sqs.html; https://repost.aws/knowledge-center/api-gateway-rest-api-sqs-errors,
# "Create an IAM role ... attach an Amazon SQS policy with a SendMessage permission", "For Execution role, enter the
# ARN of the IAM role"). `credentials` options (https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html):
# a role ARN; `arn:aws:iam::*:user/*` for the caller's own identity; null for "resource-based permissions on
# supported AWS services".
CALLER_CREDENTIALS = "arn:aws:iam::*:user/*"
#: The execution-log line when API Gateway cannot assume the role (missing role, or a trust policy without
#: apigateway.amazonaws.com). Not on an AWS documentation page: it is the line AWS writes in execution logs, as
#: quoted in public bug reports and tutorials; the client gets 500 {"message": "Internal server error"}.
ASSUME_ROLE_FAILED = ("Execution failed due to configuration error: API Gateway does not have permission to assume "
                      "the provided role {role}")
#: The role session API Gateway's calls run as (``assumed-role/{role}/BackplaneAssumeRoleSession``): seen in the
#: ``SenderId`` of SQS messages and in CloudTrail records of API Gateway integrations; not documented either.
ROLE_SESSION_NAME = "BackplaneAssumeRoleSession"
#: SQS's AccessDenied message ("How do I troubleshoot AccessDenied ... errors on Amazon SQS API calls?",
#: https://repost.aws/knowledge-center/sqs-accessdenied-errors; the SQS developer guide's "Troubleshoot an access
#: denied error in Amazon SQS").
SQS_ACCESS_DENIED = "Access to the resource https://sqs.{region}.amazonaws.com/ is denied."
_ROLE_KEYS: dict[str, str] = {}  # role ARN -> the access key issued for API Gateway's session of it


def _role_trusts_api_gateway(role_arn: str, account_id: str) -> bool:
    """The role exists and its trust policy lets ``apigateway.amazonaws.com`` call ``sts:AssumeRole`` (the one
    evaluator, :mod:`lab_support.embedded.iam.policy`)."""
    from moto.iam.models import iam_backends

    partition = role_arn.split(":")[1] if role_arn.count(":") >= 5 else "aws"
    try:
        role = iam_backends[account_id][partition].get_role_by_arn(role_arn)
        decision = resource_policy_decision(role.assume_role_policy_document, principal="apigateway.amazonaws.com",
                                            action="sts:AssumeRole", resource=role_arn)
    except Exception:  # no such role (NoSuchEntity), or a document IAM would not have stored
        return False
    return decision is Decision.ALLOW


def integration_key(credentials: str | None, account_id: str) -> str:
    """The access key an ``AWS`` integration's request is signed with.

    A role: a session of it (:func:`lab_support.embedded.iam.credentials_for_role`), so the embedded endpoint
    evaluates the role's identity policies and answers the service's own AccessDenied when they do not allow the
    action; :class:`IntegrationFailure` (500) when the role cannot be assumed. No credentials: the kernel's key
    (resource-based permissions are checked before, by :func:`resource_based_denial`).
    """
    if not credentials:
        return current().credentials.get("AWS_ACCESS_KEY_ID", "")  # the session's key: its endpoint trusts no other
    if credentials == CALLER_CREDENTIALS:
        raise IntegrationFailure("Execution failed due to configuration error: the caller's credentials "
                                 f"({CALLER_CREDENTIALS}) are not passed through by the local gateway; use a role")
    if not _role_trusts_api_gateway(credentials, account_id):
        raise IntegrationFailure(ASSUME_ROLE_FAILED.format(role=credentials))
    key = _ROLE_KEYS.get(credentials)
    if key is None:
        key = _ROLE_KEYS[credentials] = credentials_for_role(credentials, session_name=ROLE_SESSION_NAME)[
            "AWS_ACCESS_KEY_ID"]
    return key


def resource_based_denial(service: str, region: str, kind: str, rest: str, body: bytes, *, account_id: str,
                          source_arn: str) -> HttpResult | None:
    """An integration without ``credentials`` relies on the target's resource-based policy. SQS: the queue policy
    must allow ``apigateway.amazonaws.com`` the action (the one evaluator), else SQS's AccessDenied (403).

    Deliberate difference: other services are called with the kernel's credentials when no role is given.
    """
    if service != "sqs" or kind != "path":
        return None
    account, _, queue = rest.partition("/")
    queue_arn = f"arn:aws:sqs:{region}:{account}:{queue.split('/')[0]}"
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    action = "sqs:" + (form.get("Action") or ["SendMessage"])[0]
    found = sqs_queue_by_arn(queue_arn)
    policy = getattr(found, "policy", None)
    if policy:
        try:
            decision = resource_policy_decision(policy, principal="apigateway.amazonaws.com", action=action,
                                                resource=queue_arn, source_arn=source_arn, source_account=account_id)
        except ValueError:
            decision = Decision.IMPLICIT_DENY
        if decision is Decision.ALLOW:
            return None
    return HttpResult(403, [("Content-Type", "text/xml")], _sqs_error("AccessDenied", SQS_ACCESS_DENIED.format(region=region)))


def _sqs_error(code: str, message: str) -> bytes:
    from xml.sax.saxutils import escape

    return (f'<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{escape(message)}</Message><Detail/></Error>"
            "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>").encode()


def aws_service_call(uri: str, http_method: str, headers: list[tuple[str, str]], body: bytes, *,
                     endpoint_url: str, timeout_ms: int, credentials: str | None = None, account_id: str = "",
                     source_arn: str = "") -> HttpResult:
    """Call an AWS service the way an ``AWS`` integration does, on the embedded endpoint.

    ``arn:aws:apigateway:{region}:{service}:path/{path}`` sends ``{http_method} /{path}``;
    ``...:action/{Action}`` calls the API action (``X-Amz-Target`` for JSON services, a query
    ``Action=`` for the others). The request goes to the embedded AWS over loopback HTTP with the
    service's host name, signed as API Gateway signs it: with a session of the integration's ``credentials``
    role (:func:`integration_key`), or relying on the target's resource policy (:func:`resource_based_denial`).
    A denial is the service's own error response, which the integration responses then map (selection by status).
    """
    import requests

    m = _AWS_URI.match(uri)
    if not m:
        raise IntegrationFailure(f"Execution failed due to configuration error: cannot parse AWS integration URI {uri!r}")
    region, service, kind, rest = m.group("region"), m.group("service"), m.group("kind"), m.group("rest")
    account_id = account_id or CONFIG.account_id
    if not credentials:
        denied = resource_based_denial(service, region, kind, rest, body, account_id=account_id, source_arn=source_arn)
        if denied is not None:
            return denied
    key_id = integration_key(credentials, account_id)
    host = f"{service}.{region}.amazonaws.com"
    send = {k: v for k, v in headers if k.lower() not in _HOP_BY_HOP}
    send["Host"] = host
    send["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={key_id}/20200101/{region}/{service}/aws4_request, "
                             "SignedHeaders=host, Signature=0")
    url = endpoint_url.rstrip("/") + "/"
    method = (http_method or "POST").upper()
    if kind == "path":
        url += rest
    else:
        action, _, extra = rest.partition("&")
        ctype = next((v for k, v in send.items() if k.lower() == "content-type"), "")
        protocol, target_prefix, json_version, api_version = _service_protocol(service)
        if protocol in ("json", "rest-json") and target_prefix and "x-www-form-urlencoded" not in ctype:
            send["X-Amz-Target"] = f"{target_prefix}.{action}"
            send.setdefault("Content-Type", f"application/x-amz-json-{json_version or '1.0'}")
        else:
            url += "?" + urllib.parse.urlencode({"Action": action, "Version": api_version}) + (f"&{extra}" if extra else "")
            send.setdefault("Content-Type", "application/x-www-form-urlencoded")

    def call() -> HttpResult:
        resp = requests.request(method, url, headers=send, data=body or None, timeout=timeout_ms / 1000 + 1)
        return HttpResult(resp.status_code, list(resp.headers.items()), resp.content)

    try:
        return with_timeout(call, timeout_ms)
    except Timeout:
        raise
    except Exception as err:
        raise IntegrationFailure(f"Execution failed due to an internal error: {type(err).__name__}: {err}") from None


def _service_protocol(service: str) -> tuple[str, str | None, str | None, str]:
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(service)
    except Exception:
        return "query", None, None, ""
    meta = model.metadata
    return meta.get("protocol", "query"), meta.get("targetPrefix"), meta.get("jsonVersion"), meta.get("apiVersion", "")


def parse_json(data: bytes) -> Any:
    """JSON from bytes, or ``None`` when it is not JSON."""
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
