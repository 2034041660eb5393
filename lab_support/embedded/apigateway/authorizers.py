"""Authorizers, evaluated on every request: the chain's ``authorize_rest`` and ``authorize_http`` handlers.

They run after routing and the resource-policy check and before request validation and the integration
(:mod:`.chain`). What each kind of authorization does, as on AWS:

==========================  ====================================================================================
REST ``AWS_IAM``            SigV4 recomputed with botocore's ``SigV4Auth`` for the caller's key (the session's
                            own keys: the account's root, allowed; execution-role keys from
                            :func:`lab_support.embedded.iam.grant_for_key`: the role's identity policies must allow
                            ``execute-api:Invoke`` on the method ARN, one evaluator: :mod:`lab_support.embedded.iam.policy`)
REST ``COGNITO_USER_POOLS`` ID or access token of the embedded Cognito (:mod:`.tokens`); ``authorizationScopes``
                            need an access token with one of them; claims → ``$context.authorizer.claims``
REST ``CUSTOM``             Lambda authorizer, ``TOKEN`` or ``REQUEST``: invoked as ``apigateway.amazonaws.com``
                            with the authorizer's source ARN; its policy decides; cached per identity for
                            ``authorizerResultTtlInSeconds`` on the course clock
HTTP ``JWT``                JWT authorizer: issuer, audience (``aud``, else ``client_id``), expiry, route scopes
HTTP ``CUSTOM``             Lambda authorizer, payload 1.0 or 2.0, simple responses or IAM policies
HTTP ``AWS_IAM``            as REST
==========================  ====================================================================================

Deliberate differences: a REST authorizer with ``authorizerCredentials`` is invoked with the kernel's own rights
(the role is not assumed); the request's date is not checked against the clock (no 15-minute skew refusal);
``usageIdentifierKey`` is not read.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lab_support.core import clock, patching
from lab_support.core.server import UNKNOWN_KEY_MESSAGE
from lab_support.core.session import current
from lab_support.embedded.apigateway import backends, http_api, payloads, rest, tokens
from lab_support.embedded.apigateway.backends import IntegrationFailure, PayloadTooLarge, Timeout
from lab_support.embedded.apigateway.common import REST_DEFAULT_TIMEOUT_MS
from lab_support.embedded.apigateway.context import REST, GatewayError, HttpResponse, RequestContext
from lab_support.embedded.iam import grant_for_key, identity_policies
from lab_support.embedded.iam.policy import Decision, decide, execute_api_resource_matches

__all__ = ["PATCHES", "authorize_http", "authorize_rest", "clear_cache"]

# -- messages, each with its source ----------------------------------------------------------------------------
# Lambda authorizer refusals (REST): "How do I troubleshoot HTTP 403 Forbidden errors when I use a Lambda authorizer
# with an API Gateway REST API?" (https://repost.aws/knowledge-center/api-gateway-403-error-lambda-authorizer).
EXPLICIT_DENY = "User is not authorized to access this resource with an explicit deny"
IMPLICIT_DENY = "User is not authorized to access this resource"
# Missing, null or unvalidated token or identity sources: 401 {"message":"Unauthorized"}, the authorizer is not
# invoked (same page; "Why do I get API Gateway 401 Unauthorized errors after I create a Lambda authorizer?").
UNAUTHORIZED = "Unauthorized"
# A Lambda authorizer that fails or answers outside the contract: 500 {"message": null} with
# x-amzn-ErrorType: AuthorizerConfigurationException (AUTHORIZER_CONFIGURATION_ERROR gateway response,
# https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html; the header as
# reported in https://gist.github.com/44f21a921f3e4282c631a96051718619; the 500 {"message":null} body of a failing
# authorizer: https://loige.co/debugging-custom-apigateway-authorizers/; the execution-log line of a malformed answer,
# "Execution failed due to configuration error: Invalid JSON in response": https://dev.to/dborgenvik/the-context-property-of-aws-lambda-authorizer-1ibc).
# IAM authorization: the SigV4 signature error (as API Gateway answers it, with the canonical request it expected:
# https://github.com/mhart/aws4/issues/33; header InvalidSignatureException: rpgreen/apigateway-generic-java-sdk#11).
SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
                      "Secret Access Key and signing method. Consult the service documentation for details.")
# An access key API Gateway does not know: the same words as the embedded endpoint's (core.server).
UNKNOWN_KEY = UNKNOWN_KEY_MESSAGE
# IAM denial: {"Message":"User: <arn> is not authorized to perform: execute-api:Invoke on resource: <arn>"}
# (capital "Message": https://github.com/ASFHyP3/hyp3/issues/2283, https://github.com/guardian/manage-frontend/pull/483;
# " with an explicit deny" for an explicit one, as the resource-policy message on the knowledge-center page above).
IAM_DENIED = "User: {user} is not authorized to perform: execute-api:Invoke on resource: {resource}"
# HTTP APIs: fixed bodies (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-jwt.html:
# 401 {"message":"Unauthorized"} with www-authenticate; Lambda authorizer refusals 403 {"message":"Forbidden"},
# errors 500 {"message":"Internal Server Error"}: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
HTTP_UNAUTHORIZED = (401, {"message": "Unauthorized"})
HTTP_FORBIDDEN = (403, {"message": "Forbidden"})
HTTP_ERROR = http_api.INTERNAL

# Default authorizerResultTtlInSeconds of a REST authorizer: 300 s (API_CreateAuthorizer: "If it equals 0,
# authorization caching is disabled. If it is greater than 0, API Gateway will cache authorizer responses. The
# maximum value is 3600." https://docs.aws.amazon.com/apigateway/latest/api/API_CreateAuthorizer.html; console default 300).
REST_DEFAULT_TTL = 300
# HTTP API Lambda authorizers cache only when AuthorizerResultTtlInSeconds is set (default 0)
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html, "Caching").
HTTP_DEFAULT_TTL = 0
# A Lambda authorizer's context values: strings, numbers or booleans only
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html).
_CONTEXT_TYPES = (str, int, float, bool)

_AUTH_HEADER = re.compile(r"^AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
                          r"\s*Signature=(?P<sig>[0-9a-f]+)\s*$")


# -- the cache of Lambda authorizer results ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Result:
    """A Lambda authorizer's answer, as cached: the policy is evaluated again for each method (as AWS does)."""

    principal_id: str | None
    policy: Any  # the policyDocument, or None for an HTTP API simple response
    authorized: bool | None  # HTTP API simple response: isAuthorized
    context: dict[str, Any]
    latency_ms: int
    usage_identifier_key: str | None = None


