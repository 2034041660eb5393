"""TagResource / GetTags / UntagResource on REST APIs, API keys and usage plans, as AWS allows (moto: stages)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from gateway_support import REGION

import lab_support as lab


def test_an_imported_api_is_tagged_and_found_by_its_tags(aws: lab.Session) -> None:
    apig = aws.client("apigateway")
    definition = {"openapi": "3.0.1", "info": {"title": "tagged", "version": "1"}, "paths": {}}
    api_id = apig.import_rest_api(body=json.dumps(definition))["id"]
    arn = f"arn:aws:apigateway:{REGION}::/restapis/{api_id}"
    apig.tag_resource(resourceArn=arn, tags={"course": "apigw-lambda-lab", "team": "a"})
    assert apig.get_tags(resourceArn=arn)["tags"] == {"course": "apigw-lambda-lab", "team": "a"}
    assert apig.get_rest_api(restApiId=api_id)["tags"]["course"] == "apigw-lambda-lab"
    apig.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert apig.get_tags(resourceArn=arn)["tags"] == {"course": "apigw-lambda-lab"}


def test_keys_and_plans_take_tags_and_stages_still_do(aws: lab.Session) -> None:
    apig = aws.client("apigateway")
    key = apig.create_api_key(name="k", enabled=True)
    apig.tag_resource(resourceArn=f"arn:aws:apigateway:{REGION}::/apikeys/{key['id']}", tags={"x": "1"})
    assert apig.get_api_key(apiKey=key["id"])["tags"] == {"x": "1"}
    api_id = apig.create_rest_api(name="staged")["id"]
    apig.put_method(restApiId=api_id, resourceId=apig.get_resources(restApiId=api_id)["items"][0]["id"],
                    httpMethod="GET", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=apig.get_resources(restApiId=api_id)["items"][0]["id"],
                         httpMethod="GET", type="MOCK")
    apig.create_deployment(restApiId=api_id, stageName="dev")
    stage_arn = f"arn:aws:apigateway:{REGION}::/restapis/{api_id}/stages/dev"
    apig.tag_resource(resourceArn=stage_arn, tags={"s": "1"})
    assert apig.get_tags(resourceArn=stage_arn)["tags"] == {"s": "1"}
    with pytest.raises(ClientError, match="NotFoundException"):
        apig.tag_resource(resourceArn=f"arn:aws:apigateway:{REGION}::/restapis/nope", tags={"a": "b"})
