"""lab_support.course.api_builders: re-runnable, tagged, tracked API Gateway plumbing; and the inventory service."""

from __future__ import annotations

import json

import pytest
import requests

import lab_support as lab
from lab_support.course import api_builders as rest_apis
from lab_support.course.services.inventory import start_inventory_service

ECHO = '''
import json

def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"path": event["path"]})}
'''


def _apis_named(aws: lab.Session, name: str) -> list[dict]:
    return [a for a in aws.client("apigateway").get_rest_apis(limit=500)["items"] if a["name"] == name]


def _tracked(aws: lab.Session) -> list[str]:
    return [item.description for item in aws._tracked]


def test_exported_as_lab_api_builders() -> None:
    assert lab.api_builders is rest_apis
    assert "api_builders" in lab.__all__


def test_rest_api_finds_or_creates_tagged_and_tracked_once(aws: lab.Session) -> None:
    apigw = aws.client("apigateway")
    first = rest_apis.rest_api("t-api", endpointConfiguration={"types": ["REGIONAL"]}, tags={"team": "a"})
    again = rest_apis.rest_api("t-api", endpointConfiguration={"types": ["PRIVATE"]})  # reused: kwargs ignored
    assert again == first == rest_apis.find_rest_api("t-api")
    assert len(_apis_named(aws, "t-api")) == 1
    described = apigw.get_rest_api(restApiId=first)
    assert described["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert described["tags"] == {"team": "a", **aws.tags}  # the course tag and the run id
    assert _tracked(aws).count(f"REST API t-api ({first})") == 1
    assert rest_apis.find_rest_api("no-such-api") is None


def test_rest_api_fresh_starts_over_and_cleanup_removes_everything(aws: lab.Session, capsys: pytest.CaptureFixture) -> None:
    old = rest_apis.rest_api("t-fresh")
    new = rest_apis.rest_api("t-fresh", fresh=True, endpointConfiguration={"types": ["REGIONAL"]})
    assert new != old
    assert [a["id"] for a in _apis_named(aws, "t-fresh")] == [new]
    summary = aws.cleanup()
    assert "Could not remove" not in summary  # the API deleted by fresh=True is "gone already", not an error
    assert _apis_named(aws, "t-fresh") == []


def test_an_untagged_api_is_reused_but_never_deleted(aws: lab.Session) -> None:
    apigw = aws.client("apigateway")
    theirs = apigw.create_rest_api(name="not-ours")["id"]
    assert rest_apis.rest_api("not-ours") == theirs
    assert not any(theirs in d for d in _tracked(aws))
    aws.cleanup()
    assert [a["id"] for a in _apis_named(aws, "not-ours")] == [theirs]


def test_delete_helpers_do_not_mind_what_is_gone(aws: lab.Session) -> None:
    ids = {rest_apis.rest_api("t-del"), aws.client("apigateway").create_rest_api(name="t-del")["id"]}
    assert set(rest_apis.delete_rest_apis_named("t-del")) == ids
    assert rest_apis.delete_rest_apis_named("t-del") == []
    assert rest_apis.delete_rest_api(next(iter(ids))) is False


def test_resource_creates_missing_parts_once(aws: lab.Session) -> None:
    apigw = aws.client("apigateway")
    api_id = rest_apis.rest_api("t-res")
    leaf = rest_apis.resource(api_id, "/notes/{id}/tags")
    assert rest_apis.resource(api_id, "notes/{id}/tags/") == leaf
    paths = {r["path"]: r["id"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    assert sorted(paths) == ["/", "/notes", "/notes/{id}", "/notes/{id}/tags"]
    assert paths["/notes/{id}/tags"] == leaf
    assert rest_apis.resource(api_id, "/") == paths["/"]
    assert rest_apis.resource(api_id, "/notes") == paths["/notes"]


def test_clear_method_lets_a_cell_put_the_method_again(aws: lab.Session) -> None:
    apigw = aws.client("apigateway")
    api_id = rest_apis.rest_api("t-method")
    res = rest_apis.resource(api_id, "/m")
    for run in range(2):  # a cell run twice
        assert rest_apis.clear_method(api_id, res, "GET") is (run == 1)
        apigw.put_method(restApiId=api_id, resourceId=res, httpMethod="GET", authorizationType="NONE")
        apigw.put_method_response(restApiId=api_id, resourceId=res, httpMethod="GET", statusCode="200")
    method = apigw.get_method(restApiId=api_id, resourceId=res, httpMethod="GET")
    assert list(method["methodResponses"]) == ["200"]


def test_lambda_uri_and_execute_api_arn(aws: lab.Session) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    assert rest_apis.lambda_uri(arn) == (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:f/invocations"
    )
    assert rest_apis.lambda_uri(arn, "eu-west-1").startswith("arn:aws:apigateway:eu-west-1:lambda:")
    assert rest_apis.execute_api_arn("abc") == "arn:aws:execute-api:us-east-1:123456789012:abc/*"


def test_allow_api_gateway_really_lets_the_gateway_invoke(aws: lab.Session) -> None:
    apigw, lam = aws.client("apigateway"), aws.client("lambda")
    fn = lab.create_function("t-echo", ECHO)
    api_id = rest_apis.rest_api("t-invoke", endpointConfiguration={"types": ["REGIONAL"]})
    res = rest_apis.resource(api_id, "/echo")
    apigw.put_method(restApiId=api_id, resourceId=res, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=res, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=rest_apis.lambda_uri(fn["FunctionArn"]))
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    url = aws.stage_url(api_id, "dev", "echo")
    assert requests.get(url, timeout=30).status_code == 500  # no permission yet: "Invalid permissions"

    for _ in range(2):  # re-runnable: remove-then-add, one statement
        statement = rest_apis.allow_api_gateway("t-echo", api_id)
    assert statement["Sid"] == f"apigateway-{api_id}"
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == f"arn:aws:execute-api:{aws.region}:{aws.account_id}:{api_id}/*"
    policy = json.loads(lam.get_policy(FunctionName="t-echo")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == [f"apigateway-{api_id}"]
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200 and answer.json() == {"path": "/echo"}

    custom = rest_apis.allow_api_gateway("t-echo", api_id, statement_id="custom-sid")
    assert custom["Sid"] == "custom-sid"
    assert _tracked(aws).count(f"permission apigateway-{api_id} on t-echo") == 1
    aws.cleanup()
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="t-echo")
    assert _apis_named(aws, "t-invoke") == []


def test_allow_api_gateway_cleanup_removes_the_statement_of_a_function_that_stays(aws: lab.Session) -> None:
    lam = aws.client("lambda")
    lab.create_function("t-stays", ECHO)
    aws._tracked.clear()  # as if the function came from an earlier kernel: only the permission is ours
    rest_apis.allow_api_gateway("t-stays", "a1b2c3d4e5")
    assert "a1b2c3d4e5" in lam.get_policy(FunctionName="t-stays")["Policy"]
    aws.cleanup()
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName="t-stays")  # no statements left


def test_http_api_find_or_create_fresh_and_cleanup(aws: lab.Session) -> None:
    v2 = aws.client("apigatewayv2")
    fn = lab.create_function("t-http", ECHO)
    first = rest_apis.http_api("t-http-api", Target=fn["FunctionArn"], RouteKey="GET /echo")
    assert rest_apis.http_api("t-http-api") == first == rest_apis.find_http_api("t-http-api")
    described = v2.get_api(ApiId=first)
    assert described["ProtocolType"] == "HTTP" and described["Tags"] == aws.tags
    assert [r["RouteKey"] for r in v2.get_routes(ApiId=first)["Items"]] == ["GET /echo"]
    second = rest_apis.http_api("t-http-api", fresh=True)
    assert second != first
    assert [a["ApiId"] for a in v2.get_apis()["Items"] if a["Name"] == "t-http-api"] == [second]
    assert rest_apis.delete_http_api(first) is False
    assert "Could not remove" not in aws.cleanup()
    assert rest_apis.find_http_api("t-http-api") is None


def test_inventory_service_is_rerunnable_and_stopped_by_cleanup(aws: lab.Session) -> None:
    url = start_inventory_service()
    assert start_inventory_service() == url
    body = requests.get(f"{url}/items", timeout=10).json()
    assert body == {"service": "inventory", "path": "/items", "items": ["bolts", "nuts"]}
    assert _tracked(aws).count(f"local inventory server {url}") == 1
    aws.cleanup()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/items", timeout=5)
