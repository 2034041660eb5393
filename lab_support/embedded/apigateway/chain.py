"""The gateway's data plane: a chain of small handlers over one :class:`.context.RequestContext`.

:func:`run` takes the context a door (:mod:`.doors`) built and passes it through

1. :func:`parse_request`, which finds the API (REST or HTTP), the stage name and the path, then
2. the *request* handlers of that kind of API, in order, until one of them answers (sets ``ctx.response``)
   or raises :class:`.context.GatewayError`, then
3. its *response* handlers, every one, always (error responses, headers, timings, logs).

The two chains below are the whole request path: read them top to bottom. A new feature (authorizers,
usage plans and API keys, WAF, canary releases, metrics, X-Ray) is a new handler in these tuples, not a
branch inside another one. The steps follow the REST API execution model
(https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-develop.html: method request,
integration request, integration, integration response, method response).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from werkzeug.datastructures import Headers

from lab_support.embedded.apigateway import authorizers, canary, cors, http_api, integrations, logs, rest, usage_plans, waf, xray
from lab_support.embedded.apigateway.backends import IntegrationFailure, PayloadTooLarge, Timeout
from lab_support.embedded.apigateway.common import HTTP_MAX_TIMEOUT_MS, MAX_PAYLOAD_BYTES, REST_DEFAULT_TIMEOUT_MS, trace_id
from lab_support.embedded.apigateway.context import (
    CONFIG,
    HTTP,
    REST,
    GatewayError,
    HttpResponse,
    RequestContext,
)
from lab_support.embedded.apigateway.metrics import record as record_metrics
from lab_support.embedded.apigateway.payloads import BadProxyResponse
from lab_support.embedded.apigateway.private_endpoints import check_request
from lab_support.embedded.lambda_.limits import SYNC_REQUEST_LIMIT

Handler = Callable[[RequestContext], None]

# A PRIVATE API's Route 53 alias, {api-id}-{vpce-id}.execute-api..., reaches the same API
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-test-invoke-url.html).
HOST_RE = re.compile(r"^(?P<api>[A-Za-z0-9]+)(?P<vpce>-vpce-[0-9a-z]+)?\.execute-api\.(?P<region>[a-z0-9-]+)"
                     r"\.amazonaws\.com(?::\d+)?$")
LOCAL_RE = re.compile(r"^/restapis/(?P<api>[^/]+)/(?:(?P<stage>[^/]+)/)?_user_request_(?P<path>/.*)?$")


# -- parse and route the request ----------------------------------------------------------------
def parse_request(ctx: RequestContext) -> None:
    """Which API, stage and path: from ``/restapis/{api}/{stage}/_user_request_/{path}`` or the execute-api host."""
    local = LOCAL_RE.match(ctx.request_path)
    host = None if local else HOST_RE.match(ctx.host)
    if local:
        api_id, stage, path = local.group("api"), local.group("stage") or "$default", local.group("path") or "/"
    elif host:
        api_id, ctx.region = host.group("api"), host.group("region")
        segments = ctx.request_path.split("/", 2)
        stage = segments[1] if len(segments) > 1 else ""
        path = "/" + segments[2] if len(segments) > 2 else "/"
    else:
        ctx.response = HttpResponse.json(404, {"message": "Not Found"})
        return
    ctx.api_id = api_id.lower()
    ctx.kind, ctx.api = _find_api(ctx.api_id, ctx.region)
    if ctx.api is None:
        # No such API: AWS's DNS would not resolve the name; answer as API Gateway does for an
        # unknown stage or path rather than failing the connection.
        ctx.response = HttpResponse.json(403, {"message": "Forbidden"})
        return
    if ctx.kind == HTTP and host:
        split = http_api.stage_and_path(ctx.api, ctx.request_path)
        if split is None:
            ctx.response = HttpResponse.json(*http_api.NOT_FOUND)
            return
        stage, path = split
    ctx.stage_name, ctx.path = stage, path
    ctx.headers = _forwarded_headers(ctx, host)


def _forwarded_headers(ctx: RequestContext, host: re.Match[str] | None) -> list[tuple[str, str]]:
    """Headers as API Gateway forwards them: the execute-api host name whatever door was used (deliberate:
    the loopback doors would otherwise show 127.0.0.1:PORT), plus the X-Forwarded-* and X-Amzn-Trace-Id
    headers AWS adds."""
    headers = [(k, v) for k, v in ctx.headers if (low := k.lower()) != "host" and (low != "content-length" or ctx.body)]
    # ... except a PRIVATE API's alias name, which says which VPC endpoint the request came through
    # (read by lab_support.embedded.apigateway.private_endpoints.check_request).
    if host is None and "execute-api" in ctx.host:
        host = HOST_RE.match(ctx.host)
    alias = host is not None and host.group("vpce")
    headers.append(("Host", ctx.host.split(":")[0] if alias else ctx.domain_name))
    headers.append(("X-Amzn-Trace-Id", trace_id(ctx.epoch_ms)))
    headers.append(("X-Forwarded-For", ctx.source_ip))
    headers.append(("X-Forwarded-Port", "443"))
    headers.append(("X-Forwarded-Proto", "https"))
    return headers


def _find_api(api_id: str, region: str) -> tuple[str, Any]:
    try:
        from moto.apigateway.models import apigateway_backends
        from moto.apigatewayv2.models import apigatewayv2_backends

        rest_api = apigateway_backends[CONFIG.account_id][region].apis.get(api_id)
        if rest_api is not None:
            return REST, rest_api
        v2 = apigatewayv2_backends[CONFIG.account_id][region].apis.get(api_id)
        if v2 is not None and v2.protocol_type == "HTTP":
            return HTTP, v2
    except KeyError:
        pass
    return "", None


# -- stage and deployment ------------------------------------------------------------------------
def resolve_rest_stage(ctx: RequestContext) -> None:
    """The stage, the deployment it serves (frozen resource tree), its variables; ``$context``."""
    ctx.stage = ctx.api.stages.get(ctx.stage_name)
    ctx.variables = rest.context_variables(ctx)
    ctx.exec_log.info(f"Extended Request Id: {ctx.extended_request_id}")
    if ctx.stage is None:
        raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
    ctx.deployment = rest.deployment_for(ctx.api, ctx.stage)
    ctx.stage_variables = dict(ctx.stage.variables or {})


def resolve_http_stage(ctx: RequestContext) -> None:
    """The stage and what it serves (``None`` until something is deployed to it); ``$context``."""
    ctx.stage = ctx.api.stages.get(ctx.stage_name)
    ctx.variables = http_api.context_variables(ctx)
    if ctx.stage is None:
        raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
    ctx.deployment = http_api.deployment_for(ctx.api, ctx.stage)
    ctx.stage_variables = dict(getattr(ctx.stage, "stage_variables", None) or {})


def check_payload_size(ctx: RequestContext) -> None:
    """10 MB payload quota (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html)."""
    if len(ctx.body) > MAX_PAYLOAD_BYTES:
        raise GatewayError("REQUEST_TOO_LARGE")


# -- method request ----------------------------------------------------------------------------
def route_rest_method(ctx: RequestContext) -> None:
    """The resource and method serving the request (static, then ``{param}``, then ``{param+}``)."""
    found = rest.match_resource(ctx.deployment, ctx.path)
    method = None
    if found:
        resource, ctx.path_params = found
        method = resource.resource_methods.get(ctx.method) or resource.resource_methods.get("ANY")
    if not found or method is None:
        # Unknown path or method: 403 {"message":"Missing Authentication Token"}
        # (https://repost.aws/knowledge-center/api-gateway-authentication-token-errors).
        raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
    ctx.resource, ctx.method_def, ctx.integration = resource, method, method.method_integration
    resource_path = ctx.deployment.path_of(resource)
    ctx.variables["resourceId"] = resource.id
    ctx.variables["resourcePath"] = resource_path
    ctx.exec_log.level = rest.logging_level(ctx.stage, resource_path, ctx.method)


def route_http_route(ctx: RequestContext) -> None:
    """The most specific route, else ``$default``, and its integration; 404 when there is none."""
    if ctx.deployment is None:  # a stage without AutoDeploy that was never deployed serves nothing
        raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
    found = http_api.match_route(ctx.deployment.routes, ctx.method, ctx.path)
    if found is None:
        raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
    ctx.route, ctx.path_params = found
    ctx.variables["routeKey"] = ctx.route.route_key
    target = ctx.route.target or ""
    integration_id = target.split("/", 1)[1] if target.startswith("integrations/") else None
    ctx.integration = ctx.deployment.integrations.get(integration_id) if integration_id else None
    if ctx.integration is None:
        raise GatewayError("MISSING_AUTHENTICATION_TOKEN")


def check_resource_policy(ctx: RequestContext) -> None:
    """PRIVATE endpoint / resource policy check (:func:`.private_endpoints.check_request`).

    Lets the request go on, or answers with the AWS-shaped 403 (``x-amzn-ErrorType: AccessDeniedException``).
    APIs that are not PRIVATE and have no resource policy pass at once.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies.html
    """
    denied = check_request(ctx.api, stage=ctx.stage_name, method=ctx.method, path=ctx.path, headers=dict(ctx.headers),
                           source_ip=ctx.source_ip, region=ctx.region)
    if denied is None:
        return
    ctx.exec_log.error("Execution failed: the API's resource policy does not allow execute-api:Invoke for this request")
    status, headers, body = denied
    ctx.response = HttpResponse(status, Headers(list(headers.items())), body)


def log_method_request(ctx: RequestContext) -> None:
    """The execution log's method request lines (only built when the stage logs at INFO)."""
    log = ctx.exec_log
    if not log.detailed:
        return
    import json

    log.info(f"Starting execution for request: {ctx.request_id}")
    log.info(f"HTTP Method: {ctx.method}, Resource Path: {ctx.path}")
    log.info(f"Method request path: {json.dumps(ctx.path_params)}")
    log.info(f"Method request query string: {json.dumps(ctx.query_last())}")
    log.info(f"Method request headers: {json.dumps(ctx.method_params['header'])}")
    log.info(f"Method request body before transformations: {ctx.body.decode('utf-8', 'replace')[:1000]}")