_CACHE: dict[tuple[str, str, str], tuple[float, _Result]] = {}
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget every cached authorizer result (``lab.reset()`` does this)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _cached(key: tuple[str, str, str]) -> _Result | None:
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is None:
            return None
        expires, result = found
        if expires <= clock.now():
            del _CACHE[key]
            return None
        return result


def _remember(key: tuple[str, str, str], result: _Result, ttl: int) -> None:
    if ttl > 0:
        with _CACHE_LOCK:
            _CACHE[key] = (clock.now() + ttl, result)


# -- helpers ---------------------------------------------------------------------------------------------------
def _method_arn(ctx: RequestContext) -> str:
    """``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`` of this request
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html)."""
    return f"arn:aws:execute-api:{ctx.region}:{ctx.account_id}:{ctx.api_id}/{ctx.stage_name}/{ctx.method}{ctx.path}"


def _authorizer_source_arn(ctx: RequestContext, authorizer_id: str) -> str:
    """The source ARN API Gateway invokes an authorizer function with: ``…:{api}/authorizers/{id}``
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-authorization.html)."""
    return f"arn:aws:execute-api:{ctx.region}:{ctx.account_id}:{ctx.api_id}/authorizers/{authorizer_id}"


def _refuse_rest(ctx: RequestContext, kind: str, message: str | None, log: str) -> GatewayError:
    """A REST refusal through its gateway response (customisable with ``put_gateway_response``)."""
    ctx.exec_log.error(log)
    ctx.variables["error"] = {"message": message, "messageString": json.dumps(message), "responseType": kind,
                              "validationErrorString": ""}
    return GatewayError(kind)


