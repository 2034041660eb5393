"""The local API Gateway data plane for HTTP APIs (apigatewayv2), over all three doors."""

from __future__ import annotations

from typing import Any

import requests
from gateway_support import ACCOUNT, REGION, lambda_function

import lab_support as lab

DOORS = ("kernel", "loopback", "host")


def call(aws: lab.Session, method: str, api_id: str, stage: str, path: str, door: str = "kernel",
         **kwargs: Any) -> requests.Response:
    """Call ``path`` on a stage through one of the three doors."""
    headers = kwargs.pop("headers", {})
    prefix = "" if stage == "$default" else f"/{stage}"
    if door == "kernel":
        target = f"https://{api_id}.execute-api.{REGION}.amazonaws.com{prefix}/{path.lstrip('/')}"
    elif door == "loopback":
        target = aws.stage_url(api_id, stage, path, http_api=True)
    else:
        target = f"{aws.gateway_url}{prefix}/{path.lstrip('/')}"
        headers = {**headers, "Host": f"{api_id}.execute-api.{REGION}.amazonaws.com"}
    return requests.request(method, target, headers=headers, timeout=30, **kwargs)


def http_api(aws: lab.Session, routes: dict[str, dict[str, Any]], stage: str = "$default",
             stage_variables: dict[str, str] | None = None) -> tuple[Any, str]:
    """An HTTP API with one integration per route key, and an auto-deploying stage."""
    v2 = aws.client("apigatewayv2")
    api_id = v2.create_api(Name="h", ProtocolType="HTTP")["ApiId"]
    for route_key, integration in routes.items():
        integration_id = v2.create_integration(ApiId=api_id, **integration)["IntegrationId"]
        v2.create_route(ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration_id}")
    v2.create_stage(ApiId=api_id, StageName=stage, AutoDeploy=True, StageVariables=stage_variables or {})
    return v2, api_id


def lambda_integration(arn: str, version: str = "2.0") -> dict[str, Any]:
    return {"IntegrationType": "AWS_PROXY", "IntegrationUri": arn, "PayloadFormatVersion": version}


ECHO = '''
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "cookies": ["s=1", "t=2"],
            "body": json.dumps(event)}
'''


def test_routes_pick_the_most_specific_match_then_default(aws: lab.Session, backend: str, door: str) -> None:
    proxy = {"IntegrationType": "HTTP_PROXY", "IntegrationMethod": "ANY", "PayloadFormatVersion": "1.0"}
    _v2, api_id = http_api(aws, {
        "GET /items/{id}": {**proxy, "IntegrationUri": f"{backend}/one/{{id}}"},
        "GET /items/special": {**proxy, "IntegrationUri": f"{backend}/special"},
        "ANY /items/{proxy+}": {**proxy, "IntegrationUri": f"{backend}/greedy/{{proxy}}"},
        "$default": {**proxy, "IntegrationUri": f"{backend}/default"},
    })
    assert call(aws, "GET", api_id, "$default", "items/7", door).json()["path"] == "/one/7"
    assert call(aws, "GET", api_id, "$default", "items/special", door).json()["path"] == "/special"
    echoed = call(aws, "POST", api_id, "$default", "items/7/parts?a=1&a=2", door, data="x").json()
    assert echoed["path"] == "/greedy/7/parts" and echoed["method"] == "POST" and echoed["query"] == {"a": ["1", "2"]}
    assert echoed["body"] == "x"
    assert call(aws, "DELETE", api_id, "$default", "elsewhere", door).json()["path"] == "/default"


def test_no_route_is_404_not_found(aws: lab.Session, backend: str, door: str) -> None:
    _v2, api_id = http_api(aws, {"GET /only": {"IntegrationType": "HTTP_PROXY", "IntegrationMethod": "GET",
                                               "IntegrationUri": f"{backend}/x", "PayloadFormatVersion": "1.0"}},
                           stage="prod")
    resp = call(aws, "GET", api_id, "prod", "other", door)
    assert resp.status_code == 404 and resp.json() == {"message": "Not Found"}
    assert call(aws, "GET", api_id, "prod", "only", door).status_code == 200


