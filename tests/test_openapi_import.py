"""import_rest_api / put_rest_api from OpenAPI 3 and Swagger 2 with API Gateway's extensions, then real requests
through the local gateway (Lambda proxy, MOCK, Lambda TOKEN authorizer, API key)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import yaml
from botocore.exceptions import ClientError
from gateway_support import ACCOUNT, REGION, lambda_function

import lab_support as lab
from lab_support.course import openapi as course_openapi
from lab_support.course.api_builders import lambda_uri

ECHO = '''
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"path": event["path"], "method": event["httpMethod"],
                                                   "authorizer": event["requestContext"].get("authorizer")})}
'''

# TOKEN authorizer: "allow" → Allow, anything else → Deny.
AUTHORIZER = '''
def handler(event, context):
    effect = "Allow" if event.get("authorizationToken") == "allow" else "Deny"
    return {"principalId": "me", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]},
        "context": {"tier": "gold"}}
'''


def definition(echo_arn: str, authorizer_arn: str) -> dict[str, Any]:
    """OpenAPI 3 with four routes: Lambda proxy, MOCK, authorizer-protected, API key; plus API-level extensions."""
    proxy = {"type": "aws_proxy", "httpMethod": "POST", "uri": lambda_uri(echo_arn, REGION),
             "passthroughBehavior": "when_no_match"}
    return {
        "openapi": "3.0.1",
        "info": {"title": "imported", "description": "from one definition", "version": "1"},
        "servers": [{"url": "https://example.com/{basePath}", "variables": {"basePath": {"default": "/prod"}}}],
        "x-amazon-apigateway-api-key-source": "HEADER",
        "x-amazon-apigateway-binary-media-types": ["image/png"],
        "x-amazon-apigateway-endpoint-configuration": {"types": ["REGIONAL"]},
        "x-amazon-apigateway-request-validators": {"params": {"validateRequestParameters": True,
                                                              "validateRequestBody": False}},
        "paths": {
            "/echo/{id}": {"get": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                               {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}],
                "x-amazon-apigateway-request-validator": "params",
                "responses": {"200": {"description": "ok", "headers": {"X-Id": {"schema": {"type": "string"}}}}},
                "x-amazon-apigateway-integration": proxy}},
            "/health": {"get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "passthroughBehavior": "when_no_templates",
                    "responses": {"default": {"statusCode": "200",
                                              "responseParameters": {"method.response.header.X-Mock": "'yes'"},
                                              "responseTemplates": {"application/json": '{"healthy": true}'}}}}}},
            "/private": {"x-amazon-apigateway-any-method": {
                "security": [{"token-auth": []}], "responses": {}, "x-amazon-apigateway-integration": proxy}},
            "/metered": {"get": {
                "security": [{"api_key": []}], "responses": {}, "x-amazon-apigateway-integration": proxy}},
        },
        "components": {"securitySchemes": {
            "token-auth": {"type": "apiKey", "name": "Authorization", "in": "header",
                           "x-amazon-apigateway-authtype": "custom",
                           "x-amazon-apigateway-authorizer": {
                               "type": "token", "authorizerUri": lambda_uri(authorizer_arn, REGION),
                               "authorizerResultTtlInSeconds": 0}},
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}},
    }


def functions(aws: lab.Session) -> tuple[str, str]:
    return lambda_function(aws, "imp-echo", ECHO), lambda_function(aws, "imp-auth", AUTHORIZER)


def resource_id(apig: Any, api_id: str, path: str) -> str:
    return next(r["id"] for r in apig.get_resources(restApiId=api_id)["items"] if r["path"] == path)


def get(aws: lab.Session, api_id: str, path: str, method: str = "GET", **kwargs: Any) -> requests.Response:
    return requests.request(method, aws.stage_url(api_id, "dev", path), timeout=30, **kwargs)


def test_import_builds_the_whole_api(aws: lab.Session) -> None:
    echo, auth = functions(aws)
    apig = aws.client("apigateway")
    api = apig.import_rest_api(body=json.dumps(definition(echo, auth)))
    api_id = api["id"]
    assert api["name"] == "imported" and api["description"] == "from one definition"
    assert api["binaryMediaTypes"] == ["image/png"] and api["apiKeySource"] == "HEADER"
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"]
    paths = {r["path"] for r in apig.get_resources(restApiId=api_id)["items"]}
    assert paths == {"/", "/echo", "/echo/{id}", "/health", "/private", "/metered"}
    method = apig.get_method(restApiId=api_id, resourceId=resource_id(apig, api_id, "/echo/{id}"), httpMethod="GET")
    assert method["requestParameters"] == {"method.request.path.id": True, "method.request.querystring.q": True}
    assert method["methodResponses"]["200"]["responseParameters"] == {"method.response.header.X-Id": False}
    validator = apig.get_request_validator(restApiId=api_id, requestValidatorId=method["requestValidatorId"])
    assert validator["name"] == "params" and validator["validateRequestParameters"] is True
    private = apig.get_method(restApiId=api_id, resourceId=resource_id(apig, api_id, "/private"), httpMethod="ANY")
    authorizer = apig.get_authorizer(restApiId=api_id, authorizerId=private["authorizerId"])
    assert private["authorizationType"] == "CUSTOM"
    assert authorizer["name"] == "token-auth" and authorizer["type"] == "TOKEN"
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    assert authorizer["authorizerResultTtlInSeconds"] == 0 and authorizer["authType"] == "custom"
    metered = apig.get_method(restApiId=api_id, resourceId=resource_id(apig, api_id, "/metered"), httpMethod="GET")
    assert metered["apiKeyRequired"] is True and metered["authorizationType"] == "NONE"
    mock = apig.get_integration(restApiId=api_id, resourceId=resource_id(apig, api_id, "/health"), httpMethod="GET")
    assert mock["type"] == "MOCK" and mock["passthroughBehavior"] == "WHEN_NO_TEMPLATES"
    assert mock["integrationResponses"]["200"]["responseTemplates"] == {"application/json": '{"healthy": true}'}


def test_imported_api_serves_requests(aws: lab.Session) -> None:
    echo, auth = functions(aws)
    apig = aws.client("apigateway")
    api_id = apig.import_rest_api(body=json.dumps(definition(echo, auth)))["id"]
    apig.create_deployment(restApiId=api_id, stageName="dev")
    # Lambda proxy, with the validator's required query string
    resp = get(aws, api_id, "echo/42?q=1")
    assert resp.status_code == 200 and resp.json()["path"] == "/echo/42"
    missing = get(aws, api_id, "echo/42")
    assert missing.status_code == 400
    assert missing.json() == {"message": "Missing required request parameters: [q]"}
    # MOCK
    health = get(aws, api_id, "health")
    assert health.status_code == 200 and health.json() == {"healthy": True} and health.headers["X-Mock"] == "yes"
    # Lambda TOKEN authorizer on ANY
    assert get(aws, api_id, "private").status_code == 401
    assert get(aws, api_id, "private", headers={"Authorization": "nope"}).status_code == 403
    allowed = get(aws, api_id, "private", "DELETE", headers={"Authorization": "allow"})
    assert allowed.status_code == 200 and allowed.json()["authorizer"]["tier"] == "gold"
    assert allowed.json()["method"] == "DELETE"
    # API key
    assert get(aws, api_id, "metered").json() == {"message": "Forbidden"}
    key = apig.create_api_key(name="k", enabled=True, value="k" * 30)
    plan = apig.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "dev"}])
    apig.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert get(aws, api_id, "metered", headers={"x-api-key": "k" * 30}).status_code == 200


def test_swagger_2_yaml_import(aws: lab.Session) -> None:
    echo, _auth = functions(aws)
    doc = {"swagger": "2.0", "info": {"title": "swag", "version": "1"}, "basePath": "/v1",
           "paths": {"/hi": {"post": {
               "consumes": ["application/json"],
               "parameters": [{"in": "body", "name": "Pet", "required": True, "schema": {"$ref": "#/definitions/Pet"}}],
               "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"}}},
               "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST",
                                                   "uri": lambda_uri(echo, REGION)}}}},
           "definitions": {"Pet": {"type": "object", "properties": {"name": {"type": "string"}}}}}
    apig = aws.client("apigateway")
    api_id = apig.import_rest_api(body=yaml.safe_dump(doc))["id"]
    method = apig.get_method(restApiId=api_id, resourceId=resource_id(apig, api_id, "/hi"), httpMethod="POST")
    assert method["requestModels"] == {"application/json": "Pet"}
    assert method["methodResponses"]["200"]["responseModels"] == {"application/json": "Pet"}
    assert json.loads(apig.get_model(restApiId=api_id, modelName="Pet")["schema"])["type"] == "object"
    apig.create_deployment(restApiId=api_id, stageName="dev")
    assert get(aws, api_id, "hi", "POST", json={}).json()["path"] == "/hi"  # basePath ignored


def test_put_rest_api_merge_and_overwrite(aws: lab.Session) -> None:
    echo, auth = functions(aws)
    apig = aws.client("apigateway")
    api_id = apig.import_rest_api(body=json.dumps(definition(echo, auth)))["id"]
    extra = {"openapi": "3.0.1", "info": {"title": "more", "version": "1"}, "paths": {"/more": {"get": {
        "responses": {}, "x-amazon-apigateway-integration": {
            "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200"}}}}}}}
    apig.put_rest_api(restApiId=api_id, mode="merge", body=json.dumps(extra))
    paths = {r["path"] for r in apig.get_resources(restApiId=api_id)["items"]}
    assert {"/health", "/private", "/more"} <= paths
    assert apig.get_rest_api(restApiId=api_id)["name"] == "imported"  # put keeps the name
    apig.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(extra))
    assert {r["path"] for r in apig.get_resources(restApiId=api_id)["items"]} == {"/", "/more"}
    assert apig.get_authorizers(restApiId=api_id)["items"] == []
    apig.create_deployment(restApiId=api_id, stageName="dev")
    assert get(aws, api_id, "more").status_code == 200
    assert get(aws, api_id, "health").json() == {"message": "Missing Authentication Token"}


def test_bad_definitions_are_bad_requests_and_change_nothing(aws: lab.Session) -> None:
    echo, auth = functions(aws)
    apig = aws.client("apigateway")

    def refused(call: Any, **kwargs: Any) -> str:
        with pytest.raises(ClientError) as err:
            call(**kwargs)
        assert err.value.response["Error"]["Code"] == "BadRequestException"
        return str(err.value.response["Error"]["Message"])

    assert "neither an OpenAPI 3 nor a Swagger 2" in refused(apig.import_rest_api, body=b"just text")
    no_title = definition(echo, auth)
    no_title["info"] = {"version": "1"}
    assert "info.title" in refused(apig.import_rest_api, body=json.dumps(no_title))
    bad_type = definition(echo, auth)
    bad_type["paths"]["/health"]["get"]["x-amazon-apigateway-integration"]["type"] = "lambda"
    assert "Invalid integration type 'lambda'" in refused(apig.import_rest_api, body=json.dumps(bad_type))
    bad_auth = definition(echo, auth)
    bad_auth["components"]["securitySchemes"]["token-auth"]["x-amazon-apigateway-authorizer"]["type"] = "jwt"
    assert "Invalid authorizer type 'jwt'" in refused(apig.import_rest_api, body=json.dumps(bad_auth))
    unknown = definition(echo, auth)
    unknown["paths"]["/metered"]["get"]["security"] = [{"nobody": []}]
    assert "No security definition found for 'nobody'" in refused(apig.import_rest_api, body=json.dumps(unknown))
    bad_uri = definition(echo, auth)  # moto's own check of the integration, half-way through the import
    bad_uri["paths"]["/metered"]["get"]["x-amazon-apigateway-integration"] = {"type": "aws_proxy", "httpMethod": "POST",
                                                                              "uri": "not-an-arn"}
    refused(apig.import_rest_api, body=json.dumps(bad_uri))
    assert apig.get_rest_apis()["items"] == []  # nothing is left of failed imports
    api_id = apig.import_rest_api(body=json.dumps(definition(echo, auth)))["id"]
    before = {r["path"] for r in apig.get_resources(restApiId=api_id)["items"]}
    bad_uri["info"]["title"] = "imported"
    refused(apig.put_rest_api, restApiId=api_id, mode="overwrite", body=json.dumps(bad_uri))
    assert {r["path"] for r in apig.get_resources(restApiId=api_id)["items"]} == before  # rolled back
    assert "overwrite" in refused(apig.put_rest_api, restApiId=api_id, mode="replace", body=json.dumps(bad_uri))


def test_proxy_api_definition_helper(aws: lab.Session) -> None:
    echo, _auth = functions(aws)
    definition = course_openapi.proxy_api_definition({"GET /hello": echo, "/items/{id}": echo}, title="helper",
                                                     endpoint_type="regional")
    from openapi_spec_validator import validate

    validate(json.loads(json.dumps(definition)))
    apig = aws.client("apigateway")
    api = apig.import_rest_api(body=json.dumps(definition))  # the plain boto3 call a notebook makes
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"]
    apig.create_deployment(restApiId=api["id"], stageName="dev")
    assert get(aws, api["id"], "hello").json()["path"] == "/hello"
    assert get(aws, api["id"], "items/7", "PUT").json()["method"] == "PUT"
    with pytest.raises(lab.LabError):
        course_openapi.proxy_api_definition({"GET": echo}, title="x")
    assert ACCOUNT in definition["paths"]["/hello"]["get"]["x-amazon-apigateway-integration"]["uri"]
