"""The kernel's embedded endpoint serves only its own session's keys and the execution-role keys the runtime
issued; deployed APIs stay public; `python -m lab_support serve` is open and says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

import lab_support as lab
from lab_support.embedded import iam


def _client(aws: lab.Session, service: str, key: str = "AKIAIOSFODNN7EXAMPLE") -> object:
    return boto3.client(service, endpoint_url=aws.endpoint_url, region_name=aws.region,
                        aws_access_key_id=key, aws_secret_access_key="x" * 40)


@pytest.mark.parametrize(("service", "call", "code"), [
    ("lambda", lambda c: c.list_functions(), "UnrecognizedClientException"),
    ("sqs", lambda c: c.list_queues(), "UnrecognizedClientException"),
    ("dynamodb", lambda c: c.list_tables(), "UnrecognizedClientException"),
    ("sts", lambda c: c.get_caller_identity(), "InvalidClientTokenId"),
    ("sns", lambda c: c.list_topics(), "InvalidClientTokenId"),
    ("s3", lambda c: c.list_buckets(), "InvalidAccessKeyId"),
])
def test_a_key_the_session_never_issued_gets_aws_answer(aws: lab.Session, service, call, code) -> None:
    with pytest.raises(ClientError) as caught:
        call(_client(aws, service))
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Error"]["Code"] == code
    expected = ("The AWS Access Key Id you provided does not exist in our records." if service == "s3"
                else "The security token included in the request is invalid.")
    assert error["Error"]["Message"] == expected


def test_the_session_keys_and_child_env_work_over_http(aws: lab.Session) -> None:
    aws.client("sqs").create_queue(QueueName="locked-but-mine")
    env = aws.child_env()
    assert env["AWS_ACCESS_KEY_ID"].startswith("AKIA") and env["AWS_ACCESS_KEY_ID"] != "AKIAIOSFODNN7EXAMPLE"
    mine = boto3.client("sqs", endpoint_url=aws.endpoint_url, region_name=aws.region,
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    assert mine.list_queues()["QueueUrls"][0].endswith("/locked-but-mine")
    # another process, with the environment the course hands it
    out = subprocess.run([sys.executable, "-c", "import boto3; print(len(boto3.client('sqs').list_queues()['QueueUrls']))"],
                         env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "1", out.stderr


def test_execution_role_keys_are_served(aws: lab.Session) -> None:
    role = lab.resources.execution_role("locked-endpoint-role", managed=["AWSLambdaBasicExecutionRole"])
    creds = iam.credentials_for_role(role, session_name="fn")
    sts = boto3.client("sts", endpoint_url=aws.endpoint_url, region_name=aws.region,
                       aws_access_key_id=creds["AWS_ACCESS_KEY_ID"], aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
                       aws_session_token=creds["AWS_SESSION_TOKEN"])
    assert sts.get_caller_identity()["Arn"].endswith(":assumed-role/locked-endpoint-role/fn")


def test_unsigned_requests_are_refused_but_deployed_apis_stay_public(aws: lab.Session) -> None:
    lambda_api = requests.get(f"{aws.endpoint_url}/2015-03-31/functions/", timeout=10)
    assert lambda_api.status_code == 403
    assert lambda_api.json() == {"__type": "MissingAuthenticationTokenException", "message": "Missing Authentication Token"}
    apigw = aws.client("apigateway")
    api = apigw.create_rest_api(name="locked-endpoint-public")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api, resourceId=root, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": json.dumps({"open": True})})
    apigw.create_deployment(restApiId=api, stageName="dev")
    answer = requests.get(aws.stage_url(api, "dev"), timeout=10)  # no signature, like any client of a public API
    assert answer.status_code == 200 and answer.json() == {"open": True}


def test_serve_is_open_and_says_so() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "lab_support", "serve", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={k: v for k, v in os.environ.items()
                                                                    if not k.startswith("LAB_")})
    try:
        banner = [proc.stdout.readline() for _ in range(3)]  # type: ignore[union-attr]
        url = banner[0].rsplit(" at ", 1)[1].strip()
        assert banner[2].startswith("Open endpoint: any local process may use it, with any keys")
        anyone = boto3.client("sqs", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x" * 40)
        assert anyone.list_queues().get("QueueUrls", []) == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)
