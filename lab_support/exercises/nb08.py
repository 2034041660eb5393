"""Self-checks (and the prepared chat API) for notebook 08, WebSocket APIs and choosing an API type.

The checks look at real state: they connect real WebSocket clients to the prepared API's stage, read what each
one receives and what the connections table holds, and call the API Gateway Management API for real.

* 08.1 (predict): what ``post_to_connection`` does for a connection that has gone. The student records a
  prediction; only then does the check connect a client, close it, post to its id, and compare
  (:func:`~lab_support.exercises.registry.compare_prediction`).
* 08.2 (fix): :func:`prepare_08_2` builds the WebSocket API ``nb08-ex-chat`` whose ``$default`` handler
  (``nb08-ex-broadcast``) sends every message to every connection in the table, without handling
  ``GoneException``: one stale id (a client gone without ``$disconnect``) makes it fail. The student fixes the
  handler; the check leaves a real stale id in the table, connects three clients, and looks at who received the
  message and whether the stale id was forgotten.
* 08.3 (design): REST, HTTP or WebSocket for a described case, with the reasons
  (:func:`~lab_support.exercises.registry.judge_design`).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from typing import Any

from botocore.exceptions import ClientError

from lab_support.core.idle import wait_idle
from lab_support.core.retry import StillWaiting, until
from lab_support.core.session import current
from lab_support.course.api_builders import allow_api_gateway
from lab_support.course.functions import create_function
from lab_support.course.resources import execution_role, table
from lab_support.exercises.registry import Outcome, Verdict, compare_prediction, exercise, judge_design

__all__ = ["BROADCAST_CODE", "CONNECTIONS_CODE", "EX_API", "prepare_08_2"]

EX_API = "nb08-ex-chat"
EX_CONNECTIONS = "nb08-ex-connections"  # the function for $connect and $disconnect
EX_BROADCAST = "nb08-ex-broadcast"  # the function for $default (the one to fix)
EX_TABLE = "nb08-ex-connections"
EX_ROLE = "nb08-ex-chat-role"
STAGE = "dev"
# What API Gateway sends the sender when a route's function fails ({"message": "Internal server error", ...}).
INTERNAL_ERROR = "Internal server error"

# $connect stores {connectionId, name} (a name is required), $disconnect deletes the row: the notebook's
# connections handler, without the copy of the event it keeps for section 3.
CONNECTIONS_CODE = '''
import os
import boto3

ddb = boto3.client("dynamodb")


def handler(event, context):
    key = {"connectionId": {"S": event["requestContext"]["connectionId"]}}
    if event["requestContext"]["routeKey"] == "$disconnect":
        ddb.delete_item(TableName=os.environ["TABLE"], Key=key)
        return {"statusCode": 200}
    name = (event.get("queryStringParameters") or {}).get("name")
    if not name:
        return {"statusCode": 400, "body": "a name is required: ?name=..."}
    ddb.put_item(TableName=os.environ["TABLE"], Item={**key, "name": {"S": name}})
    return {"statusCode": 200}
'''

# The broken $default handler, as the notebook shows it in its %%lambda_handler broadcast_code cell.
BROADCAST_CODE = '''
import boto3, os

ddb = boto3.client("dynamodb")

def handler(event, context):  # $default: send the message to every connection in the table
    rc, table = event["requestContext"], os.environ["TABLE"]
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"https://{rc['domainName']}/{rc['stage']}"
    api = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    for item in ddb.scan(TableName=table)["Items"]:
        api.post_to_connection(ConnectionId=item["connectionId"]["S"], Data=event["body"].encode())
    return {"statusCode": 200}
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


def _empty_table() -> None:
    ddb = current().client("dynamodb")
    for item in ddb.scan(TableName=EX_TABLE).get("Items", []):
        ddb.delete_item(TableName=EX_TABLE, Key={"connectionId": item["connectionId"]})


def prepare_08_2() -> str:
    """The WebSocket API ``nb08-ex-chat`` (stage ``dev``), built afresh: ``$connect`` and ``$disconnect`` →
    ``nb08-ex-connections`` (rows in the table ``nb08-ex-connections``), ``$default`` → ``nb08-ex-broadcast``
    running :data:`BROADCAST_CODE` (no ``GoneException`` handling). Returns the API id."""
    session = current()
    v2 = _v2()
    _delete_ws_apis(EX_API)  # back to the starting state
    api_id = str(v2.create_api(Name=EX_API, ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action",
                               Tags=session.tags)["ApiId"])
    session.track(f"WebSocket API {EX_API}", lambda: _delete_ws_apis(EX_API), once=True)
    table(EX_TABLE, key="connectionId")
    _empty_table()
    role = _chat_role(api_id)
    settings = {"role": role, "Timeout": 10, "Environment": {"Variables": {"TABLE": EX_TABLE}}}
    targets = {}
    for name, code in ((EX_CONNECTIONS, CONNECTIONS_CODE), (EX_BROADCAST, BROADCAST_CODE)):
        arn = create_function(name, code, **settings)["FunctionArn"]
        allow_api_gateway(name, api_id)
        targets[name] = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn)["IntegrationId"]
    for key, name in (("$connect", EX_CONNECTIONS), ("$disconnect", EX_CONNECTIONS), ("$default", EX_BROADCAST)):
        v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{targets[name]}")
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


def _messages(ws: Any, timeout: float) -> list[str]:
    """What ``ws`` receives: waits ``timeout`` seconds for a first message, then takes what follows at once."""
    first = _recv(ws, timeout)
    found = [] if first is None else [first]
    while found and (more := _recv(ws, 0.5)) is not None:
        found.append(more)
    return found


def _connection_id(name: str) -> str | None:
    """The connection id ``$connect`` stored for ``name`` in the exercise's table."""
    for item in current().client("dynamodb").scan(TableName=EX_TABLE, ConsistentRead=True).get("Items", []):
        if item.get("name", {}).get("S") == name:
            return str(item["connectionId"]["S"])
    return None


