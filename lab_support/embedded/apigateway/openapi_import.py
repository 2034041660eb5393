"""``import_rest_api`` and ``put_rest_api``: a whole REST API from one OpenAPI 3 (or Swagger 2) definition.

moto 5.2.5 creates resources, methods and integrations from ``paths`` and little else (no authorizers, no
security, no method parameters, no API-level extensions; Swagger 2 refused). :data:`PATCHES` (part of the
``gateway`` group, :mod:`lab_support.core.patching`) replace its two response handlers with :func:`import_rest_api`
and :func:`put_rest_api`, which build the API through moto's own backend calls (so every part gets moto's
validation) from the definition and API Gateway's extensions
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions.html):

==============================================  ==========================================================
definition                                      becomes
==============================================  ==========================================================
``info.title`` / ``info.description``           the API's name and description (import)
``paths`` → operations, and                     resources (parents first), methods
``x-amazon-apigateway-any-method``              the ``ANY`` method
``parameters`` (path, query, header)            ``method.request.{path|querystring|header}.{name}``: required
``requestBody`` / ``responses`` ``$ref``        ``requestModels`` / ``responseModels`` (``components.schemas``
                                                and Swagger ``definitions`` become models)
``responses`` (status codes), their headers     method responses, ``method.response.header.{name}``
``x-amazon-apigateway-integration``             the integration (``type``, ``httpMethod``, ``uri``,
                                                ``credentials``, ``requestTemplates``, ``requestParameters``,
                                                ``passthroughBehavior``, ``timeoutInMillis``, ``contentHandling``,
                                                ``connectionType``, ``connectionId``, ``integrationTarget`` …) and
                                                its ``responses`` (key = selection pattern, ``default``)
``security`` (operation, else document)         ``authorizationType``, ``authorizerId``, ``authorizationScopes``,
                                                ``apiKeyRequired``
``securitySchemes`` / ``securityDefinitions``   authorizers (``x-amazon-apigateway-authorizer``: ``token``,
with ``x-amazon-apigateway-authorizer``         ``request``, ``cognito_user_pools``; ``authorizerUri``,
                                                ``authorizerCredentials``, ``identitySource``,
                                                ``identityValidationExpression``, ``authorizerResultTtlInSeconds``,
                                                ``providerARNs``; ``x-amazon-apigateway-authtype`` → ``authType``)
an ``apiKey`` scheme ``in: header``,            ``apiKeyRequired`` (an ``apiKey`` scheme whose authtype is
``name: x-api-key``, without authorizer         ``awsSigv4`` means ``AWS_IAM``)
``x-amazon-apigateway-api-key-source``          ``apiKeySource`` (``HEADER`` | ``AUTHORIZER``)
``x-amazon-apigateway-binary-media-types``      ``binaryMediaTypes``
``x-amazon-apigateway-endpoint-configuration``  ``endpointConfiguration`` (``types``, ``vpcEndpointIds``),
                                                ``disableExecuteApiEndpoint``; the import's
                                                ``parameters={"endpointConfigurationTypes": "REGIONAL"}`` too
``x-amazon-apigateway-request-validators``      request validators; ``x-amazon-apigateway-request-validator``
                                                (document default, or per operation) picks one
``x-amazon-apigateway-policy``                  the resource policy
``servers`` / ``host`` / ``basePath``           ignored (the stage decides the URL)
==============================================  ==========================================================

Importing: https://docs.aws.amazon.com/apigateway/latest/developerguide/import-edge-optimized-api.html (and the
regional variant with ``endpointConfigurationTypes``). ``put_rest_api`` ``mode``: ``merge`` (the default) adds to
the API, ``overwrite`` replaces its resources, methods, authorizers and validators
(https://docs.aws.amazon.com/apigateway/latest/api/API_PutRestApi.html). "When an error occurs, the new API
definition is discarded and no change is made to the existing API" and errors are returned as
``BadRequestException`` (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-import-api-errors-warnings.html):
the whole definition is checked before anything is created, and a failure half-way is rolled back. That page
does not give the messages' wording: the texts in :data:`MESSAGES` are this module's own, in AWS's style
(the mode and version texts are moto's). Warnings (``failonwarnings``) are not produced.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lab_support.core import patching

_HTTP_VERBS = ("get", "put", "post", "delete", "options", "head", "patch")
ANY_METHOD = "x-amazon-apigateway-any-method"
_PARAM_WHERE = {"path": "path", "query": "querystring", "header": "header"}
_INTEGRATION_TYPES = ("AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK")
_AUTHORIZER_TYPES = {"token": "TOKEN", "request": "REQUEST", "cognito_user_pools": "COGNITO_USER_POOLS"}
_API_KEY_SOURCES = ("HEADER", "AUTHORIZER")
_ENDPOINT_TYPES = ("EDGE", "REGIONAL", "PRIVATE")

#: The messages of the BadRequestExceptions this module raises. AWS documents that import errors are
#: BadRequestExceptions but not their wording (see the module docstring): these are assumed texts.
MESSAGES = {
    "not_a_definition": "Invalid OpenAPI input: the body is neither an OpenAPI 3 nor a Swagger 2 definition "
                        "(JSON or YAML).",
    "no_title": "Invalid OpenAPI input: info.title is required to name the API.",
    "no_paths": "Invalid OpenAPI input: the definition has no paths object.",
    "bad_path": "Invalid OpenAPI input: path '{path}' must start with '/'.",
    "integration_type": "Unable to put integration on '{method}' for resource at path '{path}': "
                        "Invalid integration type '{value}' (expected one of aws, aws_proxy, http, http_proxy, mock).",
    "authorizer_type": "Unable to create authorizer '{name}': Invalid authorizer type '{value}' "
                       "(expected token, request or cognito_user_pools).",
    "security_scheme": "Unable to put method '{method}' on resource at path '{path}': "
                       "No security definition found for '{value}'.",
    "validator": "Unable to put method '{method}' on resource at path '{path}': "
                 "No request validator named '{value}'.",
    "api_key_source": "Invalid value '{value}' for x-amazon-apigateway-api-key-source (expected HEADER or AUTHORIZER).",
    "endpoint_type": "Invalid endpoint configuration type '{value}' (expected EDGE, REGIONAL or PRIVATE).",
}


def _bad_request(key: str, **values: str) -> Exception:
    from moto.apigateway.exceptions import BadRequestException

    return BadRequestException(MESSAGES[key].format(**values))


# -- reading the definition -----------------------------------------------------------------------------
def parse_definition(body: bytes | str | None) -> dict[str, Any]:
    """The definition in a request body: JSON or YAML, OpenAPI 3.x or Swagger 2.0."""
    import yaml

    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        doc = json.loads(text)
    except ValueError:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            doc = None
    if not isinstance(doc, dict):
        raise _bad_request("not_a_definition")
    version = str(doc.get("openapi") or doc.get("swagger") or "")
    if not (version.startswith("3") or version.startswith("2")):
        raise _bad_request("not_a_definition")
    if not isinstance(doc.get("paths"), dict):
        raise _bad_request("no_paths")
    return doc


def _resolve(doc: dict[str, Any], value: Any) -> Any:
    """A local ``$ref`` (``#/components/parameters/Id``) replaced by what it names (one level is enough here)."""
    if isinstance(value, dict) and isinstance(value.get("$ref"), str) and value["$ref"].startswith("#/"):
        node: Any = doc
        for part in value["$ref"][2:].split("/"):
            node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}
    return value


