"""Self-checks (and the prepared resources) for notebook 02, Lambda invocation and the permissions model.

Each exercise starts from resources a ``prepare_…`` function builds through public APIs (IAM, Lambda, API
Gateway, DynamoDB), re-runnable and tracked for ``lab.cleanup()``. The checks look at real state: 02.1 sends
a real request through the deployed API (so API Gateway really invokes the function as
``apigateway.amazonaws.com``) and reads the function's policy with ``lambda.get_policy``, 02.2 really invokes
the function and reads the table. Nothing here imports :mod:`lab_support.embedded`: the checks run on both backends.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from lab_support.core.session import current
from lab_support.course.api_builders import lambda_uri
from lab_support.course.functions import BASIC_EXECUTION_POLICY, create_function
from lab_support.course.resources import clear_permissions, execution_role, table
from lab_support.exercises.registry import exercise

GREETER = "nb02-greeter"
GREETER_API = "nb02-greeter-api"
GREETER_STAGE = "prod"
GUESTBOOK = "nb02-guestbook"
GUESTBOOK_ROLE = "nb02-guestbook-role"

GREETER_CODE = '''
import json


def handler(event, context):
    # A Lambda proxy integration: API Gateway passes the HTTP request as the event and turns this dict
    # into the HTTP response.
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


def prepare_02_1() -> str:
    """Function ``nb02-greeter`` behind ``GET /hello`` of the REST API ``nb02-greeter-api`` (stage ``prod``),
    with **no** permission for API Gateway to invoke it. Returns the API id. Re-runnable."""
    session = current()
    apigw = session.client("apigateway")
    fn = create_function(GREETER, GREETER_CODE)
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


def prepare_02_2() -> str:
    """Table ``nb02-guestbook`` and function ``nb02-guestbook`` (writes one item per invocation) whose role
    ``nb02-guestbook-role`` may only write logs. Returns the table's ARN. Re-runnable."""
    table_arn = table(GUESTBOOK, key="name")
    role_arn = execution_role(GUESTBOOK_ROLE, inline={"logs": BASIC_EXECUTION_POLICY})  # logs only, whatever was added
    create_function(GUESTBOOK, GUESTBOOK_CODE, role=role_arn, Environment={"Variables": {"TABLE": GUESTBOOK}})
    return table_arn


@exercise(
    "02.1",
    "let API Gateway invoke the greeter",
    "lambda.add_permission(FunctionName=\"nb02-greeter\", StatementId=..., Action=\"lambda:InvokeFunction\", "
    "Principal=\"apigateway.amazonaws.com\", SourceArn=f\"arn:aws:execute-api:{region}:{account}:{api_id}/*/GET/hello\")",
)
def _apigw_may_invoke() -> bool | str:
    import requests

    session = current()
    lam, apigw = session.client("lambda"), session.client("apigateway")
    api_id = _find_api(apigw, GREETER_API)
    if api_id is None:
        return "the API nb02-greeter-api does not exist: run the cell that prepares the exercise"
    try:
        lam.get_function(FunctionName=GREETER)
    except lam.exceptions.ResourceNotFoundException:
        return "the function nb02-greeter does not exist: run the cell that prepares the exercise"
    answer = requests.get(session.stage_url(api_id, GREETER_STAGE, "hello"), timeout=30)
    if answer.status_code != 200:
        return f"GET /hello still answers {answer.status_code}: API Gateway may not invoke the function yet"
    policy = json.loads(lam.get_policy(FunctionName=GREETER)["Policy"])
    if _any_api_may_invoke(policy, api_id):
        return "it works, but any API may now invoke the function: scope SourceArn to this API's ARN"
    return True


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _any_api_may_invoke(policy: dict[str, Any], api_id: str) -> bool:
    """Does a statement of the function's policy (as ``lambda.get_policy`` returns it) let API Gateway invoke the
    function for some API other than ``api_id``?

    It does when an Allow statement names ``apigateway.amazonaws.com`` (or ``*``), covers ``lambda:InvokeFunction``
    and has no ``AWS:SourceArn`` condition pinned to this API: the ``SourceArn`` of a call from API Gateway is
    ``arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{METHOD}/{path}``
    (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html). Real state only, read through the
    public API: the same check runs on a real account.
    """
    for statement in _as_list(policy.get("Statement", [])):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        services = _as_list(principal.get("Service", [])) + _as_list(principal.get("AWS", [])) \
            if isinstance(principal, dict) else [principal]
        if not {"apigateway.amazonaws.com", "*"} & set(services):
            continue
        if not {"lambda:InvokeFunction", "lambda:*", "*"} & set(_as_list(statement.get("Action", []))):
            continue
        source_arns = [value for operator, block in (statement.get("Condition") or {}).items() if "Not" not in operator
                       for key, values in block.items() if key.lower() == "aws:sourcearn" for value in _as_list(values)]
        if not source_arns or not all(_names_api(str(arn), api_id) for arn in source_arns):
            return True
    return False


def _names_api(source_arn: str, api_id: str) -> bool:
    """``arn:aws:execute-api:{region}:{account}:{api_id}/…`` with this very API id (no wildcard in it)."""
    parts = source_arn.split(":", 5)
    return len(parts) == 6 and parts[2] == "execute-api" and parts[5].split("/", 1)[0] == api_id


@exercise(
    "02.2",
    "let the guestbook function write to its table",
    "iam.put_role_policy(RoleName=\"nb02-guestbook-role\", PolicyName=..., PolicyDocument=json.dumps(...)) "
    "allowing dynamodb:PutItem on the table's ARN",
)
def _guestbook_writes() -> bool | str:
    session = current()
    lam, ddb = session.client("lambda"), session.client("dynamodb")
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
    return True