def _gone_connection(api_id: str) -> tuple[str, str]:
    """Connect a client, close it, wait for ``$disconnect``: ``(its name, its now stale connection id)``."""
    name = f"ghost-{uuid.uuid4().hex[:6]}"
    with _connect(api_id, name):
        wait_idle()  # $connect has stored the row
        connection_id = _connection_id(name)
    wait_idle()  # $disconnect has run (here; on AWS it runs a moment after the close: wait for its delete)
    if connection_id is None:
        raise RuntimeError(f"$connect of {EX_API} stored no row for {name}: run the cell that prepares exercise 08.2")
    until(lambda: _connection_id(name) is None, what=f"$disconnect to delete the row of {name}")
    return name, connection_id


def _management(api_id: str) -> Any:
    """The Management API of the stage: ``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}`` on AWS, the
    session's endpoint on the course's AWS (where the connection id alone names the connection)."""
    session = current()
    endpoint = session.endpoint_url or f"https://{api_id}.execute-api.{session.region}.amazonaws.com/{STAGE}"
    return session.client("apigatewaymanagementapi", endpoint_url=endpoint)


# -- 08.1: predict ------------------------------------------------------------------------------------------
OUTCOMES = ("queued", "dropped", "refused")


def _post_to_gone_connection() -> tuple[str, int]:
    """Post to the id of a connection that has closed: (error code or "accepted", HTTP status)."""
    api_id = _ex_api()
    _, connection_id = _gone_connection(api_id)
    api = _management(api_id)
    deadline = time.monotonic() + 10  # on AWS a closed connection may take a moment to be forgotten
    while True:
        try:
            api.post_to_connection(ConnectionId=connection_id, Data=b"are you there?")
        except ClientError as err:
            return err.response["Error"]["Code"], int(err.response["ResponseMetadata"]["HTTPStatusCode"])
        if time.monotonic() > deadline:
            return "accepted", 200
        time.sleep(0.2)


@exercise(
    "08.1",
    "posting to a client that has left",
    [
        "Think about what a connection id names once the client has closed that connection.",
        "Section 4 pushes with post_to_connection; section 1 says who holds the connections (API Gateway, not "
        "your function).",
        "AWS's page 'Use @connections commands in your backend service' says what PostToConnection does with a "
        "connection id; ask yourself what API Gateway still holds once the client has closed.",
    ],
    kind="predict",
)
def _predict_gone(prediction: Any = ...) -> Verdict:
    if prediction is ... or prediction is None or prediction not in OUTCOMES:
        return compare_prediction(prediction, None, "", choices=OUTCOMES)  # nothing is run before a prediction
    code, status = _post_to_gone_connection()
    observed = "refused" if code != "accepted" else "dropped"
    why = (f"post_to_connection raised {code} (HTTP {status}): the id names a connection API Gateway has closed. "
           "Nothing is kept for a client that comes back (it gets a new connection id) and nothing vanishes "
           "silently: the caller learns that the id is stale and should forget it.")
    verdict = compare_prediction(prediction, observed, why, choices=OUTCOMES)
    return verdict if isinstance(verdict, Outcome) else Outcome(False, str(verdict))


