"""Helpers shared by the gateway tests (test_gateway_rest.py, test_gateway_http.py, test_xray.py, …)."""

from __future__ import annotations

import lab_support as lab
from lab_support.course.api_builders import lambda_uri

REGION = "us-east-1"
ACCOUNT = "123456789012"


def lambda_function(aws: lab.Session, name: str, code: str, *, allow: bool = True) -> str:
    """Create (or update) a function from ``code``; with ``allow``, let any API of the account invoke it."""
    arn = str(lab.create_function(name, code)["FunctionArn"])
    if allow:
        aws.client("lambda").add_permission(
            FunctionName=name, StatementId="apigateway", Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/*")
    return arn


def proxy_api(aws: lab.Session, name: str, function_arn: str, stage: str, *, traced: bool = False) -> str:
    """A REST API whose root ``GET`` is a Lambda proxy integration of ``function_arn``, deployed to ``stage``
    (with X-Ray tracing on when ``traced``); returns its id."""
    apig = aws.client("apigateway")
    api_id = str(apig.create_rest_api(name=name)["id"])
    root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
    apig.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
                         uri=lambda_uri(function_arn, REGION))
    apig.create_deployment(restApiId=api_id, stageName=stage)
    if traced:
        apig.update_stage(restApiId=api_id, stageName=stage,
                          patchOperations=[{"op": "replace", "path": "/tracingEnabled", "value": "true"}])
    return api_id
