"""Self-checks (and the prepared set-ups) for notebook 02, Lambda invocation and the permissions model.

* 02.1 (fix): the greeter behind ``GET /hello`` of a REST API gets a new version whose Lambda proxy response breaks
  the contract (502); the check sends real requests through the deployed API.
* 02.2 (diagnose): :func:`prepare_02_2` builds a guestbook function whose execution role grants
  ``dynamodb:PutItem`` on the wrong resource; the check really invokes the function and reads the table.
* 02.3 (predict): the check invokes a failing function synchronously and asynchronously and compares with the
  student's prediction.

Everything goes through public APIs (IAM, Lambda, API Gateway, DynamoDB) and is tracked for ``lab.cleanup()``;
nothing here imports :mod:`lab_support.embedded`, so the checks run on both backends.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from lab_support.core.session import current
from lab_support.course.api_builders import execute_api_arn, lambda_uri
from lab_support.course.functions import BASIC_EXECUTION_POLICY, create_function
from lab_support.course.resources import clear_permissions, execution_role, table
from lab_support.exercises.registry import Verdict, compare_prediction, exercise

GREETER = "nb02-greeter"
GREETER_API = "nb02-greeter-api"
GREETER_STAGE = "prod"
GUESTBOOK = "nb02-guestbook"
GUESTBOOK_ROLE = "nb02-guestbook-role"
FAILING = "nb02-failing"

GREETER_CODE = '''
import json


def handler(event, context):
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"message": f"Hello, {name}!"})}
'''

GUESTBOOK_CODE = '''
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    table.put_item(Item={"name": event["name"], "message": event.get("message", "")})
    return {"saved": event["name"]}
'''


def _find_api(apigw: Any, name: str) -> str | None:
    for api in apigw.get_rest_apis(limit=500).get("items", []):
        if api["name"] == name:
            return str(api["id"])
    return None


def greeter_api() -> str:
    """The REST API ``nb02-greeter-api``: ``GET /hello`` with a Lambda proxy integration to the function
    ``nb02-greeter`` (which must exist), deployed to stage ``prod``. Clears the function's resource-based policy,
    so API Gateway may not invoke it yet. Returns the API id. Re-runnable (finds the API)."""
    session = current()
    apigw = session.client("apigateway")
    fn = session.client("lambda").get_function(FunctionName=GREETER)["Configuration"]
    clear_permissions(GREETER)  # start without a resource policy
    api_id = _find_api(apigw, GREETER_API)
    if api_id is None:
        api_id = str(apigw.create_rest_api(name=GREETER_API, tags=session.tags,
                                           endpointConfiguration={"types": ["REGIONAL"]})["id"])
        session.track(f"REST API {GREETER_API}", lambda: apigw.delete_rest_api(restApiId=api_id))
    resources = apigw.get_resources(restApiId=api_id)["items"]
    hello = next((r for r in resources if r.get("path") == "/hello"), None)
    if hello is None:
        root = next(r for r in resources if r["path"] == "/")
        hello = apigw.create_resource(restApiId=api_id, parentId=root["id"], pathPart="hello")
    with contextlib.suppress(apigw.exceptions.ConflictException):
        apigw.put_method(restApiId=api_id, resourceId=hello["id"], httpMethod="GET", authorizationType="NONE")
    # Lambda proxy integration: API Gateway always calls Lambda's Invoke API with POST
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
    apigw.put_integration(
        restApiId=api_id, resourceId=hello["id"], httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
        uri=lambda_uri(fn["FunctionArn"], session.region),
    )
    apigw.create_deployment(restApiId=api_id, stageName=GREETER_STAGE)
    return api_id


def prepare_02_1() -> str:
    """What the notebook's cells before exercise 02.1 do: the greeter function, its API, and the permission for
    this API's GET /hello on any stage. Returns the API id."""
    create_function(GREETER, GREETER_CODE)
    api_id = greeter_api()
    current().client("lambda").add_permission(
        FunctionName=GREETER, StatementId="apigateway-get-hello", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=execute_api_arn(api_id, "*/GET/hello"))
    return api_id