def validate_request(ctx: RequestContext) -> None:
    """The method's request validator: required parameters, body against the model."""
    problem = rest.validate(ctx)
    if problem is not None:
        kind, detail = problem
        ctx.exec_log.info(f"Request validation failed: {detail}")
        raise GatewayError(kind)


# -- integration request, integration, integration response --------------------------------------
def map_integration_request(ctx: RequestContext) -> None:
    """Pick the integration's implementation and timeout; non-proxy: the mapping template builds the body."""
    integration = ctx.integration
    if integration is None:
        ctx.exec_log.error("Execution failed due to configuration error: No integration defined for method")
        raise GatewayError("API_CONFIGURATION_ERROR")
    if ctx.kind == REST:
        ctx.timeout_ms = int(integration.timeout_in_millis or REST_DEFAULT_TIMEOUT_MS)
    else:
        ctx.timeout_ms = min(int(integration.timeout_in_millis or HTTP_MAX_TIMEOUT_MS), HTTP_MAX_TIMEOUT_MS)
    ctx.timings["integration_start"] = time.monotonic()
    with _IntegrationErrors(ctx):
        ctx.invoker = integrations.integration_for(ctx)
        if ctx.invoker.proxy:
            return
        body, status_hint = rest.map_request(ctx)
    if body is None:
        raise GatewayError("UNSUPPORTED_MEDIA_TYPE")
    ctx.integration_request = integrations.IntegrationRequest(body, status_hint)