# -- 08.2: fix the broadcast ---------------------------------------------------------------------------------
@exercise(
    "08.2",
    "a broadcast that survives a client gone without $disconnect",
    [
        "Which call in the handler fails when one id in the table names a closed connection, and what happens to "
        "the rest of the loop?",
        "Section 4, 'When a client leaves', shows what post_to_connection does for a closed connection, and why "
        "$disconnect cannot be relied on.",
        "The Management API client raises a modelled exception for a connection that no longer exists; DynamoDB's "
        "delete_item; Lambda's update_function_code with lab.lambda_zip.",
    ],
    kind="fix",
)
def _broadcast_survives() -> bool | str:
    api_id = _find_ws_api(EX_API)
    if api_id is None:
        return f"the API {EX_API} does not exist: run the cell that prepares the exercise"
    ddb = current().client("dynamodb")
    ghost, stale_id = _gone_connection(api_id)
    ddb.put_item(TableName=EX_TABLE, Item={"connectionId": {"S": stale_id}, "name": {"S": ghost}})  # a lost $disconnect
    tag = uuid.uuid4().hex[:6]
    text = f"hello from the check {tag}"
    try:
        with contextlib.ExitStack() as stack:
            clients = {who: stack.enter_context(_connect(api_id, f"{who}-{tag}")) for who in ("ann", "bob", "cy")}
            wait_idle()
            clients["ann"].send(text)
            wait_idle()  # the $default function has finished (on AWS: returns at once, the timeouts wait)
            got = {who: _messages(ws, 5 if who == "ann" else 2) for who, ws in clients.items()}
    finally:
        wait_idle()
    failed = any(INTERNAL_ERROR in message for message in got["ann"])
    missed = sorted(who for who, messages in got.items() if text not in messages)
    still_there = True
    if not failed and not missed:  # the fixed function deleted the stale id (on AWS it may show a moment later)
        with contextlib.suppress(StillWaiting):
            still_there = not until(lambda: _connection_id(ghost) is None, what="the stale id to leave the table",
                                    max_wait=15)
    with contextlib.suppress(ClientError):  # leave the table as the check found it
        ddb.delete_item(TableName=EX_TABLE, Key={"connectionId": {"S": stale_id}})
    if failed:
        return ('with one stale id in the table, the $default function failed: ann, the sender, received '
                '{"message": "Internal server error"}, and the clients after the stale id missed the message')
    if missed:
        return f"the function did not fail, but {', '.join(missed)} did not receive ann's message"
    if still_there:
        return "everyone received the message, but the stale id is still in the table: forget it when it fails"
    return True


# -- 08.3: design ------------------------------------------------------------------------------------------
API_TYPES = ("REST", "HTTP", "WEBSOCKET")
SOUND = {
    "keys": "only REST APIs have API keys and usage plans, which give each partner its own quota and rate limit",
    "cache": "a REST stage can cache answers that change once a night; HTTP and WebSocket APIs have no cache",
    "ask_answer": "partners ask and the API answers: nothing has to reach a partner unasked",
}
UNSOUND = {
    "cheaper": "it is the other way round: an HTTP API costs less per million requests than a REST API "
               "(Amazon API Gateway pricing)",
    "jwt_quota": "an authorizer decides who may call; counting and limiting each caller's requests is what "
                 "usage plans do, and HTTP APIs have none",
    "rest_style": "REST is a style; HTTP APIs route GET /books/{isbn} just as well. The REST API product is "
                  "named after the style, it does not own it",
    "push": "the case asks for nothing to be pushed: partners call when they need data",
}
ON_CHOICE = {
    "HTTP": "an HTTP API has no API keys or usage plans: how would each partner get its own quota and rate limit?",
    "WEBSOCKET": "nothing in the case needs the server to speak first, and WebSocket APIs have no usage plans "
                 "either: how would each partner get its own quota?",
}


@exercise(
    "08.3",
    "an API for partner companies",
    [
        "List what the case requires, then strike out the API types that lack one of those requirements.",
        "Section 6's table and decision guide compare the three types, row by row.",
        "The page 'Choose between REST APIs and HTTP APIs' lists which features (API keys, usage plans, caching) "
        "each type has.",
    ],
    kind="design",
)
def _choose(choice: Any = ..., reasons: Any = None) -> Verdict:
    return judge_design(choice, reasons, best="REST", options=API_TYPES, sound=SOUND, unsound=UNSOUND, needed=2,
                        on_choice=ON_CHOICE)
