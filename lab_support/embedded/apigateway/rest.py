"""REST APIs (``apigateway``): deployments, resource matching, validators, mappings, gateway responses.

The helpers the REST handlers of :mod:`.chain` and the non-proxy integrations of :mod:`.integrations` use.

What a stage serves is the resource tree of its deployment: :func:`snapshot_deployment` copies the tree
when ``create_deployment`` runs, so a change made after deploying only shows once you deploy again, as on
AWS. (Deployments made before the gateway was installed serve the live tree.)
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from werkzeug.datastructures import Headers

from lab_support.embedded.apigateway import backends, vtl
from lab_support.embedded.apigateway.backends import IntegrationFailure
from lab_support.embedded.apigateway.context import HttpResponse, RequestContext

# Gateway response types: default status and message.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
GATEWAY_RESPONSES: dict[str, tuple[int, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "BAD_REQUEST_BODY": (400, "Invalid request body"),
    "BAD_REQUEST_PARAMETERS": (400, "Missing required request parameters"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Unsupported Media Type"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out"),
    "INTEGRATION_FAILURE": (504, "Internal server error"),
    "API_CONFIGURATION_ERROR": (500, "Internal server error"),
    # Authorizers (embedded/apigateway/authorizers.py, where each refusal's message is cited): the message of
    # ACCESS_DENIED and AUTHORIZER_CONFIGURATION_ERROR ({"message": null}) is set per request.
    "UNAUTHORIZED": (401, "Unauthorized"),
    "ACCESS_DENIED": (403, "User is not authorized to access this resource"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, ""),
    "AUTHORIZER_FAILURE": (500, ""),
    # A Lambda proxy error or malformed proxy response: 502 {"message": "Internal server error"}
    # (https://repost.aws/knowledge-center/malformed-502-api-gateway). It is customised through DEFAULT_5XX.
    "DEFAULT_5XX": (502, "Internal server error"),
    # API keys and usage plans (embedded/apigateway/usage_plans.py): a missing, disabled or unlisted key is
    # 403 {"message":"Forbidden"}; throttling 429 {"message":"Too Many Requests"}; a used-up quota 429
    # {"message":"Limit Exceeded"} (https://repost.aws/knowledge-center/api-gateway-429-limit, "429 Too Many
    # Requests" or "Limit Exceeded"; types and statuses on the supported-gateway-response-types page above).
    "INVALID_API_KEY": (403, "Forbidden"),
    "THROTTLED": (429, "Too Many Requests"),
    "QUOTA_EXCEEDED": (429, "Limit Exceeded"),
}
_DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
_ERROR_TYPES = {"MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
                "BAD_REQUEST_BODY": "BadRequestException", "BAD_REQUEST_PARAMETERS": "BadRequestException",
                "INTEGRATION_TIMEOUT": "InternalServerErrorException", "INVALID_API_KEY": "ForbiddenException",
                "THROTTLED": "TooManyRequestsException", "QUOTA_EXCEEDED": "LimitExceededException"}
_ERROR_TYPES.update({"UNAUTHORIZED": "UnauthorizedException", "ACCESS_DENIED": "AccessDeniedException",
                     "AUTHORIZER_CONFIGURATION_ERROR": "AuthorizerConfigurationException",
                     "AUTHORIZER_FAILURE": "AuthorizerFailureException"})


# -- deployments -------------------------------------------------------------------------------
class Deployment:
    """The resource tree a stage serves, with a parent → children index for matching.

    ``frozen`` deployments (snapshots) keep their index; the live tree (a deployment made before the
    gateway was installed) is re-indexed on every request, since it may change.
    """

    def __init__(self, resources: dict[str, Any], *, frozen: bool) -> None:
        self.resources = resources
        self.frozen = frozen
        self._index: tuple[Any, dict[str | None, list[Any]]] | None = None
        self._paths: dict[str, str] = {}

    def index(self) -> tuple[Any, dict[str | None, list[Any]]]:
        """(root resource, parent id → children)."""
        if self._index is not None:
            return self._index
        kids: dict[str | None, list[Any]] = {}
        for res in self.resources.values():
            kids.setdefault(res.parent_id, []).append(res)
        roots = kids.get(None) or []
        index = (roots[0] if roots else None, kids)
        if self.frozen:
            self._index = index
        return index

    def path_of(self, resource: Any) -> str:
        """``/items/{id}``: the resource's path in this tree (moto's ``get_path`` reads the live API)."""
        found = self._paths.get(resource.id)
        if found is not None:
            return found
        parts: list[str] = []
        node = resource
        while node is not None and node.parent_id:
            parts.append(node.path_part)
            node = self.resources.get(node.parent_id)
        path = "/" + "/".join(reversed(parts)) if node is not None else str(resource.get_path())
        if self.frozen:
            self._paths[resource.id] = path
        return path


# (api_id, deployment_id) -> the resource tree as it was when deployed.
_SNAPSHOTS: dict[tuple[str, str], Deployment] = {}


def reset() -> None:
    _SNAPSHOTS.clear()


def snapshot_deployment(api: Any, deployment_id: str) -> None:
    """Freeze ``api``'s resource tree for ``deployment_id`` (called after ``create_deployment``)."""
    try:
        _SNAPSHOTS[(api.id, deployment_id)] = Deployment(copy.deepcopy(api.resources), frozen=True)
    except Exception:  # never break the control plane: fall back to serving the live tree
        _SNAPSHOTS.pop((api.id, deployment_id), None)


