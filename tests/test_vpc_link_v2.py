"""REST private integrations through VPC links V2 (apigatewayv2.create_vpc_link + integrationTarget: an ALB or NLB),
beside the legacy V1 links (apigateway.create_vpc_link, an NLB)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from gateway_support import ACCOUNT, REGION
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

import lab_support as lab
from lab_support.embedded import apigateway as gateway

ALB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/orders-alb/1234567891011"
NLB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/net/legacy-nlb/50dc6c495c0c9188"


@pytest.fixture(scope="module")
def alb_backend() -> Iterator[str]:
    """A loopback server standing in for the ALB's targets: answers who it is, the path and the Host header."""

    @Request.application
    def app(request: Request) -> Response:
        return Response(json.dumps({"who": "alb", "path": request.path, "host": request.headers.get("Host"),
                                    "query": request.args.to_dict()}), content_type="application/json")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def v2_link(aws: lab.Session) -> str:
    link = aws.client("apigatewayv2").create_vpc_link(Name="orders-link", SubnetIds=["subnet-1", "subnet-2"],
                                                      SecurityGroupIds=["sg-1"])
    return str(link["VpcLinkId"])


def private_method(apig: Any, api_id: str, part: str, **integration: Any) -> str:
    root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
    res = apig.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
    apig.put_method(restApiId=api_id, resourceId=res, httpMethod="GET", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=res, httpMethod="GET", type="HTTP_PROXY",
                         integrationHttpMethod="GET", connectionType="VPC_LINK", **integration)
    return str(res)


def get(aws: lab.Session, api_id: str, path: str, stage: str = "dev") -> requests.Response:
    return requests.get(aws.stage_url(api_id, stage, path), timeout=30)


def test_rest_private_integration_through_a_vpc_link_v2(aws: lab.Session, alb_backend: str) -> None:
    apig = aws.client("apigateway")
    link = v2_link(aws)
    api_id = apig.create_rest_api(name="private-v2")["id"]
    res = private_method(apig, api_id, "orders", connectionId=link, integrationTarget=ALB,
                         uri="http://orders.internal.example/api/orders")
    integration = apig.get_integration(restApiId=api_id, resourceId=res, httpMethod="GET")
    assert integration["connectionType"] == "VPC_LINK"
    assert integration["connectionId"] == link and integration["integrationTarget"] == ALB
    apig.create_deployment(restApiId=api_id, stageName="dev")
    assert get(aws, api_id, "orders").status_code == 500  # nothing stands in for the ALB yet
    gateway.register_private_backend(ALB, alb_backend)  # the load balancer the integration targets
    answer = get(aws, api_id, "orders?x=1").json()
    assert answer["who"] == "alb" and answer["path"] == "/api/orders" and answer["query"] == {"x": "1"}


def test_v2_link_id_from_a_stage_variable_and_v1_links_still_work(aws: lab.Session, alb_backend: str,
                                                                   backend: str) -> None:
    apig = aws.client("apigateway")
    v2 = v2_link(aws)
    v1 = apig.create_vpc_link(name="legacy", targetArns=[NLB])["id"]
    api_id = apig.create_rest_api(name="private-both")["id"]
    private_method(apig, api_id, "new", connectionId="${stageVariables.vpcLinkV2Id}", integrationTarget=ALB,
                   uri="http://orders.internal.example/new")
    private_method(apig, api_id, "old", connectionId=v1, uri="http://legacy.internal.example/old")
    apig.create_deployment(restApiId=api_id, stageName="dev", variables={"vpcLinkV2Id": v2})
    gateway.register_private_backend(ALB, alb_backend)
    gateway.register_private_backend(NLB, backend)  # the V1 link's NLB
    assert get(aws, api_id, "new").json()["who"] == "alb"
    old = get(aws, api_id, "old").json()
    assert old["path"] == "/old" and "who" not in old  # the conftest backend, reached through the V1 link


def test_openapi_import_of_a_v2_private_integration(aws: lab.Session, alb_backend: str) -> None:
    link = v2_link(aws)
    definition = {"openapi": "3.0.1", "info": {"title": "imported-private", "version": "1"}, "paths": {"/orders": {"get": {
        "responses": {}, "x-amazon-apigateway-integration": {
            "type": "http_proxy", "httpMethod": "GET", "uri": "http://orders.internal.example/api/orders",
            "connectionType": "VPC_LINK", "connectionId": link, "integrationTarget": ALB}}}}}
    apig = aws.client("apigateway")
    api_id = apig.import_rest_api(body=json.dumps(definition))["id"]
    apig.create_deployment(restApiId=api_id, stageName="dev")
    gateway.register_private_backend(link, alb_backend)  # registered under the link's id this time
    # The integration URI's host is the Host header the load balancer gets (set-up-api-with-vpclink-using-swagger).
    assert get(aws, api_id, "orders").json() == {"who": "alb", "path": "/api/orders",
                                                 "host": "orders.internal.example", "query": {}}
