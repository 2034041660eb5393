"""Export a deployed API as OpenAPI 3.0 and as a Postman collection (v2.1).

:func:`openapi` reads the API's definition through the API Gateway control plane (boto3, so
it works on the embedded backend and on a real account alike) and writes an OpenAPI 3.0.1
document the way API Gateway's own export does: paths and methods, parameters from the
method's request parameters, request models as ``components/schemas``, and on every operation
the ``x-amazon-apigateway-integration`` extension with ``type``, ``uri``, ``httpMethod``,
``passthroughBehavior``, ``requestTemplates``, ``requestParameters`` and ``responses`` (keyed
by selection pattern, ``default`` for the response without one). Extension format:
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration.html
and https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration-responses.html;
exporting on AWS: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-export-api.html.
Every document is checked with ``openapi_spec_validator.validate`` before it is returned.

:func:`postman_collection` turns the same operations into a Postman Collection v2.1 with a
``baseUrl`` variable (the stage URL from ``aws.stage_url``), reusing the generic generator in
:mod:`lab_support.course.postman`.

Works for REST APIs (``apigateway``) and HTTP APIs (``apigatewayv2``); pass either id. REST exports carry API
Gateway's extensions for what the API sets: ``security`` with ``components.securitySchemes`` (Lambda and Cognito
authorizers as ``x-amazon-apigateway-authorizer``, the ``api_key`` scheme for ``apiKeyRequired``),
``x-amazon-apigateway-api-key-source``, ``x-amazon-apigateway-binary-media-types`` and the request validators, so
``apigateway.import_rest_api(body=json.dumps(doc))`` builds an API that behaves the same
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions.html).

:func:`proxy_api_definition` goes the other way: it writes the definition of a Lambda-proxy REST API for
``import_rest_api``, a plain boto3 call that runs the same against AWS.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from lab_support.core.errors import LabError
from lab_support.core.session import current
from lab_support.course.api_builders import lambda_uri
from lab_support.course.postman import Call, collection

_PARAM_IN = {"path": "path", "querystring": "query", "header": "header"}
_MODEL_REF = re.compile(r"^https://apigateway\.amazonaws\.com/restapis/[^/]+/models/(?P<name>[^/]+)$")
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _api_kind(api_id: str) -> tuple[str, dict[str, Any]]:
    """``("rest", api)`` or ``("http", api)``; LabError if neither exists."""
    aws = current()
    try:
        return "rest", aws.client("apigateway").get_rest_api(restApiId=api_id)
    except Exception:  # NotFoundException on both backends
        pass
    try:
        return "http", aws.client("apigatewayv2").get_api(ApiId=api_id)
    except Exception:
        raise LabError(f"There is no REST API or HTTP API with id {api_id!r} in {aws.region}.",
                       "check the id (apigateway.get_rest_apis() / apigatewayv2.get_apis() list them).") from None


# -- schemas -------------------------------------------------------------------------------------
def _clean_schema(schema: Any) -> Any:
    """A model's JSON Schema (draft 4) as an OpenAPI 3.0 Schema Object: no ``$schema``/``id``,
    model URLs in ``$ref`` rewritten to ``#/components/schemas/{name}``."""
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key in ("$schema", "id"):
                continue
            if key == "$ref" and isinstance(value, str):
                match = _MODEL_REF.match(value)
                out[key] = f"#/components/schemas/{match['name']}" if match else value
            else:
                out[key] = _clean_schema(value)
        return out
    if isinstance(schema, list):
        return [_clean_schema(v) for v in schema]
    return schema


def _models(api_id: str) -> dict[str, Any]:
    client = current().client("apigateway")
    schemas: dict[str, Any] = {}
    for model in client.get_models(restApiId=api_id).get("items", []):
        try:
            schema = json.loads(model.get("schema") or "{}")
        except ValueError:
            schema = {"type": "object"}
        schemas[model["name"]] = _clean_schema(schema)
    return schemas