def _set_authorizer(ctx: RequestContext, value: dict[str, Any]) -> None:
    """``$context.authorizer`` and the proxy event's ``requestContext.authorizer``."""
    ctx.variables["authorizer"] = value


# -- REST ------------------------------------------------------------------------------------------------------
def authorize_rest(ctx: RequestContext) -> None:
    """The method's ``authorizationType``: ``NONE`` passes; ``AWS_IAM``, ``COGNITO_USER_POOLS`` and ``CUSTOM``
    (Lambda ``TOKEN`` / ``REQUEST``) decide, or end the request with the refusal AWS answers."""
    method = ctx.method_def
    kind = (getattr(method, "authorization_type", None) or "NONE").upper()
    if kind == "NONE":
        return
    if kind == "AWS_IAM":
        _iam(ctx)
        return
    authorizer = (ctx.api.authorizers or {}).get(getattr(method, "authorizer_id", None) or "")
    if authorizer is None:
        raise _refuse_rest(ctx, "AUTHORIZER_CONFIGURATION_ERROR", None,
                           "Execution failed due to configuration error: the method's authorizer does not exist")
    if (authorizer.type or "").upper() == "COGNITO_USER_POOLS":
        _cognito(ctx, authorizer, list(getattr(method, "authorization_scopes", None) or []))
    else:
        _lambda_rest(ctx, authorizer)


# .. AWS_IAM ....................................................................................................
def _iam(ctx: RequestContext) -> None:
    denied = check_signature(ctx)
    if denied is not None:
        ctx.response = denied


def _iam_response(ctx: RequestContext, status: int, key: str, message: str, error_type: str) -> HttpResponse:
    ctx.exec_log.error(f"Execution failed: {message.splitlines()[0]}")
    headers = [("x-amzn-RequestId", ctx.request_id), ("x-amzn-ErrorType", error_type)]
    if ctx.kind == REST:
        headers.append(("x-amz-apigw-id", ctx.extended_request_id))
    return HttpResponse.json(status, {key: message}, headers)


def _open_endpoint(session: Any) -> bool:
    """Does the session's server answer any key (``python -m lab_support serve``)?"""
    server = getattr(session, "server", None)
    return server is not None and not server.locked