def deployment_for(api: Any, stage: Any) -> Deployment:
    """What ``stage`` serves: its deployment's snapshot, else the live tree."""
    return _SNAPSHOTS.get((api.id, stage.deployment_id)) or Deployment(api.resources, frozen=False)


# -- routing -----------------------------------------------------------------------------------
def match_resource(deployment: Deployment, path: str) -> tuple[Any, dict[str, str]] | None:
    """The resource serving ``path`` and its path parameters.

    Static segments win over ``{param}``, which wins over greedy ``{param+}``
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-settings-method-request.html).
    """
    root, kids = deployment.index()
    if root is None:
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

    return walk(root, segments, {})


def logging_level(stage: Any, resource_path: str | None, method: str) -> str:
    """The stage's ``loggingLevel`` for one method (``{resource}/{METHOD}``, else ``*/*``), or ``OFF``."""
    settings = stage.method_settings or {}
    if not settings:
        return "OFF"
    resource_key = f"{(resource_path or '').lstrip('/').replace('/', '~1')}/{method}"
    for key in (resource_key, "*/*"):
        if key in settings and settings[key].get("loggingLevel"):
            return str(settings[key]["loggingLevel"]).upper()
    return "OFF"


# -- $context ------------------------------------------------------------------------------------
def context_variables(ctx: RequestContext) -> dict[str, Any]:
    """``$context`` of a REST API request (templates, gateway responses, access logs)."""
    return {
        "accountId": ctx.account_id, "apiId": ctx.api.id, "domainName": ctx.domain_name, "domainPrefix": ctx.api_id,
        "extendedRequestId": ctx.extended_request_id, "httpMethod": ctx.method,
        "identity": identity(ctx), "path": f"/{ctx.stage_name}{ctx.path}", "protocol": ctx.protocol,
        "requestId": ctx.request_id, "requestTime": ctx.request_time, "requestTimeEpoch": ctx.epoch_ms,
        "resourceId": None, "resourcePath": None, "stage": ctx.stage_name,
        "deploymentId": getattr(ctx.stage, "deployment_id", None),
        "error": {"message": "", "messageString": '""', "responseType": "", "validationErrorString": ""},
    }


def identity(ctx: RequestContext) -> dict[str, Any]:
    """``$context.identity`` (and ``requestContext.identity`` of the proxy event)."""
    return {
        "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None, "caller": None,
        "sourceIp": ctx.source_ip, "principalOrgId": None, "accessKey": None, "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None, "userArn": None, "userAgent": ctx.user_agent, "user": None,
    }


