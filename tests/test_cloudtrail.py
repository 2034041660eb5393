"""CloudTrail event history (lab_support/embedded/cloudtrail): management calls in lookup_events, data calls not."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import botocore.exceptions
import pytest
import requests
from gateway_support import ACCOUNT, REGION, lambda_function, proxy_api

import lab_support as lab
from lab_support.core import clock

CODE = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hi'}\n"


def _events(aws: lab.Session, **kwargs: Any) -> list[dict[str, Any]]:
    return list(aws.client("cloudtrail").lookup_events(**kwargs)["Events"])


def _by(key: str, value: str) -> list[dict[str, str]]:
    return [{"AttributeKey": key, "AttributeValue": value}]


def _build(aws: lab.Session) -> str:
    return proxy_api(aws, "trail", lambda_function(aws, "ct-fn", CODE), "dev", traced=True)


def test_management_calls_are_recorded_and_data_calls_are_not(aws: lab.Session) -> None:
    api_id = _build(aws)
    aws.client("lambda").invoke(FunctionName="ct-fn", Payload=b"{}")
    assert requests.get(f"https://{api_id}.execute-api.{REGION}.amazonaws.com/dev/", timeout=10).text == "hi"

    writes = [(e["EventSource"], e["EventName"]) for e in _events(aws, LookupAttributes=_by("ReadOnly", "false"))]
    for wanted in [("apigateway.amazonaws.com", "CreateRestApi"), ("apigateway.amazonaws.com", "PutIntegration"),
                   ("apigateway.amazonaws.com", "CreateDeployment"), ("apigateway.amazonaws.com", "UpdateStage"),
                   ("lambda.amazonaws.com", "CreateFunction20150331"), ("lambda.amazonaws.com", "AddPermission20150331v2"),
                   ("iam.amazonaws.com", "CreateRole")]:
        assert wanted in writes
    assert writes.index(("apigateway.amazonaws.com", "UpdateStage")) < writes.index(("apigateway.amazonaws.com",
                                                                                     "CreateRestApi"))  # newest first
    every = {e["EventName"] for e in _events(aws)}
    assert not {n for n in every if n.startswith("Invoke")}

    [deploy] = _events(aws, LookupAttributes=_by("EventName", "CreateDeployment"))
    record = json.loads(deploy["CloudTrailEvent"])
    assert (record["eventSource"], record["eventName"], record["awsRegion"]) == ("apigateway.amazonaws.com",
                                                                                  "CreateDeployment", REGION)
    assert (record["eventType"], record["managementEvent"], record["readOnly"]) == ("AwsApiCall", True, False)
    assert record["requestParameters"]["restApiId"] == api_id and record["requestParameters"]["stageName"] == "dev"
    assert record["userIdentity"]["type"] == "Root" and deploy["Username"] == "root"
    assert record["sourceIPAddress"] and record["recipientAccountId"] == ACCOUNT
    assert {"ResourceType": "AWS::ApiGateway::RestApi", "ResourceName": api_id} in deploy["Resources"]
    [create] = _events(aws, LookupAttributes=_by("EventName", "CreateFunction20150331"))
    params = json.loads(create["CloudTrailEvent"])["requestParameters"]
    assert params["functionName"] == "ct-fn" and "zipFile" not in json.dumps(params)


def test_filters_and_time_range(aws: lab.Session) -> None:
    api_id = _build(aws)
    named = _events(aws, LookupAttributes=_by("ResourceName", "ct-fn"))
    assert named and {e["EventSource"] for e in named} == {"lambda.amazonaws.com"}
    assert {e["EventSource"] for e in _events(aws, LookupAttributes=_by("EventSource", "iam.amazonaws.com"))} == {
        "iam.amazonaws.com"}
    assert all(e["Username"] == "root" for e in _events(aws, LookupAttributes=_by("Username", "root")))
    assert {e["ReadOnly"] for e in _events(aws, LookupAttributes=_by("ReadOnly", "true"))} == {"true"}

    before = dt.datetime.fromtimestamp(clock.now(), tz=dt.UTC)
    clock.advance(3600)
    aws.client("apigateway").delete_rest_api(restApiId=api_id)
    later = _events(aws, StartTime=before + dt.timedelta(minutes=30))
    assert [e["EventName"] for e in later] == ["DeleteRestApi"]
    assert later[0]["EventTime"].timestamp() == pytest.approx(clock.now(), abs=5)
    assert "DeleteRestApi" not in {e["EventName"] for e in _events(aws, EndTime=before + dt.timedelta(minutes=30))}

    page = aws.client("cloudtrail").lookup_events(MaxResults=2)
    assert len(page["Events"]) == 2 and page["NextToken"]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        _events(aws, LookupAttributes=_by("EventName", "CreateRestApi") + _by("ReadOnly", "false"))
    assert err.value.response["Error"]["Code"] == "InvalidLookupAttributesException"


def test_calls_over_the_embedded_http_server_are_recorded(aws: lab.Session) -> None:
    creds = aws.credentials
    client = aws.client("apigateway", endpoint_url=aws.endpoint_url, aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"])
    client.create_rest_api(name="over-http")
    [event] = _events(aws, LookupAttributes=_by("EventName", "CreateRestApi"))
    assert json.loads(event["CloudTrailEvent"])["requestParameters"]["name"] == "over-http"


def test_an_iam_users_key_names_the_user(aws: lab.Session) -> None:
    iam = aws.client("iam")
    iam.create_user(UserName="student")
    key = iam.create_access_key(UserName="student")["AccessKey"]
    apig = aws.client("apigateway", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    apig.create_rest_api(name="by-student")
    [event] = _events(aws, LookupAttributes=_by("Username", "student"))
    assert event["EventName"] == "CreateRestApi"
    identity = json.loads(event["CloudTrailEvent"])["userIdentity"]
    assert (identity["type"], identity["userName"], identity["accessKeyId"]) == ("IAMUser", "student", key["AccessKeyId"])
