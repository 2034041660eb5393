"""CORS of HTTP APIs: the API's ``CorsConfiguration``, answered by the gateway itself.

From "Configure CORS for HTTP APIs in API Gateway"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html):

* "If you configure CORS for an API, API Gateway automatically sends a response to preflight OPTIONS requests,
  even if there isn't an OPTIONS route configured for your API" (:func:`preflight`, before routing; the
  integration is not invoked). A route of its own for ``OPTIONS`` (``OPTIONS /{proxy+}``, ``OPTIONS /items``)
  is served as any route: that is the page's advice for APIs whose ``$default`` route has an authorizer.
* "For a CORS request, API Gateway adds the configured CORS headers to the response from an integration", and
  "If you configure CORS for an API, API Gateway ignores CORS headers returned from your backend integration"
  (:func:`add_headers`: the integration's ``Access-Control-*`` headers are dropped).
* "To return CORS headers, your request must contain an origin header. For an OPTIONS method, your request must
  contain an origin header and an Access-Control-Request-Method header."

Assumed (no AWS page found here states them): the preflight answer is ``204`` with an empty body (the status
published walkthroughs show); list values are joined with ``,``; an origin outside ``AllowOrigins`` gets the same
answer without ``Access-Control-Allow-Origin`` (so the browser refuses it).

REST APIs have no gateway-level CORS: a preflight is an ``OPTIONS`` method like any other (usually MOCK with
``Access-Control-Allow-*`` set by its integration response), and a proxy integration's response carries only the
headers the backend sets. Nothing here touches REST APIs.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import Headers

from lab_support.embedded.apigateway import http_api
from lab_support.embedded.apigateway.context import HttpResponse, RequestContext

#: The preflight answer's status (assumed, see the module docstring).
PREFLIGHT_STATUS = 204


def configuration(api: Any) -> dict[str, Any] | None:
    """The API's CORS configuration with lowerCamel keys (``allowOrigins`` ...), or ``None``."""
    raw = getattr(api, "cors_configuration", None)
    if not raw:
        return None
    return {key[:1].lower() + key[1:]: value for key, value in dict(raw).items()}


def _allowed_origin(config: dict[str, Any], origin: str) -> str | None:
    origins = [str(o) for o in config.get("allowOrigins") or []]
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


def _joined(values: Any) -> str:
    return ",".join(str(v) for v in values or [])


def preflight(ctx: RequestContext) -> None:
    """HTTP chain handler: answer a CORS preflight from the configuration, unless an ``OPTIONS`` route serves it."""
    if ctx.method != "OPTIONS":
        return
    config = configuration(ctx.api)
    origin = ctx.header("origin")
    if config is None or not origin or not ctx.header("access-control-request-method"):
        return
    if ctx.deployment is not None:
        found = http_api.match_route(ctx.deployment.routes, ctx.method, ctx.path)
        if found is not None and str(found[0].route_key).startswith("OPTIONS "):
            return  # the API's own OPTIONS route answers
    headers = Headers()
    allowed = _allowed_origin(config, origin)
    if allowed is not None:
        headers["access-control-allow-origin"] = allowed
        if config.get("allowMethods"):
            headers["access-control-allow-methods"] = _joined(config["allowMethods"])
        if config.get("allowHeaders"):
            headers["access-control-allow-headers"] = _joined(config["allowHeaders"])
        if config.get("maxAge") is not None:
            headers["access-control-max-age"] = str(int(config["maxAge"]))
        if config.get("allowCredentials"):
            headers["access-control-allow-credentials"] = "true"
    headers["Apigw-Requestid"] = ctx.extended_request_id
    ctx.response = HttpResponse(PREFLIGHT_STATUS, headers, b"")


def add_headers(ctx: RequestContext) -> None:
    """HTTP response handler: drop the integration's CORS headers, add the configured ones for an allowed Origin."""
    config = configuration(ctx.api) if ctx.api is not None else None
    response = ctx.response
    if config is None or response is None or (ctx.method == "OPTIONS" and ctx.route is None):
        return  # nothing to do, or the preflight answer itself (given before routing)
    for name in {k for k, _v in response.headers.items() if k.lower().startswith("access-control-")}:
        del response.headers[name]
    origin = ctx.header("origin")
    allowed = _allowed_origin(config, origin) if origin else None
    if allowed is None:
        return
    response.headers["access-control-allow-origin"] = allowed
    if config.get("exposeHeaders"):
        response.headers["access-control-expose-headers"] = _joined(config["exposeHeaders"])
    if config.get("allowCredentials"):
        response.headers["access-control-allow-credentials"] = "true"