# -- validation ----------------------------------------------------------------------------------
def validate(ctx: RequestContext) -> tuple[str, str] | None:
    """Request validators (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html).

    ``None`` when the request passes, else (gateway response type, what the execution log says).
    """
    api, method = ctx.api, ctx.method_def
    validator = api.request_validators.get(method.request_validator_id or "") if method.request_validator_id else None
    if validator is None:
        return None
    if validator.validate_request_parameters and method.request_parameters:
        missing = []
        for key, required in method.request_parameters.items():
            if not required:
                continue
            _m, _r, where, name = key.split(".", 3)
            if where == "header":
                present = any(k.lower() == name.lower() for k, _v in ctx.headers)
            elif where in ("querystring", "multivaluequerystring"):
                present = any(k == name for k, _v in ctx.query)
            else:
                present = name in ctx.path_params
            if not present:
                missing.append(name)
        if missing:
            # AWS: {"message": "Missing required request parameters: [name1, name2]"}
            message = f"Missing required request parameters: [{', '.join(missing)}]"
            set_error(ctx, message, "BAD_REQUEST_PARAMETERS")
            return "BAD_REQUEST_PARAMETERS", message
    if validator.validate_request_body and method.request_models:
        ctype = (ctx.content_type or "application/json").split(";")[0].strip()
        model = _find_model(api, method.request_models.get(ctype) or method.request_models.get("$default"))
        if model is not None and model.schema:
            import jsonschema

            try:
                document = json.loads(ctx.body or b"null")
                schema = json.loads(model.schema) if isinstance(model.schema, str) else model.schema
                errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=str)
            except ValueError as err:
                errors = [err]  # type: ignore[list-item]
            if errors:
                detail = "[" + ", ".join(getattr(e, "message", str(e)) for e in errors) + "]"
                set_error(ctx, "Invalid request body", "BAD_REQUEST_BODY", validation=detail)
                return "BAD_REQUEST_BODY", detail
    return None


def _find_model(api: Any, name: str | None) -> Any:
    if not name:
        return None
    if name in api.models:
        return api.models[name]
    return next((m for m in api.models.values() if getattr(m, "name", None) == name), None)


def set_error(ctx: RequestContext, message: str, kind: str, validation: str = "") -> None:
    """``$context.error`` for a gateway response."""
    ctx.variables["error"] = {"message": message, "messageString": json.dumps(message), "responseType": kind,
                              "validationErrorString": validation}


# -- gateway responses ---------------------------------------------------------------------------
def gateway_response(ctx: RequestContext, kind: str) -> HttpResponse:
    """A gateway response, customised by ``put_gateway_response`` when the API has one."""
    api, variables = ctx.api, ctx.variables
    status, message = GATEWAY_RESPONSES[kind]
    if variables["error"].get("responseType") != kind:
        set_error(ctx, message, kind)
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
    if template == _DEFAULT_TEMPLATE:  # the default template, without starting the template engine
        body = '{"message":' + variables["error"]["messageString"] + "}"
    else:
        try:
            body = vtl.render(template, body="", params={}, context=variables, stage_variables={})
        except vtl.TemplateError:
            body = json.dumps({"message": message})
    headers = Headers([("Content-Type", "application/json"), ("x-amzn-RequestId", ctx.request_id),
                       ("x-amzn-ErrorType", _ERROR_TYPES.get(kind, "InternalServerErrorException")),
                       ("x-amz-apigw-id", ctx.extended_request_id)])
    for key, value in parameters.items():
        if key.startswith("gatewayresponse.header."):
            headers[key.split(".", 2)[2]] = _static_or_request(value, ctx)
    variables["status"] = status
    return HttpResponse(status, headers, body.encode())


def _static_or_request(value: str, ctx: RequestContext) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if value.startswith("method.request.header."):
        return ctx.header(value.split(".", 3)[3]) or ""
    if value.startswith("method.request.querystring."):
        return ctx.query_last().get(value.split(".", 3)[3], "")
    return value


