"""lab_support.course.openapi: OpenAPI 3.0 and Postman v2.1 exports of a deployed API, replayed with newman."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

import lab_support as lab
from lab_support.course import openapi as export

ROOT = Path(__file__).resolve().parent.parent
PET_SCHEMA = {"$schema": "http://json-schema.org/draft-04/schema#", "title": "Pet", "type": "object",
              "properties": {"name": {"type": "string"}}, "required": ["name"]}


def _mock(ag: Any, api_id: str, resource_id: str, method: str, status: int, body: str, **method_kwargs: Any) -> None:
    ag.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method, authorizationType="NONE",
                  **method_kwargs)
    ag.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method, type="MOCK",
                       passthroughBehavior="WHEN_NO_TEMPLATES",
                       requestTemplates={"application/json": json.dumps({"statusCode": status})})
    ag.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod=method, statusCode=str(status))
    ag.put_integration_response(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                                statusCode=str(status), responseTemplates={"application/json": body})


def _pets_api(aws: lab.Session) -> str:
    """GET /pets, POST /pets (model Pet), GET /pets/{petId}: all MOCK integrations, deployed to prod."""
    ag = aws.client("apigateway")
    api_id = ag.create_rest_api(name="pets", description="MOCK pets for the export test", tags=aws.tags)["id"]
    root = ag.get_resources(restApiId=api_id)["items"][0]["id"]
    pets = ag.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    pet = ag.create_resource(restApiId=api_id, parentId=pets, pathPart="{petId}")["id"]
    ag.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema=json.dumps(PET_SCHEMA))
    _mock(ag, api_id, pets, "GET", 200, '[{"name": "Rex"}]',
          requestParameters={"method.request.querystring.limit": False})
    _mock(ag, api_id, pets, "POST", 201, '{"created": true}', requestModels={"application/json": "Pet"})
    _mock(ag, api_id, pet, "GET", 200, '{"name": "Rex"}', requestParameters={"method.request.path.petId": True})
    ag.create_deployment(restApiId=api_id, stageName="prod")
    return api_id


def test_openapi_export_of_a_rest_api(aws: lab.Session) -> None:
    api_id = _pets_api(aws)
    doc = export.openapi(api_id, "prod")
    validate(doc)  # what export.openapi already checked; asserted here too
    assert doc["openapi"].startswith("3.0")
    assert doc["servers"] == [{"url": aws.stage_url(api_id, "prod").rstrip("/")}]
    assert set(doc["paths"]) == {"/pets", "/pets/{petId}"}
    assert set(doc["paths"]["/pets"]) == {"get", "post"}
    post = doc["paths"]["/pets"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Pet"}
    assert doc["components"]["schemas"]["Pet"]["required"] == ["name"]
    assert "$schema" not in doc["components"]["schemas"]["Pet"]
    integration = post["x-amazon-apigateway-integration"]
    assert integration["type"] == "mock"
    assert integration["passthroughBehavior"] == "when_no_templates"
    assert integration["requestTemplates"] == {"application/json": '{"statusCode": 201}'}
    assert integration["responses"] == {"default": {"statusCode": "201",
                                                    "responseTemplates": {"application/json": '{"created": true}'}}}
    get_one = doc["paths"]["/pets/{petId}"]["get"]
    assert get_one["parameters"] == [{"name": "petId", "in": "path", "required": True, "schema": {"type": "string"}}]
    assert doc["paths"]["/pets"]["get"]["parameters"][0] == {"name": "limit", "in": "query", "required": False,
                                                            "schema": {"type": "string"}}


def test_openapi_export_errors(aws: lab.Session) -> None:
    with pytest.raises(lab.LabError, match="no REST API or HTTP API"):
        export.openapi("nope123456", "prod")
    api_id = _pets_api(aws)
    with pytest.raises(lab.LabError, match="no stage 'beta'"):
        export.openapi(api_id, "beta")


def test_openapi_export_of_an_http_api(aws: lab.Session) -> None:
    v2 = aws.client("apigatewayv2")
    api_id = v2.create_api(Name="hello-http", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                                        IntegrationUri="https://example.com/hello", PayloadFormatVersion="1.0")
    v2.create_route(ApiId=api_id, RouteKey="GET /hello/{name}", Target=f"integrations/{integration['IntegrationId']}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    doc = export.openapi(api_id, "$default")
    operation = doc["paths"]["/hello/{name}"]["get"]
    assert operation["x-amazon-apigateway-integration"]["type"] == "http_proxy"
    assert operation["x-amazon-apigateway-integration"]["uri"] == "https://example.com/hello"
    assert operation["parameters"][0]["name"] == "name"


def test_postman_collection_shape(aws: lab.Session) -> None:
    api_id = _pets_api(aws)
    coll = export.postman_collection(api_id, "prod", examples={
        "GET /pets/{petId}": {"path_params": {"petId": "7"}},
        "POST /pets": {"body": {"name": "Rex"}},
    })
    assert coll["info"]["schema"].endswith("/v2.1.0/collection.json")
    assert {"key": "baseUrl", "value": aws.stage_url(api_id, "prod").rstrip("/"), "type": "string"} in coll["variable"]
    raw = {item["name"]: item["request"]["url"]["raw"] for item in coll["item"]}
    assert raw == {"GET /pets": "{{baseUrl}}/pets", "POST /pets": "{{baseUrl}}/pets",
                   "GET /pets/{petId}": "{{baseUrl}}/pets/7"}
    post = next(item for item in coll["item"] if item["name"] == "POST /pets")
    assert json.loads(post["request"]["body"]["raw"]) == {"name": "Rex"}
    assert "pm.response.to.have.status(201);" in "\n".join(post["event"][0]["script"]["exec"])


def _newman(collection: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["npx", "--yes", "newman", "run", str(collection), "--env-var", f"baseUrl={base_url}",
         "--reporters", "cli", "--color", "off"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )


def test_newman_runs_the_exported_collection(aws: lab.Session, tmp_path: Path) -> None:
    if shutil.which("npx") is None or shutil.which("node") is None:
        pytest.skip("node/npx are not installed: newman (npm package, pinned in package.json) cannot run")
    if not (ROOT / "node_modules" / ".bin" / "newman").exists():
        pytest.skip("newman is not installed: run `npm ci` at the repository root (package-lock.json pins it)")
    api_id = _pets_api(aws)
    import requests

    assert requests.get(aws.stage_url(api_id, "prod", "pets"), timeout=10).status_code == 200
    coll = export.postman_collection(api_id, "prod", examples={
        "GET /pets/{petId}": {"path_params": {"petId": "7"}},
        "POST /pets": {"body": {"name": "Rex"}},
    })
    path = tmp_path / "collection.json"
    path.write_text(json.dumps(coll), encoding="utf-8")
    base_url = aws.stage_url(api_id, "prod").rstrip("/")
    run = _newman(path, base_url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "GET /pets/{petId}" in run.stdout
    # a wrong expectation makes newman fail: the tests in the collection really run
    coll["item"][0]["event"][0]["script"]["exec"][1] = "    pm.response.to.have.status(418);"
    path.write_text(json.dumps(coll), encoding="utf-8")
    failing = _newman(path, base_url)
    assert failing.returncode != 0
    assert "418" in failing.stdout


# -- round trip: export with extensions → import → the same behaviour --------------------------------------
ROUND_TRIP_ECHO = '''
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"path": event["path"],
                                                   "authorizer": event["requestContext"].get("authorizer")})}
'''
ROUND_TRIP_AUTHORIZER = '''
def handler(event, context):
    effect = "Allow" if event.get("authorizationToken") == "allow" else "Deny"
    return {"principalId": "me", "context": {"tier": "gold"}, "policyDocument": {"Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
'''


def _behaviour(aws: lab.Session, api_id: str) -> list[Any]:
    """What a client sees of the round-trip API (status codes and bodies)."""
    import requests

    def get(path: str, **headers: str) -> tuple[int, Any]:
        resp = requests.get(aws.stage_url(api_id, "prod", path), headers=headers, timeout=30)
        body = resp.json()
        if isinstance(body, dict) and isinstance(body.get("authorizer"), dict):
            body["authorizer"].pop("integrationLatency", None)  # the authorizer's own latency varies
        return resp.status_code, body

    return [get("pets"), get("pets/7"), get("items"), get("items", Authorization="deny"),
            get("items", Authorization="allow"), get("metered"), get("metered", **{"x-api-key": "r" * 30})]


def test_export_then_import_behaves_the_same(aws: lab.Session) -> None:
    from gateway_support import lambda_function

    from lab_support.course.api_builders import lambda_uri

    ag = aws.client("apigateway")
    api_id = _pets_api(aws)
    echo = lambda_function(aws, "rt-echo", ROUND_TRIP_ECHO)
    authorizer = lambda_function(aws, "rt-auth", ROUND_TRIP_AUTHORIZER)
    root = ag.get_resources(restApiId=api_id)["items"][0]["id"]
    auth_id = ag.create_authorizer(restApiId=api_id, name="token-auth", type="TOKEN",
                                   authorizerUri=lambda_uri(authorizer), identitySource="method.request.header.Authorization",
                                   authorizerResultTtlInSeconds=0)["id"]
    for part, extra in (("items", {"authorizationType": "CUSTOM", "authorizerId": auth_id}),
                        ("metered", {"authorizationType": "NONE", "apiKeyRequired": True})):
        res = ag.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
        ag.put_method(restApiId=api_id, resourceId=res, httpMethod="GET", **extra)
        ag.put_integration(restApiId=api_id, resourceId=res, httpMethod="GET", type="AWS_PROXY",
                           integrationHttpMethod="POST", uri=lambda_uri(echo))
    ag.create_deployment(restApiId=api_id, stageName="prod")
    key = ag.create_api_key(name="rt", enabled=True, value="r" * 30)["id"]

    doc = export.openapi(api_id, "prod")
    schemes = doc["components"]["securitySchemes"]
    assert schemes["api_key"] == {"type": "apiKey", "name": "x-api-key", "in": "header"}
    assert schemes["token-auth"]["x-amazon-apigateway-authorizer"]["type"] == "token"
    assert doc["paths"]["/items"]["get"]["security"] == [{"token-auth": []}]
    assert doc["paths"]["/metered"]["get"]["security"] == [{"api_key": []}]
    assert doc["x-amazon-apigateway-api-key-source"] == "HEADER"

    copy_id = ag.import_rest_api(body=json.dumps(doc))["id"]
    ag.create_deployment(restApiId=copy_id, stageName="prod")
    for each in (api_id, copy_id):
        plan = ag.create_usage_plan(name=f"rt-{each}", apiStages=[{"apiId": each, "stage": "prod"}])["id"]
        ag.create_usage_plan_key(usagePlanId=plan, keyId=key, keyType="API_KEY")
    original, copied = _behaviour(aws, api_id), _behaviour(aws, copy_id)
    assert copied == original
    assert [status for status, _ in original] == [200, 200, 401, 403, 200, 403, 200]
    assert original[4][1]["authorizer"]["tier"] == "gold"
