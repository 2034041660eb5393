"""An AWS (SQS) integration calls the service as its ``credentials`` role, as API Gateway does: a role it cannot
assume is a 500, a role without ``sqs:SendMessage`` gets SQS's AccessDenied (mapped by the integration responses),
no role relies on the queue policy."""

from __future__ import annotations

import json
from typing import Any

import requests
from gateway_support import ACCOUNT, REGION

import lab_support as lab
from lab_support.embedded import apigateway as gateway

TRUST_API_GATEWAY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
TRUST_LAMBDA = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders"


def role(aws: lab.Session, name: str, trust: dict[str, Any], actions: list[str]) -> str:
    iam = aws.client("iam")
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    if actions:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": QUEUE_ARN}]}))
    return arn


def sqs_api(aws: lab.Session, credentials: str | None, *, map_errors: bool = False) -> str:
    """POST /send → SQS SendMessage on ``orders`` (the course's notebook 05 integration), deployed to dev with
    ERROR execution logs. ``map_errors``: a ``4\\d{2}`` integration response passes SQS's error body on as 403."""
    apig = aws.client("apigateway")
    api_id = apig.create_rest_api(name="to-sqs")["id"]
    root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
    res = apig.create_resource(restApiId=api_id, parentId=root, pathPart="send")["id"]
    apig.put_method(restApiId=api_id, resourceId=res, httpMethod="POST", authorizationType="NONE")
    extra = {"credentials": credentials} if credentials else {}
    apig.put_integration(
        restApiId=api_id, resourceId=res, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT}/orders",
        requestParameters={"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
        requestTemplates={"application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"}, **extra)
    apig.put_integration_response(restApiId=api_id, resourceId=res, httpMethod="POST", statusCode="200",
                                  responseTemplates={"application/json": '{"queued": true}'})
    if map_errors:
        apig.put_method_response(restApiId=api_id, resourceId=res, httpMethod="POST", statusCode="403")
        apig.put_integration_response(restApiId=api_id, resourceId=res, httpMethod="POST", statusCode="403",
                                      selectionPattern=r"4\d{2}")
    apig.create_deployment(restApiId=api_id, stageName="dev")
    apig.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"}])
    return str(api_id)


def send(aws: lab.Session, api_id: str) -> requests.Response:
    return requests.post(aws.stage_url(api_id, "dev", "send"), json={"order": 1}, timeout=30)


def queued(aws: lab.Session) -> list[Any]:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
    return [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


def execution_log(aws: lab.Session, api_id: str) -> list[str]:
    group = gateway.execution_log_group(api_id, "dev")
    return [e["message"] for e in aws.client("logs").filter_log_events(logGroupName=group)["events"]]


def test_a_role_that_trusts_api_gateway_and_may_send(aws: lab.Session) -> None:
    aws.client("sqs").create_queue(QueueName="orders")
    api_id = sqs_api(aws, role(aws, "apigw-sqs", TRUST_API_GATEWAY, ["sqs:SendMessage"]))
    resp = send(aws, api_id)
    assert resp.status_code == 200 and resp.json() == {"queued": True}
    assert queued(aws) == [{"order": 1}]


def test_a_role_that_does_not_exist_or_does_not_trust_api_gateway_is_a_500(aws: lab.Session) -> None:
    aws.client("sqs").create_queue(QueueName="orders")
    for arn in (f"arn:aws:iam::{ACCOUNT}:role/nobody", role(aws, "lambda-only", TRUST_LAMBDA, ["sqs:SendMessage"])):
        api_id = sqs_api(aws, arn)
        resp = send(aws, api_id)
        assert resp.status_code == 500 and resp.json() == {"message": "Internal server error"}
        line = ("Execution failed due to configuration error: API Gateway does not have permission to assume the "
                f"provided role {arn}")
        assert any(line in message for message in execution_log(aws, api_id)), execution_log(aws, api_id)
    assert queued(aws) == []


def test_a_role_without_send_message_gets_sqs_access_denied(aws: lab.Session) -> None:
    aws.client("sqs").create_queue(QueueName="orders")
    arn = role(aws, "apigw-read-only", TRUST_API_GATEWAY, ["sqs:ReceiveMessage"])
    # Only a default integration response: SQS's 403 is mapped to 200 with the template, as on AWS.
    unmapped = send(aws, sqs_api(aws, arn))
    assert unmapped.status_code == 200 and unmapped.json() == {"queued": True}
    # A 4\d{2} integration response without a template: SQS's error body, as SQS wrote it, with status 403.
    mapped = send(aws, sqs_api(aws, arn, map_errors=True))
    assert mapped.status_code == 403
    body = mapped.text
    assert "<Code>AccessDenied</Code>" in body
    assert (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/apigw-read-only/BackplaneAssumeRoleSession is not authorized "
            f"to perform: sqs:sendmessage on resource: {QUEUE_ARN}") in body
    assert queued(aws) == []


def test_without_credentials_the_queue_policy_decides(aws: lab.Session) -> None:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    api_id = sqs_api(aws, None, map_errors=True)
    denied = send(aws, api_id)
    assert denied.status_code == 403
    assert f"Access to the resource https://sqs.{REGION}.amazonaws.com/ is denied." in denied.text
    source = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sqs:SendMessage",
         "Resource": QUEUE_ARN, "Condition": {"ArnLike": {"aws:SourceArn": source}}}]})})
    allowed = send(aws, api_id)
    assert allowed.status_code == 200 and allowed.json() == {"queued": True}
    assert queued(aws) == [{"order": 1}]