def _schemas(doc: dict[str, Any]) -> dict[str, Any]:
    """Models: ``components.schemas`` (OpenAPI 3) or ``definitions`` (Swagger 2)."""
    found = (doc.get("components") or {}).get("schemas") or doc.get("definitions") or {}
    return found if isinstance(found, dict) else {}


def _security_schemes(doc: dict[str, Any]) -> dict[str, Any]:
    found = (doc.get("components") or {}).get("securitySchemes") or doc.get("securityDefinitions") or {}
    return found if isinstance(found, dict) else {}


def _model_name(ref: Any) -> str | None:
    if isinstance(ref, dict) and isinstance(ref.get("$ref"), str):
        return ref["$ref"].rsplit("/", 1)[-1]
    return None


@dataclass
class Operation:
    """One method of the definition, read and checked."""

    path: str
    http_method: str  # GET ... or ANY
    spec: dict[str, Any]
    path_parameters: list[Any] = field(default_factory=list)


def operations(doc: dict[str, Any]) -> Iterator[Operation]:
    """Every operation of ``paths``, parents' paths sorted first."""
    for path in sorted(doc["paths"]):
        item = doc["paths"][path] or {}
        if not path.startswith("/"):
            raise _bad_request("bad_path", path=path)
        shared = list(item.get("parameters") or [])
        for key, spec in item.items():
            if key == ANY_METHOD:
                verb = "ANY"
            elif key.lower() in _HTTP_VERBS:
                verb = key.upper()
            else:
                continue  # summary, description, parameters, servers, other x- keys
            yield Operation(path, verb, spec or {}, shared)


