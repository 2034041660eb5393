"""HTTP APIs (``apigatewayv2``, protocol HTTP): stages, routes and the fixed error responses.

The helpers the HTTP API handlers of :mod:`.chain` use. Deliberate differences from AWS:

* moto 5.2.5 has no deployments for API Gateway v2; :mod:`.v2_deployments` adds them, and a
  stage serves its deployment's snapshot (``AutoDeploy`` stages: the current routes).
* Authorizers (JWT, Lambda and IAM) are applied by :mod:`.authorizers`, a ``CorsConfiguration`` by :mod:`.cors`.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from lab_support.embedded.apigateway import v2_deployments
from lab_support.embedded.apigateway.context import RequestContext

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

# HTTP APIs have no gateway responses: each error kind (named after the REST gateway response type the
# chain raises, see context.GatewayError) has one fixed answer.
ERRORS: dict[str, tuple[int, dict[str, str]]] = {
    "MISSING_AUTHENTICATION_TOKEN": NOT_FOUND,  # no stage, nothing deployed, no route, no integration
    "REQUEST_TOO_LARGE": TOO_LARGE,
    "INTEGRATION_TIMEOUT": TIMED_OUT,
    "API_CONFIGURATION_ERROR": INTERNAL,
    "DEFAULT_5XX": INTERNAL,
}


@dataclass(frozen=True)
class Deployment:
    """What a stage serves: routes and integrations (live for ``AutoDeploy`` stages)."""

    routes: dict[str, Any]
    integrations: dict[str, Any]


def deployment_for(api: Any, stage: Any) -> Deployment | None:
    """The routes and integrations ``stage`` serves, or ``None`` when nothing is deployed to it."""
    serving = v2_deployments.serving(api, stage)
    return None if serving is None else Deployment(*serving)


def stage_and_path(api: Any, request_path: str) -> tuple[str, str] | None:
    """Split a host-style request path into (stage, path): a named stage first, else ``$default``.

    ``$default`` serves the whole path as sent: ``GET /plain`` is ``rawPath`` ``/plain`` (Powertools'
    ``APIGatewayHttpResolver`` routes on it), not ``/plain/``.
    """
    segments = request_path.split("/", 2)
    first = segments[1] if len(segments) > 1 else ""
    if first and first != "$default" and first in api.stages:
        return first, "/" + segments[2] if len(segments) > 2 else "/"
    if "$default" in api.stages:
        return "$default", request_path or "/"
    return None


def raw_path(ctx: RequestContext) -> str:
    """A named stage is part of ``rawPath`` and ``requestContext.http.path``; ``$default`` has none."""
    return ctx.path if ctx.stage_name == "$default" else f"/{ctx.stage_name}{ctx.path}"


def context_variables(ctx: RequestContext) -> dict[str, Any]:
    """``$context`` of an HTTP API request (access logs)."""
    return {
        "accountId": ctx.account_id, "apiId": ctx.api.api_id, "domainName": ctx.domain_name, "domainPrefix": ctx.api_id,
        "extendedRequestId": ctx.extended_request_id, "httpMethod": ctx.method, "path": raw_path(ctx),
        "protocol": ctx.protocol, "requestId": ctx.extended_request_id, "requestTime": ctx.request_time,
        "requestTimeEpoch": ctx.epoch_ms, "routeKey": "-", "stage": ctx.stage_name,
        "identity": {"sourceIp": ctx.source_ip, "userAgent": ctx.user_agent},
    }


@functools.lru_cache(maxsize=1024)
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