# -- integration request: parameters and templates -------------------------------------------------
def source_value(ctx: RequestContext, expr: str) -> str | None:
    """The value of a ``requestParameters`` source: ``'static'``, ``method.request.*``, ``stageVariables.*``, ``context.*``."""
    if len(expr) >= 2 and expr[0] == expr[-1] == "'":
        return expr[1:-1]
    if expr.startswith("method.request."):
        _m, _r, where, name = expr.split(".", 3)
        where = {"multivaluequerystring": "querystring", "multivalueheader": "header"}.get(where, where)
        section = ctx.method_params.get(where, {})
        if where == "header":
            return next((v for k, v in section.items() if k.lower() == name.lower()), None)
        return section.get(name)
    if expr.startswith("stageVariables."):
        return ctx.stage_variables.get(expr.split(".", 1)[1])
    if expr.startswith("context."):
        value: Any = ctx.variables
        for part in expr.split(".")[1:]:
            value = value.get(part) if isinstance(value, dict) else None
        return None if value is None else str(value)
    return None


def mapped(ctx: RequestContext, where: str) -> dict[str, str]:
    """``integration.request.{where}.{name}`` values from the integration's ``requestParameters``."""
    out: dict[str, str] = {}
    prefix = f"integration.request.{where}."
    for key, expr in (ctx.integration.request_parameters or {}).items():
        if key.startswith(prefix):
            value = source_value(ctx, expr)
            if value is not None:
                out[key[len(prefix):]] = value
    return out


def http_url(ctx: RequestContext, uri: str) -> str:
    """The endpoint URL with ``{name}`` filled from ``integration.request.path.*`` mappings.

    Deliberate difference: a ``{name}`` without a mapping is filled from the method's path
    parameter of the same name (AWS leaves it unfilled and the call fails).
    """
    if "{" not in uri:
        return uri
    values = {**ctx.path_params, **mapped(ctx, "path")}
    return re.sub(r"\{([^}+]+)\+?\}", lambda m: values.get(m.group(1), m.group(0)), uri)


def map_request(ctx: RequestContext) -> tuple[str | None, int]:
    """The integration request body (``None``: 415) and, for MOCK, the status code it asks for.

    Passthrough behaviour: https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-passthrough-behaviors.html
    """
    integration, log = ctx.integration, ctx.exec_log
    templates = integration.request_templates or {}
    ctype = (ctx.content_type or "application/json").split(";")[0].strip()
    template = templates.get(ctype)
    body = ctx.body.decode("utf-8", "replace")
    if template is None:
        behaviour = (integration.passthrough_behaviour or "WHEN_NO_MATCH").upper()
        if behaviour == "NEVER" or (behaviour == "WHEN_NO_TEMPLATES" and templates):
            log.error("Execution failed: Unsupported Media Type")
            return None, 415
        mapped_body = body
    else:
        try:
            mapped_body = vtl.render(template, body=body, params=ctx.method_params, context=ctx.variables,
                                     stage_variables=ctx.stage_variables)
        except vtl.TemplateError as err:
            log.error(f"Execution failed due to configuration error: Unable to transform request: {err}")
            raise IntegrationFailure("Execution failed due to configuration error: Unable to transform request") from None
    status = 200
    if integration.integration_type == "MOCK":
        try:
            status = int((json.loads(mapped_body or "{}") or {}).get("statusCode", 200))
        except (ValueError, AttributeError, TypeError):
            status = 200
    return mapped_body, status


# -- integration response: selection and mapping ---------------------------------------------------
def select_response(integration: Any, selector: str | None) -> Any:
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


def map_response(ctx: RequestContext, chosen: Any, backend_body: bytes, backend_headers: list[tuple[str, str]]) -> HttpResponse:
    """The method response from the chosen integration response: template, then header mappings."""
    text = backend_body.decode("utf-8", "replace")
    templates = chosen.response_templates or {}
    template = templates.get("application/json")
    if template is None and templates:
        template = next(iter(templates.values()))
    body: bytes = backend_body
    if template:
        try:
            body = vtl.render(template, body=text, params=ctx.method_params, context=ctx.variables,
                              stage_variables=ctx.stage_variables).encode()
        except vtl.TemplateError:
            raise IntegrationFailure("Execution failed due to configuration error: Unable to transform response") from None
    headers = Headers([("Content-Type", "application/json"), ("x-amzn-RequestId", ctx.request_id),
                       ("x-amz-apigw-id", ctx.extended_request_id)])
    parameters = chosen.response_parameters or {}
    backend_json = backends.parse_json(backend_body) if parameters else None
    for key, expr in parameters.items():
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
    return HttpResponse(int(chosen.status_code), headers, body)
