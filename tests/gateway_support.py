"""Helpers shared by the gateway tests (test_gateway_rest.py, test_gateway_http.py)."""

from __future__ import annotations

import lab_support as lab

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
