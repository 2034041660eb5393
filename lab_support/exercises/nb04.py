"""Self-checks for notebook 04 (API Gateway architecture and endpoint types). They look at real state.

* 04.1 (predict): what does a stage answer for a method added after its deployment? The check runs the
  experiment itself once a prediction is recorded: a small REST API of its own (MOCK ``GET /hello`` deployed to
  ``prod``, then ``GET /later`` added without a new deployment), then ``GET /later`` on ``prod``.
* 04.2 (diagnose): :func:`prepare_04_2` imports an orders API from an OpenAPI definition with a typo in its
  path (``/order``) and deploys it; clients call ``GET /orders``. The check calls ``GET /orders`` on ``prod``.
* 04.3 (design): an endpoint type for a described case, with reasons (:func:`registry.judge_design`).

Everything goes through boto3 and ``requests``, so the checks run on the embedded backend and on a real
account alike.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from lab_support.core.session import current
from lab_support.course.api_builders import delete_rest_apis_named, find_rest_api
from lab_support.exercises.registry import compare_prediction, exercise, judge_design

# -- 04.1 · predict: a method added after the deployment -------------------------------------------------
PREDICT_API = "nb04-predict-snapshot"
STATUS_CHOICES = (200, 403, 404, 500, 502)


def _mock_get(apigw: Any, api_id: str, parent_id: str, path_part: str, body: dict[str, Any]) -> None:
    """``GET /{path_part}`` with a MOCK integration answering 200 and ``body``."""
    resource_id = apigw.create_resource(restApiId=api_id, parentId=parent_id, pathPart=path_part)["id"]
    apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=resource_id, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": json.dumps(body)})


def _undeployed_method_status() -> tuple[int, str]:
    """Run the 04.1 experiment: (status, body) of a method that exists in the API but not in the stage."""
    session = current()
    apigw = session.client("apigateway")
    delete_rest_apis_named(PREDICT_API)
    api_id = apigw.create_rest_api(name=PREDICT_API, endpointConfiguration={"types": ["REGIONAL"]},
                                   tags=session.tags)["id"]
    try:
        root_id = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
        _mock_get(apigw, api_id, root_id, "hello", {"message": "hello"})
        apigw.create_deployment(restApiId=api_id, stageName="prod")
        _mock_get(apigw, api_id, root_id, "later", {"message": "added after the deployment"})
        answer = requests.get(session.stage_url(api_id, "prod", "later"), timeout=30)
        return answer.status_code, answer.text
    finally:
        delete_rest_apis_named(PREDICT_API)


@exercise(
    "04.1",
    "a method added after the deployment",
    [
        "The API you edit and the API a stage serves are not the same thing: what did the stage get, and when?",
        "Section 2, 'Deploy': what create_deployment does, and what a stage points at.",
        "create_deployment snapshots the resources and methods; a path a stage's deployment does not have gets "
        "API Gateway's answer for an unknown route.",
    ],
    kind="predict",
)
def _predict_snapshot(prediction: Any = ...) -> Any:
    if prediction is ... or prediction is None:
        return compare_prediction(prediction, None, "", choices=STATUS_CHOICES)
    if prediction not in STATUS_CHOICES:
        return compare_prediction(prediction, None, "", choices=STATUS_CHOICES)
    status, body = _undeployed_method_status()
    why = (f"The stage answered {status} {body.strip()}. A stage serves the deployment it points at, a snapshot "
           "taken by create_deployment; a method added later exists only in the API's definition until the next "
           "deployment, so for the stage the route does not exist, and API Gateway answers an unknown route with "
           "403 Missing Authentication Token, not 404.")
    return compare_prediction(prediction, status, why)


# -- 04.2 · diagnose: GET /orders answers 403 --------------------------------------------------------------
ORDERS_API = "nb04-orders"
ORDERS_STAGE = "prod"
ORDERS_BODY = {"orders": [{"id": "o-1", "item": "coffee beans"}, {"id": "o-2", "item": "filter papers"}]}


def orders_definition(path: str = "/order") -> dict[str, Any]:
    """The orders team's OpenAPI definition (its path has a typo by default: ``/order``)."""
    return {
        "openapi": "3.0.1",
        "info": {"title": ORDERS_API, "version": "1.0"},
        "paths": {path: {"get": {
            "responses": {"200": {"description": "the orders"}},
            "x-amazon-apigateway-integration": {
                "type": "mock",
                "requestTemplates": {"application/json": '{"statusCode": 200}'},
                "responses": {"default": {"statusCode": "200",
                                          "responseTemplates": {"application/json": json.dumps(ORDERS_BODY)}}},
            },
        }}},
        "x-amazon-apigateway-endpoint-configuration": {"types": ["REGIONAL"]},
    }


