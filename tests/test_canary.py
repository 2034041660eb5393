"""Canary releases of REST API stages (lab_support/embedded/apigateway/canary.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from gateway_support import REGION, lambda_function

import lab_support as lab
from lab_support.core import clock


def _api(aws: lab.Session, body: str) -> tuple[Any, str, str]:
    """GET / (MOCK) answering ``body`` (a template: ``$stageVariables`` and ``$context`` work)."""
    apig = aws.client("apigateway")
    api_id = apig.create_rest_api(name="canary")["id"]
    root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
    apig.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK",
                         requestTemplates={"application/json": '{"statusCode": 200}'})
    apig.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apig.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                  responseTemplates={"application/json": body})
    return apig, api_id, root


def _set_body(apig: Any, api_id: str, root: str, body: str) -> None:
    apig.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                  responseTemplates={"application/json": body})


def _get(api_id: str) -> str:
    answer = requests.get(f"https://{api_id}.execute-api.{REGION}.amazonaws.com/prod/", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_canary_deployment_split_overrides_and_promotion(aws: lab.Session) -> None:
    apig, api_id, root = _api(aws, "v1 $stageVariables.color")
    base = apig.create_deployment(restApiId=api_id, stageName="prod", variables={"color": "blue"})["id"]
    _set_body(apig, api_id, root, "v2 $stageVariables.color")
    canary_dep = apig.create_deployment(restApiId=api_id, stageName="prod", canarySettings={
        "percentTraffic": 10.0, "stageVariableOverrides": {"color": "green"}, "useStageCache": False})["id"]
    stage = apig.get_stage(restApiId=api_id, stageName="prod")
    assert stage["deploymentId"] == base
    assert stage["canarySettings"] == {"percentTraffic": 10.0, "deploymentId": canary_dep,
                                       "stageVariableOverrides": {"color": "green"}, "useStageCache": False}
    clock.seed(0)
    answers = [_get(api_id) for _ in range(400)]
    canaries = answers.count("v2 green")
    assert answers.count("v1 blue") + canaries == 400
    assert 20 <= canaries <= 60  # 10 % of 400, give or take
    assert canaries == 40  # seed 0: the same every run
    # promotion: the canary's deployment and overrides become the stage's, the canary gets no traffic
    apig.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0.0"},
        {"op": "copy", "from": "/canarySettings/stageVariableOverrides", "path": "/variables"},
        {"op": "copy", "from": "/canarySettings/deploymentId", "path": "/deploymentId"},
    ])
    stage = apig.get_stage(restApiId=api_id, stageName="prod")
    assert (stage["deploymentId"], stage["variables"]) == (canary_dep, {"color": "green"})
    assert {_get(api_id) for _ in range(20)} == {"v2 green"}
    # a canary needs an existing stage
    with pytest.raises(apig.exceptions.NotFoundException):
        apig.create_deployment(restApiId=api_id, stageName="nope", canarySettings={"percentTraffic": 5.0})
    assert "nope" not in {s["stageName"] for s in apig.get_stages(restApiId=api_id)["item"]}
    # turn the canary off
    apig.update_stage(restApiId=api_id, stageName="prod", patchOperations=[{"op": "remove", "path": "/canarySettings"}])
    assert "canarySettings" not in apig.get_stage(restApiId=api_id, stageName="prod")


def test_canary_patch_operations_and_access_log(aws: lab.Session) -> None:
    apig, api_id, _root = _api(aws, "$context.deploymentId $stageVariables.color")
    first = apig.create_deployment(restApiId=api_id, description="one")["id"]
    second = apig.create_deployment(restApiId=api_id, description="two")["id"]
    apig.create_stage(restApiId=api_id, stageName="prod", deploymentId=first, variables={"color": "blue"},
                      canarySettings={"percentTraffic": 0.0, "deploymentId": second})
    logs = aws.client("logs")
    logs.create_log_group(logGroupName="access")
    arn = logs.describe_log_groups(logGroupNamePrefix="access")["logGroups"][0]["arn"].removesuffix(":*")
    apig.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "100"},
        {"op": "replace", "path": "/canarySettings/stageVariableOverrides/color", "value": "red"},
        {"op": "replace", "path": "/canarySettings/useStageCache", "value": "true"},
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn},
        {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.isCanaryRequest $context.deploymentId"},
    ])
    settings = apig.get_stage(restApiId=api_id, stageName="prod")["canarySettings"]
    assert settings == {"percentTraffic": 100.0, "deploymentId": second, "stageVariableOverrides": {"color": "red"},
                        "useStageCache": True}
    assert _get(api_id) == f"{second} red"
    apig.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "remove", "path": "/canarySettings/stageVariableOverrides/color"},
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0"},
    ])
    assert _get(api_id) == f"{first} blue"
    events = logs.filter_log_events(logGroupName="access")["events"]
    assert [e["message"] for e in events] == [f"true {second}", f"false {first}"]


ALIAS_CODE = '''
import os
def handler(event, context):
    return {"statusCode": 200, "body": os.environ.get("RELEASE", "?") + " " + context.invoked_function_arn.split(":")[-1]}
'''


def test_stage_variables_pick_lambda_aliases_and_the_canary_overrides_them(aws: lab.Session) -> None:
    arn = lambda_function(aws, "aliased", ALIAS_CODE)
    lam = aws.client("lambda")
    v1 = lam.publish_version(FunctionName="aliased")["Version"]
    lam.create_alias(FunctionName="aliased", Name="prod", FunctionVersion=v1)
    lam.create_alias(FunctionName="aliased", Name="dev", FunctionVersion="$LATEST")
    for alias in ("prod", "dev"):
        lam.add_permission(FunctionName=f"aliased:{alias}", StatementId=f"apigw-{alias}", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com")
    apig = aws.client("apigateway")
    api_id = apig.create_rest_api(name="aliases")["id"]
    root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
    apig.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    uri = (f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}:${{stageVariables.alias}}"
           "/invocations")
    apig.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS_PROXY",
                         integrationHttpMethod="POST", uri=uri)
    apig.create_deployment(restApiId=api_id, stageName="prod", variables={"alias": "prod"})
    apig.create_deployment(restApiId=api_id, stageName="dev", variables={"alias": "dev"})

    def get(stage: str) -> str:
        return requests.get(f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{stage}/", timeout=30).text

    assert get("prod").endswith(" prod")
    assert get("dev").endswith(" dev")
    # the execution log's endpoint URI keeps the alias the stage variable chose
    apig.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"}])
    get("prod")
    lines = [e["message"] for e in aws.client("logs").filter_log_events(
        logGroupName=f"API-Gateway-Execution-Logs_{api_id}/prod")["events"]]
    assert any(line.endswith(f"Endpoint request URI: https://lambda.{REGION}.amazonaws.com/2015-03-31/functions/"
                             f"{arn}:prod/invocations") for line in lines), lines
    apig.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "100"},
        {"op": "replace", "path": "/canarySettings/stageVariableOverrides/alias", "value": "dev"},
    ])
    assert get("prod").endswith(" dev")
    assert json.loads(json.dumps(apig.get_stage(restApiId=api_id, stageName="prod")["canarySettings"]))[
        "stageVariableOverrides"] == {"alias": "dev"}
