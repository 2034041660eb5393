"""HTTP APIs (``apigatewayv2``, protocol HTTP): routes, Lambda proxy 2.0/1.0, HTTP proxy.

Deliberate differences from AWS:

* moto 5.2.5 has no deployments for API Gateway v2; :mod:`.v2_deployments` adds them, and a
  stage serves its deployment's snapshot (``AutoDeploy`` stages: the current routes).
* Authorizers (JWT, Lambda, IAM) are not evaluated; CORS configuration is not applied.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.parse
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

from lab_support.embedded.apigateway import backends, v2_deployments
from lab_support.embedded.apigateway.backends import IntegrationFailure, PayloadTooLarge, Timeout
from lab_support.embedded.apigateway.common import (
    HTTP_MAX_TIMEOUT_MS,
    MAX_PAYLOAD_BYTES,
    Incoming,
    is_text_content,
    json_response,
    substitute_stage_variables,
)

# Error bodies of HTTP APIs. 404 {"message":"Not Found"} for no route and 500
# {"message":"Internal Server Error"} for integration errors:
# https://repost.aws/knowledge-center/api-gateway-http-lambda-integration-errors
NOT_FOUND = (404, {"message": "Not Found"})
INTERNAL = (500, {"message": "Internal Server Error"})
# An integration that overruns its timeout: HTTP 504.
# Cited: "How do I troubleshoot HTTP 504 timeout errors with API Gateway?"
# (https://repost.aws/knowledge-center/api-gateway-504-errors) says REST, HTTP and WebSocket APIs return
# HTTP 504 when an integration request takes longer than the integration timeout.
# Assumed: the body. No AWS page found here gives an HTTP API's 504 body; {"message":"Endpoint request
# timed out"} is the REST API INTEGRATION_TIMEOUT gateway response's message
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html),
# reused for HTTP APIs. Note: user reports (github.com/cortexlabs/cortex/issues/1225, 2020;
# github.com/serverless/serverless/issues/11222, 2022) saw HTTP APIs answer a timeout with
# 503 {"message":"Service Unavailable"}; the course follows the AWS page.
TIMED_OUT = (504, {"message": "Endpoint request timed out"})
TOO_LARGE = (413, {"message": "Request Entity Too Large"})


def stage_and_path(api: Any, first: str | None, rest: str) -> tuple[str, str] | None:
    """Split a host-style path into (stage, path): a named stage first, else ``$default``."""
    if first and first != "$default" and first in api.stages:
        return first, rest
    if "$default" in api.stages:
        return "$default", ("/" + first + rest) if first else (rest or "/")
    return None


def _route_path_regex(path: str) -> tuple[re.Pattern[str], int, bool]:
    parts = [p for p in path.split("/") if p]
    pattern, static, greedy = "", 0, False
    for part in parts:
        if part.startswith("{") and part.endswith("+}"):
            pattern += f"/(?P<{_group(part[1:-2])}>.+)"
            greedy = True
        elif part.startswith("{") and part.endswith("}"):
            pattern += f"/(?P<{_group(part[1:-1])}>[^/]+)"
        else:
            pattern += "/" + re.escape(part)
            static += 1
    return re.compile(f"^{pattern or '/'}/?$"), static, greedy


def _group(name: str) -> str:
    return "p_" + re.sub(r"[^A-Za-z0-9_]", lambda m: f"_{ord(m.group(0)):x}_", name)


def _ungroup(name: str) -> str:
    return re.sub(r"_([0-9a-f]+)_", lambda m: chr(int(m.group(1), 16)), name[2:])


def match_route(routes: dict[str, Any], method: str, path: str) -> tuple[Any, dict[str, str]] | None:
    """The most specific route for ``method path``, else ``$default``
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html)."""
    best: tuple[tuple[int, int, int], Any, dict[str, str]] | None = None
    default = None
    for route in routes.values():
        key = route.route_key
        if key == "$default":
            default = route
            continue
        r_method, _, r_path = key.partition(" ")
        if r_method not in (method, "ANY"):
            continue
        regex, static, greedy = _route_path_regex(r_path)
        m = regex.match(path)
        if not m:
            continue
        score = (0 if greedy else 1, static, 1 if r_method == method else 0)
        if best is None or score > best[0]:
            best = (score, route, {_ungroup(k): urllib.parse.unquote(v) for k, v in m.groupdict().items()})
    if best is not None:
        return best[1], best[2]
    if default is not None:
        return default, {}
    return None


def serve(api: Any, inc: Incoming) -> tuple[Response, dict[str, Any], Any]:
    """Answer one request to HTTP API ``api``; returns (response, $context, stage)."""
    stage = api.stages.get(inc.stage)
    ctx = _context(api, inc)
    if stage is None:
        return json_response(*NOT_FOUND), ctx, None
    if len(inc.body) > MAX_PAYLOAD_BYTES:
        return json_response(*TOO_LARGE), ctx, stage
    deployed = v2_deployments.serving(api, stage)
    if deployed is None:  # a stage without AutoDeploy that was never deployed serves nothing
        return json_response(*NOT_FOUND), ctx, stage
    routes, integrations = deployed
    found = match_route(routes, inc.method, inc.path)
    if found is None:
        return json_response(*NOT_FOUND), ctx, stage
    route, path_params = found
    ctx["routeKey"] = route.route_key
    target = route.target or ""
    integration = integrations.get(target.split("/", 1)[1]) if target.startswith("integrations/") else None
    if integration is None:
        return json_response(*NOT_FOUND), ctx, stage
    stage_vars = dict(getattr(stage, "stage_variables", None) or {})
    timeout_ms = min(int(integration.timeout_in_millis or HTTP_MAX_TIMEOUT_MS), HTTP_MAX_TIMEOUT_MS)
    started = time.monotonic()
    try:
        response = _integrate(api, integration, route, inc, path_params, stage_vars, timeout_ms)
    except Timeout:
        ctx["integrationErrorMessage"] = "Integration timeout"
        response = json_response(*TIMED_OUT)
    except PayloadTooLarge:
        response = json_response(*TOO_LARGE)
    except (IntegrationFailure, _BadResponse) as err:
        ctx["integrationErrorMessage"] = str(err)
        response = json_response(*INTERNAL)
    ctx["integrationLatency"] = int((time.monotonic() - started) * 1000)
    response.headers["Apigw-Requestid"] = inc.extended_request_id
    return response, ctx, stage


class _BadResponse(Exception):
    pass


def _context(api: Any, inc: Incoming) -> dict[str, Any]:
    return {
        "accountId": inc.account_id, "apiId": api.api_id, "domainName": inc.domain_name, "domainPrefix": inc.api_id,
        "extendedRequestId": inc.extended_request_id, "httpMethod": inc.method, "path": _raw_path(inc),
        "protocol": inc.protocol, "requestId": inc.extended_request_id, "requestTime": inc.request_time,
        "requestTimeEpoch": inc.epoch_ms, "routeKey": "-", "stage": inc.stage,
        "identity": {"sourceIp": inc.source_ip, "userAgent": inc.user_agent},
    }


def _raw_path(inc: Incoming) -> str:
    # A named stage is part of rawPath and requestContext.http.path; $default has none.
    return inc.path if inc.stage == "$default" else f"/{inc.stage}{inc.path}"


def _integrate(api: Any, integration: Any, route: Any, inc: Incoming, path_params: dict[str, str],
               stage_vars: dict[str, str], timeout_ms: int) -> Response:
    kind = integration.integration_type
    uri = substitute_stage_variables(integration.integration_uri, stage_vars) or ""
    if kind == "AWS_PROXY":
        version = integration.payload_format_version or "2.0"
        if version == "1.0":
            event = event_v1(api, route, inc, path_params, stage_vars)
        else:
            event = event_v2(api, route, inc, path_params, stage_vars)
        route_part = "$default" if route.route_key == "$default" else route.route_key.replace(" ", "", 1)
        source_arn = f"arn:aws:execute-api:{inc.region}:{inc.account_id}:{api.api_id}/{inc.stage}/{route_part}"
        result = backends.invoke_lambda(uri, json.dumps(event).encode(), source_arn=source_arn,
                                        account_id=inc.account_id, timeout_ms=timeout_ms)
        if result.function_error:
            raise _BadResponse("The Lambda function returned an error")
        return response_v1(result.payload, inc) if version == "1.0" else response_v2(result.payload, inc)
    if kind == "HTTP_PROXY":
        url = re.sub(r"\{([^}+]+)\+?\}", lambda m: path_params.get(m.group(1), m.group(0)), uri)
        if getattr(integration, "connection_type", None) == "VPC_LINK":
            # Private integration: the URI is a load balancer listener or Cloud Map service ARN;
            # it is rewritten to the local server registered for it, keeping the request path.
            keys = [k for k in (integration.connection_id, uri) if k]
            url = backends.resolve_private("http://private.invalid" + inc.path, keys)
        url = _apply_parameter_mapping(integration, url, inc)
        if inc.raw_query:
            url += ("&" if "?" in url else "?") + inc.raw_query
        method = inc.method if (integration.integration_method or "ANY") == "ANY" else integration.integration_method
        res = backends.http_call(method, url, inc.headers, inc.body, timeout_ms)
        return Response(res.body, status=res.status, headers=Headers(res.headers))
    raise IntegrationFailure(f"Integration type {kind} is not supported by HTTP APIs")


def _apply_parameter_mapping(integration: Any, url: str, inc: Incoming) -> str:
    """``overwrite:path`` from ``RequestParameters`` (static or ``$request.path``)."""
    mapping = integration.request_parameters or {}
    new_path = mapping.get("overwrite:path")
    if not new_path:
        return url
    new_path = new_path.replace("$request.path", inc.path)
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, new_path, parts.query, ""))


def _body_for_lambda(inc: Incoming) -> tuple[str | None, bool]:
    if not inc.body:
        return None, False
    if is_text_content(inc.content_type):
        return inc.body.decode("utf-8", "replace"), False
    return base64.b64encode(inc.body).decode(), True


def event_v2(api: Any, route: Any, inc: Incoming, path_params: dict[str, str], stage_vars: dict[str, str]) -> dict[str, Any]:
    """Payload format 2.0 (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).

    Header names are lower-case; repeated headers and query parameters are joined with commas;
    cookies move from the ``cookie`` header to ``cookies``; absent parts are left out.
    """
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in inc.headers:
        if key.lower() == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        k = key.lower()
        headers[k] = f"{headers[k]},{value}" if k in headers else value
    query: dict[str, str] = {}
    for key, value in inc.query:
        query[key] = f"{query[key]},{value}" if key in query else value
    body, is_b64 = _body_for_lambda(inc)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": _raw_path(inc),
        "rawQueryString": inc.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": inc.account_id,
        "apiId": api.api_id,
        "domainName": inc.domain_name,
        "domainPrefix": inc.api_id,
        "http": {"method": inc.method, "path": _raw_path(inc), "protocol": inc.protocol,
                 "sourceIp": inc.source_ip, "userAgent": inc.user_agent or ""},
        "requestId": inc.extended_request_id,
        "routeKey": route.route_key,
        "stage": inc.stage,
        "time": inc.request_time,
        "timeEpoch": inc.epoch_ms,
    }
    if body is not None:
        event["body"] = body
    if path_params:
        event["pathParameters"] = path_params
    event["isBase64Encoded"] = is_b64
    if stage_vars:
        event["stageVariables"] = stage_vars
    return event


def event_v1(api: Any, route: Any, inc: Incoming, path_params: dict[str, str], stage_vars: dict[str, str]) -> dict[str, Any]:
    """Payload format 1.0 as HTTP APIs send it (same page): REST's shape, values joined with commas."""
    body, is_b64 = _body_for_lambda(inc)
    headers: dict[str, str] = {}
    for key, value in inc.headers:
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for key, value in inc.query:
        query[key] = f"{query[key]},{value}" if key in query else value
    resource = "$default" if route.route_key == "$default" else route.route_key.partition(" ")[2]
    return {
        "version": "1.0",
        "resource": resource,
        "path": _raw_path(inc),
        "httpMethod": inc.method,
        "headers": headers,
        "multiValueHeaders": inc.headers_multi(),
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": inc.query_multi() or None,
        "requestContext": {
            "accountId": inc.account_id,
            "apiId": api.api_id,
            "domainName": inc.domain_name,
            "domainPrefix": inc.api_id,
            "extendedRequestId": inc.extended_request_id,
            "httpMethod": inc.method,
            "identity": {"accessKey": None, "accountId": None, "caller": None, "cognitoAuthenticationProvider": None,
                         "cognitoAuthenticationType": None, "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                         "principalOrgId": None, "sourceIp": inc.source_ip, "user": None,
                         "userAgent": inc.user_agent or "", "userArn": None},
            "path": _raw_path(inc),
            "protocol": inc.protocol,
            "requestId": inc.extended_request_id,
            "requestTime": inc.request_time,
            "requestTimeEpoch": inc.epoch_ms,
            "resourceId": route.route_key,
            "resourcePath": resource,
            "stage": inc.stage,
        },
        "pathParameters": path_params or None,
        "stageVariables": stage_vars or None,
        "body": body,
        "isBase64Encoded": is_b64,
    }


