"""Self-checks (and the prepared chat API) for notebook 08, WebSocket APIs and choosing an API type.

The checks look at real state: they connect real WebSocket clients to the prepared API's stage and read what
each one receives, and they call the API Gateway Management API (``post_to_connection``) for real.

* 08.1 (predict): what ``post_to_connection`` does for a connection that has gone. The student stores a
  prediction; the check closes a real connection, posts to it, and compares.
* 08.2 (write): a ``whisper`` route on the prepared API ``nb08-ex-chat`` that sends a message to one named
  connection only. The check connects three clients and looks at who received what.
* 08.3 (design): pick REST, HTTP or WebSocket for three applications, with the deciding feature.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from lab_support.core.idle import wait_idle
from lab_support.core.session import current
from lab_support.course.api_builders import allow_api_gateway
from lab_support.course.functions import create_function
from lab_support.course.resources import execution_role, table
from lab_support.exercises.registry import exercise

__all__ = ["API_TYPES", "CHAT_CODE", "EX_API", "FEATURES", "prepare_08_2"]

EX_API = "nb08-ex-chat"
EX_FUNCTION = "nb08-ex-chat"
EX_TABLE = "nb08-ex-connections"
EX_ROLE = "nb08-ex-chat-role"
STAGE = "dev"

# The notebook's chat function (section 4): $connect stores {connectionId, name}, $disconnect deletes it,
# sendmessage broadcasts with the Management API, $default answers with what it received.
CHAT_CODE = '''
import json, os
import boto3

TABLE = os.environ["TABLE"]
ddb = boto3.client("dynamodb")


def management(event):
    rc = event["requestContext"]
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"https://{rc['domainName']}/{rc['stage']}"
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)


def handler(event, context):
    rc = event["requestContext"]
    me, route = rc["connectionId"], rc["routeKey"]
    if route == "$connect":
        name = (event.get("queryStringParameters") or {}).get("name")
        if not name:
            return {"statusCode": 400, "body": "a name is required: ?name=..."}
        ddb.put_item(TableName=TABLE, Item={"connectionId": {"S": me}, "name": {"S": name}})
        return {"statusCode": 200}
    if route == "$disconnect":
        ddb.delete_item(TableName=TABLE, Key={"connectionId": {"S": me}})
        return {"statusCode": 200}
    if route == "sendmessage":
        sender = ddb.get_item(TableName=TABLE, Key={"connectionId": {"S": me}})["Item"]["name"]["S"]
        data = f"{sender}: {json.loads(event['body'])['message']}".encode()
        api = management(event)
        for item in ddb.scan(TableName=TABLE)["Items"]:
            try:
                api.post_to_connection(ConnectionId=item["connectionId"]["S"], Data=data)
            except api.exceptions.GoneException:
                ddb.delete_item(TableName=TABLE, Key={"connectionId": item["connectionId"]})
        return {"statusCode": 200}
    return {"statusCode": 200, "body": json.dumps({"routeKey": route, "connectionId": me, "body": event.get("body")})}
'''


def _v2() -> Any:
    return current().client("apigatewayv2")


def _find_ws_api(name: str) -> str | None:
    for api in _v2().get_apis().get("Items", []):
        if api["Name"] == name and api.get("ProtocolType") == "WEBSOCKET":
            return str(api["ApiId"])
    return None


def _delete_ws_apis(name: str) -> None:
    v2 = _v2()
    for api in v2.get_apis().get("Items", []):
        if api["Name"] == name and api.get("ProtocolType") == "WEBSOCKET":
            with contextlib.suppress(v2.exceptions.NotFoundException):
                v2.delete_api(ApiId=api["ApiId"])


def _chat_role(api_id: str) -> str:
    session = current()
    table_arn = f"arn:aws:dynamodb:{session.region}:{session.account_id}:table/{EX_TABLE}"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:Scan"],
         "Resource": table_arn},
        {"Effect": "Allow", "Action": "execute-api:ManageConnections",
         "Resource": f"arn:aws:execute-api:{session.region}:{session.account_id}:{api_id}/{STAGE}/*/@connections/*"},
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": "*"},
    ]}
    return execution_role(EX_ROLE, inline={"chat": policy})


def prepare_08_2() -> str:
    """The WebSocket API ``nb08-ex-chat`` (stage ``dev``), built afresh: ``$connect``, ``$disconnect``,
    ``sendmessage`` and ``$default`` (with a route response), all integrated with the function ``nb08-ex-chat``
    (the notebook's chat handler) and its table ``nb08-ex-connections``. No ``whisper`` route. Returns the API id."""
    session = current()
    v2 = _v2()
    _delete_ws_apis(EX_API)  # back to the starting state
    api_id = str(v2.create_api(Name=EX_API, ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action",
                               Tags=session.tags)["ApiId"])
    session.track(f"WebSocket API {EX_API}", lambda: _delete_ws_apis(EX_API), once=True)
    table(EX_TABLE, key="connectionId")
    arn = create_function(EX_FUNCTION, CHAT_CODE, role=_chat_role(api_id), Timeout=10,
                          Environment={"Variables": {"TABLE": EX_TABLE}})["FunctionArn"]
    allow_api_gateway(EX_FUNCTION, api_id)
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn)["IntegrationId"]
    for key in ("$connect", "$disconnect", "sendmessage", "$default"):
        route_id = v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")["RouteId"]
        if key == "$default":
            v2.create_route_response(ApiId=api_id, RouteId=route_id, RouteResponseKey="$default")
    v2.create_stage(ApiId=api_id, StageName=STAGE)
    v2.create_deployment(ApiId=api_id, StageName=STAGE)
    return api_id