def check_signature(ctx: RequestContext) -> HttpResponse | None:
    """IAM authorization of one request: ``None`` when allowed, else the 403 AWS answers."""
    header = ctx.header("authorization")
    if not header:
        if ctx.kind == REST:
            raise _refuse_rest(ctx, "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token",
                               "Execution failed: the request is not signed (AWS_IAM authorization)")
        return _iam_response(ctx, 403, "message", "Forbidden", "MissingAuthenticationTokenException")
    match = _AUTH_HEADER.match(header.strip())
    if match is None:
        return _iam_response(ctx, 403, "message", f"Authorization header requires 'Credential', 'SignedHeaders' and "
                             f"'Signature' parameters. Authorization={header}", "IncompleteSignatureException")
    access_key, _date, region, service, _term = [*match.group("cred").split("/"), "", "", "", "", ""][:5]
    session = current()
    principal: str | None
    grant = None
    if access_key == session.credentials.get("AWS_ACCESS_KEY_ID"):
        secret: str | None = session.credentials.get("AWS_SECRET_ACCESS_KEY", "")
        token = session.credentials.get("AWS_SESSION_TOKEN")
        principal = f"arn:aws:iam::{ctx.account_id}:root"
    else:
        grant = grant_for_key(access_key)
        if grant is None and not _open_endpoint(session):
            return _iam_response(ctx, 403, "message", UNKNOWN_KEY, "UnrecognizedClientException")
        if grant is None:
            # `python -m lab_support serve` answers any key, as moto's server and LocalStack do: a key it did not
            # issue stands for the account's root user, and its signature cannot be checked (the secret is unknown)
            secret, token, principal = None, None, f"arn:aws:iam::{ctx.account_id}:root"
        else:
            secret, token, principal = grant.secret_access_key, grant.session_token, grant.assumed_role_arn
    expected, canonical, to_sign = _signature(ctx, match.group("signed").split(";"), access_key, secret or "",
                                              token, region, service)
    if secret is not None and not hmac.compare_digest(expected, match.group("sig")):
        detail = (f"{SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
                  f"The String-to-Sign should have been\n'{to_sign}'\n")
        return _iam_response(ctx, 403, "message", detail, "InvalidSignatureException")
    resource = _method_arn(ctx)
    identity = ctx.variables.get("identity")
    if isinstance(identity, dict):
        identity.update({"accessKey": access_key, "accountId": ctx.account_id, "caller": principal,
                         "user": principal, "userArn": principal})
    if ctx.kind != REST:  # payload 2.0: requestContext.authorizer.iam
        # (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html)
        _set_authorizer(ctx, {"iam": {"accessKey": access_key, "accountId": ctx.account_id, "callerId": principal,
                                      "cognitoIdentity": None, "principalOrgId": None, "userArn": principal,
                                      "userId": principal}})
    if grant is None:
        return None  # the account's own keys: the root user may invoke every API of the account
    verdict = decide(identity_policies(grant.role_arn), "execute-api:Invoke", resource,
                     {"aws:PrincipalArn": grant.role_arn, "aws:SourceIp": ctx.source_ip},
                     resource_matcher=execute_api_resource_matches)
    if verdict.decision is Decision.ALLOW:
        return None
    message = IAM_DENIED.format(user=principal, resource=resource)
    if verdict.decision is Decision.EXPLICIT_DENY:
        message += " with an explicit deny"
    return _iam_response(ctx, 403, "Message", message, "AccessDeniedException")


def _signature(ctx: RequestContext, signed: list[str], access_key: str, secret: str, token: str | None,
               region: str, service: str) -> tuple[str, str, str]:
    """(signature, canonical request, string to sign) botocore computes for this request with ``secret``."""
    headers: list[tuple[str, str]] = []
    for name in signed:
        value = ctx.host if name == "host" else ctx.header(name)
        if value is not None:
            headers.append((name, value))
    url = f"https://{ctx.host}{ctx.request_path}" + (f"?{ctx.raw_query}" if ctx.raw_query else "")
    request = AWSRequest(method=ctx.method, url=url, headers=dict(headers), data=ctx.body)
    request.context["timestamp"] = ctx.header("x-amz-date") or ""
    signer = SigV4Auth(Credentials(access_key, secret, token), service or "execute-api", region or ctx.region)
    canonical = signer.canonical_request(request)
    to_sign = signer.string_to_sign(request, canonical)
    return signer.signature(to_sign, request), canonical, to_sign


# .. COGNITO_USER_POOLS ........................................................................................
def _identity_header(expr: str | None, default: str = "Authorization") -> str:
    """``method.request.header.Name`` → ``Name``."""
    if expr and expr.startswith("method.request.header."):
        return expr.split(".", 3)[3]
    return default