def test_payload_2_0_event_shape(aws: lab.Session, door: str) -> None:
    arn = lambda_function(aws, "echo2", ECHO)
    _v2, api_id = http_api(aws, {"POST /items/{id}": lambda_integration(arn)}, stage="prod",
                           stage_variables={"env": "prod"})
    resp = call(aws, "POST", api_id, "prod", "items/9?a=1&a=2&b=3", door, data="hello",
                headers={"Cookie": "c1=v1; c2=v2", "X-Custom": "x", "Content-Type": "text/plain"})
    assert resp.status_code == 200
    assert resp.raw.headers.getlist("Set-Cookie") == ["s=1", "t=2"]
    event = resp.json()
    assert event["version"] == "2.0" and event["routeKey"] == "POST /items/{id}"
    assert event["rawPath"] == "/prod/items/9" and event["rawQueryString"] == "a=1&a=2&b=3"
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-custom"] == "x" and "cookie" not in event["headers"]
    assert event["queryStringParameters"] == {"a": "1,2", "b": "3"}
    assert event["pathParameters"] == {"id": "9"} and event["stageVariables"] == {"env": "prod"}
    assert event["body"] == "hello" and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert {"accountId", "apiId", "domainName", "domainPrefix", "http", "requestId", "routeKey", "stage", "time",
            "timeEpoch"} <= set(ctx)
    assert ctx["http"] == {"method": "POST", "path": "/prod/items/9", "protocol": "HTTP/1.1",
                           "sourceIp": "127.0.0.1", "userAgent": ctx["http"]["userAgent"]}
    assert ctx["stage"] == "prod" and ctx["apiId"] == api_id
    assert ctx["domainName"] == f"{api_id}.execute-api.{REGION}.amazonaws.com"


# A handler that routes on rawPath, as Powertools' APIGatewayHttpResolver does: "/plain/" would be a 404.
ROUTER = '''
import json
ROUTES = {"/plain": "plain", "/a/b": "two segments", "/": "root"}
def handler(event, context):
    name = ROUTES.get(event["rawPath"])
    if name is None:
        return {"statusCode": 404, "body": json.dumps({"rawPath": event["rawPath"]})}
    return {"statusCode": 200, "body": json.dumps({"route": name, "rawPath": event["rawPath"],
                                                   "path": event["requestContext"]["http"]["path"]})}
'''


def test_default_stage_passes_the_path_as_sent(aws: lab.Session, door: str) -> None:
    """``$default``: ``GET /plain`` reaches the function as ``rawPath`` ``/plain`` on every door (not ``/plain/``)."""
    arn = lambda_function(aws, "router", ROUTER)
    _v2, api_id = http_api(aws, {"$default": lambda_integration(arn)})
    for path, route in (("plain", "plain"), ("a/b", "two segments"), ("", "root")):
        resp = call(aws, "GET", api_id, "$default", path, door)
        assert resp.status_code == 200, (path, resp.text)
        assert resp.json() == {"route": route, "rawPath": f"/{path}", "path": f"/{path}"}


def test_payload_1_0_and_binary_bodies(aws: lab.Session, door: str) -> None:
    arn = lambda_function(aws, "echo1", ECHO.replace('"cookies": ["s=1", "t=2"],', ""))
    _v2, api_id = http_api(aws, {"ANY /{proxy+}": lambda_integration(arn, "1.0")})
    event = call(aws, "PUT", api_id, "$default", "a/b?x=1&x=2", door, data="hi").json()
    assert event["version"] == "1.0" and event["resource"] == "/{proxy+}" and event["path"] == "/a/b"
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["pathParameters"] == {"proxy": "a/b"} and event["requestContext"]["httpMethod"] == "PUT"
    binary = call(aws, "POST", api_id, "$default", "img", door, data=b"\x00\x01",
                  headers={"Content-Type": "image/png"}).json()
    assert binary["isBase64Encoded"] is True and binary["body"] == "AAE="


def test_payload_2_0_response_inference(aws: lab.Session) -> None:
    arn = lambda_function(aws, "plain", "def handler(event, context):\n    return {'hello': 'world'}\n")
    v2 = aws.client("apigatewayv2")
    # Quick create: route $default, Lambda integration (2.0), $default stage with AutoDeploy.
    api_id = v2.create_api(Name="quick", ProtocolType="HTTP", Target=arn)["ApiId"]
    assert [s["StageName"] for s in v2.get_stages(ApiId=api_id)["Items"]] == ["$default"]
    assert aws.stage_url(api_id, "$default", "any") == f"{aws.gateway_url}/restapis/{api_id}/_user_request_/any"
    aws.client("lambda").add_permission(FunctionName="plain", StatementId="apigw", Action="lambda:InvokeFunction",
                                        Principal="apigateway.amazonaws.com")
    for door in DOORS:
        resp = call(aws, "GET", api_id, "$default", "any/path", door)
        assert resp.status_code == 200 and resp.json() == {"hello": "world"}
        assert resp.headers["Content-Type"] == "application/json"