def _ex_api() -> str:
    """The prepared API, built if it does not exist yet (a check may run before the preparing cell)."""
    return _find_ws_api(EX_API) or prepare_08_2()


def _connect(api_id: str, name: str) -> Any:
    from websockets.sync.client import connect

    return connect(f"{current().stage_url(api_id, STAGE, websocket=True)}?name={name}", open_timeout=15)


def _recv(ws: Any, timeout: float) -> str | None:
    """The next message, or ``None`` when nothing came within ``timeout`` seconds."""
    try:
        message = ws.recv(timeout=timeout)
    except TimeoutError:
        return None
    return message if isinstance(message, str) else message.decode("utf-8", "replace")


# -- 08.1: predict ------------------------------------------------------------------------------------------
def _post_to_gone_connection() -> tuple[str, int]:
    """Connect, learn the connection id, close, wait for $disconnect; then post to it. (error code, HTTP status)."""
    session = current()
    api_id = _ex_api()
    with _connect(api_id, f"checker-{uuid.uuid4().hex[:6]}") as ws:
        ws.send("who am I?")  # $default answers with the connection id
        answer = _recv(ws, 15)
    connection_id = json.loads(answer or "{}")["connectionId"]
    wait_idle()  # $disconnect has run
    api = session.client("apigatewaymanagementapi",
                         endpoint_url=f"https://{api_id}.execute-api.{session.region}.amazonaws.com/{STAGE}")
    deadline = time.monotonic() + 10
    while True:
        try:
            api.post_to_connection(ConnectionId=connection_id, Data=b"are you there?")
        except ClientError as err:
            return err.response["Error"]["Code"], int(err.response["ResponseMetadata"]["HTTPStatusCode"])
        if time.monotonic() > deadline:
            return "delivered", 200
        time.sleep(0.2)


@exercise(
    "08.1",
    "predict what post_to_connection does for a connection that has gone",
    'store your prediction as a string, then call lab.check("08.1", prediction); think about what a closed '
    "connection id still names, and how the Management API tells a backend about it",
)
def _predict_gone(prediction: Any = None) -> bool | str:
    if prediction is None:
        return 'store a prediction first, e.g. prediction = "delivered", then lab.check("08.1", prediction)'
    guess = str(prediction).strip()
    code, status = _post_to_gone_connection()
    if code.lower() in guess.lower().replace(" ", ""):
        return True
    return (f"you predicted {guess!r}; post_to_connection raised {code} (HTTP {status}). The id names a connection "
            "that API Gateway has closed; nothing is queued or silently dropped: the call fails, and a backend "
            "uses that failure to forget the id (section 4's handler deletes it from the table)")