# -- security ------------------------------------------------------------------------------------------
@dataclass
class Security:
    """What a security requirement means for a method."""

    authorization_type: str = "NONE"
    authorizer: str | None = None  # scheme name = authorizer name
    scopes: list[str] = field(default_factory=list)
    api_key_required: bool = False


def _is_api_key_scheme(scheme: dict[str, Any]) -> bool:
    """The ``api_key`` scheme: ``type: apiKey``, ``name: x-api-key``, ``in: header``, no authorizer
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-api-key-source.html
    shows it beside ``x-amazon-apigateway-api-key-source``)."""
    return (str(scheme.get("type", "")).lower() == "apikey" and str(scheme.get("name", "")).lower() == "x-api-key"
            and str(scheme.get("in", "")).lower() == "header" and "x-amazon-apigateway-authorizer" not in scheme)


def security_for(doc: dict[str, Any], op: Operation) -> Security:
    """The operation's ``security`` (else the document's): authorizer, scopes, API key, AWS_IAM."""
    requirements = op.spec.get("security", doc.get("security")) or []
    schemes = _security_schemes(doc)
    out = Security()
    for requirement in requirements:
        for name, scopes in (requirement or {}).items():
            scheme = schemes.get(name)
            if not isinstance(scheme, dict):
                raise _bad_request("security_scheme", method=op.http_method, path=op.path, value=name)
            if _is_api_key_scheme(scheme):
                out.api_key_required = True
                continue
            authorizer = scheme.get("x-amazon-apigateway-authorizer")
            if isinstance(authorizer, dict):
                kind = _AUTHORIZER_TYPES.get(str(authorizer.get("type", "")).lower(), "CUSTOM")
                out.authorization_type = "COGNITO_USER_POOLS" if kind == "COGNITO_USER_POOLS" else "CUSTOM"
                out.authorizer = name
                out.scopes = [str(s) for s in scopes or []]
            elif str(scheme.get("x-amazon-apigateway-authtype", "")).lower() == "awssigv4":
                out.authorization_type = "AWS_IAM"  # the sigv4 scheme of exported IAM-authorized methods
    return out


def _identity_source(scheme: dict[str, Any], authorizer: dict[str, Any]) -> str | None:
    """``identitySource``; a ``token`` authorizer without one reads the scheme's header (``name``, ``in: header``)."""
    if authorizer.get("identitySource"):
        return str(authorizer["identitySource"])
    if str(scheme.get("in", "header")).lower() == "header" and scheme.get("name"):
        return f"method.request.header.{scheme['name']}"
    return None


# -- checking before building -----------------------------------------------------------------------------
def check(doc: dict[str, Any], *, needs_title: bool) -> None:
    """Everything that would make the import fail, found before anything is created."""
    if needs_title and not str((doc.get("info") or {}).get("title") or "").strip():
        raise _bad_request("no_title")
    source = doc.get("x-amazon-apigateway-api-key-source")
    if source is not None and str(source).upper() not in _API_KEY_SOURCES:
        raise _bad_request("api_key_source", value=str(source))
    for kind in (doc.get("x-amazon-apigateway-endpoint-configuration") or {}).get("types") or []:
        if str(kind).upper() not in _ENDPOINT_TYPES:
            raise _bad_request("endpoint_type", value=str(kind))
    for name, scheme in _security_schemes(doc).items():
        authorizer = scheme.get("x-amazon-apigateway-authorizer") if isinstance(scheme, dict) else None
        if isinstance(authorizer, dict) and str(authorizer.get("type", "")).lower() not in _AUTHORIZER_TYPES:
            raise _bad_request("authorizer_type", name=name, value=str(authorizer.get("type")))
    validators = doc.get("x-amazon-apigateway-request-validators") or {}
    for op in operations(doc):
        security_for(doc, op)
        chosen = op.spec.get("x-amazon-apigateway-request-validator", doc.get("x-amazon-apigateway-request-validator"))
        if chosen and chosen not in validators:
            raise _bad_request("validator", method=op.http_method, path=op.path, value=str(chosen))
        integration = op.spec.get("x-amazon-apigateway-integration")
        if isinstance(integration, dict) and str(integration.get("type", "")).upper() not in _INTEGRATION_TYPES:
            raise _bad_request("integration_type", method=op.http_method, path=op.path,
                               value=str(integration.get("type")))