def _cognito(ctx: RequestContext, authorizer: Any, scopes: list[str]) -> None:
    """A Cognito user pool authorizer: 401 {"message":"Unauthorized"} for a missing or invalid token
    (https://repost.aws/knowledge-center/api-gateway-401-error-cognito-authorizer... "401 Unauthorized" errors from
    a REST API with a Cognito user pool authorizer); with ``authorizationScopes``, an access token holding one of
    them (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-enable-cognito-user-pool.html)."""
    token = ctx.header(_identity_header(authorizer.identity_source))
    if not token:
        raise _refuse_rest(ctx, "UNAUTHORIZED", UNAUTHORIZED, "Unauthorized request: the identity source is missing")
    issuers = [tokens.pool_issuer(arn) for arn in (authorizer.provider_arns or [])]
    try:
        claims = tokens.verify(token.strip(), issuers)
        pool = tokens.pool_for_issuer(str(claims["iss"]))
        use = claims.get("token_use")
        client = claims.get("aud") if use == "id" else claims.get("client_id")
        if use not in ("id", "access") or client not in tokens.client_ids(pool):
            raise tokens.InvalidToken("the token does not have a valid audience")
        if scopes and (use != "access" or not set(scopes) & set(tokens.scopes_of(claims))):
            raise tokens.InvalidToken("the token does not have the required scopes")
    except tokens.InvalidToken as err:
        raise _refuse_rest(ctx, "UNAUTHORIZED", UNAUTHORIZED, f"Unauthorized request: {err.reason}") from None
    _set_authorizer(ctx, {"claims": tokens.claim_strings(claims)})


# .. Lambda (CUSTOM): TOKEN and REQUEST ........................................................................
def _rest_identity(ctx: RequestContext, authorizer: Any) -> list[str] | None:
    """The identity sources' values, or ``None`` when one is missing or empty."""
    values: list[str] = []
    for expr in [e.strip() for e in (authorizer.identity_source or "").split(",") if e.strip()]:
        value = rest.source_value(ctx, expr)
        if not value:
            return None
        values.append(value)
    return values


def _lambda_rest(ctx: RequestContext, authorizer: Any) -> None:
    ttl = REST_DEFAULT_TTL if authorizer.authorizer_result_ttl is None else int(authorizer.authorizer_result_ttl)
    method_arn = _method_arn(ctx)
    kind = (authorizer.type or "TOKEN").upper()
    if kind == "TOKEN":
        token = ctx.header(_identity_header(authorizer.identity_source))
        pattern = getattr(authorizer, "identity_validation_expression", None)
        if not token or (pattern and re.fullmatch(pattern, token) is None):
            raise _refuse_rest(ctx, "UNAUTHORIZED", UNAUTHORIZED,
                               "Unauthorized request: the token is missing or does not match the validation expression")
        cache_key = token
        event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
    else:
        values = _rest_identity(ctx, authorizer)
        # With caching off, identity sources are optional (API_CreateAuthorizer, identitySource: "... this value is
        # required only when caching is enabled" — REQUEST authorizers).
        if values is None and ttl > 0:
            raise _refuse_rest(ctx, "UNAUTHORIZED", UNAUTHORIZED, "Unauthorized request: an identity source is missing")
        cache_key = "\x1f".join(values or [])
        event = {"type": "REQUEST", "methodArn": method_arn, **payloads.rest_event(ctx)}
        event.pop("body", None)
        event.pop("isBase64Encoded", None)
    key = (ctx.api_id, authorizer.id, cache_key)
    result = _cached(key) if ttl > 0 else None
    if result is None:
        result = _invoke_rest(ctx, authorizer, event)
        _remember(key, result, ttl)
    verdict = decide([result.policy], "execute-api:Invoke", method_arn, resource_matcher=execute_api_resource_matches)
    if verdict.decision is Decision.EXPLICIT_DENY:
        raise _refuse_rest(ctx, "ACCESS_DENIED", EXPLICIT_DENY, "Execution failed: the authorizer's policy denies access")
    if verdict.decision is not Decision.ALLOW:
        raise _refuse_rest(ctx, "ACCESS_DENIED", IMPLICIT_DENY,
                           "Execution failed: the authorizer's policy does not allow access")
    _set_authorizer(ctx, {"principalId": result.principal_id, **result.context, "integrationLatency": result.latency_ms})
    ctx.authorizer = {"principalId": result.principal_id, "context": result.context,
                      "usageIdentifierKey": result.usage_identifier_key}