def test_lambda_errors_and_missing_permission_are_500(aws: lab.Session) -> None:
    code = "def handler(event, context):\n    raise RuntimeError('nope')\n"
    arn = lambda_function(aws, "broken", code)
    _v2, api_id = http_api(aws, {"GET /x": lambda_integration(arn)})
    resp = call(aws, "GET", api_id, "$default", "x")
    assert resp.status_code == 500 and resp.json() == {"message": "Internal Server Error"}
    locked = lambda_function(aws, "locked2", "def handler(e, c):\n    return 1\n", allow=False)
    _v2, api_id = http_api(aws, {"GET /x": lambda_integration(locked)})
    resp = call(aws, "GET", api_id, "$default", "x", "loopback")
    assert resp.status_code == 500 and resp.json() == {"message": "Internal Server Error"}


def test_slow_integration_times_out(aws: lab.Session, backend: str) -> None:
    _v2, api_id = http_api(aws, {"GET /slow": {"IntegrationType": "HTTP_PROXY", "IntegrationMethod": "GET",
                                               "IntegrationUri": f"{backend}/slow", "PayloadFormatVersion": "1.0",
                                               "TimeoutInMillis": 200}})
    resp = call(aws, "GET", api_id, "$default", "slow")
    # 504 (https://repost.aws/knowledge-center/api-gateway-504-errors); the body is assumed (see http_api.TIMED_OUT).
    assert resp.status_code == 504 and resp.json() == {"message": "Endpoint request timed out"}
    assert call(aws, "GET", api_id, "$default", "slow", "loopback").status_code == 504


def test_access_logs(aws: lab.Session, backend: str) -> None:
    v2, api_id = http_api(aws, {"GET /a": {"IntegrationType": "HTTP_PROXY", "IntegrationMethod": "GET",
                                           "IntegrationUri": f"{backend}/a", "PayloadFormatVersion": "1.0"}},
                          stage="dev")
    # moto 5.2.5 has no apigatewayv2 update_stage: give the settings at create_stage.
    v2.create_stage(ApiId=api_id, StageName="logged", AutoDeploy=True, AccessLogSettings={
        "DestinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:http-access",
        "Format": "$context.requestId $context.httpMethod $context.routeKey $context.status"})
    resp = call(aws, "GET", api_id, "logged", "a")
    call(aws, "GET", api_id, "logged", "b")
    call(aws, "GET", api_id, "dev", "a")  # a stage without access logging writes nothing
    lines = [e["message"] for e in aws.client("logs").filter_log_events(logGroupName="http-access")["events"]]
    assert len(lines) == 2
    assert lines[0] == f"{resp.headers['Apigw-Requestid']} GET GET /a 200"
    assert lines[1].endswith(" GET - 404")


def test_stages_without_auto_deploy_serve_their_deployment(aws: lab.Session, backend: str, door: str) -> None:
    proxy = {"IntegrationType": "HTTP_PROXY", "IntegrationMethod": "GET", "PayloadFormatVersion": "1.0"}
    # Through the embedded endpoint over HTTP, as another process would call it.
    v2 = aws.client("apigatewayv2", endpoint_url=aws.endpoint_url)
    api_id = v2.create_api(Name="manual", ProtocolType="HTTP")["ApiId"]
    first = v2.create_integration(ApiId=api_id, IntegrationUri=f"{backend}/first", **proxy)["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /a", Target=f"integrations/{first}")
    v2.create_stage(ApiId=api_id, StageName="prod")
    assert call(aws, "GET", api_id, "prod", "a", door).status_code == 404  # nothing deployed yet
    deployment = v2.create_deployment(ApiId=api_id, StageName="prod", Description="v1")
    assert deployment["DeploymentStatus"] == "DEPLOYED"
    assert call(aws, "GET", api_id, "prod", "a", door).json()["path"] == "/first"
    second = v2.create_integration(ApiId=api_id, IntegrationUri=f"{backend}/second", **proxy)["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /b", Target=f"integrations/{second}")
    assert call(aws, "GET", api_id, "prod", "b", door).status_code == 404  # changed, not redeployed
    aws.client("apigatewayv2").create_deployment(ApiId=api_id, StageName="prod")
    assert call(aws, "GET", api_id, "prod", "b", door).json()["path"] == "/second"
    items = aws.client("apigatewayv2").get_deployments(ApiId=api_id)["Items"]
    assert [d["Description"] for d in items] == ["v1", ""]