def _get(url: str) -> tuple[int, Any]:
    import requests

    answer = requests.get(url, timeout=30)
    try:
        return answer.status_code, answer.json()
    except ValueError:
        return answer.status_code, answer.text


@exercise(
    "02.1",
    "a greeter that answers 502",
    [
        "Run the cell: 502 means API Gateway got an answer from the function but could not turn it into an HTTP "
        "response. Compare what this handler returns with what the first greeter returned.",
        "Re-read 'API Gateway as the caller': the Lambda proxy response has statusCode, headers and body, and "
        "body has one type only.",
        "The proxy output format is in 'Set up Lambda proxy integrations' (output format); json.dumps turns a dict "
        "into text. Deploy again with lab.create_function.",
    ],
    kind="fix",
)
def _greeter_fixed() -> Verdict:
    session = current()
    api_id = _find_api(session.client("apigateway"), GREETER_API)
    if api_id is None:
        return "the API nb02-greeter-api does not exist: run the cells of 'API Gateway as the caller' first"
    status, body = _get(session.stage_url(api_id, GREETER_STAGE, "hello") + "?name=Ada&lang=fr")
    if status == 502:
        return "GET /hello?name=Ada&lang=fr still answers 502: the proxy response breaks the contract"
    if status in (403, 500):
        return f"GET /hello answers {status}: may API Gateway invoke the function? Run the add_permission cell"
    if status != 200:
        return f"GET /hello?name=Ada&lang=fr answers {status}, not 200"
    message = body.get("message") if isinstance(body, dict) else None
    if message != "Bonjour, Ada!":
        return f'200 now, but the body is {body!r}: expected {{"message": "Bonjour, Ada!"}} (keep the new feature)'
    return True


# --- 02.2 -----------------------------------------------------------------------------------------------------


def prepare_02_2() -> str:
    """Table ``nb02-guestbook`` and function ``nb02-guestbook`` (writes one item per invocation) whose role
    ``nb02-guestbook-role`` may write logs and put items... into a table of another name. Returns the table's
    ARN. Re-runnable: it sets the role's policies back to the broken ones."""
    session = current()
    table_arn = table(GUESTBOOK, key="name")
    wrong_table = table_arn.rsplit("/", 1)[0] + "/nb02-guest-book"
    access = {"Version": "2012-10-17", "Statement": [
        {"Sid": "WriteGuestbook", "Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": wrong_table}]}
    role_arn = execution_role(GUESTBOOK_ROLE, inline={"logs": BASIC_EXECUTION_POLICY, "guestbook-access": access})
    create_function(GUESTBOOK, GUESTBOOK_CODE, role=role_arn, Environment={"Variables": {"TABLE": GUESTBOOK}})
    session.client("lambda").get_waiter("function_active_v2").wait(FunctionName=GUESTBOOK)
    return table_arn


def _too_broad(iam: Any) -> str | None:
    """Why the guestbook role grants far more than the code needs, or ``None``."""
    attached = iam.list_attached_role_policies(RoleName=GUESTBOOK_ROLE)["AttachedPolicies"]
    for policy in attached:
        if "FullAccess" in policy["PolicyName"] or policy["PolicyName"] == "AdministratorAccess":
            return f"the managed policy {policy['PolicyName']} lets the function do far more than put one item"
    for name in iam.list_role_policies(RoleName=GUESTBOOK_ROLE)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=GUESTBOOK_ROLE, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(document)
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            actions = statement.get("Action", [])
            resources = statement.get("Resource", [])
            actions = actions if isinstance(actions, list) else [actions]
            resources = resources if isinstance(resources, list) else [resources]
            if statement.get("Effect") == "Allow" and {"*", "dynamodb:*"} & set(actions) and "*" in resources:
                return f"the policy {name} allows every DynamoDB action on every table"
    return None