def _invoke(ctx: RequestContext, uri: str, event: dict[str, Any], authorizer_id: str) -> tuple[Any, int]:
    """Invoke the authorizer function as ``apigateway.amazonaws.com``: (parsed answer, latency ms).

    Raises ``ValueError`` with the execution-log line when the call fails; ``PermissionError`` for "Unauthorized".
    """
    started = time.monotonic()
    try:
        result = backends.invoke_lambda(uri, json.dumps(event).encode(), source_arn=_authorizer_source_arn(ctx, authorizer_id),
                                        account_id=ctx.account_id, timeout_ms=REST_DEFAULT_TIMEOUT_MS)
    except IntegrationFailure as err:
        raise ValueError(f"Execution failed due to configuration error: Authorizer error ({err.log})") from None
    except (Timeout, PayloadTooLarge):
        raise ValueError("Execution failed due to configuration error: Authorizer error (timeout)") from None
    latency = int((time.monotonic() - started) * 1000)
    answer = backends.parse_json(result.payload)
    if result.function_error:
        message = answer.get("errorMessage") if isinstance(answer, dict) else None
        if message == UNAUTHORIZED:
            raise PermissionError(UNAUTHORIZED)
        raise ValueError(f"Execution failed due to configuration error: Authorizer error ({message})")
    return answer, latency


def _invoke_rest(ctx: RequestContext, authorizer: Any, event: dict[str, Any]) -> _Result:
    try:
        answer, latency = _invoke(ctx, authorizer.authorizer_uri or "", event, authorizer.id)
        return _policy_result(answer, latency)
    except PermissionError:
        raise _refuse_rest(ctx, "UNAUTHORIZED", UNAUTHORIZED, "Unauthorized request: the authorizer said Unauthorized") from None
    except ValueError as err:
        raise _refuse_rest(ctx, "AUTHORIZER_CONFIGURATION_ERROR", None, str(err)) from None


def _policy_result(answer: Any, latency: int) -> _Result:
    """An IAM-policy answer: ``principalId``, ``policyDocument`` (with ``Statement``), ``context`` of scalars
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html)."""
    malformed = ValueError("Execution failed due to configuration error: Invalid JSON in response")
    if not isinstance(answer, dict) or "principalId" not in answer:
        raise malformed
    policy = answer.get("policyDocument")
    if not isinstance(policy, dict) or "Statement" not in policy:
        raise malformed
    context = answer.get("context") or {}
    if not isinstance(context, dict) or not all(isinstance(v, _CONTEXT_TYPES) for v in context.values()):
        raise malformed
    key = answer.get("usageIdentifierKey")
    return _Result(str(answer["principalId"]), policy, None, dict(context), latency, None if key is None else str(key))


# -- HTTP APIs ---------------------------------------------------------------------------------------------------
def authorize_http(ctx: RequestContext) -> None:
    """The route's ``AuthorizationType``: ``NONE``, ``JWT``, ``CUSTOM`` (Lambda) or ``AWS_IAM``."""
    route = ctx.route
    kind = (getattr(route, "authorization_type", None) or "NONE").upper()
    if kind == "NONE":
        return
    if kind == "AWS_IAM":
        _iam(ctx)
        return
    authorizer = (ctx.api.authorizers or {}).get(getattr(route, "authorizer_id", None) or "")
    if authorizer is None:
        ctx.response = HttpResponse.json(*HTTP_ERROR)
        return
    if kind == "JWT":
        _jwt(ctx, authorizer, list(getattr(route, "authorization_scopes", None) or []))
    else:
        _lambda_http(ctx, authorizer)


