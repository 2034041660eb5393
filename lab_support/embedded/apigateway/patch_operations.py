"""``update_method``, ``update_integration``, ``update_method_response`` and ``update_integration_response``.

moto 5.2.5 stores methods, integrations and their responses but raises ``NotImplementedError``
("The update_integration action has not been implemented") for the four PATCH operations that edit
them. :data:`PATCHES` (part of the ``gateway`` group, :mod:`lab_support.core.patching`) adds them to moto's
``APIGatewayResponse``, so they work through plain boto3 in
the kernel and over the embedded HTTP endpoint alike (both dispatch through that class).

A request is a list of ``patchOperations``, applied in order
(https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateIntegration.html,
https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateMethod.html,
https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateMethodResponse.html,
https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateIntegrationResponse.html). Each has
``op`` (``add``/``remove``/``replace``; ``copy`` is accepted for plain properties), ``path`` (a JSON
Pointer: ``/name`` for a property, ``/name/child~1name`` for a key inside a map, "Any slash ("/")
character appearing in path names must be escaped with "~1"") and ``value`` (always a string)
(https://docs.aws.amazon.com/apigateway/latest/api/API_PatchOperation.html).

Which paths each resource accepts follows AWS's per-resource tables
(http://docs.aws.amazon.com/apigateway/api-reference/link-relation/integration-update/ and the
``method-update`` / ``methodresponse-update`` / ``integrationresponse-update`` pages next to it) as far
as they could be read here; the properties are those of the response shapes on the API_* pages above.
Deliberate simplifications: the value is not checked against each property's enum; an unknown path is
refused with ``BadRequestException`` "Invalid patch path '<path>'" (the exact AWS wording is assumed).

As on AWS, an edit changes the API's definition only: a stage keeps serving its deployment until
you call ``create_deployment`` again (see :func:`lab_support.embedded.apigateway.rest.snapshot_deployment`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lab_support.core import patching

# JSON property -> (moto attribute, converter of the string value)
_Conv = Callable[[str], Any]


def _text(value: str) -> str:
    return value


def _boolean(value: str) -> bool:
    return str(value).strip().lower() == "true"


def _integer(value: str) -> int:
    return int(value)


_METHOD_SCALARS: dict[str, tuple[str, _Conv]] = {
    "authorizationType": ("authorization_type", _text),
    "authorizerId": ("authorizer_id", _text),
    "apiKeyRequired": ("api_key_required", _boolean),
    "operationName": ("operation_name", _text),
    "requestValidatorId": ("request_validator_id", _text),
}
# JSON map property -> (moto attribute, converter of each entry's value)
_METHOD_MAPS: dict[str, tuple[str, _Conv]] = {
    "requestParameters": ("request_parameters", _boolean),  # method.request.querystring.x -> required?
    "requestModels": ("request_models", _text),             # content type -> model name
}

_INTEGRATION_SCALARS: dict[str, tuple[str, _Conv]] = {
    "type": ("integration_type", _text),
    "uri": ("uri", _text),
    "httpMethod": ("http_method", _text),
    "credentials": ("credentials", _text),
    "passthroughBehavior": ("passthrough_behaviour", _text),  # moto spells the attribute this way
    "contentHandling": ("content_handling", _text),
    "cacheNamespace": ("cache_namespace", _text),
    "connectionType": ("connection_type", _text),
    "connectionId": ("connection_id", _text),  # not stored by moto 5.2.5; kept on the object
    "timeoutInMillis": ("timeout_in_millis", _integer),
}
_INTEGRATION_MAPS: dict[str, tuple[str, _Conv]] = {
    "requestTemplates": ("request_templates", _text),    # content type -> mapping template
    "requestParameters": ("request_parameters", _text),  # integration.request.x -> source expression
}

_METHOD_RESPONSE_MAPS: dict[str, tuple[str, _Conv]] = {
    "responseParameters": ("response_parameters", _boolean),
    "responseModels": ("response_models", _text),
}

_INTEGRATION_RESPONSE_SCALARS: dict[str, tuple[str, _Conv]] = {
    "selectionPattern": ("selection_pattern", _text),
    "contentHandling": ("content_handling", _text),
}
_INTEGRATION_RESPONSE_MAPS: dict[str, tuple[str, _Conv]] = {
    "responseTemplates": ("response_templates", _text),
    "responseParameters": ("response_parameters", _text),
}


def _unescape(token: str) -> str:
    """One JSON Pointer reference token: ``~1`` is ``/``, ``~0`` is ``~`` (RFC 6901, in that order)."""
    return token.replace("~1", "/").replace("~0", "~")


def _split(path: str) -> list[str]:
    if not path.startswith("/"):
        return []
    return [_unescape(t) for t in path[1:].split("/")]


def apply(target: Any, operations: list[dict[str, Any]] | None, *, scalars: dict[str, tuple[str, _Conv]],
          maps: dict[str, tuple[str, _Conv]], lists: dict[str, str] | None = None) -> None:
    """Apply API Gateway ``patchOperations`` to a moto model object, in order.

    ``scalars`` are plain properties (``/timeoutInMillis``), ``maps`` are string-keyed maps edited one
    key at a time (``/requestTemplates/application~1json``), ``lists`` are string lists edited one item
    at a time (``/cacheKeyParameters/method.request.path.id``).
    """
    saved = dict(vars(target))  # all or nothing: maps and lists are replaced, never edited in place
    try:
        _apply(target, operations, scalars, maps, lists or {})
    except Exception:
        vars(target).clear()
        vars(target).update(saved)
        raise


def _apply(target: Any, operations: list[dict[str, Any]] | None, scalars: dict[str, tuple[str, _Conv]],
           maps: dict[str, tuple[str, _Conv]], lists: dict[str, str]) -> None:
    from moto.apigateway.exceptions import BadRequestException

    for operation in operations or []:
        op = str(operation.get("op") or "").lower()
        path = str(operation.get("path") or "")
        value = operation.get("value")
        tokens = _split(path)
        if op not in ("add", "remove", "replace", "copy") or not tokens:
            raise BadRequestException(f"Invalid patch operation specified. Must be 'add'|'remove'|'replace'|'copy' "
                                      f"with a path, got op '{op}' and path '{path}'")
        name = tokens[0]
        if name in scalars and len(tokens) == 1:
            attr, convert = scalars[name]
            if op == "remove":
                setattr(target, attr, None)
            elif op == "copy":
                source = _split(str(operation.get("from") or ""))
                if len(source) != 1 or source[0] not in scalars:
                    raise BadRequestException(f"Invalid patch path '{operation.get('from')}'")
                setattr(target, attr, getattr(target, scalars[source[0]][0], None))
            else:
                if value is None:
                    raise BadRequestException(f"Invalid patch operation: a value is required for '{op}' on '{path}'")
                try:
                    setattr(target, attr, convert(value))
                except ValueError:
                    raise BadRequestException(f"Invalid value '{value}' for '{path}'") from None
            continue
        if name in maps and len(tokens) >= 2:
            attr, convert = maps[name]
            key = "/".join(tokens[1:])  # an unescaped '/' inside the key (rare) is kept as written
            current = dict(getattr(target, attr, None) or {})
            if op == "remove":
                current.pop(key, None)
            elif op in ("add", "replace"):
                # A mapping template or model may be added without a value (the CLI's "Input Passthrough").
                current[key] = convert(value) if value is not None else (None if convert is _text else True)
            else:
                raise BadRequestException(f"Invalid patch operation '{op}' for path '{path}'")
            setattr(target, attr, current or None)
            continue
        if name in lists:
            attr = lists[name]
            items = list(getattr(target, attr, None) or [])
            item = "/".join(tokens[1:]) if len(tokens) >= 2 else (value or "")
            if op == "remove":
                items = [i for i in items if i != item] if item else []
            elif op in ("add", "replace") and item and item not in items:
                items.append(item)
            setattr(target, attr, items)
            continue
        raise BadRequestException(f"Invalid patch path '{path}'")


def _ids(path: str) -> tuple[str, str, str, str]:
    """(rest api id, resource id, HTTP method, status code or "") from a PATCH request path."""
    parts = path.split("?", 1)[0].split("/")
    status = parts[9] if len(parts) > 9 and parts[7:9] == ["integration", "responses"] else (
        parts[8] if len(parts) > 8 and parts[7] == "responses" else "")
    return parts[2], parts[4], parts[6], status


def _patches(response: Any) -> list[dict[str, Any]]:
    operations = response._get_param("patchOperations")
    if operations is None and response.body:
        operations = json.loads(response.body).get("patchOperations")
    return list(operations or [])


def update_method(self: Any) -> tuple[int, dict[str, Any], str]:
    """moto ``APIGatewayResponse.update_method``: PATCH .../methods/{http_method}."""
    from moto.apigateway.exceptions import RequestValidatorNotFound

    api_id, resource_id, verb, _ = _ids(self.path)
    method = self.backend.get_method(api_id, resource_id, verb)
    before = method.request_validator_id
    apply(method, _patches(self), scalars=_METHOD_SCALARS, maps=_METHOD_MAPS,
          lists={"authorizationScopes": "authorization_scopes"})
    validator = method.request_validator_id
    if validator and validator not in self.backend.get_rest_api(api_id).request_validators:
        # The id must name one of the API's validators (moto's error text for that case:
        # "Invalid Request Validator Id specified"); the method is left as it was.
        method.request_validator_id = before
        raise RequestValidatorNotFound()
    return 200, {"status": 200}, json.dumps(method.to_json())


def update_integration(self: Any) -> tuple[int, dict[str, Any], str]:
    """moto ``APIGatewayResponse.update_integration``: PATCH .../methods/{http_method}/integration."""
    from moto.apigateway.exceptions import NoIntegrationDefined

    api_id, resource_id, verb, _ = _ids(self.path)
    integration = self.backend.get_integration(api_id, resource_id, verb)
    if integration is None:
        raise NoIntegrationDefined()
    apply(integration, _patches(self), scalars=_INTEGRATION_SCALARS, maps=_INTEGRATION_MAPS,
          lists={"cacheKeyParameters": "cache_key_parameters"})
    body = integration.to_json()
    if getattr(integration, "connection_id", None):
        body["connectionId"] = integration.connection_id
    return 200, {"status": 200}, json.dumps(body)


def update_method_response(self: Any) -> tuple[int, dict[str, Any], str]:
    """moto ``APIGatewayResponse.update_method_response``: PATCH .../methods/{http_method}/responses/{code}."""
    from moto.apigateway.exceptions import NotFoundException

    api_id, resource_id, verb, status = _ids(self.path)
    method_response = self.backend.get_method_response(api_id, resource_id, verb, status)
    if method_response is None:
        raise NotFoundException("Invalid Response status code specified")
    apply(method_response, _patches(self), scalars={}, maps=_METHOD_RESPONSE_MAPS)
    return 200, {"status": 200}, json.dumps(method_response.to_json())


def update_integration_response(self: Any) -> tuple[int, dict[str, Any], str]:
    """moto ``APIGatewayResponse.update_integration_response``: PATCH .../integration/responses/{code}."""
    api_id, resource_id, verb, status = _ids(self.path)
    integration_response = self.backend.get_integration_response(api_id, resource_id, verb, status)
    apply(integration_response, _patches(self), scalars=_INTEGRATION_RESPONSE_SCALARS,
          maps=_INTEGRATION_RESPONSE_MAPS)
    if integration_response.response_templates is None:
        integration_response.response_templates = {}
    return 200, {"status": 200}, json.dumps(integration_response.to_json())


_RESPONSE = "moto.apigateway.responses:APIGatewayResponse"
PATCHES = [
    patching.Patch(f"{_RESPONSE}.{function.__name__}", replacement=function,
                   why="added: moto 5.2.5 lacks it (a later moto's own would be kept)")
    for function in (update_method, update_integration, update_method_response, update_integration_response)
]
"""The four operations, declared in the ``gateway`` group (``signature=None``: moto lacks them)."""