@exercise(
    "02.2",
    "a guestbook that may not write",
    [
        "Invoke the function and read errorMessage word by word: who is refused, which action, on which resource?",
        "Re-read 'What may the function call? The execution role': then compare the message with what the role's "
        "policies say.",
        "iam.list_role_policies and iam.get_role_policy show a role's inline policies; iam.put_role_policy "
        "replaces one.",
    ],
    kind="diagnose",
)
def _guestbook_writes() -> Verdict:
    session = current()
    lam, ddb, iam = session.client("lambda"), session.client("dynamodb"), session.client("iam")
    name = f"checker-{uuid.uuid4().hex[:8]}"
    try:
        response = lam.invoke(FunctionName=GUESTBOOK, Payload=json.dumps({"name": name, "message": "hi"}))
    except lam.exceptions.ResourceNotFoundException:
        return "the function nb02-guestbook does not exist: run the cell that prepares the exercise"
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        error = payload.get("errorType") if isinstance(payload, dict) else payload
        return f"the function still fails with {error}"
    item = ddb.get_item(TableName=GUESTBOOK, Key={"name": {"S": name}}).get("Item")
    if item is None:
        return "the function ran, but the item is not in the table"
    ddb.delete_item(TableName=GUESTBOOK, Key={"name": {"S": name}})
    broad = _too_broad(iam)
    if broad:
        return f"it works, but {broad}: grant only what the code calls, on this table"
    return True


# --- 02.3 -----------------------------------------------------------------------------------------------------

CHOICES = (200, 202, 204, 500, "exception")


def _outcome(invoke: Any) -> int | str:
    try:
        response = invoke()
    except Exception:  # a ClientError: the caller got an exception, not a response
        return "exception"
    return int(response["StatusCode"])


@exercise(
    "02.3",
    "a failing function, called two ways",
    [
        'Fill in both "...": a status code (or "exception") for each way of invoking.',
        "Re-read the table of 'Three ways to invoke': is the status code about the invocation or about the code?",
        "The Invoke API reference lists the StatusCode of each InvocationType and the FunctionError field.",
    ],
    kind="predict",
)
def _failing_two_ways(prediction: Any = ...) -> Verdict:
    if not isinstance(prediction, dict) or any(prediction.get(k, ...) is ... for k in ("RequestResponse", "Event")):
        return ('record your prediction first: prediction = {"RequestResponse": ..., "Event": ...}, each one of '
                f"{list(CHOICES)}, then run the cell")
    bad = [v for v in prediction.values() if v not in CHOICES]
    if bad:
        return f"{bad[0]!r} is not one of {list(CHOICES)}"
    lam = current().client("lambda")
    try:
        lam.get_function(FunctionName=FAILING)
    except lam.exceptions.ResourceNotFoundException:
        return "the function nb02-failing does not exist: run the cell that creates it"
    payload = json.dumps({"order": 42})
    sync: dict[str, Any] = {}

    def call_sync() -> Any:
        sync.update(lam.invoke(FunctionName=FAILING, Payload=payload))
        return sync

    observed = {"RequestResponse": _outcome(call_sync),
                "Event": _outcome(lambda: lam.invoke(FunctionName=FAILING, InvocationType="Event", Payload=payload))}
    error = sync.get("FunctionError", "none")
    why = (f"A synchronous call that reaches the function answers 200 even when the code raises: the failure is in "
           f"the response's FunctionError field ({error}) and in the payload (errorType, errorMessage), so a "
           "caller must look at FunctionError, not only at the status. An Event call answers 202 as soon as Lambda "
           "has queued the event; the caller never learns that it failed. Lambda retries it (twice by default), "
           "then drops it or sends it to a destination or dead-letter queue (notebook 03).")
    return compare_prediction(prediction, observed, why)