def _identity_sources(authorizer: Any) -> list[str]:
    source = authorizer.identity_source or ["$request.header.Authorization"]
    return [s.strip() for s in (source if isinstance(source, list) else str(source).split(","))]


def _http_source_value(ctx: RequestContext, expr: str) -> str | None:
    """``$request.header.X``, ``$request.querystring.x``, ``$context.x``, ``$stageVariables.x``."""
    if expr.startswith("$request.header."):
        return ctx.header(expr.split(".", 2)[2])
    if expr.startswith("$request.querystring."):
        return ctx.query_last().get(expr.split(".", 2)[2])
    if expr.startswith("$stageVariables."):
        return ctx.stage_variables.get(expr.split(".", 1)[1])
    if expr.startswith("$context."):
        value = ctx.variables.get(expr.split(".", 1)[1])
        return None if value is None else str(value)
    return None


def _jwt(ctx: RequestContext, authorizer: Any, scopes: list[str]) -> None:
    """A JWT authorizer (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html):
    the token alone or after ``Bearer ``; ``aud``, or ``client_id`` when there is no ``aud``, must be one of the
    audiences; a route with scopes needs one of them in ``scope``."""
    config = authorizer.jwt_config or {}
    issuer = config.get("issuer") or config.get("Issuer") or ""
    audiences = config.get("audience") or config.get("Audience") or []
    raw = _http_source_value(ctx, _identity_sources(authorizer)[0])
    if not raw:
        ctx.response = HttpResponse.json(*HTTP_UNAUTHORIZED)
        return
    token = raw[7:].strip() if raw.lower().startswith("bearer ") else raw.strip()
    try:
        claims = tokens.verify(token, [issuer])
        audience = claims.get("aud", claims.get("client_id"))
        given = audience if isinstance(audience, list) else [audience]
        if not set(given) & set(audiences):
            raise tokens.InvalidToken("the token does not have a valid audience")
    except tokens.InvalidToken as err:
        header = f'Bearer scope="" error="invalid_token" error_description="{err.reason}"'
        ctx.response = HttpResponse.json(*HTTP_UNAUTHORIZED, [("www-authenticate", header)])
        return
    granted = tokens.scopes_of(claims)
    if scopes and not set(scopes) & set(granted):
        # A token without the route's scopes: 403, error="insufficient_scope" (RFC 6750, section 3.1).
        header = f'Bearer scope="{" ".join(scopes)}" error="insufficient_scope" error_description="expected scopes: {scopes}"'
        ctx.response = HttpResponse.json(*HTTP_FORBIDDEN, [("www-authenticate", header)])
        return
    _set_authorizer(ctx, {"jwt": {"claims": tokens.claim_strings(claims), "scopes": granted or None}})


def _lambda_http(ctx: RequestContext, authorizer: Any) -> None:
    """A Lambda authorizer of an HTTP API
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html)."""
    sources = _identity_sources(authorizer) if authorizer.identity_source else []
    values = [_http_source_value(ctx, s) for s in sources]
    if any(not v for v in values):
        ctx.response = HttpResponse.json(*HTTP_UNAUTHORIZED)
        return
    route_arn = _method_arn(ctx)
    version = authorizer.auth_payload_format_version or "2.0"
    if version == "2.0":
        event: dict[str, Any] = {"version": "2.0", "type": "REQUEST", "routeArn": route_arn,
                                 "identitySource": values, **payloads.http_event_v2(ctx)}
    else:
        event = {"version": "1.0", "type": "REQUEST", "methodArn": route_arn, "identitySource": ",".join(map(str, values)),
                 **payloads.http_event_v1(ctx)}
    event.pop("body", None)
    event.pop("isBase64Encoded", None)
    ttl = HTTP_DEFAULT_TTL if authorizer.auth_result_ttl is None else int(authorizer.auth_result_ttl)
    key = (ctx.api_id, authorizer.id, "\x1f".join(map(str, values)))
    result = _cached(key) if ttl > 0 else None
    if result is None:
        try:
            answer, latency = _invoke(ctx, authorizer.authorizer_uri or "", event, authorizer.id)
            simple = bool(authorizer.enable_simple_response) and version == "2.0"
            result = _simple_result(answer, latency) if simple else _policy_result(answer, latency)
        except PermissionError:
            ctx.response = HttpResponse.json(*HTTP_UNAUTHORIZED)
            return
        except ValueError as err:
            ctx.exec_log.error(str(err))
            ctx.response = HttpResponse.json(*HTTP_ERROR)
            return
        _remember(key, result, ttl)
    if result.policy is None:
        allowed = bool(result.authorized)
    else:
        verdict = decide([result.policy], "execute-api:Invoke", route_arn, resource_matcher=execute_api_resource_matches)
        allowed = verdict.decision is Decision.ALLOW
    if not allowed:
        ctx.response = HttpResponse.json(*HTTP_FORBIDDEN)
        return
    lambda_context = dict(result.context)
    if result.principal_id is not None:
        lambda_context.setdefault("principalId", result.principal_id)
    _set_authorizer(ctx, {"lambda": lambda_context})


