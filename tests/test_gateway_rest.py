"""The local API Gateway data plane for REST APIs (lab_support/gateway), over all three doors."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import requests
from gateway_support import ACCOUNT, REGION, lambda_function

import lab_support as lab
from lab_support.course.api_builders import lambda_uri
from lab_support.embedded import apigateway as gateway

DOORS = ("kernel", "loopback", "host")


# -- helpers ------------------------------------------------------------------------------------
def url(aws: lab.Session, api_id: str, stage: str, path: str, door: str) -> tuple[str, dict[str, str]]:
    """The URL (and extra headers) for one of the three doors."""
    if door == "kernel":
        return f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{stage}/{path.lstrip('/')}", {}
    if door == "loopback":
        return aws.stage_url(api_id, stage, path), {}
    return f"{aws.gateway_url}/{stage}/{path.lstrip('/')}", {"Host": f"{api_id}.execute-api.{REGION}.amazonaws.com"}


def call(aws: lab.Session, method: str, api_id: str, stage: str, path: str, door: str = "kernel",
         **kwargs: Any) -> requests.Response:
    target, extra = url(aws, api_id, stage, path, door)
    headers = {**extra, **kwargs.pop("headers", {})}
    return requests.request(method, target, headers=headers, timeout=30, **kwargs)


def new_api(aws: lab.Session, name: str = "t", **kwargs: Any) -> tuple[Any, str, str]:
    apig = aws.client("apigateway")
    api_id = apig.create_rest_api(name=name, **kwargs)["id"]
    root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
    return apig, api_id, root


def add(apig: Any, api_id: str, parent: str, part: str) -> str:
    return str(apig.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"])


def mock_method(apig: Any, api_id: str, resource: str, method: str, body_template: str, status: str = "200",
                request_template: str = '{"statusCode": 200}') -> None:
    apig.put_method(restApiId=api_id, resourceId=resource, httpMethod=method, authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=resource, httpMethod=method, type="MOCK",
                         requestTemplates={"application/json": request_template})
    apig.put_integration_response(restApiId=api_id, resourceId=resource, httpMethod=method, statusCode=status,
                                  responseTemplates={"application/json": body_template})


def invocation_uri(function_arn: str) -> str:
    return lambda_uri(function_arn, REGION)


def proxy_api(aws: lab.Session, function_arn: str, **api_kwargs: Any) -> str:
    apig, api_id, root = new_api(aws, **api_kwargs)
    for resource in (root, add(apig, api_id, root, "{proxy+}")):
        apig.put_method(restApiId=api_id, resourceId=resource, httpMethod="ANY", authorizationType="NONE")
        apig.put_integration(restApiId=api_id, resourceId=resource, httpMethod="ANY", type="AWS_PROXY",
                             integrationHttpMethod="POST", uri=invocation_uri(function_arn))
    apig.create_deployment(restApiId=api_id, stageName="dev", variables={"env": "dev"})
    return api_id


ECHO_EVENT = '''
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": json.dumps(event)}
'''


# -- doors, routing, MOCK and mapping templates -------------------------------------------------
def test_mock_integration_with_templates_answers_on_every_door(aws: lab.Session, door: str) -> None:
    apig, api_id, root = new_api(aws)
    items = add(apig, api_id, root, "items")
    template = (
        '#set($names = [])'
        '{"q": "$input.params(\'q\')", "env": "$stageVariables.env", "stage": "$context.stage",'
        ' "rid": "$context.requestId", "b64": "$util.base64Encode(\'hi\')", "url": "$util.urlEncode(\'a b\')",'
        ' "esc": "$util.escapeJavaScript(\'say "x"\')"'
        '#if($input.params(\'q\') == \'yes\'), "flag": true#end}'
    )
    mock_method(apig, api_id, items, "GET", template)
    apig.create_deployment(restApiId=api_id, stageName="dev", variables={"env": "dev"})
    resp = call(aws, "GET", api_id, "dev", "items?q=yes", door)
    assert resp.status_code == 200
    body = resp.json()
    assert body["q"] == "yes" and body["env"] == "dev" and body["stage"] == "dev" and body["flag"] is True
    assert body["b64"] == "aGk=" and body["url"] == "a+b" and body["esc"] == 'say "x"'
    assert body["rid"] == resp.headers["x-amzn-RequestId"]


def test_unknown_path_method_or_stage_is_403_missing_authentication_token(aws: lab.Session, door: str) -> None:
    apig, api_id, root = new_api(aws)
    mock_method(apig, api_id, add(apig, api_id, root, "items"), "GET", '{"ok": true}')
    apig.create_deployment(restApiId=api_id, stageName="dev")
    for method, stage, path in (("GET", "dev", "nothing"), ("DELETE", "dev", "items"), ("GET", "prod", "items")):
        resp = call(aws, method, api_id, stage, path, door)
        assert resp.status_code == 403
        assert resp.json() == {"message": "Missing Authentication Token"}


def test_resource_matching_prefers_static_then_parameter_then_greedy(aws: lab.Session, door: str) -> None:
    apig, api_id, root = new_api(aws)
    items = add(apig, api_id, root, "items")
    item = add(apig, api_id, items, "{id}")
    special = add(apig, api_id, items, "special")
    greedy = add(apig, api_id, root, "{proxy+}")
    mock_method(apig, api_id, item, "GET", '{"r": "item", "id": "$input.params(\'id\')"}')
    mock_method(apig, api_id, special, "GET", '{"r": "special"}')
    mock_method(apig, api_id, greedy, "ANY", '{"r": "greedy", "p": "$input.params(\'proxy\')", "m": "$context.httpMethod"}')
    mock_method(apig, api_id, root, "GET", '{"r": "root"}')
    apig.create_deployment(restApiId=api_id, stageName="dev")
    assert call(aws, "GET", api_id, "dev", "items/42", door).json() == {"r": "item", "id": "42"}
    assert call(aws, "GET", api_id, "dev", "items/special", door).json() == {"r": "special"}
    assert call(aws, "GET", api_id, "dev", "", door).json() == {"r": "root"}
    assert call(aws, "GET", api_id, "dev", "items", door).json() == {"r": "greedy", "p": "items", "m": "GET"}
    assert call(aws, "PATCH", api_id, "dev", "items/42/x/y", door).json() == {"r": "greedy", "p": "items/42/x/y",
                                                                              "m": "PATCH"}


def test_a_stage_serves_its_deployment_until_you_redeploy(aws: lab.Session, door: str) -> None:
    apig, api_id, root = new_api(aws)
    mock_method(apig, api_id, add(apig, api_id, root, "a"), "GET", '{"v": 1}')
    apig.create_deployment(restApiId=api_id, stageName="dev")
    mock_method(apig, api_id, add(apig, api_id, root, "b"), "GET", '{"v": 2}')
    assert call(aws, "GET", api_id, "dev", "b", door).status_code == 403  # not deployed yet
    apig.create_deployment(restApiId=api_id, stageName="dev")
    assert call(aws, "GET", api_id, "dev", "b", door).json() == {"v": 2}


def test_mock_status_code_selects_the_integration_response(aws: lab.Session) -> None:
    apig, api_id, root = new_api(aws)
    res = add(apig, api_id, root, "m")
    mock_method(apig, api_id, res, "GET", '{"ok": true}', request_template=(
        '#if($input.params(\'fail\') == \'1\'){"statusCode": 404}#else{"statusCode": 200}#end'))
    apig.put_integration_response(restApiId=api_id, resourceId=res, httpMethod="GET", statusCode="404",
                                  selectionPattern="404", responseTemplates={"application/json": '{"missing": true}'},
                                  responseParameters={"method.response.header.X-Why": "'mock'"})
    apig.create_deployment(restApiId=api_id, stageName="dev")
    assert call(aws, "GET", api_id, "dev", "m").json() == {"ok": True}
    resp = call(aws, "GET", api_id, "dev", "m?fail=1")
    assert resp.status_code == 404 and resp.json() == {"missing": True} and resp.headers["X-Why"] == "mock"


# -- request validation, gateway responses, limits ----------------------------------------------
def test_request_validator_checks_parameters_and_body_against_the_model(aws: lab.Session) -> None:
    apig, api_id, root = new_api(aws)
    res = add(apig, api_id, root, "orders")
    schema = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
              "required": ["qty"], "properties": {"qty": {"type": "integer", "minimum": 1}}}
    apig.create_model(restApiId=api_id, name="Order", contentType="application/json", schema=json.dumps(schema))
    validator = apig.create_request_validator(restApiId=api_id, name="all", validateRequestBody=True,
                                              validateRequestParameters=True)["id"]
    apig.put_method(restApiId=api_id, resourceId=res, httpMethod="POST", authorizationType="NONE",
                    requestValidatorId=validator, requestModels={"application/json": "Order"},
                    requestParameters={"method.request.querystring.shop": True, "method.request.header.x-user": True})
    apig.put_integration(restApiId=api_id, resourceId=res, httpMethod="POST", type="MOCK",
                         requestTemplates={"application/json": '{"statusCode": 200}'})
    apig.put_integration_response(restApiId=api_id, resourceId=res, httpMethod="POST", statusCode="200",
                                  responseTemplates={"application/json": '{"ok": true}'})
    apig.create_deployment(restApiId=api_id, stageName="dev")
    resp = call(aws, "POST", api_id, "dev", "orders", json={"qty": 1})
    assert resp.status_code == 400
    assert resp.json() == {"message": "Missing required request parameters: [shop, x-user]"}
    good = {"headers": {"x-user": "ann"}}
    resp = call(aws, "POST", api_id, "dev", "orders?shop=1", json={"qty": 0}, **good)
    assert resp.status_code == 400 and resp.json() == {"message": "Invalid request body"}
    assert call(aws, "POST", api_id, "dev", "orders?shop=1", data="not json", **good).status_code == 400
    assert call(aws, "POST", api_id, "dev", "orders?shop=1", json={"qty": 2}, **good).json() == {"ok": True}


def test_gateway_responses_customise_default_4xx_and_specific_types(aws: lab.Session) -> None:
    apig, api_id, root = new_api(aws)
    mock_method(apig, api_id, add(apig, api_id, root, "a"), "GET", "{}")
    apig.put_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX",
                              responseParameters={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
                              responseTemplates={"application/json": '{"error": $context.error.messageString, '
                                                                     '"type": "$context.error.responseType"}'})
    apig.put_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN", statusCode="404")
    apig.create_deployment(restApiId=api_id, stageName="dev")
    resp = call(aws, "GET", api_id, "dev", "nope", "loopback")
    assert resp.status_code == 404
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.json() == {"error": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN"}


def test_bodies_over_10_mb_are_refused_with_413(aws: lab.Session) -> None:
    apig, api_id, root = new_api(aws)
    mock_method(apig, api_id, add(apig, api_id, root, "up"), "POST", '{"ok": true}')
    apig.create_deployment(restApiId=api_id, stageName="dev")
    resp = call(aws, "POST", api_id, "dev", "up", data=b"x" * (10 * 1024 * 1024 + 1))
    assert resp.status_code == 413
    assert call(aws, "POST", api_id, "dev", "up", data=b"x" * 1000).status_code == 200


# -- HTTP, HTTP_PROXY, VPC_LINK, timeouts ------------------------------------------------------
def test_http_integration_maps_parameters_and_selects_by_status(aws: lab.Session, backend: str) -> None:
    apig, api_id, root = new_api(aws)
    res = add(apig, api_id, add(apig, api_id, root, "users"), "{id}")
    apig.put_method(restApiId=api_id, resourceId=res, httpMethod="GET", authorizationType="NONE",
                    requestParameters={"method.request.path.id": True, "method.request.querystring.v": False})
    apig.put_integration(
        restApiId=api_id, resourceId=res, httpMethod="GET", type="HTTP", integrationHttpMethod="GET",
        uri=f"{backend}/status/${{stageVariables.code}}?user={{uid}}",
        requestParameters={"integration.request.path.uid": "method.request.path.id",
                           "integration.request.querystring.version": "method.request.querystring.v",
                           "integration.request.header.X-Static": "'fixed'"})
    apig.put_integration_response(restApiId=api_id, resourceId=res, httpMethod="GET", statusCode="200",
                                  responseTemplates={"application/json": '{"q": $input.json(\'$.query\'), '
                                                                         '"h": "$input.path(\'$.headers\').get(\'X-Static\')"}'},
                                  responseParameters={"method.response.header.X-From": "integration.response.header.X-Backend"})
    apig.put_integration_response(restApiId=api_id, resourceId=res, httpMethod="GET", statusCode="400",
                                  selectionPattern="4\\d{2}", responseTemplates={"application/json": '{"bad": true}'})
    apig.create_deployment(restApiId=api_id, stageName="ok", variables={"code": "200"})
    apig.create_deployment(restApiId=api_id, stageName="bad", variables={"code": "418"})
    resp = call(aws, "GET", api_id, "ok", "users/7?v=2")
    assert resp.status_code == 200 and resp.headers["X-From"] == "yes"
    assert resp.json() == {"q": {"user": ["7"], "version": ["2"]}, "h": "fixed"}
    resp = call(aws, "GET", api_id, "bad", "users/7", "loopback")
    assert resp.status_code == 400 and resp.json() == {"bad": True}


def test_http_proxy_forwards_everything_and_vpc_link_uses_the_local_stand_in(aws: lab.Session, backend: str,
                                                                              door: str) -> None:
    apig, api_id, root = new_api(aws)
    proxy = add(apig, api_id, root, "{proxy+}")
    apig.put_method(restApiId=api_id, resourceId=proxy, httpMethod="ANY", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=proxy, httpMethod="ANY", type="HTTP_PROXY",
                         integrationHttpMethod="ANY", uri=f"{backend}/{{proxy}}",
                         requestParameters={"integration.request.path.proxy": "method.request.path.proxy"})
    private = add(apig, api_id, root, "private")
    apig.put_method(restApiId=api_id, resourceId=private, httpMethod="GET", authorizationType="NONE")
    nlb = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/net/nlb/1"
    link = apig.create_vpc_link(name="nlb", targetArns=[nlb])["id"]
    apig.put_integration(restApiId=api_id, resourceId=private, httpMethod="GET", type="HTTP_PROXY",
                         integrationHttpMethod="GET", uri="http://nlb.internal.example/inside",
                         connectionType="VPC_LINK", connectionId=link)
    apig.create_deployment(restApiId=api_id, stageName="dev")
    resp = call(aws, "PUT", api_id, "dev", "a/b?x=1&x=2", door, data="payload", headers={"X-Mine": "1"})
    echoed = resp.json()
    assert resp.status_code == 200 and resp.headers["X-Backend"] == "yes"
    assert echoed["method"] == "PUT" and echoed["path"] == "/a/b" and echoed["query"] == {"x": ["1", "2"]}
    assert echoed["body"] == "payload" and echoed["headers"]["X-Mine"] == "1"
    assert call(aws, "GET", api_id, "dev", "private", door).status_code == 500  # nothing stands in yet
    gateway.register_private_backend(link, backend)
    assert call(aws, "GET", api_id, "dev", "private", door).json()["path"] == "/inside"


def test_integration_slower_than_its_timeout_gives_504(aws: lab.Session, backend: str) -> None:
    apig, api_id, root = new_api(aws)
    res = add(apig, api_id, root, "slow")
    apig.put_method(restApiId=api_id, resourceId=res, httpMethod="GET", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=res, httpMethod="GET", type="HTTP_PROXY",
                         integrationHttpMethod="GET", uri=f"{backend}/slow", timeoutInMillis=200)
    apig.create_deployment(restApiId=api_id, stageName="dev")
    started = time.monotonic()
    resp = call(aws, "GET", api_id, "dev", "slow")
    assert resp.status_code == 504 and resp.json() == {"message": "Endpoint request timed out"}
    assert time.monotonic() - started < 0.9


# -- AWS service integrations ------------------------------------------------------------------
def test_aws_integrations_sqs_dynamodb_kinesis(aws: lab.Session) -> None:
    sqs, ddb, kinesis = aws.client("sqs"), aws.client("dynamodb"), aws.client("kinesis")
    queue_url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    ddb.create_table(TableName="notes", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    apig, api_id, root = new_api(aws)
    # The integration role API Gateway assumes: it trusts apigateway.amazonaws.com and may call the three services.
    iam = aws.client("iam")
    role = iam.create_role(RoleName="apigw", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="apigw", PolicyName="services", PolicyDocument=json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage", "dynamodb:PutItem", "dynamodb:GetItem",
                                                     "kinesis:PutRecord"], "Resource": "*"}]}))

    def aws_method(part: str, method: str, uri: str, template: str, response: str, **extra: Any) -> None:
        res = add(apig, api_id, root, part)
        apig.put_method(restApiId=api_id, resourceId=res, httpMethod=method, authorizationType="NONE")
        apig.put_integration(restApiId=api_id, resourceId=res, httpMethod=method, type="AWS", integrationHttpMethod="POST",
                             uri=uri, credentials=role, requestTemplates={"application/json": template}, **extra)
        apig.put_integration_response(restApiId=api_id, resourceId=res, httpMethod=method, statusCode="200",
                                      responseTemplates={"application/json": response})

    aws_method("queue", "POST", f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT}/orders",
               "Action=SendMessage&MessageBody=$util.urlEncode($input.body)", "{\"sent\": true}",
               requestParameters={"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"})
    aws_method("note", "PUT", f"arn:aws:apigateway:{REGION}:dynamodb:action/PutItem",
               '{"TableName": "notes", "Item": {"id": {"S": "$input.path(\'$.id\')"}, '
               '"text": {"S": "$util.escapeJavaScript($input.path(\'$.text\'))"}}}',
               '{"stored": true}')
    aws_method("read", "POST", f"arn:aws:apigateway:{REGION}:dynamodb:action/GetItem",
               '{"TableName": "notes", "Key": {"id": {"S": "$input.params(\'id\')"}}}',
               '{"text": "$input.path(\'$.Item.text.S\')"}')
    aws_method("click", "POST", f"arn:aws:apigateway:{REGION}:kinesis:action/PutRecord",
               '{"StreamName": "clicks", "PartitionKey": "k", "Data": "$util.base64Encode($input.json(\'$\'))"}',
               '{"shard": "$input.path(\'$.ShardId\')"}')
    apig.create_deployment(restApiId=api_id, stageName="dev")

    assert call(aws, "POST", api_id, "dev", "queue", json={"order": 1}).json() == {"sent": True}
    messages = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    assert json.loads(messages[0]["Body"]) == {"order": 1}
    assert call(aws, "PUT", api_id, "dev", "note", "loopback", json={"id": "n1", "text": "hi"}).json() == {"stored": True}
    assert ddb.get_item(TableName="notes", Key={"id": {"S": "n1"}})["Item"]["text"] == {"S": "hi"}
    assert call(aws, "POST", api_id, "dev", "read?id=n1", json={}).json() == {"text": "hi"}
    assert call(aws, "POST", api_id, "dev", "click", json={"x": 1}).json()["shard"].startswith("shardId-")
    shard = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName="clicks", ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert json.loads(records[0]["Data"]) == {"x": 1}


# -- Lambda ------------------------------------------------------------------------------------
def test_lambda_proxy_event_has_every_field_api_gateway_sends(aws: lab.Session, door: str) -> None:
    api_id = proxy_api(aws, lambda_function(aws, "echo", ECHO_EVENT))
    resp = call(aws, "POST", api_id, "dev", "shop/items?x=1&x=2&y=3", door, data="héllo".encode(),
                headers={"Content-Type": "text/plain", "X-Multi": "a"})
    assert resp.status_code == 200
    assert resp.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    event = resp.json()
    assert list(event) == ["resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
                           "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext",
                           "body", "isBase64Encoded"]
    assert event["resource"] == "/{proxy+}" and event["path"] == "/shop/items" and event["httpMethod"] == "POST"
    assert event["queryStringParameters"] == {"x": "2", "y": "3"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["3"]}
    assert event["pathParameters"] == {"proxy": "shop/items"} and event["stageVariables"] == {"env": "dev"}
    assert event["headers"]["X-Multi"] == "a" and event["multiValueHeaders"]["X-Multi"] == ["a"]
    assert event["headers"]["Host"] == f"{api_id}.execute-api.{REGION}.amazonaws.com"
    assert event["body"] == "héllo" and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    for key in ("resourceId", "resourcePath", "httpMethod", "extendedRequestId", "requestTime", "path", "accountId",
                "protocol", "stage", "domainPrefix", "requestTimeEpoch", "requestId", "identity", "domainName", "apiId"):
        assert key in ctx, key
    assert ctx["path"] == "/dev/shop/items" and ctx["stage"] == "dev" and ctx["accountId"] == ACCOUNT
    assert ctx["identity"]["sourceIp"] == "127.0.0.1" and "userAgent" in ctx["identity"]
    assert ctx["requestId"] == resp.headers["x-amzn-RequestId"]


def test_lambda_proxy_binary_media_types_round_trip(aws: lab.Session) -> None:
    code = '''
import base64
def handler(event, context):
    data = base64.b64decode(event["body"]) if event["isBase64Encoded"] else b"text"
    return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
            "body": base64.b64encode(data[::-1]).decode(), "isBase64Encoded": True}
'''
    api_id = proxy_api(aws, lambda_function(aws, "bin", code), binaryMediaTypes=["image/png"])
    raw = bytes(range(256))
    resp = call(aws, "POST", api_id, "dev", "img", "loopback", data=raw,
                headers={"Content-Type": "image/png", "Accept": "image/png"})
    assert resp.status_code == 200 and resp.content == raw[::-1]
    # Without a matching Accept header a REST API returns the base64 text.
    resp = call(aws, "POST", api_id, "dev", "img", data=raw, headers={"Content-Type": "image/png"})
    assert base64.b64decode(resp.content) == raw[::-1]


def test_lambda_errors_malformed_responses_and_missing_permission(aws: lab.Session) -> None:
    code = '''
import json
def handler(event, context):
    kind = (event.get("queryStringParameters") or {}).get("kind")
    if kind == "raise":
        raise ValueError("boom")
    if kind == "dict-body":
        return {"statusCode": 200, "body": {"not": "a string"}}
    return {"statusCode": 200, "body": "fine"}
'''
    arn = lambda_function(aws, "flaky", code)
    apig = aws.client("apigateway")
    api_id = proxy_api(aws, arn)
    apig.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"}])
    assert call(aws, "GET", api_id, "dev", "x").text == "fine"
    for kind in ("raise", "dict-body"):
        resp = call(aws, "GET", api_id, "dev", f"x?kind={kind}")
        assert resp.status_code == 502 and resp.json() == {"message": "Internal server error"}
    lambda_function(aws, "locked", code, allow=False)
    locked = proxy_api(aws, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:locked")
    apig.update_stage(restApiId=locked, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"}])
    resp = call(aws, "GET", locked, "dev", "x")
    assert resp.status_code == 500 and resp.json() == {"message": "Internal server error"}
    logs = aws.client("logs")
    messages = [e["message"] for e in logs.filter_log_events(logGroupName=gateway.execution_log_group(locked, "dev"))["events"]]
    assert any("Execution failed due to configuration error: Invalid permissions on Lambda function" in m for m in messages)
    info = [e["message"] for e in logs.filter_log_events(logGroupName=gateway.execution_log_group(api_id, "dev"))["events"]]
    assert any("Malformed Lambda proxy response" in m for m in info)
    assert any("Method completed with status: 200" in m for m in info)


def test_lambda_non_proxy_templates_and_error_selection_pattern(aws: lab.Session) -> None:
    code = '''
def handler(event, context):
    if event.get("n", 0) < 0:
        raise ValueError("Negative: " + str(event["n"]))
    return {"double": event["n"] * 2}
'''
    lambda_function(aws, "double", code)
    # The function is chosen by a stage variable, as in the integration URI AWS documents.
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:${{stageVariables.fn}}"
    apig, api_id, root = new_api(aws)
    res = add(apig, api_id, root, "double")
    apig.put_method(restApiId=api_id, resourceId=res, httpMethod="GET", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=res, httpMethod="GET", type="AWS", integrationHttpMethod="POST",
                         uri=invocation_uri(arn), requestTemplates={"application/json": '{"n": $input.params(\'n\')}'})
    apig.put_integration_response(restApiId=api_id, resourceId=res, httpMethod="GET", statusCode="200",
                                  responseTemplates={"application/json": '{"result": $input.json(\'$.double\')}'})
    apig.put_integration_response(restApiId=api_id, resourceId=res, httpMethod="GET", statusCode="400",
                                  selectionPattern="Negative.*",
                                  responseTemplates={"application/json": '{"error": "$input.path(\'$.errorMessage\')"}'})
    apig.create_deployment(restApiId=api_id, stageName="dev", variables={"fn": "double"})
    assert call(aws, "GET", api_id, "dev", "double?n=21").json() == {"result": 42}
    resp = call(aws, "GET", api_id, "dev", "double?n=-1", "loopback")
    assert resp.status_code == 400 and resp.json() == {"error": "Negative: -1"}


def test_lambda_slower_than_the_integration_timeout_gives_504(aws: lab.Session) -> None:
    """A function whose own timeout is not well before the integration's runs under the gateway's timeout."""
    code = "import time\ndef handler(event, context):\n    time.sleep(1.5)\n    return {'statusCode': 200, 'body': 'late'}\n"
    arn = lambda_function(aws, "sleepy", code)
    aws.client("lambda").update_function_configuration(FunctionName="sleepy", Timeout=5)
    apig, api_id, root = new_api(aws)
    res = add(apig, api_id, root, "sleepy")
    apig.put_method(restApiId=api_id, resourceId=res, httpMethod="GET", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=res, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
                         uri=invocation_uri(arn), timeoutInMillis=300)
    apig.create_deployment(restApiId=api_id, stageName="dev")
    started = time.monotonic()
    resp = call(aws, "GET", api_id, "dev", "sleepy")
    assert resp.status_code == 504 and resp.json() == {"message": "Endpoint request timed out"}
    assert time.monotonic() - started < 1.4


def test_lambda_payload_over_6_mb_is_refused(aws: lab.Session) -> None:
    api_id = proxy_api(aws, lambda_function(aws, "big", ECHO_EVENT))
    resp = call(aws, "POST", api_id, "dev", "x", data=b"a" * (6 * 1024 * 1024 + 10))
    assert resp.status_code == 413


# -- logs and reset ----------------------------------------------------------------------------
def test_access_logs_use_the_stage_format(aws: lab.Session) -> None:
    apig, api_id, root = new_api(aws)
    mock_method(apig, api_id, add(apig, api_id, root, "a"), "GET", "{}")
    apig.create_deployment(restApiId=api_id, stageName="dev")
    group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:access-{api_id}"
    apig.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": group_arn},
        {"op": "replace", "path": "/accessLogSettings/format",
         "value": '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","method":"$context.httpMethod",'
                  '"path":"$context.resourcePath","status":"$context.status","nothing":"$context.nope"}'}])
    resp = call(aws, "GET", api_id, "dev", "a")
    call(aws, "GET", api_id, "dev", "zzz")
    events = aws.client("logs").filter_log_events(logGroupName=f"access-{api_id}")["events"]
    lines = [json.loads(e["message"]) for e in events]
    assert lines[0] == {"requestId": resp.headers["x-amzn-RequestId"], "ip": "127.0.0.1", "method": "GET",
                        "path": "/a", "status": "200", "nothing": "-"}
    assert lines[1]["status"] == "403"


def test_gateway_survives_reset(aws: lab.Session) -> None:
    lab.reset()
    apig, api_id, root = new_api(aws)
    mock_method(apig, api_id, root, "GET", '{"alive": true}')
    apig.create_deployment(restApiId=api_id, stageName="dev")
    assert call(aws, "GET", api_id, "dev", "").json() == {"alive": True}


# -- PATCH operations moto 5.2.5 lacks (lab_support/gateway/patch_ops.py) ------------------------
def endpoint_client(aws: lab.Session) -> Any:
    """An apigateway client that goes over the embedded HTTP endpoint rather than the in-kernel mock."""
    import boto3

    env = aws.child_env()
    return boto3.client("apigateway", endpoint_url=aws.endpoint_url, region_name=REGION,
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])


@pytest.mark.parametrize("via", ["kernel", "endpoint"])
def test_update_integration_request_template_shows_after_redeploy(aws: lab.Session, via: str) -> None:
    apig, api_id, root = new_api(aws)
    res = add(apig, api_id, root, "t")
    mock_method(apig, api_id, res, "GET", '{"shown": true}')
    apig.create_deployment(restApiId=api_id, stageName="dev")
    assert call(aws, "GET", api_id, "dev", "t").json() == {"shown": True}
    client = apig if via == "kernel" else endpoint_client(aws)
    # A 404 integration response, then a request template whose MOCK status code selects it.
    client.put_integration_response(restApiId=api_id, resourceId=res, httpMethod="GET", statusCode="404",
                                    selectionPattern="404", responseTemplates={"application/json": '{"gone": true}'})
    out = client.update_integration(restApiId=api_id, resourceId=res, httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/requestTemplates/application~1json", "value": '{"statusCode": 404}'},
        {"op": "replace", "path": "/timeoutInMillis", "value": "1500"},
        {"op": "add", "path": "/requestParameters/integration.request.header.X-Trace", "value": "'on'"},
    ])
    assert out["requestTemplates"] == {"application/json": '{"statusCode": 404}'}
    assert out["timeoutInMillis"] == 1500
    assert out["requestParameters"] == {"integration.request.header.X-Trace": "'on'"}
    stored = apig.get_integration(restApiId=api_id, resourceId=res, httpMethod="GET")
    assert stored["requestTemplates"] == {"application/json": '{"statusCode": 404}'}
    # The stage still serves the old deployment until you deploy again, as on AWS.
    assert call(aws, "GET", api_id, "dev", "t").json() == {"shown": True}
    apig.create_deployment(restApiId=api_id, stageName="dev")
    for door in DOORS:
        resp = call(aws, "GET", api_id, "dev", "t", door)
        assert resp.status_code == 404 and resp.json() == {"gone": True}
    # remove drops one key of a map; an unknown path is refused.
    out = client.update_integration(restApiId=api_id, resourceId=res, httpMethod="GET", patchOperations=[
        {"op": "remove", "path": "/requestParameters/integration.request.header.X-Trace"}])
    assert not out.get("requestParameters")
    with pytest.raises(client.exceptions.BadRequestException, match="Invalid patch path"):
        client.update_integration(restApiId=api_id, resourceId=res, httpMethod="GET",
                                  patchOperations=[{"op": "replace", "path": "/notAProperty", "value": "x"}])


@pytest.mark.parametrize("via", ["kernel", "endpoint"])
def test_update_method_sets_request_validator_and_parameters(aws: lab.Session, via: str) -> None:
    apig, api_id, root = new_api(aws)
    res = add(apig, api_id, root, "search")
    mock_method(apig, api_id, res, "GET", '{"ok": true}')
    apig.create_deployment(restApiId=api_id, stageName="dev")
    assert call(aws, "GET", api_id, "dev", "search").json() == {"ok": True}
    client = apig if via == "kernel" else endpoint_client(aws)
    validator = apig.create_request_validator(restApiId=api_id, name="params", validateRequestParameters=True)["id"]
    out = client.update_method(restApiId=api_id, resourceId=res, httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/requestValidatorId", "value": validator},
        {"op": "add", "path": "/requestParameters/method.request.querystring.q", "value": "true"},
        {"op": "replace", "path": "/operationName", "value": "Search"},
    ])
    assert out["requestValidatorId"] == validator
    assert out["requestParameters"] == {"method.request.querystring.q": True}
    assert out["operationName"] == "Search"
    assert apig.get_method(restApiId=api_id, resourceId=res, httpMethod="GET")["requestValidatorId"] == validator
    apig.create_deployment(restApiId=api_id, stageName="dev")
    resp = call(aws, "GET", api_id, "dev", "search")
    assert resp.status_code == 400 and resp.json() == {"message": "Missing required request parameters: [q]"}
    assert call(aws, "GET", api_id, "dev", "search?q=x").json() == {"ok": True}
    with pytest.raises(client.exceptions.BadRequestException, match="Invalid Request Validator Id specified"):
        client.update_method(restApiId=api_id, resourceId=res, httpMethod="GET",
                             patchOperations=[{"op": "replace", "path": "/requestValidatorId", "value": "nope00"}])
    # A refused update leaves the method as it was.
    assert apig.get_method(restApiId=api_id, resourceId=res, httpMethod="GET")["requestValidatorId"] == validator


def test_update_method_response_and_integration_response(aws: lab.Session) -> None:
    apig, api_id, root = new_api(aws)
    mock_method(apig, api_id, root, "GET", '{"v": 1}')
    apig.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    out = apig.update_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                      patchOperations=[{"op": "add", "value": "false",
                                                        "path": "/responseParameters/method.response.header.X-V"}])
    assert out["responseParameters"] == {"method.response.header.X-V": False}
    out = apig.update_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                           patchOperations=[
                                               {"op": "replace", "path": "/responseTemplates/application~1json",
                                                "value": '{"v": 2}'},
                                               {"op": "add", "path": "/responseParameters/method.response.header.X-V",
                                                "value": "'two'"}])
    assert out["responseTemplates"] == {"application/json": '{"v": 2}'}
    apig.create_deployment(restApiId=api_id, stageName="dev")
    resp = call(aws, "GET", api_id, "dev", "")
    assert resp.json() == {"v": 2} and resp.headers["X-V"] == "two"
