"""Self-checks (and the prepared fault) for notebook 09, the capstone bookstore.

* 09.1 (diagnose): ``prepare_09_1`` gives the function's role a policy without one action the code needs, so
  ``DELETE /books/{id}`` answers 502. The check invokes the alias ``live`` with a real proxy event for a book it
  writes itself, then reads the table and the role's policies: the delete must work, and the role must still be
  least privilege (no ``dynamodb:*``, no DynamoDB action on ``*``, no managed DynamoDB policy).
* 09.2 (design): choose the authorizer for 40 partner shops, with reasons.

Only public APIs: the checks run the same on a real account.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from lab_support.core.session import current
from lab_support.course.functions import create_function
from lab_support.course.resources import execution_role, table
from lab_support.exercises.registry import Verdict, exercise, judge_design

FUNCTION = "bookstore-books"
ROLE = "bookstore-books-role"
TABLE = "bookstore-books"
PROBE = "checker-probe"


# Stands in for the notebook's handler when the exercise is prepared on its own (tests, a fresh kernel that
# skipped sections 1-8): only the delete route, as the notebook's handler does it.
STAND_IN_CODE = '''
import os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    if event["httpMethod"] == "DELETE":
        table.delete_item(Key={"id": event["pathParameters"]["id"]})
        return {"statusCode": 204, "body": ""}
    return {"statusCode": 405, "body": ""}
'''


def prepare_09_1() -> None:
    """The colleague's "tightened" role: the table policy lists what they thought the code calls. Re-runnable.

    Builds a stand-in bookstore (table, role, function, alias ``live``) when the notebook's is not there."""
    session = current()
    lam = session.client("lambda")
    table_arn = table(TABLE, key="id")
    tightened = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Resource": table_arn,
        "Action": ["dynamodb:Scan", "dynamodb:GetItem", "dynamodb:PutItem"]}]}
    role_arn = execution_role(ROLE, managed=["AWSLambdaBasicExecutionRole"], inline={"books-table": tightened})
    try:
        lam.get_alias(FunctionName=FUNCTION, Name="live")
    except lam.exceptions.ResourceNotFoundException:
        create_function(FUNCTION, STAND_IN_CODE, role=role_arn, Environment={"Variables": {"TABLE": TABLE}})
        version = lam.publish_version(FunctionName=FUNCTION)["Version"]
        lam.create_alias(FunctionName=FUNCTION, Name="live", FunctionVersion=version)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _too_broad(document: dict[str, Any]) -> str | None:
    for statement in _as_list(document.get("Statement", [])):
        if statement.get("Effect") != "Allow":
            continue
        actions = [str(a).lower() for a in _as_list(statement.get("Action", []))]
        dynamo = [a for a in actions if a.startswith("dynamodb:") or a == "*"]
        if any(a in ("*", "dynamodb:*") for a in dynamo):
            return "the role now allows every DynamoDB action: allow only the ones the code calls"
        if dynamo and "*" in _as_list(statement.get("Resource", [])):
            return "the role now allows DynamoDB actions on every table: name this table's ARN"
    return None


def _role_is_least_privilege() -> str | None:
    iam = current().client("iam")
    attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    if any("DynamoDB" in p["PolicyName"] for p in attached):
        return "a managed DynamoDB policy is attached: it allows far more than the code needs"
    for name in iam.list_role_policies(RoleName=ROLE)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=ROLE, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):  # some endpoints return it URL-encoded
            document = json.loads(unquote(document))
        problem = _too_broad(document)
        if problem:
            return problem
    return None


@exercise("09.1", "the shop cannot remove books", kind="diagnose", hints=[
    "Something stops the function half-way through a delete. What does the function's own log say about that call?",
    "Section 2 ('The function and its least-privilege role') lists what the role allows; compare it with what the "
    "code calls for each route.",
    "The log line names an action and a resource; the role's inline policy (IAM get_role_policy / put_role_policy) "
    "is where actions are allowed.",
])
def _deletes_work() -> Verdict:
    session = current()
    lam, ddb = session.client("lambda"), session.client("dynamodb")
    try:
        ddb.put_item(TableName=TABLE, Item={"id": {"S": PROBE}, "title": {"S": "probe"}})
    except ddb.exceptions.ResourceNotFoundException:
        return "the table bookstore-books does not exist: run the notebook from the top"
    event = {"httpMethod": "DELETE", "resource": "/books/{id}", "pathParameters": {"id": PROBE}, "body": None}
    response = lam.invoke(FunctionName=FUNCTION, Qualifier="live", Payload=json.dumps(event))
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        error = payload.get("errorType") if isinstance(payload, dict) else payload
        return f"DELETE still fails inside the function ({error})"
    if ddb.get_item(TableName=TABLE, Key={"id": {"S": PROBE}}).get("Item"):
        return "the function answered, but the book is still in the table"
    return _role_is_least_privilege() or True


@exercise("09.2", "who checks the callers?", kind="design", hints=[
    "Read the case for who the callers are: people, or programs with AWS credentials?",
    "Notebook 06, 'Securing an API', compares IAM, Cognito and Lambda authorizers; the case rules one of them out "
    "in its last sentence.",
    "For each of IAM, Cognito user pools and Lambda authorizers: what must the caller hold, and what code must you "
    "write? Which REST API feature counts requests per client?",
])
def _design(choice: Any = ..., reasons: Any = None) -> Verdict:
    return judge_design(
        choice, reasons, best="cognito", options={"iam", "cognito", "lambda"},
        sound={"a": "", "c": "", "e": ""},
        unsound={"b": "IAM authorization needs AWS credentials to sign each request; staff of a partner shop sign "
                      "in with a password, not with AWS keys",
                 "d": "a Cognito user pool authorizer also answers 401 Unauthorized to a request without a valid "
                      "token: a Lambda authorizer is not the only way"},
        on_choice={"iam": "IAM authorization needs callers with AWS credentials: the case has people signing in",
                   "lambda": "a Lambda authorizer means writing (and securing) the code that checks tokens or "
                             "passwords: the case says not to"})
