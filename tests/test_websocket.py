"""WebSocket APIs on the local gateway: a chat through a Lambda that keeps connection ids in DynamoDB and
broadcasts with the Management API, $connect refusal, $default fallback, GoneException, get/delete_connection,
stage URLs on both backends, and nothing left running after lab.stop()."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

import lab_support as lab
from lab_support.core import urls
from lab_support.embedded.apigateway import websocket

CHAT = '''
import json, os
import boto3

TABLE = os.environ["TABLE"]
ddb = boto3.client("dynamodb")


def management(event):
    rc = event["requestContext"]
    # On AWS: https://{domainName}/{stage}; in the course's embedded AWS, the endpoint every worker is given.
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"https://{rc['domainName']}/{rc['stage']}"
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)


def handler(event, context):
    rc = event["requestContext"]
    me, route = rc["connectionId"], rc["routeKey"]
    if route == "$connect":
        if (event.get("queryStringParameters") or {}).get("name") == "mallory":
            return {"statusCode": 403, "body": "go away"}
        ddb.put_item(TableName=TABLE, Item={"connectionId": {"S": me}, "event": {"S": json.dumps(event)}})
        if "chat.v1" in event["headers"].get("Sec-WebSocket-Protocol", ""):
            return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat.v1"}}
        return {"statusCode": 200}
    if route == "$disconnect":
        ddb.delete_item(TableName=TABLE, Key={"connectionId": {"S": me}})
        return {"statusCode": 200}
    if route == "sendmessage":
        text = json.loads(event["body"])["message"]
        api = management(event)
        for item in ddb.scan(TableName=TABLE)["Items"]:
            try:
                api.post_to_connection(ConnectionId=item["connectionId"]["S"], Data=f"{me[:4]}: {text}".encode())
            except api.exceptions.GoneException:
                ddb.delete_item(TableName=TABLE, Key={"connectionId": item["connectionId"]})
        return {"statusCode": 200}
    if route == "boom":
        raise RuntimeError("boom")
    return {"statusCode": 200, "body": json.dumps({"route": route, "body": event["body"], "b64": event["isBase64Encoded"],
                                                  "context": rc})}
'''


def _role(aws: lab.Session) -> str:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Scan"], "Resource": "*"},
        {"Effect": "Allow", "Action": "execute-api:ManageConnections", "Resource": "arn:aws:execute-api:*:*:*/@connections/*"},
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": "*"},
    ]}
    return lab.resources.execution_role("ws-chat-role", inline={"chat": policy})


@pytest.fixture(scope="module")
def chat(shared_aws: lab.Session) -> Iterator[dict[str, Any]]:
    """A WebSocket API (stage prod): $connect, $disconnect, sendmessage, boom and $default, all one function;
    $default has a route response (two-way)."""
    aws = shared_aws
    lab.resources.table("connections", key="connectionId")
    arn = lab.create_function("chat", CHAT, role=_role(aws), Environment={"Variables": {"TABLE": "connections"}},
                              Timeout=10)["FunctionArn"]
    v2 = aws.client("apigatewayv2")
    api_id = v2.create_api(Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn)["IntegrationId"]
    routes = {}
    for key in ("$connect", "$disconnect", "sendmessage", "boom", "$default"):
        routes[key] = v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")["RouteId"]
    v2.create_route_response(ApiId=api_id, RouteId=routes["$default"], RouteResponseKey="$default")
    v2.create_stage(ApiId=api_id, StageName="prod")
    v2.create_deployment(ApiId=api_id, StageName="prod")
    aws.client("lambda").add_permission(FunctionName="chat", StatementId="apigw", Action="lambda:InvokeFunction",
                                        Principal="apigateway.amazonaws.com",
                                        SourceArn=f"arn:aws:execute-api:{aws.region}:{aws.account_id}:{api_id}/*")
    yield {"api_id": api_id, "url": aws.stage_url(api_id, "prod"), "arn": arn}


def _management(aws: lab.Session, api_id: str) -> Any:
    return aws.client("apigatewaymanagementapi",
                      endpoint_url=f"https://{api_id}.execute-api.{aws.region}.amazonaws.com/prod")


def _table_ids(aws: lab.Session) -> set[str]:
    return {i["connectionId"]["S"] for i in aws.client("dynamodb").scan(TableName="connections")["Items"]}


def _recv(ws: ClientConnection, timeout: float = 10) -> Any:
    return ws.recv(timeout=timeout)


def _wait(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _settle(aws: lab.Session) -> None:
    """Until every client of the test is gone and its $disconnect has run (the next test starts from an empty table)."""
    _wait(lambda: not websocket.connections() and not _table_ids(aws))
    lab.wait_idle()


def test_stage_url_shapes(chat: dict[str, Any], shared_aws: lab.Session) -> None:
    api_id, region = chat["api_id"], shared_aws.region
    assert chat["url"] == f"ws://127.0.0.1:{chat['url'].split(':')[2].split('/')[0]}/{api_id}/prod"
    assert shared_aws.stage_url(api_id, "prod", websocket=True) == chat["url"]
    endpoint = shared_aws.client("apigatewayv2").get_api(ApiId=api_id)["ApiEndpoint"]
    assert endpoint == f"wss://{api_id}.execute-api.{region}.amazonaws.com"
    assert shared_aws.stage_url(api_id, "prod", websocket=False).startswith(f"{shared_aws.gateway_url}/restapis/")
    assert lab.Session("aws", region, "111122223333").stage_url(api_id, "prod", websocket=True) == \
        f"wss://{api_id}.execute-api.{region}.amazonaws.com/prod"
    # A real account: AWS's wss:// form (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-wscat.html).
    assert urls.stage_url("aws", region, None, api_id, "prod", websocket=True) == \
        f"wss://{api_id}.execute-api.{region}.amazonaws.com/prod"
    assert urls.stage_url("aws", region, None, api_id, "prod") == f"https://{api_id}.execute-api.{region}.amazonaws.com/prod/"


def test_two_clients_chat_through_dynamodb_and_post_to_connection(chat: dict[str, Any], shared_aws: lab.Session) -> None:
    with connect(chat["url"]) as alice, connect(chat["url"]) as bob:
        assert len(_table_ids(shared_aws)) == 2  # $connect stored both ids
        alice.send(json.dumps({"action": "sendmessage", "message": "hello"}))
        got_bob, got_alice = _recv(bob), _recv(alice)
        assert got_bob == got_alice and got_bob.endswith(": hello")
        bob.send(json.dumps({"action": "sendmessage", "message": "hi alice"}))
        assert _recv(alice).endswith(": hi alice") and _recv(bob).endswith(": hi alice")
    _wait(lambda: not _table_ids(shared_aws))  # $disconnect removed both ids
    _settle(shared_aws)


def test_connect_event_shape_and_default_route_response(chat: dict[str, Any], shared_aws: lab.Session) -> None:
    with connect(chat["url"] + "?room=1", additional_headers={"X-Custom": "yes"}) as ws:
        ws.send("not json")  # no action: $default, which has a route response
        answer = json.loads(_recv(ws))
        ws.send(json.dumps({"action": "nosuchroute", "x": 1}))
        answer2 = json.loads(_recv(ws))
        ws.send(b"\x00\x01")  # a binary frame: base64 in the event
        binary = json.loads(_recv(ws))
        item = shared_aws.client("dynamodb").scan(TableName="connections")["Items"][0]
    assert answer["route"] == "$default" and answer["body"] == "not json"
    assert answer2["route"] == "$default" and json.loads(answer2["body"]) == {"action": "nosuchroute", "x": 1}
    assert binary["body"] == "AAE=" and binary["b64"] is True and answer["b64"] is False
    rc = answer["context"]
    assert rc["eventType"] == "MESSAGE" and rc["messageDirection"] == "IN" and rc["stage"] == "prod"
    assert rc["apiId"] == chat["api_id"] and rc["domainName"] == f"{chat['api_id']}.execute-api.{shared_aws.region}.amazonaws.com"
    assert rc["messageId"] and rc["requestId"] == rc["extendedRequestId"] and rc["identity"] == {"sourceIp": "127.0.0.1"}
    assert isinstance(rc["connectedAt"], int) and rc["requestTimeEpoch"] >= rc["connectedAt"]
    connect_event = json.loads(item["event"]["S"])
    crc = connect_event["requestContext"]
    assert crc["routeKey"] == "$connect" and crc["eventType"] == "CONNECT" and crc["connectionId"] == rc["connectionId"]
    assert "messageId" not in crc and connect_event["isBase64Encoded"] is False
    assert connect_event["headers"]["Host"] == rc["domainName"] and connect_event["headers"]["X-Custom"] == "yes"
    assert connect_event["headers"]["Sec-WebSocket-Version"] == "13" and connect_event["headers"]["X-Forwarded-Proto"] == "https"
    assert connect_event["multiValueHeaders"]["X-Custom"] == ["yes"]
    assert connect_event["queryStringParameters"] == {"room": "1"}
    _settle(shared_aws)


def test_connect_route_chooses_the_subprotocol(chat: dict[str, Any], shared_aws: lab.Session) -> None:
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html
    with connect(chat["url"], subprotocols=["chat.v1"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "chat.v1"
    _settle(shared_aws)


def test_connect_refused_and_function_errors(chat: dict[str, Any], shared_aws: lab.Session) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(chat["url"] + "?name=mallory")
    assert refused.value.response.status_code == 403 and refused.value.response.body == b"go away"
    with connect(chat["url"]) as ws:
        ws.send(json.dumps({"action": "boom"}))
        error = json.loads(_recv(ws))
        assert error["message"] == "Internal server error" and error["connectionId"] and error["requestId"]
    # Unknown stage: 403 before any route runs.
    with pytest.raises(InvalidStatus) as unknown:
        connect(chat["url"].replace("/prod", "/nostage"))
    assert unknown.value.response.status_code == 403
    _settle(shared_aws)


def test_missing_permission_refuses_the_connection(shared_aws: lab.Session) -> None:
    arn = lab.create_function("noperm", "def handler(event, context):\n    return {'statusCode': 200}\n")["FunctionArn"]
    v2 = shared_aws.client("apigatewayv2")
    api_id = v2.create_api(Name="noperm", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn)["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="$connect", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    with pytest.raises(InvalidStatus) as refused:
        connect(shared_aws.stage_url(api_id, "dev"))
    assert refused.value.response.status_code == 500
    assert json.loads(refused.value.response.body) == {"message": "Internal server error"}


def test_no_matching_route_and_custom_route_response(chat: dict[str, Any], shared_aws: lab.Session) -> None:
    """An API without $default answers a message that matches no route with a Forbidden frame; a custom route with
    a route response sends the function's body back."""
    v2 = shared_aws.client("apigatewayv2")
    api_id = v2.create_api(Name="strict", ProtocolType="WEBSOCKET",
                           RouteSelectionExpression="$request.body.meta.kind")["ApiId"]
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                        IntegrationUri=chat["arn"])["IntegrationId"]
    route_id = v2.create_route(ApiId=api_id, RouteKey="ping", Target=f"integrations/{integration}")["RouteId"]
    v2.create_route_response(ApiId=api_id, RouteId=route_id, RouteResponseKey="$default")
    v2.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    shared_aws.client("lambda").add_permission(
        FunctionName="chat", StatementId="strict", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{shared_aws.region}:{shared_aws.account_id}:{api_id}/*")
    with connect(shared_aws.stage_url(api_id, "dev")) as ws:  # no $connect route: accepted as it is
        ws.send(json.dumps({"meta": {"kind": "other"}}))
        refused = json.loads(_recv(ws))
        ws.send(json.dumps({"meta": {"kind": "ping"}}))
        answer = json.loads(_recv(ws))
    assert refused["message"] == "Forbidden" and refused["connectionId"] and refused["requestId"]
    assert answer["route"] == "ping" and answer["context"]["routeKey"] == "ping"
    assert websocket.route_key_for("$request.body.meta.kind", '{"meta": {"kind": "ping"}}', {"ping"}) == "ping"
    assert websocket.route_key_for("$request.body.action", '{"action": "$connect"}', {"$connect", "$default"}) == "$default"
    assert websocket.route_key_for("$request.body.action", "[1, 2]", {"x"}) is None
    _settle(shared_aws)


SELF_POST = '''
import os
import boto3
from botocore.exceptions import ClientError


def handler(event, context):
    rc = event["requestContext"]
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"https://{rc['domainName']}/{rc['stage']}"
    api = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    try:
        api.post_to_connection(ConnectionId=rc["connectionId"], Data=b"pushed")
        return {"statusCode": 200, "body": "ok"}
    except ClientError as err:
        return {"statusCode": 200, "body": err.response["Error"]["Code"] + ": " + err.response["Error"]["Message"]}
'''


def test_a_role_without_manage_connections_is_denied(shared_aws: lab.Session) -> None:
    """The function's execution role needs execute-api:ManageConnections (the default role has only logs)."""
    arn = lab.create_function("selfpost", SELF_POST)["FunctionArn"]
    v2 = shared_aws.client("apigatewayv2")
    api_id = v2.create_api(Name="selfpost", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn)["IntegrationId"]
    route_id = v2.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration}")["RouteId"]
    v2.create_route_response(ApiId=api_id, RouteId=route_id, RouteResponseKey="$default")
    v2.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    shared_aws.client("lambda").add_permission(FunctionName="selfpost", StatementId="apigw", Action="lambda:InvokeFunction",
                                               Principal="apigateway.amazonaws.com")
    with connect(shared_aws.stage_url(api_id, "dev")) as ws:
        ws.send("hi")
        answer = _recv(ws)
    assert answer.startswith("AccessDeniedException: User: arn:aws:sts::") and "assumed-role/" in answer
    assert f"is not authorized to perform: execute-api:ManageConnections on resource: arn:aws:execute-api:" \
           f"{shared_aws.region}:{shared_aws.account_id}:{api_id}/dev/POST/@connections/" in answer
    _settle(shared_aws)


def test_management_api_in_the_kernel(chat: dict[str, Any], shared_aws: lab.Session) -> None:
    api = _management(shared_aws, chat["api_id"])
    with connect(chat["url"]) as ws:
        (me,) = _table_ids(shared_aws)
        described = api.get_connection(ConnectionId=me)
        assert described["Identity"]["SourceIp"] == "127.0.0.1" and described["ConnectedAt"].year >= 2024
        api.post_to_connection(ConnectionId=me, Data=b"from the kernel")
        assert _recv(ws) == "from the kernel"
        api.delete_connection(ConnectionId=me)
        with pytest.raises(Exception):  # noqa: B017  the server closed it
            ws.recv(timeout=5)
        assert ws.close_code == 1000
    _wait(lambda: not _table_ids(shared_aws))  # $disconnect ran
    for call in (lambda: api.post_to_connection(ConnectionId=me, Data=b"x"), lambda: api.get_connection(ConnectionId=me),
                 lambda: api.delete_connection(ConnectionId=me)):
        with pytest.raises(api.exceptions.GoneException) as gone:
            call()
        assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    _settle(shared_aws)


def test_gone_after_the_client_disconnects(chat: dict[str, Any], shared_aws: lab.Session) -> None:
    api = _management(shared_aws, chat["api_id"])
    ws = connect(chat["url"])
    (me,) = _table_ids(shared_aws)
    ws.close()
    _wait(lambda: not websocket.connections(chat["api_id"]))
    with pytest.raises(api.exceptions.GoneException):
        api.post_to_connection(ConnectionId=me, Data=b"too late")
    _settle(shared_aws)


def test_upgrade_at_the_loopback_path_of_the_http_door(chat: dict[str, Any], shared_aws: lab.Session) -> None:
    """``ws://{endpoint}/restapis/{api}/{stage}/_user_request_``, what ``aws.stage_url(..., websocket=True)`` gives on
    an AWS-compatible endpoint (``python -m lab_support serve``): the HTTP door relays the upgrade to the WebSocket
    endpoint, so the same stage answers there (handshake, $connect's headers and refusal, messages, pushes,
    $disconnect)."""
    endpoint = shared_aws.gateway_url
    assert endpoint is not None
    url = urls.endpoint_websocket_url(endpoint, chat["api_id"], "prod")
    assert url.startswith("ws://127.0.0.1:") and url.endswith(f"/restapis/{chat['api_id']}/prod/_user_request_/")
    with connect(url + "?room=2", additional_headers={"X-Custom": "relayed"}) as alice, connect(url) as bob:
        assert len(_table_ids(shared_aws)) == 2
        alice.send(json.dumps({"action": "sendmessage", "message": "through the door"}))
        assert _recv(bob).endswith(": through the door") and _recv(alice).endswith(": through the door")
        alice.send("echo me")
        answer = json.loads(_recv(alice))
        assert answer["route"] == "$default" and answer["body"] == "echo me"
        events = [json.loads(i["event"]["S"]) for i in shared_aws.client("dynamodb").scan(TableName="connections")["Items"]]
        first = next(e for e in events if e.get("queryStringParameters") == {"room": "2"})
        assert first["headers"]["X-Custom"] == "relayed" and first["headers"]["Sec-WebSocket-Version"] == "13"
        assert first["headers"]["Host"] == f"{chat['api_id']}.execute-api.{shared_aws.region}.amazonaws.com"
        me = first["requestContext"]["connectionId"]
        _management(shared_aws, chat["api_id"]).post_to_connection(ConnectionId=me, Data=b"pushed")
        assert _recv(alice) == "pushed"
    _wait(lambda: not _table_ids(shared_aws))  # $disconnect ran for both
    with pytest.raises(InvalidStatus) as refused:
        connect(url + "?name=mallory", open_timeout=10)
    assert refused.value.response.status_code == 403 and refused.value.response.body == b"go away"
    with pytest.raises(InvalidStatus) as unknown:
        connect(urls.endpoint_websocket_url(endpoint, chat["api_id"], "nostage"), open_timeout=10)
    assert unknown.value.response.status_code == 403
    assert requests.get(url.replace("ws://", "http://"), timeout=10).status_code != 101  # plain HTTP: no upgrade
    _settle(shared_aws)


def test_nothing_left_after_stop(chat: dict[str, Any]) -> None:
    ws = connect(chat["url"])
    port = int(chat["url"].split(":")[2].split("/")[0])
    lab.stop()
    assert not websocket.running()
    assert not [t for t in threading.enumerate() if t.name == "lab-support-websocket" or t.name.startswith("asyncio_")]
    with pytest.raises(Exception):  # noqa: B017  the server closed the connection
        ws.recv(timeout=5)
    with pytest.raises(OSError):
        connect(f"ws://127.0.0.1:{port}/x/y", open_timeout=2)
    lab.start("moto")