# -- building ----------------------------------------------------------------------------------------------
def _resource_for(backend: Any, api: Any, path: str) -> Any:
    """The resource at ``path``, creating missing parents first (moto checks each path part)."""
    node = api.resources[api.root_resource_id]
    for part in [p for p in path.split("/") if p]:
        child = next((r for r in api.resources.values() if r.parent_id == node.id and r.path_part == part), None)
        node = child or backend.create_resource(function_id=api.id, parent_resource_id=node.id, path_part=part)
    return node


def _model_url(api_id: str, name: str) -> str:
    return f"https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}"


def _schema_text(api_id: str, schema: Any) -> str:
    """A schema as a model's JSON Schema (draft 4): ``#/components/schemas/X`` refs become model URLs."""
    text = json.dumps(schema)
    return re.sub(r'"#/(?:components/schemas|definitions)/([^"]+)"', lambda m: json.dumps(_model_url(api_id, m[1])),
                  text)


def _put_models(backend: Any, api: Any, doc: dict[str, Any]) -> None:
    for name, schema in _schemas(doc).items():
        if name in api.models:
            api.models[name].schema = _schema_text(api.id, schema)
            continue
        backend.create_model(api.id, name, "application/json", str((schema or {}).get("description") or ""),
                             _schema_text(api.id, schema))


def _put_validators(backend: Any, api: Any, doc: dict[str, Any]) -> dict[str, str]:
    """``x-amazon-apigateway-request-validators``: name → validator id (existing ones of that name reused)."""
    ids: dict[str, str] = {}
    for name, spec in (doc.get("x-amazon-apigateway-request-validators") or {}).items():
        existing = next((v for v in api.request_validators.values() if v.name == name), None)
        body, params = bool((spec or {}).get("validateRequestBody")), bool((spec or {}).get("validateRequestParameters"))
        if existing is not None:
            existing.validate_request_body, existing.validate_request_parameters = body, params
            ids[name] = existing.id
        else:
            ids[name] = backend.create_request_validator(api.id, name, body, params).id
    return ids


def _put_authorizers(backend: Any, api: Any, doc: dict[str, Any]) -> dict[str, str]:
    """Security schemes with ``x-amazon-apigateway-authorizer``: scheme name → authorizer id
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-authorizer.html)."""
    ids: dict[str, str] = {}
    for name, scheme in _security_schemes(doc).items():
        authorizer = scheme.get("x-amazon-apigateway-authorizer") if isinstance(scheme, dict) else None
        if not isinstance(authorizer, dict):
            continue
        ttl = authorizer.get("authorizerResultTtlInSeconds")
        for old in [a for a in api.authorizers.values() if a.name == name]:  # merge: the definition's wins
            del api.authorizers[old.id]
        created = backend.create_authorizer(
            restapi_id=api.id, name=name, authorizer_type=_AUTHORIZER_TYPES[str(authorizer["type"]).lower()],
            provider_arns=authorizer.get("providerARNs"), auth_type=scheme.get("x-amazon-apigateway-authtype"),
            authorizer_uri=authorizer.get("authorizerUri"), authorizer_credentials=authorizer.get("authorizerCredentials"),
            identity_source=_identity_source(scheme, authorizer),
            identiy_validation_expression=authorizer.get("identityValidationExpression"),  # moto's spelling
            authorizer_result_ttl=None if ttl is None else int(ttl),
        )
        ids[name] = created.id
    return ids


def _request_parameters(doc: dict[str, Any], op: Operation) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for raw in [*op.path_parameters, *(op.spec.get("parameters") or [])]:
        param = _resolve(doc, raw)
        where = _PARAM_WHERE.get(str(param.get("in", "")))
        if where and param.get("name"):
            out[f"method.request.{where}.{param['name']}"] = bool(param.get("required")) or where == "path"
    return out


def _request_models(doc: dict[str, Any], op: Operation) -> dict[str, str]:
    body = _resolve(doc, op.spec.get("requestBody") or {})
    models = {ctype: name for ctype, media in (body.get("content") or {}).items()
              if (name := _model_name((media or {}).get("schema")))}
    for raw in op.spec.get("parameters") or []:  # Swagger 2: an ``in: body`` parameter
        param = _resolve(doc, raw)
        if param.get("in") == "body" and (name := _model_name(param.get("schema"))):
            for ctype in op.spec.get("consumes") or doc.get("consumes") or ["application/json"]:
                models[ctype] = name
    return models


