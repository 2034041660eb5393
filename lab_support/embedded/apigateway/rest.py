"""REST APIs (``apigateway``): resources, methods, integrations, validators, gateway responses.

What a stage serves is the resource tree of its deployment: :func:`snapshot_deployment` copies
the tree when ``create_deployment`` runs, so a change made after deploying only shows once you
deploy again, as on AWS. (Deployments made before the gateway was installed serve the live tree.)
"""

from __future__ import annotations

import base64
import copy
import json
import re
import time
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

from lab_support.embedded.apigateway import backends, vtl
from lab_support.embedded.apigateway.backends import IntegrationFailure, PayloadTooLarge, Timeout
from lab_support.embedded.apigateway.common import (
    MAX_PAYLOAD_BYTES,
    REST_DEFAULT_TIMEOUT_MS,
    Incoming,
    media_type_matches,
    substitute_stage_variables,
)

# (api_id, deployment_id) -> {resource_id: Resource} as it was when deployed.
_SNAPSHOTS: dict[tuple[str, str], dict[str, Any]] = {}

# Gateway response types: default status and message.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
_GATEWAY_RESPONSES: dict[str, tuple[int, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "BAD_REQUEST_BODY": (400, "Invalid request body"),
    "BAD_REQUEST_PARAMETERS": (400, "Missing required request parameters"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Unsupported Media Type"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out"),
    "INTEGRATION_FAILURE": (504, "Internal server error"),
    "API_CONFIGURATION_ERROR": (500, "Internal server error"),
    # A Lambda proxy error or malformed proxy response: 502 {"message": "Internal server error"}
    # (https://repost.aws/knowledge-center/malformed-502-api-gateway). It is customised through DEFAULT_5XX.
    "DEFAULT_5XX": (502, "Internal server error"),
}
_DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'


def reset() -> None:
    _SNAPSHOTS.clear()


def snapshot_deployment(api: Any, deployment_id: str) -> None:
    """Freeze ``api``'s resource tree for ``deployment_id`` (called after ``create_deployment``)."""
    try:
        _SNAPSHOTS[(api.id, deployment_id)] = copy.deepcopy(api.resources)
    except Exception:  # never break the control plane: fall back to serving the live tree
        _SNAPSHOTS.pop((api.id, deployment_id), None)


class ExecLog:
    """Execution-log lines for one request, with their level."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.lines: list[tuple[str, str]] = []

    def info(self, text: str) -> None:
        self.lines.append(("INFO", f"({self.request_id}) {text}"))

    def error(self, text: str) -> None:
        self.lines.append(("ERROR", f"({self.request_id}) {text}"))

    def for_level(self, level: str) -> list[str]:
        if level == "INFO":
            return [t for _lvl, t in self.lines]
        if level == "ERROR":
            return [t for lvl, t in self.lines if lvl == "ERROR"]
        return []


# -- routing -----------------------------------------------------------------------------------
def _children(resources: dict[str, Any]) -> dict[str | None, list[Any]]:
    out: dict[str | None, list[Any]] = {}
    for res in resources.values():
        out.setdefault(res.parent_id, []).append(res)
    return out


def match_resource(resources: dict[str, Any], path: str) -> tuple[Any, dict[str, str]] | None:
    """The resource serving ``path`` and its path parameters.

    Static segments win over ``{param}``, which wins over greedy ``{param+}``
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-settings-method-request.html).
    """
    kids = _children(resources)
    roots = [r for r in resources.values() if r.parent_id is None]
    if not roots:
        return None
    segments = [s for s in path.split("/") if s]

    def walk(node: Any, segs: list[str], params: dict[str, str]) -> tuple[Any, dict[str, str]] | None:
        if not segs:
            return (node, params) if node.resource_methods else None
        seg, rest = segs[0], segs[1:]
        children = kids.get(node.id, [])
        for child in children:
            if child.path_part == seg:
                found = walk(child, rest, params)
                if found:
                    return found
        for child in children:
            part = child.path_part or ""
            if part.startswith("{") and part.endswith("}") and not part.endswith("+}"):
                found = walk(child, rest, {**params, part[1:-1]: seg})
                if found:
                    return found
        for child in children:
            part = child.path_part or ""
            if part.endswith("+}") and child.resource_methods:
                return child, {**params, part[1:-2]: "/".join(segs)}
        return None

    return walk(roots[0], segments, {})


# -- the request ---------------------------------------------------------------------------------
def serve(api: Any, inc: Incoming, *, endpoint_url: str) -> tuple[Response, dict[str, Any], ExecLog, Any]:
    """Answer one request to REST API ``api``; returns (response, $context, execution log, stage)."""
    log = ExecLog(inc.request_id)
    stage = api.stages.get(inc.stage)
    ctx = _context(api, inc, stage)
    log.info(f"Extended Request Id: {inc.extended_request_id}")
    if stage is None:
        return _gateway_response(api, "MISSING_AUTHENTICATION_TOKEN", ctx, inc), ctx, log, None
    if len(inc.body) > MAX_PAYLOAD_BYTES:
        return _gateway_response(api, "REQUEST_TOO_LARGE", ctx, inc), ctx, log, stage
    resources = _SNAPSHOTS.get((api.id, stage.deployment_id)) or api.resources
    found = match_resource(resources, inc.path)
    method = None
    if found:
        resource, path_params = found
        method = resource.resource_methods.get(inc.method) or resource.resource_methods.get("ANY")
    if not found or method is None:
        # Unknown path or method: 403 {"message":"Missing Authentication Token"}
        # (https://repost.aws/knowledge-center/api-gateway-authentication-token-errors).
        return _gateway_response(api, "MISSING_AUTHENTICATION_TOKEN", ctx, inc), ctx, log, stage
    resource_path = resource.get_path()
    ctx.update(resourceId=resource.id, resourcePath=resource_path)
    denied = _resource_policy_denies(api, inc)
    if denied is not None:
        log.error("Execution failed: the API's resource policy does not allow execute-api:Invoke for this request")
        return denied, ctx, log, stage
    stage_vars = dict(stage.variables or {})
    log.info(f"Starting execution for request: {inc.request_id}")
    log.info(f"HTTP Method: {inc.method}, Resource Path: {inc.path}")
    params = {"path": path_params, "querystring": inc.query_last(), "header": {k: v for k, v in inc.headers}}
    log.info(f"Method request path: {json.dumps(path_params)}")
    log.info(f"Method request query string: {json.dumps(inc.query_last())}")
    log.info(f"Method request headers: {json.dumps(params['header'])}")
    body_text = inc.body.decode("utf-8", "replace")
    log.info(f"Method request body before transformations: {body_text[:1000]}")

    problem = _validate(api, method, inc, params, ctx)
    if problem is not None:
        kind, detail = problem
        log.info(f"Request validation failed: {detail}")
        return _gateway_response(api, kind, ctx, inc), ctx, log, stage

    integration = method.method_integration
    if integration is None:
        log.error("Execution failed due to configuration error: No integration defined for method")
        return _gateway_response(api, "API_CONFIGURATION_ERROR", ctx, inc), ctx, log, stage
    timeout_ms = int(integration.timeout_in_millis or REST_DEFAULT_TIMEOUT_MS)
    started = time.monotonic()
    try:
        response = _integrate(api, stage, integration, inc, resource_path, resource.id, path_params, params,
                              stage_vars, ctx, log, timeout_ms=timeout_ms, endpoint_url=endpoint_url)
    except Timeout:
        log.error("Execution failed due to a timeout error")
        response = _gateway_response(api, "INTEGRATION_TIMEOUT", ctx, inc)
    except PayloadTooLarge:
        log.error("Execution failed: payload is too large for the RequestResponse invocation type (limit 6291456 bytes)")
        response = _gateway_response(api, "REQUEST_TOO_LARGE", ctx, inc)
    except IntegrationFailure as err:
        log.error(err.log)
        ctx["integrationErrorMessage"] = err.log
        response = _gateway_response(api, "API_CONFIGURATION_ERROR", ctx, inc)
    except _ProxyError as err:
        log.error(err.log)
        ctx["integrationErrorMessage"] = err.log
        response = _gateway_response(api, "DEFAULT_5XX", ctx, inc)
    ctx["integrationLatency"] = int((time.monotonic() - started) * 1000)
    log.info(f"Method completed with status: {response.status_code}")
    return response, ctx, log, stage


def _resource_policy_denies(api: Any, inc: Incoming) -> Response | None:
    """PRIVATE endpoint / resource policy check (:func:`lab_support.embedded.apigateway.private_endpoints.check_request`).

    ``None`` lets the request go on to its integration; otherwise the AWS-shaped 403
    (``x-amzn-ErrorType: AccessDeniedException``). APIs that are not PRIVATE and have no resource
    policy pass at once. https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies.html
    """
    from lab_support.embedded.apigateway.private_endpoints import check_request

    denied = check_request(api, stage=inc.stage, method=inc.method, path=inc.path, headers=dict(inc.headers),
                           source_ip=inc.source_ip, region=inc.region)
    if denied is None:
        return None
    status, headers, body = denied
    return Response(body, status=status, headers=Headers(list(headers.items())))


class _ProxyError(Exception):
    def __init__(self, log: str) -> None:
        super().__init__(log)
        self.log = log


def _context(api: Any, inc: Incoming, stage: Any) -> dict[str, Any]:
    return {
        "accountId": inc.account_id, "apiId": api.id, "domainName": inc.domain_name, "domainPrefix": inc.api_id,
        "extendedRequestId": inc.extended_request_id, "httpMethod": inc.method,
        "identity": _identity(inc), "path": f"/{inc.stage}{inc.path}", "protocol": inc.protocol,
        "requestId": inc.request_id, "requestTime": inc.request_time, "requestTimeEpoch": inc.epoch_ms,
        "resourceId": None, "resourcePath": None, "stage": inc.stage,
        "deploymentId": getattr(stage, "deployment_id", None),
        "error": {"message": "", "messageString": '""', "responseType": "", "validationErrorString": ""},
    }


def _identity(inc: Incoming) -> dict[str, Any]:
    return {
        "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None, "caller": None,
        "sourceIp": inc.source_ip, "principalOrgId": None, "accessKey": None, "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None, "userArn": None, "userAgent": inc.user_agent, "user": None,
    }


# -- validation ----------------------------------------------------------------------------------
def _validate(api: Any, method: Any, inc: Incoming, params: dict[str, dict[str, str]],
              ctx: dict[str, Any]) -> tuple[str, str] | None:
    """Request validators (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html)."""
    validator = api.request_validators.get(method.request_validator_id or "")
    if validator is None:
        return None
    if validator.validate_request_parameters and method.request_parameters:
        missing = []
        for key, required in method.request_parameters.items():
            if not required:
                continue
            _m, _r, where, name = key.split(".", 3)
            if where == "header":
                present = any(k.lower() == name.lower() for k, _v in inc.headers)
            elif where in ("querystring", "multivaluequerystring"):
                present = any(k == name for k, _v in inc.query)
            else:
                present = name in params["path"]
            if not present:
                missing.append(name)
        if missing:
            # AWS: {"message": "Missing required request parameters: [name1, name2]"}
            message = f"Missing required request parameters: [{', '.join(missing)}]"
            _set_error(ctx, message, "BAD_REQUEST_PARAMETERS")
            return "BAD_REQUEST_PARAMETERS", message
    if validator.validate_request_body and method.request_models:
        ctype = (inc.content_type or "application/json").split(";")[0].strip()
        model_name = method.request_models.get(ctype) or method.request_models.get("$default")
        model = _find_model(api, model_name)
        if model is not None and model.schema:
            import jsonschema

            try:
                document = json.loads(inc.body or b"null")
                schema = json.loads(model.schema) if isinstance(model.schema, str) else model.schema
                errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=str)
            except ValueError as err:
                errors = [err]  # type: ignore[list-item]
            if errors:
                detail = "[" + ", ".join(getattr(e, "message", str(e)) for e in errors) + "]"
                _set_error(ctx, "Invalid request body", "BAD_REQUEST_BODY", validation=detail)
                return "BAD_REQUEST_BODY", detail
    return None


def _find_model(api: Any, name: str | None) -> Any:
    if not name:
        return None
    if name in api.models:
        return api.models[name]
    return next((m for m in api.models.values() if getattr(m, "name", None) == name), None)


def _set_error(ctx: dict[str, Any], message: str, kind: str, validation: str = "") -> None:
    ctx["error"] = {"message": message, "messageString": json.dumps(message), "responseType": kind,
                    "validationErrorString": validation}


# -- gateway responses ---------------------------------------------------------------------------
def _gateway_response(api: Any, kind: str, ctx: dict[str, Any], inc: Incoming) -> Response:
    """A gateway response, customised by ``put_gateway_response`` when the API has one."""
    status, message = _GATEWAY_RESPONSES[kind]
    if ctx["error"].get("responseType") != kind:
        _set_error(ctx, message, kind)
    custom = api.gateway_responses.get(kind)
    fallback = api.gateway_responses.get("DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX")
    if custom is not None and custom.status_code:
        status = int(custom.status_code)
    templates: dict[str, str] = {}
    parameters: dict[str, str] = {}
    for source in (fallback, custom):
        if source is not None:
            templates.update(source.response_templates or {})
            parameters.update(source.response_parameters or {})
    template = templates.get("application/json", _DEFAULT_TEMPLATE)
    try:
        body = vtl.render(template, body="", params={}, context=ctx, stage_variables={})
    except vtl.TemplateError:
        body = json.dumps({"message": message})
    headers = Headers([("Content-Type", "application/json"), ("x-amzn-RequestId", inc.request_id),
                       ("x-amzn-ErrorType", _error_type(kind)), ("x-amz-apigw-id", inc.extended_request_id)])
    for key, value in parameters.items():
        if key.startswith("gatewayresponse.header."):
            headers[key.split(".", 2)[2]] = _static_or_request(value, inc)
    ctx["status"] = status
    return Response(body, status=status, headers=headers)


def _error_type(kind: str) -> str:
    return {"MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
            "BAD_REQUEST_BODY": "BadRequestException", "BAD_REQUEST_PARAMETERS": "BadRequestException",
            "INTEGRATION_TIMEOUT": "InternalServerErrorException"}.get(kind, "InternalServerErrorException")


def _static_or_request(value: str, inc: Incoming) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if value.startswith("method.request.header."):
        return inc.header(value.split(".", 3)[3]) or ""
    if value.startswith("method.request.querystring."):
        return inc.query_last().get(value.split(".", 3)[3], "")
    return value


# -- integrations --------------------------------------------------------------------------------
def _integrate(api: Any, stage: Any, integration: Any, inc: Incoming, resource_path: str, resource_id: str,
               path_params: dict[str, str], params: dict[str, dict[str, str]], stage_vars: dict[str, str],
               ctx: dict[str, Any], log: ExecLog, *, timeout_ms: int, endpoint_url: str) -> Response:
    kind = integration.integration_type
    uri = substitute_stage_variables(integration.uri, stage_vars) or ""
    source_arn = f"arn:aws:execute-api:{inc.region}:{inc.account_id}:{api.id}/{inc.stage}/{inc.method}{resource_path}"
    if kind == "AWS_PROXY":
        event = proxy_event(api, inc, resource_path, resource_id, path_params, stage_vars, ctx)
        payload = json.dumps(event).encode()
        log.info(f"Endpoint request URI: https://lambda.{inc.region}.amazonaws.com/2015-03-31/functions/{backends.lambda_target(uri)[0]}/invocations")
        log.info(f"Endpoint request body after transformations: {payload[:1000].decode('utf-8', 'replace')}")
        result = backends.invoke_lambda(uri, payload, source_arn=source_arn, account_id=inc.account_id, timeout_ms=timeout_ms)
        log.info(f"Endpoint response body before transformations: {result.payload[:1000].decode('utf-8', 'replace')}")
        ctx["integrationStatus"] = 200
        if result.function_error:
            err = backends.parse_json(result.payload) or {}
            raise _ProxyError(f"Lambda execution failed with status 200 due to customer function error: "
                              f"{err.get('errorMessage', '')}. Lambda request id: {inc.request_id}")
        return proxy_response(result.payload, api.binaryMediaTypes, inc)
    if kind == "HTTP_PROXY":
        url = _http_url(uri, integration, inc, path_params, params, stage_vars, ctx)
        if integration.connection_type == "VPC_LINK":
            url = backends.resolve_private(url, _vpc_keys(integration, stage_vars, inc))
        if inc.raw_query:
            url += ("&" if "?" in url else "?") + inc.raw_query
        headers = [*inc.headers, *_mapped(integration.request_parameters, "header", params, stage_vars, ctx).items()]
        log.info(f"Endpoint request URI: {url}")
        method = inc.method if (integration.http_method or "ANY") == "ANY" else integration.http_method
        res = backends.http_call(method, url, headers, inc.body, timeout_ms)
        ctx["integrationStatus"] = res.status
        return Response(res.body, status=res.status, headers=Headers(res.headers))

    # Non-proxy: request mapping, call, integration response selection, response mapping.
    body, status_hint = _map_request(integration, inc, params, stage_vars, ctx, log)
    if body is None:
        return _gateway_response(api, "UNSUPPORTED_MEDIA_TYPE", ctx, inc)
    if kind == "MOCK":
        backend_body, status, error_message, backend_headers = b"", status_hint, None, []
        selector = str(status)
    elif kind == "AWS" and ":lambda:path/" in uri:
        log.info(f"Endpoint request body after transformations: {body[:1000]}")
        result = backends.invoke_lambda(uri, body.encode() or b"{}", source_arn=source_arn, account_id=inc.account_id,
                                        timeout_ms=timeout_ms)
        backend_body, status, backend_headers = result.payload, 200, []
        error_message = None
        if result.function_error:
            error_message = str((backends.parse_json(result.payload) or {}).get("errorMessage", ""))
            log.info(f"Lambda execution failed with status 200 due to customer function error: {error_message}")
        selector = error_message  # None: the default response (errors without a matching pattern also get it)
    elif kind == "AWS":
        headers = list(_mapped(integration.request_parameters, "header", params, stage_vars, ctx).items())
        log.info(f"Endpoint request URI: {uri}")
        res = backends.aws_service_call(uri, integration.http_method, headers, body.encode(),
                                        endpoint_url=endpoint_url, timeout_ms=timeout_ms)
        backend_body, status, backend_headers, error_message = res.body, res.status, res.headers, None
        selector = str(status)
    else:  # HTTP
        url = _http_url(uri, integration, inc, path_params, params, stage_vars, ctx)
        if integration.connection_type == "VPC_LINK":
            url = backends.resolve_private(url, _vpc_keys(integration, stage_vars, inc))
        query = _mapped(integration.request_parameters, "querystring", params, stage_vars, ctx)
        if query:
            import urllib.parse

            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        headers = list(_mapped(integration.request_parameters, "header", params, stage_vars, ctx).items())
        if inc.content_type and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", inc.content_type))
        log.info(f"Endpoint request URI: {url}")
        method = inc.method if (integration.http_method or "ANY") == "ANY" else integration.http_method
        res = backends.http_call(method, url, headers, body.encode(), timeout_ms)
        backend_body, status, backend_headers, error_message = res.body, res.status, res.headers, None
        selector = str(status)
    ctx["integrationStatus"] = status
    log.info(f"Endpoint response body before transformations: {backend_body[:1000].decode('utf-8', 'replace')}")
    chosen = _select_response(integration, selector, kind)
    if chosen is None:
        log.error("Execution failed due to configuration error: No match for output mapping and no default output "
                  "mapping configured. "
                  f"Endpoint Response Status Code: {status}")
        return _gateway_response(api, "API_CONFIGURATION_ERROR", ctx, inc)
    return _map_response(chosen, backend_body, backend_headers, inc, params, stage_vars, ctx)


def _vpc_keys(integration: Any, stage_vars: dict[str, str], inc: Incoming) -> list[str]:
    """Keys under which a private backend may be registered: VPC link ids and their target ARNs.

    moto 5.2.5 does not store an integration's ``connectionId``, so every VPC link of the
    account is a candidate (deliberate difference: AWS uses only the integration's link).
    """
    link_id = substitute_stage_variables(getattr(integration, "connection_id", None), stage_vars)
    keys: list[str] = []
    try:
        from moto.apigateway.models import apigateway_backends

        links = apigateway_backends[inc.account_id][inc.region].vpc_links
        for lid, link in links.items():
            if link_id in (None, lid):
                keys += [lid, *list(getattr(link, "target_arns", None) or [])]
    except Exception:
        pass
    return keys


def _source_value(expr: str, params: dict[str, dict[str, str]], stage_vars: dict[str, str], ctx: dict[str, Any]) -> str | None:
    if len(expr) >= 2 and expr[0] == expr[-1] == "'":
        return expr[1:-1]
    if expr.startswith("method.request."):
        _m, _r, where, name = expr.split(".", 3)
        where = {"multivaluequerystring": "querystring", "multivalueheader": "header"}.get(where, where)
        section = params.get(where, {})
        if where == "header":
            return next((v for k, v in section.items() if k.lower() == name.lower()), None)
        return section.get(name)
    if expr.startswith("stageVariables."):
        return stage_vars.get(expr.split(".", 1)[1])
    if expr.startswith("context."):
        value: Any = ctx
        for part in expr.split(".")[1:]:
            value = value.get(part) if isinstance(value, dict) else None
        return None if value is None else str(value)
    return None


def _mapped(mapping: dict[str, str] | None, where: str, params: dict[str, dict[str, str]],
            stage_vars: dict[str, str], ctx: dict[str, Any]) -> dict[str, str]:
    """``integration.request.{where}.{name}`` values from ``requestParameters``."""
    out: dict[str, str] = {}
    prefix = f"integration.request.{where}."
    for key, expr in (mapping or {}).items():
        if key.startswith(prefix):
            value = _source_value(expr, params, stage_vars, ctx)
            if value is not None:
                out[key[len(prefix):]] = value
    return out


def _http_url(uri: str, integration: Any, inc: Incoming, path_params: dict[str, str], params: dict[str, dict[str, str]],
              stage_vars: dict[str, str], ctx: dict[str, Any]) -> str:
    """The endpoint URL with ``{name}`` filled from ``integration.request.path.*`` mappings.

    Deliberate difference: a ``{name}`` without a mapping is filled from the method's path
    parameter of the same name (AWS leaves it unfilled and the call fails).
    """
    values = {**path_params, **_mapped(integration.request_parameters, "path", params, stage_vars, ctx)}
    return re.sub(r"\{([^}+]+)\+?\}", lambda m: values.get(m.group(1), m.group(0)), uri)


def _map_request(integration: Any, inc: Incoming, params: dict[str, dict[str, str]], stage_vars: dict[str, str],
                 ctx: dict[str, Any], log: ExecLog) -> tuple[str | None, int]:
    """The integration request body (``None``: 415) and, for MOCK, the status code it asks for."""
    templates = integration.request_templates or {}
    ctype = (inc.content_type or "application/json").split(";")[0].strip()
    template = templates.get(ctype)
    body = inc.body.decode("utf-8", "replace")
    if template is None:
        behaviour = (integration.passthrough_behaviour or "WHEN_NO_MATCH").upper()
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-passthrough-behaviors.html
        if behaviour == "NEVER" or (behaviour == "WHEN_NO_TEMPLATES" and templates):
            log.error("Execution failed: Unsupported Media Type")
            return None, 415
        mapped = body
    else:
        try:
            mapped = vtl.render(template, body=body, params=params, context=ctx, stage_variables=stage_vars)
        except vtl.TemplateError as err:
            log.error(f"Execution failed due to configuration error: Unable to transform request: {err}")
            raise IntegrationFailure("Execution failed due to configuration error: Unable to transform request") from None
    status = 200
    if integration.integration_type == "MOCK":
        try:
            status = int((json.loads(mapped or "{}") or {}).get("statusCode", 200))
        except (ValueError, AttributeError, TypeError):
            status = 200
    return mapped, status


def _select_response(integration: Any, selector: str | None, kind: str) -> Any:
    """The integration response whose ``selectionPattern`` matches, else the default one.

    Lambda: the pattern is matched against the function's ``errorMessage``; HTTP, AWS and MOCK:
    against the status code (https://docs.aws.amazon.com/apigateway/latest/api/API_IntegrationResponse.html).
    """
    responses = list((integration.integration_responses or {}).values())
    default = next((r for r in responses if not r.selection_pattern), None)
    if selector is None:
        return default
    for resp in responses:
        if resp.selection_pattern:
            try:
                if re.fullmatch(resp.selection_pattern, selector, re.DOTALL):
                    return resp
            except re.error:
                continue
    return default


def _map_response(chosen: Any, backend_body: bytes, backend_headers: list[tuple[str, str]], inc: Incoming,
                  params: dict[str, dict[str, str]], stage_vars: dict[str, str], ctx: dict[str, Any]) -> Response:
    text = backend_body.decode("utf-8", "replace")
    templates = chosen.response_templates or {}
    template = templates.get("application/json")
    if template is None and templates:
        template = next(iter(templates.values()))
    body: str | bytes = backend_body
    if template:
        try:
            body = vtl.render(template, body=text, params=params, context=ctx, stage_variables=stage_vars)
        except vtl.TemplateError:
            raise IntegrationFailure("Execution failed due to configuration error: Unable to transform response") from None
    headers = Headers([("Content-Type", "application/json"), ("x-amzn-RequestId", inc.request_id),
                       ("x-amz-apigw-id", inc.extended_request_id)])
    backend_json = backends.parse_json(backend_body)
    for key, expr in (chosen.response_parameters or {}).items():
        if not key.startswith("method.response.header."):
            continue
        name = key.split(".", 3)[3]
        if len(expr) >= 2 and expr[0] == expr[-1] == "'":
            headers[name] = expr[1:-1]
        elif expr.startswith("integration.response.header."):
            wanted = expr.split(".", 3)[3].lower()
            value = next((v for k, v in backend_headers if k.lower() == wanted), None)
            if value is not None:
                headers[name] = value
        elif expr.startswith("integration.response.body.") and isinstance(backend_json, dict):
            value = backend_json.get(expr.split(".", 3)[3])
            if value is not None:
                headers[name] = value if isinstance(value, str) else json.dumps(value)
    return Response(body, status=int(chosen.status_code), headers=headers)


# -- Lambda proxy -----------------------------------------------------------------------------
def proxy_event(api: Any, inc: Incoming, resource_path: str, resource_id: str, path_params: dict[str, str],
                stage_vars: dict[str, str], ctx: dict[str, Any]) -> dict[str, Any]:
    """The payload format 1.0 event of a REST Lambda proxy integration.

    Shape from https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    ("Input format of a Lambda function for proxy integration"): single-value maps keep the last
    value of a repeated header or query parameter; ``multiValue*`` keep them all; empty maps are ``null``.
    """
    binary = media_type_matches(inc.content_type, api.binaryMediaTypes)
    if not inc.body:
        body: str | None = None
    elif binary:
        body = base64.b64encode(inc.body).decode()
    else:
        body = inc.body.decode("utf-8", "replace")
    headers = {k: v for k, v in inc.headers}
    query = inc.query_last()
    return {
        "resource": resource_path,
        "path": inc.path,
        "httpMethod": inc.method,
        "headers": headers or None,
        "multiValueHeaders": inc.headers_multi() or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": inc.query_multi() or None,
        "pathParameters": path_params or None,
        "stageVariables": stage_vars or None,
        "requestContext": {
            "resourceId": resource_id,
            "resourcePath": resource_path,
            "httpMethod": inc.method,
            "extendedRequestId": inc.extended_request_id,
            "requestTime": inc.request_time,
            "path": f"/{inc.stage}{inc.path}",
            "accountId": inc.account_id,
            "protocol": inc.protocol,
            "stage": inc.stage,
            "domainPrefix": inc.api_id,
            "requestTimeEpoch": inc.epoch_ms,
            "requestId": inc.request_id,
            "identity": _identity(inc),
            "domainName": inc.domain_name,
            "deploymentId": ctx.get("deploymentId"),
            "apiId": api.id,
        },
        "body": body,
        "isBase64Encoded": bool(binary and inc.body),
    }


def proxy_response(payload: bytes, binary_media_types: list[str], inc: Incoming) -> Response:
    """Turn a function's proxy result into the HTTP response, or raise for a malformed one.

    Contract: ``{"statusCode": int, "headers": {}, "multiValueHeaders": {}, "body": str,
    "isBase64Encoded": bool}`` (same page, "Output format"). Anything else is a
    "Malformed Lambda proxy response" and the client gets 502.
    """
    result = backends.parse_json(payload)
    malformed = _ProxyError("Execution failed due to configuration error: Malformed Lambda proxy response")
    if not isinstance(result, dict):
        raise malformed
    allowed = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}
    if set(result) - allowed:
        raise malformed
    try:
        status = int(result["statusCode"])
    except (KeyError, TypeError, ValueError):
        raise malformed from None
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise malformed
    headers = Headers()
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        raise malformed
    for key, values in multi.items():
        for value in values if isinstance(values, list) else [values]:
            headers.add(key, str(value))
    for key, value in single.items():
        if key not in headers:
            headers.add(key, str(value))
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    headers["x-amzn-RequestId"] = inc.request_id
    headers["x-amz-apigw-id"] = inc.extended_request_id
    data: str | bytes = body or ""
    # REST APIs decode only when the client's Accept matches binaryMediaTypes
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/lambda-proxy-binary-media.html).
    if result.get("isBase64Encoded") and body and media_type_matches(inc.header("accept"), binary_media_types):
        try:
            data = base64.b64decode(body)
        except ValueError:
            raise malformed from None
    return Response(data, status=status, headers=headers)
