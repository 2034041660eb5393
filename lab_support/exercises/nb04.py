"""Self-checks for notebook 04 (API Gateway architecture and endpoint types).

They look at real state: the REST APIs in the account (through boto3, so they work on the
embedded backend and on a real account) and what a deployed stage answers (through ``requests``,
so the local API Gateway data plane, or AWS, serves the call).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lab_support.core.session import current
from lab_support.exercises.registry import exercise

EXERCISE_API_NAME = "exercise-regional"
EXERCISE_STAGE = "dev"

# Exercise 04.2: which endpoint type fits each scenario (the scenarios are in the notebook).
# https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-endpoint-types.html
ENDPOINT_ANSWERS = {"a": "EDGE", "b": "REGIONAL", "c": "PRIVATE"}
_WHY = {
    "a": "clients all over the world: which type routes them to the nearest CloudFront point of presence?",
    "b": "clients in the API's own Region: which type avoids the detour through CloudFront?",
    "c": "reachable only from inside a VPC, through an interface VPC endpoint: which type is that?",
}


def _apis_named(apigw: Any, name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in apigw.get_paginator("get_rest_apis").paginate():
        found += [api for api in page.get("items", []) if api.get("name") == name]
    return found


def _hello_answers(api: dict[str, Any]) -> bool | str:
    """Does ``api`` have GET /hello, a MOCK integration and stage "dev" answering 200?"""
    import requests

    session = current()
    apigw = session.client("apigateway")
    api_id = api["id"]
    resources = apigw.get_resources(restApiId=api_id, embed=["methods"], limit=500)["items"]
    hello = next((r for r in resources if r.get("path") == "/hello"), None)
    if hello is None:
        return "the API has no resource /hello yet (create_resource with pathPart='hello')"
    if "GET" not in (hello.get("resourceMethods") or {}):
        return "/hello has no GET method yet (put_method)"
    try:
        integration = apigw.get_integration(restApiId=api_id, resourceId=hello["id"], httpMethod="GET")
    except Exception:
        return "GET /hello has no integration yet (put_integration with type='MOCK')"
    if integration.get("type") != "MOCK":
        return f"GET /hello's integration is {integration.get('type')}, not MOCK"
    try:
        apigw.get_stage(restApiId=api_id, stageName=EXERCISE_STAGE)
    except Exception:
        return f"the API is not deployed to stage {EXERCISE_STAGE!r} yet (create_deployment)"
    answer = requests.get(session.stage_url(api_id, EXERCISE_STAGE, "hello"), timeout=30)
    if answer.status_code != 200:
        return (f"GET /hello on stage {EXERCISE_STAGE!r} answered {answer.status_code}: does the method have a "
                "200 method response and integration response, and did you deploy after adding them?")
    return True


@exercise(
    "04.1",
    "a REGIONAL REST API with a MOCK GET /hello on stage dev",
    f"create_rest_api(name={EXERCISE_API_NAME!r}, endpointConfiguration={{'types': ['REGIONAL']}}), then "
    "create_resource, put_method, put_integration (MOCK), put_method_response, put_integration_response, "
    f"create_deployment(stageName={EXERCISE_STAGE!r}) — as in section 2",
)
def _exercise_regional() -> bool | str:
    apigw = current().client("apigateway")
    apis = _apis_named(apigw, EXERCISE_API_NAME)
    if not apis:
        return f"there is no REST API named {EXERCISE_API_NAME!r} yet"
    verdicts: list[str] = []
    for api in apis:
        types = (api.get("endpointConfiguration") or {}).get("types") or []
        if types != ["REGIONAL"]:
            verdicts.append(f"its endpoint type is {types}, not ['REGIONAL']")
            continue
        verdict = _hello_answers(api)
        if verdict is True:
            return True
        verdicts.append(str(verdict))
    return verdicts[0]


@exercise(
    "04.2",
    "pick the endpoint type for each scenario",
    'call lab.check("04.2", {"a": ..., "b": ..., "c": ...}) with "EDGE", "REGIONAL" or "PRIVATE" for each',
)
def _endpoint_types(answer: Any = None) -> bool | str:
    if answer is None:
        return 'pass your answer, e.g. lab.check("04.2", {"a": "EDGE", "b": "EDGE", "c": "EDGE"})'
    if not isinstance(answer, Mapping):
        return 'the answer is a dict such as {"a": "EDGE", "b": "REGIONAL", "c": "PRIVATE"}'
    given = {str(k).strip().lower(): str(v).strip().upper() for k, v in answer.items()}
    missing = sorted(set(ENDPOINT_ANSWERS) - set(given))
    if missing:
        return f"answer every scenario: {', '.join(missing)} missing"
    unknown = sorted(v for v in given.values() if v not in ("EDGE", "REGIONAL", "PRIVATE"))
    if unknown:
        return f"use EDGE, REGIONAL or PRIVATE (not {', '.join(unknown)})"
    for key, expected in ENDPOINT_ANSWERS.items():
        if given[key] != expected:
            return f"look again at {key}: {_WHY[key]}"
    return True