# -- 08.2: write a whisper route -----------------------------------------------------------------------------
@exercise(
    "08.2",
    "a whisper route that reaches one named connection",
    "a new route key needs its own route (with an integration as target), a function that finds the named "
    "connection in the table and posts to it alone, and a new deployment of the stage",
)
def _whisper() -> bool | str:
    api_id = _find_ws_api(EX_API)
    if api_id is None:
        return f"the API {EX_API} does not exist: run the cell that prepares the exercise"
    if not any(r["RouteKey"] == "whisper" for r in _v2().get_routes(ApiId=api_id).get("Items", [])):
        return f"{EX_API} has no route with the key whisper yet"
    tag = uuid.uuid4().hex[:6]
    names = {who: f"{who}-{tag}" for who in ("ann", "bob", "cy")}
    text = f"psst {tag}"
    try:
        with contextlib.ExitStack() as stack:
            clients = {who: stack.enter_context(_connect(api_id, name)) for who, name in names.items()}
            clients["ann"].send(json.dumps({"action": "whisper", "to": names["cy"], "message": text}))
            got = {who: _recv(clients[who], 8 if who == "cy" else 2) for who in ("cy", "ann", "bob")}
    finally:
        wait_idle()
    shown = {who: (m.replace(tag, "<tag>") if m else m) for who, m in got.items()}
    if got["ann"] and '"routeKey": "$default"' in got["ann"]:
        return "the whisper went to $default: is the whisper route deployed to the stage dev?"
    expected = f"{names['ann']} (whisper): {text}"
    if got["cy"] != expected:
        return (f'ann-<tag> whispered "psst <tag>" to cy-<tag>, who received {shown["cy"]!r}; expected '
                f'{expected.replace(tag, "<tag>")!r}')
    if got["bob"] is not None:
        return f"bob-<tag> received {shown['bob']!r} too: a whisper reaches the named connection only"
    if got["ann"] is not None:
        return f"the sender ann-<tag> received {shown['ann']!r}: a whisper reaches the named connection only"
    return True


# -- 08.3: design ------------------------------------------------------------------------------------------
API_TYPES = ("REST", "HTTP", "WEBSOCKET")
# The features a student may name as the deciding one, and the API types that have each
# (docs/api-types.md; https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html).
FEATURES: dict[str, str] = {
    "api_keys_usage_plans": "API keys and usage plans (per-client throttling and quotas)",
    "jwt_authorizer": "built-in JWT authorizers",
    "lambda_authorizer": "Lambda authorizers",
    "lower_price": "the lowest price per million requests",
    "server_push": "the backend pushes messages to connected clients",
    "caching": "API caching",
    "waf": "AWS WAF",
    "lambda_proxy": "Lambda proxy integrations",
}
_HAS: dict[str, set[str]] = {
    "api_keys_usage_plans": {"REST"},
    "jwt_authorizer": {"HTTP"},
    "lambda_authorizer": {"REST", "HTTP", "WEBSOCKET"},
    "lower_price": {"HTTP"},
    "server_push": {"WEBSOCKET"},
    "caching": {"REST"},
    "waf": {"REST"},
    "lambda_proxy": {"REST", "HTTP", "WEBSOCKET"},
}
_APPS: dict[str, tuple[str, set[str], str]] = {
    "partner_api": ("REST", {"api_keys_usage_plans"},
                    "partners each get an API key, with their own quota and rate limit"),
    "spa_backend": ("HTTP", {"jwt_authorizer", "lower_price"},
                    "the users already carry JWTs from the identity provider, and cost matters most"),
    "scoreboard": ("WEBSOCKET", {"server_push"},
                   "thousands of viewers must see each new score within a second, without asking for it"),
}


@exercise(
    "08.3",
    "choose an API type, and say which feature decides",
    'call lab.check("08.3", choices) with {"type": ..., "because": ...} for each application; the table of '
    "section 6 says which type has which feature: look for the one the application cannot do without",
)
def _choose(choices: Any = None) -> bool | str:
    if choices is None:
        return 'fill in choices, e.g. {"partner_api": {"type": "HTTP", "because": "lower_price"}, ...}'
    if not isinstance(choices, Mapping):
        return 'choices is a dict: {"partner_api": {...}, "spa_backend": {...}, "scoreboard": {...}}'
    for app, (expected, deciding, need) in _APPS.items():
        choice = choices.get(app)
        if not isinstance(choice, Mapping) or not choice.get("type") or not choice.get("because"):
            return f'{app}: give {{"type": ..., "because": ...}}'
        kind, because = str(choice["type"]).strip().upper(), str(choice["because"]).strip()
        if kind not in API_TYPES:
            return f"{app}: the type is one of {', '.join(API_TYPES)}, not {kind!r}"
        if because not in FEATURES:
            return f"{app}: 'because' is one of the FEATURES keys ({', '.join(FEATURES)}), not {because!r}"
        if kind not in _HAS[because]:
            return f"{app}: a {kind} API does not offer {FEATURES[because]} (see the table in section 6)"
        if because not in deciding:
            others = sorted(_HAS[because] - {kind})
            if others:
                return (f"{app}: {FEATURES[because]} is not what decides: "
                        f"{' and '.join(others)} APIs have it too. Read the application again: {need}")
            return f"{app}: {kind} has {FEATURES[because]}, but the application did not ask for it: {need}"
        if kind != expected:
            return f"{app}: look again at the type: {need}"
    return True
