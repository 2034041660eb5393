"""Lambda proxy payload formats: the event a function gets and how its answer becomes the HTTP response.

* REST APIs: format 1.0 (:func:`rest_event`, :func:`rest_response`);
* HTTP APIs: format 1.0 (:func:`http_event_v1`, :func:`http_response_v1`) and 2.0 (:func:`http_event_v2`,
  :func:`http_response_v2`).

A response that breaks the contract raises :class:`BadProxyResponse` (REST: 502, HTTP APIs: 500).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from werkzeug.datastructures import Headers

from lab_support.embedded.apigateway.backends import parse_json
from lab_support.embedded.apigateway.common import is_text_content, media_type_matches
from lab_support.embedded.apigateway.context import RequestContext
from lab_support.embedded.apigateway.http_api import raw_path

Answer = tuple[int, Headers, bytes]


class BadProxyResponse(Exception):
    """The function failed or answered outside the proxy contract; ``log`` is the execution-log line."""

    def __init__(self, log: str) -> None:
        super().__init__(log)
        self.log = log


# -- REST, format 1.0 ----------------------------------------------------------------------------
def rest_event(ctx: RequestContext) -> dict[str, Any]:
    """The payload format 1.0 event of a REST Lambda proxy integration.

    Shape from https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    ("Input format of a Lambda function for proxy integration"): single-value maps keep the last
    value of a repeated header or query parameter; ``multiValue*`` keep them all; empty maps are ``null``.
    """
    api = ctx.api
    binary = media_type_matches(ctx.content_type, api.binaryMediaTypes)
    if not ctx.body:
        body: str | None = None
    elif binary:
        body = base64.b64encode(ctx.body).decode()
    else:
        body = ctx.body.decode("utf-8", "replace")
    resource_path = ctx.variables["resourcePath"]
    query = ctx.query_last()
    return {
        "resource": resource_path,
        "path": ctx.path,
        "httpMethod": ctx.method,
        "headers": dict(ctx.headers) or None,
        "multiValueHeaders": ctx.headers_multi() or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": ctx.query_multi() or None,
        "pathParameters": ctx.path_params or None,
        "stageVariables": ctx.stage_variables or None,
        "requestContext": {
            "resourceId": ctx.variables["resourceId"],
            "resourcePath": resource_path,
            "httpMethod": ctx.method,
            "extendedRequestId": ctx.extended_request_id,
            "requestTime": ctx.request_time,
            "path": f"/{ctx.stage_name}{ctx.path}",
            "accountId": ctx.account_id,
            "protocol": ctx.protocol,
            "stage": ctx.stage_name,
            "domainPrefix": ctx.api_id,
            "requestTimeEpoch": ctx.epoch_ms,
            "requestId": ctx.request_id,
            "identity": ctx.variables["identity"],
            "domainName": ctx.domain_name,
            "deploymentId": ctx.variables.get("deploymentId"),
            "apiId": api.id,
            **({"authorizer": ctx.variables["authorizer"]} if "authorizer" in ctx.variables else {}),
        },
        "body": body,
        "isBase64Encoded": bool(binary and ctx.body),
    }


_REST_RESULT_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"})


def rest_response(ctx: RequestContext, payload: bytes) -> Answer:
    """Turn a function's proxy result into the HTTP response, or raise for a malformed one.

    Contract: ``{"statusCode": int, "headers": {}, "multiValueHeaders": {}, "body": str,
    "isBase64Encoded": bool}`` (same page, "Output format"). Anything else is a
    "Malformed Lambda proxy response" and the client gets 502.
    """
    result = parse_json(payload)
    malformed = BadProxyResponse("Execution failed due to configuration error: Malformed Lambda proxy response")
    if not isinstance(result, dict) or not result.keys() <= _REST_RESULT_KEYS:
        raise malformed
    try:
        status = int(result["statusCode"])
    except (KeyError, TypeError, ValueError):
        raise malformed from None
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise malformed
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        raise malformed
    headers = Headers()
    for key, values in multi.items():
        for value in values if isinstance(values, list) else [values]:
            headers.add(key, str(value))
    for key, value in single.items():
        if key not in headers:
            headers.add(key, str(value))
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    headers["x-amzn-RequestId"] = ctx.request_id
    headers["x-amz-apigw-id"] = ctx.extended_request_id
    data = (body or "").encode()
    # REST APIs decode only when the client's Accept matches binaryMediaTypes
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/lambda-proxy-binary-media.html).
    if result.get("isBase64Encoded") and body and media_type_matches(ctx.header("accept"), ctx.api.binaryMediaTypes):
        try:
            data = base64.b64decode(body)
        except ValueError:
            raise malformed from None
    return status, headers, data


# -- HTTP APIs, formats 1.0 and 2.0 -------------------------------------------------------------
def _body_for_lambda(ctx: RequestContext) -> tuple[str | None, bool]:
    if not ctx.body:
        return None, False
    if is_text_content(ctx.content_type):
        return ctx.body.decode("utf-8", "replace"), False
    return base64.b64encode(ctx.body).decode(), True


def _joined_query(ctx: RequestContext) -> dict[str, str]:
    query: dict[str, str] = {}
    for key, value in ctx.query:
        query[key] = f"{query[key]},{value}" if key in query else value
    return query


def http_event_v2(ctx: RequestContext) -> dict[str, Any]:
    """Payload format 2.0 (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).

    Header names are lower-case; repeated headers and query parameters are joined with commas;
    cookies move from the ``cookie`` header to ``cookies``; absent parts are left out.
    """
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in ctx.headers:
        k = key.lower()
        if k == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        headers[k] = f"{headers[k]},{value}" if k in headers else value
    query = _joined_query(ctx)
    body, is_b64 = _body_for_lambda(ctx)
    route_key = ctx.route.route_key
    path = raw_path(ctx)
    event: dict[str, Any] = {"version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": ctx.raw_query}
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": ctx.account_id,
        "apiId": ctx.api.api_id,
        "domainName": ctx.domain_name,
        "domainPrefix": ctx.api_id,
        "http": {"method": ctx.method, "path": path, "protocol": ctx.protocol,
                 "sourceIp": ctx.source_ip, "userAgent": ctx.user_agent or ""},
        "requestId": ctx.extended_request_id,
        "routeKey": route_key,
        "stage": ctx.stage_name,
        "time": ctx.request_time,
        "timeEpoch": ctx.epoch_ms,
    }
    if "authorizer" in ctx.variables:  # set by embedded/apigateway/authorizers.py
        event["requestContext"]["authorizer"] = ctx.variables["authorizer"]
    if body is not None:
        event["body"] = body
    if ctx.path_params:
        event["pathParameters"] = ctx.path_params
    event["isBase64Encoded"] = is_b64
    if ctx.stage_variables:
        event["stageVariables"] = ctx.stage_variables
    return event


def http_event_v1(ctx: RequestContext) -> dict[str, Any]:
    """Payload format 1.0 as HTTP APIs send it (same page): REST's shape, values joined with commas."""
    body, is_b64 = _body_for_lambda(ctx)
    headers: dict[str, str] = {}
    for key, value in ctx.headers:
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    route_key = ctx.route.route_key
    resource = "$default" if route_key == "$default" else route_key.partition(" ")[2]
    path = raw_path(ctx)
    return {
        "version": "1.0",
        "resource": resource,
        "path": path,
        "httpMethod": ctx.method,
        "headers": headers,
        "multiValueHeaders": ctx.headers_multi(),
        "queryStringParameters": _joined_query(ctx) or None,
        "multiValueQueryStringParameters": ctx.query_multi() or None,
        "requestContext": {
            "accountId": ctx.account_id,
            "apiId": ctx.api.api_id,
            "domainName": ctx.domain_name,
            "domainPrefix": ctx.api_id,
            "extendedRequestId": ctx.extended_request_id,
            "httpMethod": ctx.method,
            "identity": {"accessKey": None, "accountId": None, "caller": None, "cognitoAuthenticationProvider": None,
                         "cognitoAuthenticationType": None, "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                         "principalOrgId": None, "sourceIp": ctx.source_ip, "user": None,
                         "userAgent": ctx.user_agent or "", "userArn": None},
            "path": path,
            "protocol": ctx.protocol,
            "requestId": ctx.extended_request_id,
            "requestTime": ctx.request_time,
            "requestTimeEpoch": ctx.epoch_ms,
            "resourceId": route_key,
            "resourcePath": resource,
            "stage": ctx.stage_name,
        },
        "pathParameters": ctx.path_params or None,
        "stageVariables": ctx.stage_variables or None,
        "body": body,
        "isBase64Encoded": is_b64,
    }