# -- REST APIs -------------------------------------------------------------------------------------
def _integration_extension(integration: dict[str, Any]) -> dict[str, Any]:
    """``x-amazon-apigateway-integration`` from a GetIntegration-shaped dict, as AWS exports it."""
    ext: dict[str, Any] = {"type": str(integration.get("type", "")).lower()}
    if integration.get("httpMethod"):
        ext["httpMethod"] = integration["httpMethod"]
    for key in ("uri", "connectionType", "connectionId", "credentials", "requestParameters",
                "requestTemplates", "cacheNamespace", "cacheKeyParameters", "contentHandling", "timeoutInMillis"):
        value = integration.get(key)
        if value not in (None, "", [], {}):
            ext[key] = value
    if integration.get("passthroughBehavior"):
        ext["passthroughBehavior"] = str(integration["passthroughBehavior"]).lower()
    responses: dict[str, Any] = {}
    for code, response in (integration.get("integrationResponses") or {}).items():
        entry: dict[str, Any] = {"statusCode": str(response.get("statusCode", code))}
        for key in ("responseParameters", "responseTemplates", "contentHandling"):
            if response.get(key):
                entry[key] = response[key]
        responses[response.get("selectionPattern") or "default"] = entry
    if responses:
        ext["responses"] = responses
    return ext


def _rest_operation(method: dict[str, Any], schemas: dict[str, Any], names: dict[str, str] | None = None,
                    ) -> dict[str, Any]:
    """One operation; ``names``: authorizer and request validator ids → their names (security, validator)."""
    names = names or {}
    operation: dict[str, Any] = {}
    if method.get("operationName"):
        operation["operationId"] = method["operationName"]
    security = _method_security(method, names)
    if security:
        operation["security"] = security
    if method.get("requestValidatorId") in names:
        operation["x-amazon-apigateway-request-validator"] = names[method["requestValidatorId"]]
    parameters = []
    for key, required in sorted((method.get("requestParameters") or {}).items()):
        parts = key.split(".", 3)  # method.request.{path|querystring|header}.{name}
        if len(parts) != 4 or parts[2] not in _PARAM_IN:
            continue
        where = _PARAM_IN[parts[2]]
        parameters.append({"name": parts[3], "in": where, "required": bool(required) or where == "path",
                           "schema": {"type": "string"}})
    if parameters:
        operation["parameters"] = parameters
    request_models = method.get("requestModels") or {}
    if request_models:
        operation["requestBody"] = {
            "content": {ct: {"schema": {"$ref": f"#/components/schemas/{name}"}}
                        for ct, name in request_models.items() if name in schemas},
            "required": True,
        }
        if not operation["requestBody"]["content"]:
            del operation["requestBody"]
    responses: dict[str, Any] = {}
    for code, response in sorted((method.get("methodResponses") or {}).items()):
        entry: dict[str, Any] = {"description": f"{code} response"}
        models = response.get("responseModels") or {}
        content = {ct: {"schema": {"$ref": f"#/components/schemas/{name}"}}
                   for ct, name in models.items() if name in schemas}
        if content:
            entry["content"] = content
        headers = {k.rsplit(".", 1)[-1]: {"schema": {"type": "string"}}
                   for k in (response.get("responseParameters") or {}) if k.startswith("method.response.header.")}
        if headers:
            entry["headers"] = headers
        responses[str(code)] = entry
    operation["responses"] = responses or {"default": {"description": "no method response is configured"}}
    integration = method.get("methodIntegration")
    if integration:
        operation["x-amazon-apigateway-integration"] = _integration_extension(integration)
    return operation


# -- security and API-level extensions ---------------------------------------------------------------
API_KEY_SCHEME = {"type": "apiKey", "name": "x-api-key", "in": "header"}
SIGV4_SCHEME = {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}


def _method_security(method: dict[str, Any], names: dict[str, str]) -> list[dict[str, list[str]]]:
    """``security`` of an operation: its authorizer (with scopes), ``sigv4`` for AWS_IAM, ``api_key``."""
    security: list[dict[str, list[str]]] = []
    if method.get("apiKeyRequired"):
        security.append({"api_key": []})
    kind = method.get("authorizationType") or "NONE"
    if kind in ("CUSTOM", "COGNITO_USER_POOLS") and method.get("authorizerId") in names:
        security.append({names[method["authorizerId"]]: list(method.get("authorizationScopes") or [])})
    elif kind == "AWS_IAM":
        security.append({"sigv4": []})
    return security