def prepare_04_2() -> str:
    """The broken set-up of exercise 04.2: the orders API imported from :func:`orders_definition` and deployed
    to ``prod``; tagged and tracked for the clean-up. Returns the API's id; running it again rebuilds it."""
    session = current()
    apigw = session.client("apigateway")
    delete_rest_apis_named(ORDERS_API)
    api_id = str(apigw.import_rest_api(body=json.dumps(orders_definition()))["id"])
    arn = f"arn:aws:apigateway:{session.region}::/restapis/{api_id}"
    apigw.tag_resource(resourceArn=arn, tags=session.tags)
    session.track(f"REST API {ORDERS_API}", lambda: delete_rest_apis_named(ORDERS_API), once=True)
    apigw.create_deployment(restApiId=api_id, stageName=ORDERS_STAGE, description="first release")
    return api_id


@exercise(
    "04.2",
    "GET /orders answers 403",
    [
        "Despite its words, this 403 is not about credentials: which requests does API Gateway answer this way?",
        "Section 2 shows the resource tree a request is matched against, and what a stage serves after a "
        "deployment; compare both with the URL the clients call.",
        "apigw.get_resources lists the paths; export.openapi and apigw.put_rest_api (mode overwrite) change a "
        "definition; apigw.create_deployment publishes it.",
    ],
    kind="diagnose",
)
def _orders_route() -> Any:
    session = current()
    api_id = find_rest_api(ORDERS_API)
    if api_id is None:
        return f"there is no REST API {ORDERS_API}: run the set-up cell (prepare_04_2) first"
    answer = requests.get(session.stage_url(api_id, ORDERS_STAGE, "orders"), timeout=30)
    if answer.status_code == 200 and "orders" in answer.text:
        return True
    paths = {item.get("path") for item in session.client("apigateway").get_resources(restApiId=api_id)["items"]}
    if answer.status_code == 403 and "/orders" in paths:
        return "the API's definition now has /orders, but GET /orders on stage prod still answers 403"
    return f"GET /orders on stage {ORDERS_STAGE} answers {answer.status_code} {answer.text.strip()[:80]}"


# -- 04.3 · design: an endpoint type -----------------------------------------------------------------------
ENDPOINT_OPTIONS = ("EDGE", "REGIONAL", "PRIVATE")
# The statements are listed, labelled a–g, in the notebook; sound ones support the best choice, the others are
# wrong, and the text here says why (shown when a student picks one).
SOUND_REASONS = {
    "a": "clients in or near the API's Region gain little from a detour through a CloudFront point of presence",
    "b": "your own CloudFront distribution (your caching and WAF rules) goes in front of a Regional endpoint",
    "c": "the partner calls over the internet, so the API must be reachable from the internet",
}
UNSOUND_REASONS = {
    "d": "a Regional API is public: any client on the internet can call it, from any Region",
    "e": "an edge-optimized API still runs its integration (the backend) in the API's Region; only the client's "
         "connection ends at the edge",
    "f": "a private API needs interface VPC endpoints, billed by the hour, and nobody outside your VPCs can call it",
    "g": "the default says nothing about what fits a case",
}
_ON_CHOICE = {
    "EDGE": "who are the clients, and where are they? And whose CloudFront distribution should the API sit behind?",
    "PRIVATE": "one of the clients calls from outside your VPCs, over the internet",
}


@exercise(
    "04.3",
    "an endpoint type for the payments API",
    [
        "Start from the clients: where are they, and how do they reach the API?",
        "Section 3 quotes what AWS says each endpoint type is for; section 4's latency model shows when the "
        "edge helps and when it hardly does.",
        "Compare endpointConfiguration types EDGE, REGIONAL and PRIVATE on three things: where the clients are, "
        "whose CloudFront distribution is in front, and who may call.",
    ],
    kind="design",
)
def _endpoint_design(choice: Any = ..., reasons: Any = None) -> Any:
    return judge_design(choice, reasons, best="REGIONAL", options=ENDPOINT_OPTIONS, sound=SOUND_REASONS,
                        unsound=UNSOUND_REASONS, on_choice=_ON_CHOICE)
