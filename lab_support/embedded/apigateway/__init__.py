"""The local API Gateway data plane: deployed REST and HTTP APIs answer as on AWS.

moto stores API definitions (``apigateway`` and ``apigatewayv2``) but answers few requests to
them. This package serves them. Define an API with plain boto3, deploy it to a stage, then call

* ``requests.get(f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/items")`` in the kernel,
* ``aws.stage_url(api_id, stage, "items")`` (``{aws.gateway_url}/restapis/{api_id}/{stage}/_user_request_/items``)
  from curl, Postman, a browser or another process, or
* ``{aws.gateway_url}/{stage}/items`` with the header ``Host: {api_id}.execute-api.{region}.amazonaws.com``.

It attaches itself to every embedded session through ``lab_support.register_extension("gateway", install)``.

Public API:

* :func:`install` – attach to a session (done for you by ``lab.start()``)
* :func:`handle` – the request handler itself (werkzeug ``Request`` → ``Response``)
* :func:`register_private_backend` – a loopback server standing in for a VPC link target
* :func:`execution_log_group` – the REST execution log group name of a stage
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from lab_support.embedded.apigateway.backends import register_private_backend
from lab_support.embedded.apigateway.doors import handle

if TYPE_CHECKING:
    from lab_support.core.session import Session

__all__ = ["execution_log_group", "handle", "install", "register_private_backend"]

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_PATCHED: dict[str, Any] = {}


def execution_log_group(api_id: str, stage: str) -> str:
    """``API-Gateway-Execution-Logs_{apiId}/{stage}``, where REST execution logs go."""
    return f"API-Gateway-Execution-Logs_{api_id}/{stage}"


def install(session: Session) -> None:
    """Attach the gateway to ``session`` (embedded backend only).

    * serves the three doors (see the module docstring);
    * replaces moto's own execute-api handling (``RestAPI.update_integration_mocks``);
    * snapshots a REST API's resources at ``create_deployment``, and gives HTTP APIs the
      deployments moto lacks (:mod:`lab_support.embedded.apigateway.v2_deployments`);
    * implements the REST PATCH operations moto lacks (``update_method``, ``update_integration``,
      ``update_method_response``, ``update_integration_response``: :mod:`lab_support.embedded.apigateway.patch_operations`);
    * makes HTTP API quick create (``create_api(Target=...)``) build its route, integration and
      ``$default`` stage, as AWS does;
    * re-registers itself after ``lab.reset()``.
    """
    if session.backend != "moto":
        return
    from lab_support.embedded.apigateway import doors

    doors.CONFIG.account_id = session.account_id
    doors.CONFIG.region = session.region
    doors.CONFIG.endpoint_url = session.endpoint_url or ""
    _patch_moto()
    _register_responses()
    session.server.mount("gateway", doors.is_gateway_environ, doors.wsgi_app)
    session.on_reset(_after_reset)
    session.on_stop(_after_stop)


def _register_responses() -> None:
    """Door 1: a ``responses`` callback on moto's mock for every execute-api URL.

    moto's registry prefers plain ``responses.CallbackResponse`` objects, in registration order
    (moto/core/responses_custom_registry.py); ours is registered first and moto no longer adds its own.
    """
    import responses
    from moto.core.models import responses_mock

    from lab_support.embedded.apigateway.doors import URL_RE, responses_callback

    registered = getattr(responses_mock, "_registry", None)
    existing = registered.registered if registered is not None else []
    for method in _METHODS:
        if any(getattr(r, "callback", None) is responses_callback and r.method == method for r in existing):
            continue
        responses_mock.add(responses.CallbackResponse(method=method, url=URL_RE, callback=responses_callback,
                                                      content_type=None))


def _after_reset() -> None:
    from lab_support.embedded.apigateway import backends, logs, rest, v2_deployments

    rest.reset()
    v2_deployments.reset()
    logs.reset()
    backends.clear_private_backends()
    _register_responses()  # moto's reset empties the responses registry


def _after_stop() -> None:
    from lab_support.embedded.apigateway import rest, v2_deployments

    rest.reset()
    v2_deployments.reset()


def _patch_moto() -> None:
    """Small, idempotent patches of moto's control plane."""
    if _PATCHED:
        return
    from moto.apigateway.models import RestAPI
    from moto.apigateway.responses import APIGatewayResponse
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    from lab_support.embedded.apigateway import patch_operations as patch_ops
    from lab_support.embedded.apigateway import rest, v2_deployments

    v2_deployments.install()
    # update_method / update_integration / update_method_response / update_integration_response,
    # which moto 5.2.5 leaves unimplemented (lab_support/gateway/patch_ops.py).
    patch_ops.install()

    # moto registers its own (partial) execute-api mocks at deploy time; ours replace them.
    _PATCHED["update_integration_mocks"] = RestAPI.update_integration_mocks
    RestAPI.update_integration_mocks = lambda self, stage_name: None  # type: ignore[method-assign]

    original_deploy = RestAPI.create_deployment
    _PATCHED["create_deployment"] = original_deploy

    @functools.wraps(original_deploy)
    def create_deployment(self: Any, *args: Any, **kwargs: Any) -> Any:
        deployment = original_deploy(self, *args, **kwargs)
        rest.snapshot_deployment(self, deployment.id)
        return deployment

    RestAPI.create_deployment = create_deployment  # type: ignore[method-assign]

    # moto drops create_rest_api's binaryMediaTypes (update_rest_api keeps them): keep them here.
    original_create_rest_api = APIGatewayResponse.create_rest_api
    _PATCHED["create_rest_api"] = original_create_rest_api

    @functools.wraps(original_create_rest_api)
    def create_rest_api(self: Any) -> Any:
        status, headers, body = original_create_rest_api(self)
        media = self._get_param("binaryMediaTypes")
        if media and status == 200:
            import json

            api = self.backend.apis.get(json.loads(body).get("id"))
            if api is not None and not api.binaryMediaTypes:
                api.binaryMediaTypes = list(media)
                body = json.dumps(api.to_dict())
        return status, headers, body

    APIGatewayResponse.create_rest_api = create_rest_api  # type: ignore[method-assign]

    original_create_api = ApiGatewayV2Response.create_api
    _PATCHED["create_api"] = original_create_api

    @functools.wraps(original_create_api)
    def create_api(self: Any) -> Any:
        status, headers, body = original_create_api(self)
        _quick_create(self, body)
        return status, headers, body

    ApiGatewayV2Response.create_api = create_api  # type: ignore[method-assign]


def _quick_create(response: Any, body: str) -> None:
    """``create_api(Target=...)``: a default route, an integration and an auto-deploying ``$default`` stage.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop.html#http-api-examples
    (quick create: "creates an integration, a default catch-all route, and a default stage that is
    configured to automatically deploy changes"). Lambda targets get payload format 2.0.
    """
    import json

    params = json.loads(response.body or "{}")
    target = params.get("target")
    if not target or params.get("protocolType") != "HTTP":
        return
    api = response.apigatewayv2_backend.apis[json.loads(body)["apiId"]]
    is_lambda = target.startswith("arn:") and ":lambda:" in target
    integration = api.create_integration(
        connection_type="INTERNET", description="", integration_method="POST" if is_lambda else "ANY",
        integration_type="AWS_PROXY" if is_lambda else "HTTP_PROXY", integration_uri=target,
        credentials_arn=params.get("credentialsArn"), payload_format_version="2.0" if is_lambda else "1.0",
    )
    api.create_route(api_key_required=False, authorization_scopes=[], route_key=params.get("routeKey") or "$default",
                     target=f"integrations/{integration.id}")
    api.create_stage({"stageName": "$default", "autoDeploy": True})