def _authorizer_scheme(authorizer: dict[str, Any]) -> dict[str, Any]:
    """A security scheme with ``x-amazon-apigateway-authorizer``
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-authorizer.html)."""
    kind = str(authorizer.get("type", "TOKEN"))
    source = str(authorizer.get("identitySource") or "")
    header = source.split(".", 3)[3] if source.startswith("method.request.header.") and "," not in source else "Unused"
    extension: dict[str, Any] = {"type": kind.lower()}
    for key in ("authorizerUri", "authorizerCredentials", "identitySource", "identityValidationExpression",
                "authorizerResultTtlInSeconds", "providerARNs"):
        if authorizer.get(key) not in (None, "", []):
            extension[key] = authorizer[key]
    return {"type": "apiKey", "name": header, "in": "header",
            "x-amazon-apigateway-authtype": authorizer.get("authType") or (
                "cognito_user_pools" if kind == "COGNITO_USER_POOLS" else "custom"),
            "x-amazon-apigateway-authorizer": extension}


def _rest_extensions(api: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(document-level extensions, security schemes, authorizer/validator id → name) of a REST API."""
    client = current().client("apigateway")
    api_id = api["id"]
    authorizers = client.get_authorizers(restApiId=api_id).get("items", [])
    validators = client.get_request_validators(restApiId=api_id).get("items", [])
    schemes = {a["name"]: _authorizer_scheme(a) for a in authorizers}
    names = {a["id"]: a["name"] for a in authorizers} | {v["id"]: v["name"] for v in validators}
    extensions: dict[str, Any] = {}
    if api.get("apiKeySource"):
        extensions["x-amazon-apigateway-api-key-source"] = api["apiKeySource"]
    if api.get("binaryMediaTypes"):
        extensions["x-amazon-apigateway-binary-media-types"] = list(api["binaryMediaTypes"])
    if validators:
        extensions["x-amazon-apigateway-request-validators"] = {
            v["name"]: {"validateRequestBody": bool(v.get("validateRequestBody")),
                        "validateRequestParameters": bool(v.get("validateRequestParameters"))} for v in validators}
    return extensions, schemes, names


def _rest_openapi(api: dict[str, Any], stage: str) -> dict[str, Any]:
    aws = current()
    client = aws.client("apigateway")
    api_id = api["id"]
    try:
        client.get_stage(restApiId=api_id, stageName=stage)
    except Exception:
        raise LabError(f"REST API {api_id} has no stage {stage!r}.",
                       f"deploy it first: apigateway.create_deployment(restApiId={api_id!r}, stageName={stage!r}).")\
            from None
    schemas = _models(api_id)
    extensions, schemes, names = _rest_extensions(api)
    paths: dict[str, Any] = {}
    for resource in sorted(client.get_resources(restApiId=api_id, embed=["methods"], limit=500)["items"],
                           key=lambda r: r["path"]):
        methods = resource.get("resourceMethods") or {}
        item: dict[str, Any] = {}
        for http_method in sorted(methods):
            method = methods[http_method]
            if "methodIntegration" not in method and "httpMethod" not in method:
                method = client.get_method(restApiId=api_id, resourceId=resource["id"], httpMethod=http_method)
            key = "x-amazon-apigateway-any-method" if http_method == "ANY" else http_method.lower()
            item[key] = _rest_operation(method, schemas, names)
            for requirement in item[key].get("security", []):
                if "api_key" in requirement:
                    schemes["api_key"] = API_KEY_SCHEME
                if "sigv4" in requirement:
                    schemes["sigv4"] = SIGV4_SCHEME
        if item:
            paths[resource["path"]] = item
    doc: dict[str, Any] = {
        "openapi": "3.0.1",
        "info": {"title": api.get("name", api_id), "version": str(api.get("version") or "1.0")},
        "servers": [{"url": aws.stage_url(api_id, stage).rstrip("/")}],
        "paths": paths,
        "components": {"schemas": schemas},
        **extensions,
    }
    if schemes:
        doc["components"]["securitySchemes"] = schemes
    if api.get("description"):
        doc["info"]["description"] = api["description"]
    return doc


# -- definitions to import -------------------------------------------------------------------------
def proxy_api_definition(routes: dict[str, str], *, title: str, description: str | None = None,
                         endpoint_type: str | None = None) -> dict[str, Any]:
    """An OpenAPI 3.0.1 definition of a REST API whose routes are Lambda proxy integrations, for ``import_rest_api``.

    ``routes`` maps ``"GET /hello"`` (or ``"/hello"`` for any method, ``x-amazon-apigateway-any-method``) to a
    function ARN; each becomes an ``aws_proxy`` integration (``httpMethod: POST``, the ``…/invocations`` URI of
    :func:`lab_support.course.api_builders.lambda_uri`). ``endpoint_type`` (``"REGIONAL"``…) goes into
    ``x-amazon-apigateway-endpoint-configuration``. The notebook then makes the plain boto3 calls, which run the
    same against AWS::

        definition = proxy_api_definition({"GET /hello": fn_arn}, title="nb-hello")
        api_id = apigw.import_rest_api(body=json.dumps(definition))["id"]
        apigw.create_deployment(restApiId=api_id, stageName="dev")

    The functions still need a resource-based permission for ``apigateway.amazonaws.com``
    (:func:`lab_support.course.api_builders.allow_api_gateway`). Extension format:
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration.html;
    importing: https://docs.aws.amazon.com/apigateway/latest/developerguide/import-edge-optimized-api.html.
    """
    paths: dict[str, Any] = {}
    for route, function_arn in routes.items():
        verb, _, path = route.strip().rpartition(" ")
        if not path.startswith("/"):
            raise LabError(f"Route {route!r} has no path.", "write routes as 'GET /hello' or '/hello' (any method).")
        key = verb.lower() if verb and verb.upper() != "ANY" else "x-amazon-apigateway-any-method"
        if key != "x-amazon-apigateway-any-method" and key not in _HTTP_METHODS:
            raise LabError(f"Route {route!r}: {verb!r} is not an HTTP method.", "use GET, POST, PUT, DELETE, PATCH, ...")
        operation: dict[str, Any] = {
            "responses": {"default": {"description": "the function's response (Lambda proxy integration)"}},
            "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST",
                                                "uri": lambda_uri(function_arn),
                                                "passthroughBehavior": "when_no_match"},
        }
        params = [{"name": name.rstrip("+"), "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"\{([^}]+)\}", path)]
        if params:
            operation["parameters"] = params
        paths.setdefault(path, {})[key] = operation
    info: dict[str, Any] = {"title": title, "version": "1.0"}
    if description:
        info["description"] = description
    doc: dict[str, Any] = {"openapi": "3.0.1", "info": info, "paths": paths}
    if endpoint_type:
        doc["x-amazon-apigateway-endpoint-configuration"] = {"types": [endpoint_type.upper()]}
    return doc


# -- HTTP APIs -------------------------------------------------------------------------------------
def _http_openapi(api: dict[str, Any], stage: str) -> dict[str, Any]:
    aws = current()
    client = aws.client("apigatewayv2")
    api_id = api["ApiId"]
    integrations = {i["IntegrationId"]: i for i in client.get_integrations(ApiId=api_id).get("Items", [])}
    paths: dict[str, Any] = {}
    for route in sorted(client.get_routes(ApiId=api_id).get("Items", []), key=lambda r: r["RouteKey"]):
        route_key = route["RouteKey"]
        if route_key == "$default":
            method, path = "x-amazon-apigateway-any-method", "/$default"
        else:
            verb, path = route_key.split(" ", 1)
            method = "x-amazon-apigateway-any-method" if verb == "ANY" else verb.lower()
        operation: dict[str, Any] = {"responses": {"default": {"description": "Default response for " + route_key}}}
        params = [{"name": name.rstrip("+"), "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"\{([^}]+)\}", path)]
        if params:
            operation["parameters"] = params
        target = (route.get("Target") or "").removeprefix("integrations/")
        integration = integrations.get(target)
        if integration:
            ext: dict[str, Any] = {"type": str(integration.get("IntegrationType", "")).lower()}
            for src, dst in (("IntegrationMethod", "httpMethod"), ("IntegrationUri", "uri"),
                             ("PayloadFormatVersion", "payloadFormatVersion"), ("ConnectionType", "connectionType"),
                             ("TimeoutInMillis", "timeoutInMillis")):
                if integration.get(src) not in (None, ""):
                    ext[dst] = integration[src]
            operation["x-amazon-apigateway-integration"] = ext
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.0.1",
        "info": {"title": api.get("Name", api_id), "version": str(api.get("Version") or "1.0")},
        "servers": [{"url": aws.stage_url(api_id, stage, http_api=True).rstrip("/")}],
        "paths": paths,
    }


def openapi(api_id: str, stage: str) -> dict[str, Any]:
    """The deployed API ``api_id`` (REST or HTTP API) as a validated OpenAPI 3.0.1 document.

    ``servers[0].url`` is the stage's invoke URL from ``aws.stage_url`` (on the embedded backend,
    the loopback URL curl, Postman and newman reach). Raises :class:`LabError` when the API or
    the stage does not exist, or (a bug) when the document does not validate.
    """
    from openapi_spec_validator import validate

    kind, api = _api_kind(api_id)
    doc = _rest_openapi(api, stage) if kind == "rest" else _http_openapi(api, stage)
    try:
        validate(copy.deepcopy(doc))
    except Exception as err:  # OpenAPIValidationError and friends
        raise LabError(f"The exported OpenAPI document for {api_id} does not validate: {err}",
                       "this is a bug in lab_support.course.openapi; please report it with the API definition.") from None
    return doc


# -- Postman -------------------------------------------------------------------------------------
def _example_path(path: str, values: dict[str, str]) -> str:
    """``/pets/{petId}`` -> ``/pets/{{petId}}`` (a Postman variable) unless an example value is given."""
    return re.sub(r"\{([^}+]+)\+?\}", lambda m: values.get(m[1], "{{" + m[1] + "}}"), path)


def postman_collection(api_id: str, stage: str, examples: dict[str, dict[str, Any]] | None = None,
                       *, name: str | None = None) -> dict[str, Any]:
    """A Postman Collection v2.1 with one request per operation of the deployed API.

    Args:
        api_id, stage: the deployed API (REST or HTTP API) and stage.
        examples: optional, keyed ``"METHOD /resource/path"`` as in the OpenAPI paths (e.g.
            ``"GET /pets/{petId}"``), each a dict with any of ``path_params`` (dict), ``query``
            (dict), ``headers`` (dict), ``body`` (JSON value or str), ``expected_status`` (int),
            ``name`` (str). Operations without an example expect their first 2xx method
            response (200 if none).

    The ``baseUrl`` collection variable is the stage URL (``aws.stage_url``); run it with
    ``npx newman run collection.json --env-var baseUrl=...`` to point it elsewhere.
    Built with :func:`lab_support.course.postman.collection`.
    """
    from urllib.parse import urlencode

    doc = openapi(api_id, stage)
    examples = examples or {}
    calls: list[Call] = []
    variables: dict[str, str] = {}
    for path, item in doc["paths"].items():
        for key, operation in item.items():
            if key.startswith("x-amazon-apigateway-any-method"):
                verb = "GET"
            elif key in _HTTP_METHODS:
                verb = key.upper()
            else:
                continue
            example = examples.get(f"{verb} {path}") or examples.get(f"{key.upper()} {path}") or {}
            values = {k: str(v) for k, v in (example.get("path_params") or {}).items()}
            for param in operation.get("parameters", []):
                if param["in"] == "path" and param["name"] not in values:
                    variables.setdefault(param["name"], "")
            concrete = _example_path(path if path != "/$default" else "/", values)
            if example.get("query"):
                concrete += "?" + urlencode(example["query"])
            codes = sorted(c for c in operation.get("responses", {}) if c.isdigit() and c.startswith("2"))
            expected = int(example.get("expected_status") or (codes[0] if codes else 200))
            calls.append(Call(example.get("name") or f"{verb} {path}", verb, concrete, example.get("body"),
                              expected, headers=dict(example.get("headers") or {})))
    return collection(
        name or doc["info"]["title"],
        calls,
        base_url=doc["servers"][0]["url"],
        description=f"Generated by lab_support.course.openapi from API {api_id}, stage {stage}.",
        variables=variables,
    )
