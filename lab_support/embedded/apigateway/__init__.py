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

from typing import Any

from lab_support.core import patching
from lab_support.core.session import Session
from lab_support.embedded.apigateway import (
    authorizers,
    backends,
    canary,
    doors,
    logs,
    openapi_import,
    rest,
    tagging,
    usage_plans,
    v2_deployments,
    vpc_links,
    waf,
    xray,
)
from lab_support.embedded.apigateway import patch_operations as patch_ops
from lab_support.embedded.apigateway import websocket as websocket_apis
from lab_support.embedded.apigateway.backends import register_private_backend
from lab_support.embedded.apigateway.doors import URL_RE, handle, responses_callback

__all__ = ["execution_log_group", "handle", "install", "register_private_backend"]

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


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
    doors.CONFIG.account_id = session.account_id
    doors.CONFIG.region = session.region
    doors.CONFIG.endpoint_url = session.endpoint_url or ""
    patching.apply(PATCHES)  # moto's API Gateway modules get them when first imported; lab.stop() undoes them
    session.server.mount("gateway", doors.is_gateway_environ, doors.wsgi_app, public=True)  # like a public API
    session.on_reset(_after_reset)
    session.on_stop(_after_stop)
    websocket_apis.install(session)  # WebSocket APIs: ws:// endpoint (on first use) and the Management API


def _register_responses() -> list[Any]:
    """Door 1: a ``responses`` callback on moto's mock for every execute-api URL (returns them; idempotent).

    moto's registry prefers plain ``responses.CallbackResponse`` objects, in registration order
    (moto/core/responses_custom_registry.py); ours is registered first and moto no longer adds its own.
    """
    import responses
    from moto.core.models import responses_mock

    ours = []
    for method in _METHODS:
        found = [r for r in responses_mock.registered() if getattr(r, "callback", None) is responses_callback
                 and r.method == method]
        if not found:
            found = [responses_mock.add(responses.CallbackResponse(method=method, url=URL_RE, callback=responses_callback,
                                                                   content_type=None))]
        ours += found
    return ours


def _unregister_responses(ours: list[Any]) -> None:
    """Remove our callbacks (moto's reset and stop empty the registry too: then nothing is left to do).

    ``responses`` removes what equals ours: the same method and URL pattern, which only ours use.
    """
    from moto.core.models import responses_mock

    for response in ours:
        responses_mock.remove(response)


def _after_reset() -> None:
    rest.reset()
    authorizers.clear_cache()
    v2_deployments.reset()
    usage_plans.reset()
    waf.reset()
    logs.reset()
    backends.clear_private_backends()
    patching.renew(PATCHES)  # moto's reset empties the responses registry: register the callbacks again


def _after_stop() -> None:
    rest.reset()
    v2_deployments.reset()


# -- the patches (moto's control plane) --------------------------------------------------------------------------
def _no_integration_mocks(self: Any, stage_name: str) -> None:
    """moto registers its own (partial) execute-api mocks at deploy time; ours (door 1) replace them."""


def _wrap_rest_create_deployment(original: Any) -> Any:
    def create_deployment(self: Any, *args: Any, **kwargs: Any) -> Any:
        deployment = original(self, *args, **kwargs)
        rest.snapshot_deployment(self, deployment.id)
        return deployment

    return create_deployment


def _wrap_create_rest_api(original: Any) -> Any:
    def create_rest_api(self: Any) -> Any:
        status, headers, body = original(self)
        media = self._get_param("binaryMediaTypes")
        if media and status == 200:
            import json

            api = self.backend.apis.get(json.loads(body).get("id"))
            if api is not None and not api.binaryMediaTypes:
                api.binaryMediaTypes = list(media)
                body = json.dumps(api.to_dict())
        return status, headers, body

    return create_rest_api


def _wrap_create_api(original: Any) -> Any:
    def create_api(self: Any) -> Any:
        status, headers, body = original(self)
        _quick_create(self, body)
        return status, headers, body

    return create_api


PATCHES = patching.group("gateway", [
    patching.Registration("moto.core.models:responses_mock", add=_register_responses, remove=_unregister_responses,
                          why="door 1: execute-api URL callbacks (registered again after lab.reset())"),
    patching.Patch("moto.apigateway.models:RestAPI.update_integration_mocks", replacement=_no_integration_mocks,
                   signature=["self", "stage_name"], why="moto's own execute-api mocks are not registered"),
    patching.Patch("moto.apigateway.models:RestAPI.create_deployment", wrap=_wrap_rest_create_deployment,
                   signature=["self", "name", "description", "stage_variables"],
                   why="snapshots the API's resources: a stage serves its deployment"),
    patching.Patch("moto.apigateway.responses:APIGatewayResponse.create_rest_api", wrap=_wrap_create_rest_api,
                   signature=["self"], why="keeps binaryMediaTypes (moto drops them)"),
    patching.Patch("moto.apigatewayv2.responses:ApiGatewayV2Response.create_api", wrap=_wrap_create_api,
                   signature=["self"], why="quick create (`Target=`): route, integration and `$default` stage"),
    *v2_deployments.PATCHES,
    *patch_ops.PATCHES,
    *openapi_import.PATCHES,
    *vpc_links.PATCHES,
    *websocket_apis.PATCHES,
    *authorizers.PATCHES,
    *usage_plans.PATCHES,
    *tagging.PATCHES,
    *canary.PATCHES,
    *waf.PATCHES,
    *xray.PATCHES,
])


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