def _simple_result(answer: Any, latency: int) -> _Result:
    """A simple response: ``{"isAuthorized": bool, "context": {...}}``."""
    if not isinstance(answer, dict) or not isinstance(answer.get("isAuthorized"), bool):
        raise ValueError("Execution failed due to configuration error: Invalid JSON in response")
    context = answer.get("context") or {}
    if not isinstance(context, dict):
        raise ValueError("Execution failed due to configuration error: Invalid JSON in response")
    return _Result(None, None, answer["isAuthorized"], dict(context), latency)


# -- control plane: what moto drops ------------------------------------------------------------------------------
def _wrap_create_authorizer(original: Any) -> Any:
    def create_authorizer(self: Any, *args: Any, **kwargs: Any) -> Any:
        authorizer = original(self, *args, **kwargs)
        expression = kwargs.get("identiy_validation_expression")  # sic: moto's parameter name
        if expression and not authorizer.identity_validation_expression:
            authorizer.identity_validation_expression = expression
        return authorizer

    return create_authorizer


def _wrap_create_jwt(original: Any) -> Any:
    """moto's Cognito stamps ``iat``/``auth_time``/``exp`` with the wall clock, while the authorizers check expiry
    on the course clock: once a notebook has advanced the course clock past a token's hour, a token issued right
    then would already be expired. Re-stamp it on the course clock (same claims, same key, same signature scheme)."""

    def create_jwt(self: Any, client_id: str, username: str, token_use: str, expires_in: int = 60 * 60,
                   extra_data: dict[str, Any] | None = None) -> tuple[str, int]:
        token, expires = original(self, client_id, username, token_use, expires_in, extra_data)
        shift = int(clock.now() - time.time())
        if shift == 0:
            return token, expires
        claims = tokens.unverified_claims(token)
        for name in ("iat", "auth_time", "exp"):
            if isinstance(claims.get(name), int):
                claims[name] += shift
        return tokens.sign(claims, self.json_web_key), expires

    return create_jwt


PATCHES = [
    patching.Patch("moto.cognitoidp.models:CognitoIdpUserPool.create_jwt", wrap=_wrap_create_jwt,
                   signature=["self", "client_id", "username", "token_use", "expires_in", "extra_data"],
                   why="Cognito issues tokens on the course clock (the authorizers check expiry on it)"),
    patching.Patch("moto.apigateway.models:RestAPI.create_authorizer", wrap=_wrap_create_authorizer,
                   signature=["self", "authorizer_id", "name", "authorizer_type", "provider_arns", "auth_type",
                              "authorizer_uri", "authorizer_credentials", "identity_source",
                              "identiy_validation_expression", "authorizer_result_ttl"],
                   why="keeps identityValidationExpression (moto passes it under a misspelt name and loses it)"),
]