def http_response_v2(ctx: RequestContext, payload: bytes) -> Answer:
    """2.0 responses: with ``statusCode`` as in 1.0; without it, the whole value is a 200 JSON body."""
    result = parse_json(payload)
    if result is None and payload.strip() != b"null":
        raise BadProxyResponse("The Lambda function returned invalid JSON")
    if not (isinstance(result, dict) and "statusCode" in result):
        return 200, Headers([("Content-Type", "application/json")]), payload
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        raise BadProxyResponse("statusCode is not a number") from None
    headers = Headers()
    for key, value in (result.get("headers") or {}).items():
        headers.add(key, str(value))
    for cookie in result.get("cookies") or []:
        headers.add("Set-Cookie", str(cookie))
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    body = result.get("body")
    data = b"" if body is None else (body if isinstance(body, str) else json.dumps(body)).encode()
    if result.get("isBase64Encoded") and isinstance(body, str):
        data = base64.b64decode(body)
    return status, headers, data


def http_response_v1(ctx: RequestContext, payload: bytes) -> Answer:
    """1.0 responses of HTTP APIs: REST's contract, without REST's checks on unknown keys and ``Accept``."""
    result = parse_json(payload)
    if not isinstance(result, dict):
        raise BadProxyResponse("Malformed Lambda proxy response")
    try:
        status = int(result["statusCode"])
    except (KeyError, TypeError, ValueError):
        raise BadProxyResponse("Malformed Lambda proxy response") from None
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise BadProxyResponse("Malformed Lambda proxy response")
    headers = Headers()
    for key, values in (result.get("multiValueHeaders") or {}).items():
        for value in values if isinstance(values, list) else [values]:
            headers.add(key, str(value))
    for key, value in (result.get("headers") or {}).items():
        if key not in headers:
            headers.add(key, str(value))
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    data = (body or "").encode()
    if result.get("isBase64Encoded") and body:
        data = base64.b64decode(body)
    return status, headers, data