def _put_method_responses(backend: Any, api: Any, resource: Any, op: Operation, doc: dict[str, Any]) -> None:
    for code, raw in (op.spec.get("responses") or {}).items():
        if not str(code).isdigit():
            continue  # "default": no method response of its own
        response = _resolve(doc, raw) or {}
        parameters = {f"method.response.header.{name}": False for name in (response.get("headers") or {})}
        models = {ctype: name for ctype, media in (response.get("content") or {}).items()
                  if (name := _model_name((media or {}).get("schema")))}
        if (name := _model_name(response.get("schema"))) is not None:  # Swagger 2
            models["application/json"] = name
        backend.put_method_response(api.id, resource.id, op.http_method, str(code),
                                    response_models=models or None, response_parameters=parameters or None)


def _enum(value: Any) -> str | None:
    return None if value in (None, "") else str(value).upper()


def _put_integration(backend: Any, api: Any, resource: Any, op: Operation) -> None:
    """``x-amazon-apigateway-integration`` and its ``responses``
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration.html,
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration-responses.html)."""
    spec = op.spec.get("x-amazon-apigateway-integration")
    if not isinstance(spec, dict):
        return
    timeout = spec.get("timeoutInMillis")
    integration = backend.put_integration(
        function_id=api.id, resource_id=resource.id, method_type=op.http_method,
        integration_type=str(spec["type"]).upper(), uri=spec.get("uri"), integration_method=spec.get("httpMethod"),
        credentials=spec.get("credentials"), request_templates=spec.get("requestTemplates"),
        passthrough_behavior=_enum(spec.get("passthroughBehavior")) or "WHEN_NO_MATCH", tls_config=spec.get("tlsConfig"),
        cache_namespace=spec.get("cacheNamespace"), timeout_in_millis=None if timeout is None else int(timeout),
        request_parameters=spec.get("requestParameters"), content_handling=_enum(spec.get("contentHandling")),
        connection_type=_enum(spec.get("connectionType")),
    )
    integration.cache_key_parameters = list(spec.get("cacheKeyParameters") or [])
    # What moto's Integration does not keep (patch_operations and the put_integration patch keep them too).
    integration.connection_id = spec.get("connectionId")
    integration.integration_target = spec.get("integrationTarget")
    for pattern, response in (spec.get("responses") or {}).items():
        response = response or {}
        backend.put_integration_response(
            function_id=api.id, resource_id=resource.id, method_type=op.http_method,
            status_code=str(response.get("statusCode", "200")), selection_pattern="" if pattern == "default" else pattern,
            response_templates=response.get("responseTemplates") or {},
            response_parameters=response.get("responseParameters") or {},
            content_handling=_enum(response.get("contentHandling")),
        )


def _api_settings(api: Any, doc: dict[str, Any], endpoint_types: str | None) -> None:
    """API-level extensions: key source, binary media types, endpoint configuration, policy."""
    source = doc.get("x-amazon-apigateway-api-key-source")
    if source:
        api.api_key_source = str(source).upper()
    media = doc.get("x-amazon-apigateway-binary-media-types")
    if media:
        api.binaryMediaTypes = sorted({*api.binaryMediaTypes, *map(str, media)})
    endpoint = dict(doc.get("x-amazon-apigateway-endpoint-configuration") or {})
    types = [str(t).upper() for t in endpoint.get("types") or []] or (
        [t.strip().upper() for t in endpoint_types.split(",")] if endpoint_types else [])
    for kind in types:
        if kind not in _ENDPOINT_TYPES:
            raise _bad_request("endpoint_type", value=kind)
    if types or endpoint.get("vpcEndpointIds"):
        config = dict(api.endpoint_configuration or {})
        if types:
            config["types"] = types
        if endpoint.get("vpcEndpointIds"):
            config["vpcEndpointIds"] = list(endpoint["vpcEndpointIds"])
        api.endpoint_configuration = config
    if "disableExecuteApiEndpoint" in endpoint:
        api.disableExecuteApiEndpoint = bool(endpoint["disableExecuteApiEndpoint"])
    policy = doc.get("x-amazon-apigateway-policy")
    if policy:
        api.policy = policy if isinstance(policy, str) else json.dumps(policy)