def call_integration(ctx: RequestContext) -> None:
    """``Integration.invoke``, under the integration's timeout."""
    with _IntegrationErrors(ctx):
        ctx.integration_result = ctx.invoker.invoke(ctx)


def map_integration_response(ctx: RequestContext) -> None:
    """Proxy: the result is the response. Otherwise: select the integration response, then map it."""
    result = ctx.integration_result
    if result.passthrough:
        headers = result.headers if isinstance(result.headers, Headers) else Headers(result.headers)
        ctx.response = HttpResponse(result.status, headers, result.body)
        return
    log = ctx.exec_log
    ctx.variables["integrationStatus"] = result.status
    if log.detailed:
        log.info(f"Endpoint response body before transformations: {result.body[:1000].decode('utf-8', 'replace')}")
    chosen = rest.select_response(ctx.integration, result.selector)
    if chosen is None:
        log.error("Execution failed due to configuration error: No match for output mapping and no default output "
                  f"mapping configured. Endpoint Response Status Code: {result.status}")
        raise GatewayError("API_CONFIGURATION_ERROR")
    with _IntegrationErrors(ctx):
        ctx.response = rest.map_response(ctx, chosen, result.body, list(result.headers))


class _IntegrationErrors:
    """Turn what an integration raises into the API's error response (and its execution-log line)."""

    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, _tb: Any) -> None:
        if err is None:
            return
        log = self.ctx.exec_log
        if isinstance(err, Timeout):
            log.error("Execution failed due to a timeout error")
            timeout_message = "Integration timeout" if self.ctx.kind == HTTP else None
            raise GatewayError("INTEGRATION_TIMEOUT", integration_error=timeout_message) from None
        if isinstance(err, PayloadTooLarge):
            log.error(f"Execution failed: payload is too large for the RequestResponse invocation type "
                      f"(limit {SYNC_REQUEST_LIMIT} bytes)")
            raise GatewayError("REQUEST_TOO_LARGE") from None
        if isinstance(err, IntegrationFailure):
            log.error(err.log)
            raise GatewayError("API_CONFIGURATION_ERROR", integration_error=err.log) from None
        if isinstance(err, BadProxyResponse):
            log.error(err.log)
            raise GatewayError("DEFAULT_5XX", integration_error=err.log) from None