def _finish(headers: Headers, inc: Incoming) -> None:
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"


def response_v2(payload: bytes, inc: Incoming) -> Response:
    """2.0 responses: with ``statusCode`` as in 1.0; without it, the whole value is a 200 JSON body."""
    result = backends.parse_json(payload)
    if result is None and payload.strip() != b"null":
        raise _BadResponse("The Lambda function returned invalid JSON")
    if not (isinstance(result, dict) and "statusCode" in result):
        return Response(payload, status=200, headers=Headers([("Content-Type", "application/json")]))
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        raise _BadResponse("statusCode is not a number") from None
    headers = Headers()
    for key, value in (result.get("headers") or {}).items():
        headers.add(key, str(value))
    for cookie in result.get("cookies") or []:
        headers.add("Set-Cookie", str(cookie))
    _finish(headers, inc)
    body = result.get("body")
    data: str | bytes = "" if body is None else (body if isinstance(body, str) else json.dumps(body))
    if result.get("isBase64Encoded") and isinstance(body, str):
        data = base64.b64decode(body)
    return Response(data, status=status, headers=headers)


def response_v1(payload: bytes, inc: Incoming) -> Response:
    result = backends.parse_json(payload)
    if not isinstance(result, dict):
        raise _BadResponse("Malformed Lambda proxy response")
    try:
        status = int(result["statusCode"])
    except (KeyError, TypeError, ValueError):
        raise _BadResponse("Malformed Lambda proxy response") from None
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise _BadResponse("Malformed Lambda proxy response")
    headers = Headers()
    for key, values in (result.get("multiValueHeaders") or {}).items():
        for value in values if isinstance(values, list) else [values]:
            headers.add(key, str(value))
    for key, value in (result.get("headers") or {}).items():
        if key not in headers:
            headers.add(key, str(value))
    _finish(headers, inc)
    data: str | bytes = body or ""
    if result.get("isBase64Encoded") and body:
        data = base64.b64decode(body)
    return Response(data, status=status, headers=headers)