def _clear(api: Any) -> None:
    """``mode=overwrite``: only the root resource is left (without methods); authorizers and validators go."""
    root = api.resources[api.root_resource_id]
    root.resource_methods = {}
    api.resources = {root.id: root}
    api.authorizers = {}
    api.request_validators = {}


def build(backend: Any, api: Any, doc: dict[str, Any], *, endpoint_types: str | None = None) -> None:
    """Apply a checked definition to ``api`` (merge: what the definition names is replaced, the rest kept)."""
    _api_settings(api, doc, endpoint_types)
    _put_models(backend, api, doc)
    validators = _put_validators(backend, api, doc)
    authorizers = _put_authorizers(backend, api, doc)
    default_validator = doc.get("x-amazon-apigateway-request-validator")
    for op in operations(doc):
        resource = _resource_for(backend, api, op.path)
        security = security_for(doc, op)
        validator = op.spec.get("x-amazon-apigateway-request-validator", default_validator)
        backend.put_method(
            api.id, resource.id, op.http_method, security.authorization_type,
            api_key_required=security.api_key_required, request_parameters=_request_parameters(doc, op) or None,
            request_models=_request_models(doc, op) or None, operation_name=op.spec.get("operationId"),
            authorizer_id=authorizers.get(security.authorizer or ""), authorization_scopes=security.scopes or None,
            request_validator_id=validators.get(validator) if validator else None,
        )
        _put_method_responses(backend, api, resource, op, doc)
        _put_integration(backend, api, resource, op)


# -- the two operations ------------------------------------------------------------------------------------
_SAVED = ("resources", "authorizers", "request_validators", "models", "binaryMediaTypes", "api_key_source",
          "endpoint_configuration", "disableExecuteApiEndpoint", "policy")


def _rolled_back(api: Any, change: Callable[[], None]) -> None:
    """Run ``change``; on any error put the API's definition back as it was, then re-raise."""
    saved = {name: copy.deepcopy(getattr(api, name)) for name in _SAVED}
    try:
        change()
    except BaseException:
        for name, value in saved.items():
            setattr(api, name, value)
        raise


def _param(response: Any, name: str) -> str | None:
    values = response.querystring.get(name)
    return str(values[0]) if values else None


def import_rest_api(self: Any) -> tuple[int, dict[str, Any], str]:
    """moto ``APIGatewayResponse.import_rest_api``: ``POST /restapis?mode=import`` with the definition as body."""
    doc = parse_definition(self.body)
    check(doc, needs_title=True)
    info = doc.get("info") or {}
    api = self.backend.create_rest_api(name=str(info["title"]), description=str(info.get("description") or ""))
    try:
        build(self.backend, api, doc, endpoint_types=_param(self, "endpointConfigurationTypes"))
    except BaseException:
        self.backend.apis.pop(api.id, None)  # nothing is left of a failed import
        raise
    return 201, {"status": 201}, json.dumps(api.to_dict())


def put_rest_api(self: Any) -> tuple[int, dict[str, Any], str]:
    """moto ``APIGatewayResponse.put_rest_api``: ``PUT /restapis/{id}?mode=merge|overwrite``."""
    from moto.apigateway.exceptions import InvalidOpenApiModeException

    api_id = self.path.replace("/restapis/", "", 1).split("/")[0]
    mode = _param(self, "mode") or "merge"
    if mode not in ("merge", "overwrite"):
        raise InvalidOpenApiModeException()
    api = self.backend.get_rest_api(api_id)
    doc = parse_definition(self.body)
    check(doc, needs_title=False)

    def change() -> None:
        if mode == "overwrite":
            _clear(api)
        build(self.backend, api, doc, endpoint_types=_param(self, "endpointConfigurationTypes"))

    _rolled_back(api, change)
    return 200, {"status": 200}, json.dumps(api.to_dict())


_RESPONSE = "moto.apigateway.responses:APIGatewayResponse"
PATCHES = [
    patching.Patch(f"{_RESPONSE}.import_rest_api", replacement=import_rest_api, signature=["self"],
                   why="OpenAPI 3 / Swagger 2 import with API Gateway's extensions (authorizers, security, API keys, "
                       "integrations, validators, endpoint configuration)"),
    patching.Patch(f"{_RESPONSE}.put_rest_api", replacement=put_rest_api, signature=["self"],
                   why="the same for an existing API: mode=merge or overwrite, rolled back on error"),
]
"""Declared in the ``gateway`` group (:mod:`lab_support.embedded.apigateway`)."""