# -- response handlers -------------------------------------------------------------------------
def render_gateway_error(ctx: RequestContext) -> None:
    """A :class:`GatewayError` becomes the API's error response: REST gateway responses, HTTP API fixed bodies."""
    err = ctx.error
    if err is None:
        return
    if err.integration_error is not None:
        ctx.variables["integrationErrorMessage"] = err.integration_error
    if ctx.kind == REST:
        ctx.response = rest.gateway_response(ctx, err.kind)
    else:
        ctx.response = HttpResponse.json(*http_api.ERRORS[err.kind])


def record_integration_latency(ctx: RequestContext) -> None:
    """``$context.integrationLatency``, when an integration request was made."""
    ctx.integration_latency()


def add_http_request_id(ctx: RequestContext) -> None:
    """HTTP APIs: ``Apigw-Requestid`` on what the integration step answered."""
    if "integration_start" in ctx.timings and ctx.response is not None:
        ctx.response.headers["Apigw-Requestid"] = ctx.extended_request_id


def write_execution_log(ctx: RequestContext) -> None:
    """REST: the execution log, at the stage's ``loggingLevel`` for the method
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html)."""
    if ctx.stage is None or ctx.response is None:
        return
    log = ctx.exec_log
    if "integration_start" in ctx.timings:
        log.info(f"Method completed with status: {ctx.response.status}")
    level = rest.logging_level(ctx.stage, ctx.variables.get("resourcePath"), ctx.method)
    lines = log.for_level(level)
    if lines:
        logs.write(ctx.account_id, ctx.region, f"API-Gateway-Execution-Logs_{ctx.api.id}/{ctx.stage_name}", lines)


def write_access_log(ctx: RequestContext) -> None:
    """The stage's access log: one line in its ``format`` (``$context`` variables), when it has one."""
    settings = getattr(ctx.stage, "access_log_settings", None)
    if not settings or ctx.response is None:
        return
    arn = settings.get("destinationArn") or settings.get("DestinationArn")
    fmt = settings.get("format") or settings.get("Format")
    if not arn or not fmt:
        return
    variables = ctx.variables
    variables["status"] = ctx.response.status
    variables["responseLength"] = len(ctx.response.body)
    variables.setdefault("integrationStatus", "-")
    logs.add_response_variables(ctx)
    logs.write(ctx.account_id, ctx.region, logs.group_from_arn(arn), [logs.format_access_line(fmt, variables)])


# -- the chains --------------------------------------------------------------------------------
#: REST APIs (``apigateway``).
REST_REQUEST: tuple[Handler, ...] = (
    waf.inspect,  # AWS WAF decides before anything else (waf.py)
    resolve_rest_stage,
    canary.route,
    xray.begin,  # a traced stage: trace id and the X-Amzn-Trace-Id the integration gets (xray.py)
    check_payload_size,
    route_rest_method,
    check_resource_policy,
    authorizers.authorize_rest,
    log_method_request,
    usage_plans.enforce,
    validate_request,
    map_integration_request,
    call_integration,
    map_integration_response,
)
REST_RESPONSE: tuple[Handler, ...] = (
    render_gateway_error,
    record_integration_latency,
    record_metrics,  # CloudWatch metrics of the stage (metrics.py)
    waf.add_log_variables,  # $context.wafResponseCode, webaclArn, waf.* (waf.py)
    write_execution_log,
    write_access_log,
    xray.finish,  # the request's X-Ray segments (xray.py)
)
#: HTTP APIs (``apigatewayv2``, protocol HTTP).
HTTP_REQUEST: tuple[Handler, ...] = (
    resolve_http_stage,
    check_payload_size,
    cors.preflight,
    route_http_route,
    authorizers.authorize_http,
    map_integration_request,
    call_integration,
    map_integration_response,
)
HTTP_RESPONSE: tuple[Handler, ...] = (
    render_gateway_error,
    cors.add_headers,
    record_integration_latency,
    add_http_request_id,
    record_metrics,  # CloudWatch metrics of the stage (metrics.py)
    write_access_log,
)
CHAINS: dict[str, tuple[tuple[Handler, ...], tuple[Handler, ...]]] = {
    REST: (REST_REQUEST, REST_RESPONSE),
    HTTP: (HTTP_REQUEST, HTTP_RESPONSE),
}


def run(ctx: RequestContext) -> HttpResponse:
    """Answer one request: :func:`parse_request`, then the chain of the API's kind."""
    parse_request(ctx)
    if ctx.response is not None:
        return ctx.response
    request_handlers, response_handlers = CHAINS[ctx.kind]
    try:
        for handler in request_handlers:
            handler(ctx)
            if ctx.response is not None:
                break
    except GatewayError as err:
        ctx.error = err
    for handler in response_handlers:
        handler(ctx)
    assert ctx.response is not None, "the chain ended without a response"
    return ctx.response
