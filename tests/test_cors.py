"""CORS: REST preflights through a MOCK OPTIONS method and its classic mistakes; HTTP APIs' CorsConfiguration."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from gateway_support import REGION
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

import lab_support as lab
from lab_support.course.api_builders import lambda_uri

ORIGIN = "https://app.example.com"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


@pytest.fixture(scope="module")
def cors_backend() -> Iterator[str]:
    """A loopback backend that answers with its own (wrong) CORS header and counts its calls."""
    calls: list[str] = []

    @Request.application
    def app(request: Request) -> Response:
        calls.append(request.method)
        return Response(json.dumps({"method": request.method, "calls": len(calls)}), content_type="application/json",
                        headers={"Access-Control-Allow-Origin": "https://backend.example", "X-Backend": "yes"})

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


# -- REST: the OPTIONS method answers the preflight ------------------------------------------------
def _rest_api(aws: lab.Session, backend: str, *, options_key_required: bool = False) -> str:
    apig = aws.client("apigateway")
    api_id = apig.create_rest_api(name="cors")["id"]
    root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
    items = apig.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    apig.put_method(restApiId=api_id, resourceId=items, httpMethod="OPTIONS", authorizationType="NONE",
                    apiKeyRequired=options_key_required)
    apig.put_integration(restApiId=api_id, resourceId=items, httpMethod="OPTIONS", type="MOCK",
                         requestTemplates={"application/json": '{"statusCode": 200}'})
    allow = {f"method.response.header.Access-Control-Allow-{h}": True for h in ("Origin", "Methods", "Headers")}
    apig.put_method_response(restApiId=api_id, resourceId=items, httpMethod="OPTIONS", statusCode="200",
                             responseParameters=allow)
    apig.put_integration_response(restApiId=api_id, resourceId=items, httpMethod="OPTIONS", statusCode="200",
                                  responseTemplates={"application/json": ""}, responseParameters={
                                      "method.response.header.Access-Control-Allow-Origin": f"'{ORIGIN}'",
                                      "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
                                      "method.response.header.Access-Control-Allow-Headers": "'content-type,x-api-key'"})
    apig.put_method(restApiId=api_id, resourceId=items, httpMethod="POST", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=items, httpMethod="POST", type="HTTP_PROXY",
                         integrationHttpMethod="POST", uri=f"{backend}/items")
    apig.create_deployment(restApiId=api_id, stageName="dev")
    return str(api_id)


def _rest(api_id: str, method: str, headers: dict[str, str]) -> requests.Response:
    return requests.request(method, f"https://{api_id}.execute-api.{REGION}.amazonaws.com/dev/items", headers=headers,
                            timeout=10)


def test_rest_preflight_answered_by_the_mock_options_method(aws: lab.Session, cors_backend: str) -> None:
    api_id = _rest_api(aws, cors_backend)
    answer = _rest(api_id, "OPTIONS", PREFLIGHT)
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert answer.headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"
    assert answer.headers["Access-Control-Allow-Headers"] == "content-type,x-api-key"


def test_rest_proxy_response_carries_only_what_the_backend_sets(aws: lab.Session, cors_backend: str) -> None:
    api_id = _rest_api(aws, cors_backend)
    answer = _rest(api_id, "POST", {"Origin": ORIGIN})
    assert answer.status_code == 200
    # the backend's own (wrong) origin, untouched: the gateway adds nothing for a REST proxy integration
    assert answer.headers["Access-Control-Allow-Origin"] == "https://backend.example"
    assert "Access-Control-Allow-Methods" not in answer.headers


def test_rest_preflight_refused_when_options_requires_an_api_key(aws: lab.Session, cors_backend: str) -> None:
    api_id = _rest_api(aws, cors_backend, options_key_required=True)
    answer = _rest(api_id, "OPTIONS", PREFLIGHT)  # browsers never send x-api-key on a preflight
    assert (answer.status_code, answer.text) == (403, '{"message":"Forbidden"}')
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_rest_preflight_refused_when_options_has_an_authorizer(aws: lab.Session, cors_backend: str) -> None:
    apig = aws.client("apigateway")
    api_id = _rest_api(aws, cors_backend)
    items = next(r["id"] for r in apig.get_resources(restApiId=api_id)["items"] if r["path"] == "/items")
    function = f"arn:aws:lambda:{REGION}:123456789012:function:never-called"
    auth_id = apig.create_authorizer(
        restApiId=api_id, name="token", type="TOKEN", identitySource="method.request.header.Authorization",
        authorizerUri=lambda_uri(function, REGION))["id"]
    apig.update_method(restApiId=api_id, resourceId=items, httpMethod="OPTIONS", patchOperations=[
        {"op": "replace", "path": "/authorizationType", "value": "CUSTOM"},
        {"op": "replace", "path": "/authorizerId", "value": auth_id}])
    apig.create_deployment(restApiId=api_id, stageName="dev")
    answer = _rest(api_id, "OPTIONS", PREFLIGHT)  # a preflight never carries Authorization
    assert (answer.status_code, answer.text) == (401, '{"message":"Unauthorized"}')
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_rest_preflight_without_an_options_method(aws: lab.Session, cors_backend: str) -> None:
    apig = aws.client("apigateway")
    api_id = _rest_api(aws, cors_backend)
    items = next(r["id"] for r in apig.get_resources(restApiId=api_id)["items"] if r["path"] == "/items")
    apig.delete_method(restApiId=api_id, resourceId=items, httpMethod="OPTIONS")
    apig.create_deployment(restApiId=api_id, stageName="dev")
    answer = _rest(api_id, "OPTIONS", PREFLIGHT)
    assert (answer.status_code, answer.text) == (403, '{"message":"Missing Authentication Token"}')


# -- HTTP APIs: CorsConfiguration --------------------------------------------------------------------
CORS = {"AllowOrigins": [ORIGIN], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["content-type", "authorization"],
        "ExposeHeaders": ["x-backend"], "MaxAge": 300, "AllowCredentials": True}


def _http_api(aws: lab.Session, backend: str, cors: dict[str, Any] | None = CORS, options_route: bool = False) -> str:
    v2 = aws.client("apigatewayv2")
    kwargs: dict[str, Any] = {"CorsConfiguration": cors} if cors else {}
    api_id = v2.create_api(Name="cors", ProtocolType="HTTP", **kwargs)["ApiId"]
    integration = v2.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                        IntegrationUri=f"{backend}/any", PayloadFormatVersion="1.0")["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="ANY /items", Target=f"integrations/{integration}")
    if options_route:
        v2.create_route(ApiId=api_id, RouteKey="OPTIONS /items", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return str(api_id)


def _http(api_id: str, method: str, headers: dict[str, str]) -> requests.Response:
    return requests.request(method, f"https://{api_id}.execute-api.{REGION}.amazonaws.com/items", headers=headers,
                            timeout=10)


def test_http_preflight_answered_by_the_gateway(aws: lab.Session, cors_backend: str) -> None:
    api_id = _http_api(aws, cors_backend)
    answer = _http(api_id, "OPTIONS", PREFLIGHT)
    assert (answer.status_code, answer.content) == (204, b"")
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert answer.headers["access-control-allow-methods"] == "GET,POST"
    assert answer.headers["access-control-allow-headers"] == "content-type,authorization"
    assert answer.headers["access-control-max-age"] == "300"
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "X-Backend" not in answer.headers  # the integration was not invoked
    # an origin that is not allowed: no Access-Control-Allow-Origin, so the browser refuses
    other = _http(api_id, "OPTIONS", {**PREFLIGHT, "Origin": "https://evil.example"})
    assert other.status_code == 204 and "access-control-allow-origin" not in other.headers


def test_http_actual_response_gets_the_configured_headers_not_the_backends(aws: lab.Session, cors_backend: str) -> None:
    api_id = _http_api(aws, cors_backend)
    answer = _http(api_id, "POST", {"Origin": ORIGIN})
    assert answer.status_code == 200 and answer.headers["X-Backend"] == "yes"
    assert answer.headers["access-control-allow-origin"] == ORIGIN  # not https://backend.example
    assert answer.headers["access-control-expose-headers"] == "x-backend"
    assert answer.headers["access-control-allow-credentials"] == "true"
    without_origin = _http(api_id, "POST", {})
    assert "access-control-allow-origin" not in without_origin.headers


def test_http_options_without_preflight_headers_or_with_an_options_route_reaches_the_route(
        aws: lab.Session, cors_backend: str) -> None:
    api_id = _http_api(aws, cors_backend)
    plain = _http(api_id, "OPTIONS", {"Origin": ORIGIN})  # no Access-Control-Request-Method: not a preflight
    assert plain.status_code == 200 and plain.json()["method"] == "OPTIONS"
    routed = _http(_http_api(aws, cors_backend, options_route=True), "OPTIONS", PREFLIGHT)
    assert routed.status_code == 200 and routed.json()["method"] == "OPTIONS"
    assert routed.headers["access-control-allow-origin"] == ORIGIN


def test_http_without_cors_configuration_passes_the_backend_headers(aws: lab.Session, cors_backend: str) -> None:
    api_id = _http_api(aws, cors_backend, cors=None)
    answer = _http(api_id, "POST", {"Origin": ORIGIN})
    assert answer.headers["Access-Control-Allow-Origin"] == "https://backend.example"
    assert _http(api_id, "OPTIONS", PREFLIGHT).status_code == 200  # ANY /items serves OPTIONS
