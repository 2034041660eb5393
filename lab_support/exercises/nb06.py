"""Self-checks (and the prepared resources) for notebook 06, Securing an API.

Each exercise starts from resources a ``prepare_…`` function builds through public APIs (Lambda, API Gateway),
re-runnable, tagged and tracked for ``lab.cleanup()``. Running a ``prepare_…`` function again puts the exercise
back in its starting state. The checks send real requests through the deployed stages.

* 06.1 (write): a Lambda TOKEN authorizer, ``nb06-ex-authorizer``, that lets token ``reader`` only ``GET`` and
  token ``admin`` everything.
* 06.2 (predict, then run): a usage plan with rate 1 and burst 2; the student predicts the status codes of a
  sequence of requests (one without a key: 403 or 429?); the check sends them, compares and explains. Its waits
  are on the course clock, so on a real account it says so and sends nothing.
* 06.3 (diagnose): REST API ``nb06-ex-cors``, ``POST /orders`` a Lambda proxy integration to ``nb06-ex-orders``
  whose 400 answers forget ``Access-Control-Allow-Origin``; the student finds it and fixes the handler.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from lab_support.core import clock
from lab_support.core.session import current
from lab_support.course.api_builders import (
    allow_api_gateway,
    clear_method,
    find_rest_api,
    lambda_uri,
    resource,
    rest_api,
)
from lab_support.course.functions import create_function
from lab_support.exercises.registry import Outcome, Verdict, compare_prediction, exercise

__all__ = [
    "BURST_SEQUENCE",
    "ORDERS_CODE",
    "ORIGIN",
    "find_rest_api",
    "prepare_06_1",
    "prepare_06_2",
    "prepare_06_3",
]

STAGE = "dev"
ORIGIN = "https://shop.example.com"


def _put_method(api_id: str, resource_id: str, http_method: str, **kwargs: Any) -> None:
    apigw = current().client("apigateway")
    clear_method(api_id, resource_id, http_method)
    kwargs.setdefault("authorizationType", "NONE")
    apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=http_method, **kwargs)


def _mock(api_id: str, resource_id: str, http_method: str, body: str = '{"ok": true}',
          headers: dict[str, str] | None = None) -> None:
    """A MOCK integration answering 200 ``body`` (and the static ``headers``)."""
    apigw = current().client("apigateway")
    apigw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=http_method, type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    declared = {f"method.response.header.{name}": True for name in headers or {}}
    apigw.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod=http_method, statusCode="200",
                              responseParameters=declared)
    values = {f"method.response.header.{name}": f"'{value}'" for name, value in (headers or {}).items()}
    apigw.put_integration_response(restApiId=api_id, resourceId=resource_id, httpMethod=http_method,
                                   statusCode="200", responseTemplates={"application/json": body},
                                   responseParameters=values)


def _find(items: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((item for item in items if item.get("name") == name), None)


# -- 06.1 ---------------------------------------------------------------------------------------------------
AUTHORIZER_FUNCTION = "nb06-ex-authorizer"
DOCS_API = "nb06-ex-docs"
STUB_AUTHORIZER = '''
def handler(event, context):
    # Write the policy here. For now every token is refused (401).
    raise Exception("Unauthorized")
'''


def prepare_06_1() -> str:
    """REST API ``nb06-ex-docs`` (stage ``dev``): ``GET`` and ``DELETE /docs`` (MOCK), both behind the TOKEN
    authorizer ``reader-admin`` (header ``Authorization``, no caching) that calls ``nb06-ex-authorizer``, created
    with a stub that refuses everyone. Returns the API id."""
    apigw = current().client("apigateway")
    fn = create_function(AUTHORIZER_FUNCTION, STUB_AUTHORIZER)
    api_id = rest_api(DOCS_API, endpointConfiguration={"types": ["REGIONAL"]})
    allow_api_gateway(AUTHORIZER_FUNCTION, api_id)
    existing = _find(apigw.get_authorizers(restApiId=api_id)["items"], "reader-admin")
    auth_id = existing["id"] if existing else apigw.create_authorizer(
        restApiId=api_id, name="reader-admin", type="TOKEN", authorizerUri=lambda_uri(fn["FunctionArn"]),
        identitySource="method.request.header.Authorization", authorizerResultTtlInSeconds=0)["id"]
    docs = resource(api_id, "/docs")
    for method in ("GET", "DELETE"):
        _put_method(api_id, docs, method, authorizationType="CUSTOM", authorizerId=auth_id)
        _mock(api_id, docs, method, body=f'{{"done": "{method}"}}')
    apigw.create_deployment(restApiId=api_id, stageName=STAGE)
    return api_id


@exercise(
    "06.1",
    "an authorizer for readers and admins",
    [
        "Three outcomes are needed: allow, deny, and 'no valid token at all'. Which of the three does each token "
        "and method get, and how does the handler tell GET from DELETE?",
        "Section 4, 'Lambda authorizers': the authorizer there shows the answer's shape, and 'Four answers, "
        "four meanings' which answer gives 401 and which 403.",
        "The input has authorizationToken and methodArn (…/{stage}/{METHOD}/{path}); the output has principalId "
        "and policyDocument with execute-api:Invoke (https://docs.aws.amazon.com/apigateway/latest/developerguide/"
        "api-gateway-lambda-authorizer-output.html); 'Four answers, four meanings' says which outcome of an "
        "authorizer gives 401.",
    ],
    kind="write",
)
def _reader_admin() -> bool | str:
    import requests

    session = current()
    api_id = find_rest_api(DOCS_API)
    if api_id is None:
        return "the API nb06-ex-docs does not exist: run the cell that prepares the exercise"
    url = session.stage_url(api_id, STAGE, "docs")
    cases = (("reader", "GET", (200,)), ("reader", "DELETE", (403,)), ("admin", "GET", (200,)),
             ("admin", "DELETE", (200,)), ("guest", "GET", (401, 403)), (None, "GET", (401,)))
    for token, method, expected in cases:
        headers = {"Authorization": token} if token else {}
        answer = requests.request(method, url, headers=headers, timeout=30)
        if answer.status_code not in expected:
            who = f"token {token!r}" if token else "no token"
            detail = answer.text[:100]
            if answer.status_code == 500:
                detail += " (the authorizer failed or returned something that is not a policy: see its log group)"
            return f"{method} /docs with {who} answers {answer.status_code} {detail}; expected " + \
                " or ".join(map(str, expected))
    return True


# -- 06.2 ---------------------------------------------------------------------------------------------------
PLAN_API = "nb06-ex-plan"
PLAN_NAME = "nb06-ex-burst2"
KEY_NAME = "nb06-ex-key"
# The sequence the check sends: a number means that many requests with the key, back to back; ("no key", n)
# that many without it; ("wait", s) advances the clock by s seconds.
BURST_SEQUENCE: tuple[int | tuple[str, float], ...] = (("no key", 1), 3, ("wait", 1.0), 2, ("wait", 10.0), 3)
REQUESTS = sum(step if isinstance(step, int) else int(step[1]) for step in BURST_SEQUENCE if
               not (isinstance(step, tuple) and step[0] == "wait"))


def prepare_06_2() -> str:
    """REST API ``nb06-ex-plan`` (stage ``dev``, ``GET /items`` needs an API key) in usage plan ``nb06-ex-burst2``
    (rate 1 request/s, burst 2) with key ``nb06-ex-key``. Returns the API id."""
    session = current()
    apigw = session.client("apigateway")
    api_id = rest_api(PLAN_API, endpointConfiguration={"types": ["REGIONAL"]})
    items = resource(api_id, "/items")
    _put_method(api_id, items, "GET", apiKeyRequired=True)
    _mock(api_id, items, "GET")
    apigw.create_deployment(restApiId=api_id, stageName=STAGE)
    key = _find(apigw.get_api_keys(nameQuery=KEY_NAME, includeValues=True)["items"], KEY_NAME)
    if key is None:
        key = apigw.create_api_key(name=KEY_NAME, enabled=True, tags=session.tags)
        key_id = key["id"]
        session.track(f"API key {KEY_NAME}", lambda: apigw.delete_api_key(apiKey=key_id), once=True)
    plan = _find(apigw.get_usage_plans()["items"], PLAN_NAME)
    if plan is None:
        plan = apigw.create_usage_plan(name=PLAN_NAME, apiStages=[{"apiId": api_id, "stage": STAGE}],
                                       throttle={"rateLimit": 1.0, "burstLimit": 2}, tags=session.tags)
        plan_id = plan["id"]
        session.track(f"usage plan {PLAN_NAME}", lambda: _delete_plan(plan_id), once=True)
        apigw.create_usage_plan_key(usagePlanId=plan_id, keyId=key["id"], keyType="API_KEY")
    return api_id


def _delete_plan(plan_id: str) -> None:
    """Remove the plan's API stages first (AWS refuses to delete a plan still bound to a stage)."""
    apigw = current().client("apigateway")
    with contextlib.suppress(apigw.exceptions.NotFoundException):
        plan = apigw.get_usage_plan(usagePlanId=plan_id)
        ops = [{"op": "remove", "path": "/apiStages", "value": f"{s['apiId']}:{s['stage']}"}
               for s in plan.get("apiStages", [])]
        if ops:
            apigw.update_usage_plan(usagePlanId=plan_id, patchOperations=ops)
        apigw.delete_usage_plan(usagePlanId=plan_id)


def run_burst_sequence() -> list[int]:
    """Send :data:`BURST_SEQUENCE` with the key of ``nb06-ex-burst2``; the status codes in order."""
    import requests

    session = current()
    apigw = session.client("apigateway")
    api_id = find_rest_api(PLAN_API)
    key = _find(apigw.get_api_keys(nameQuery=KEY_NAME, includeValues=True)["items"], KEY_NAME)
    if api_id is None or key is None:
        raise LookupError("run the cell that prepares the exercise")
    url = session.stage_url(api_id, STAGE, "items")
    clock.advance(30)  # a full bucket to start from, whatever ran before
    statuses: list[int] = []
    for step in BURST_SEQUENCE:
        if isinstance(step, tuple) and step[0] == "wait":
            clock.advance(step[1])
            continue
        headers = {} if isinstance(step, tuple) else {"x-api-key": key["value"]}
        for _ in range(int(step[1]) if isinstance(step, tuple) else step):
            statuses.append(requests.get(url, headers=headers, timeout=30).status_code)
    return statuses


WHY_BURST = (
    "A request without a key is refused with 403 Forbidden before any usage plan is consulted, and takes no "
    "token. The bucket holds at most burstLimit (2) tokens and gains rateLimit (1) a second: three requests back "
    "to back find 2, 1 and 0 tokens, so the third gets 429 Too Many Requests. One second later there is one "
    "token: one request passes, the next gets 429. Ten seconds would give ten tokens, but the bucket never holds "
    "more than the burst, so again two pass and the third gets 429. A throttled request takes no token."
)


@exercise(
    "06.2",
    "403 or 429?",
    [
        "Take the requests one at a time and ask first: does the gateway know whose request this is? Then: is "
        "there a token in the key's bucket?",
        "Section 5, 'Throttling: rate and burst' and the diagram at its top: which refusal comes from the key "
        "check, which from the bucket.",
        "A usage plan's throttle is a token bucket: burstLimit is its size, rateLimit its refill per second "
        "(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html).",
    ],
    kind="predict",
)
def _predict_burst(prediction: Any = ...) -> Verdict:
    if prediction is not ... and prediction is not None and not (
            isinstance(prediction, list | tuple) and len(prediction) == REQUESTS
            and all(code in (200, 403, 429) for code in prediction)):
        return f"the prediction should be a list of {REQUESTS} status codes, each 200, 403 or 429"
    if prediction is ... or prediction is None:
        return compare_prediction(prediction, None, "")
    if current().backend == "aws":
        return Outcome(False, "This check waits 1 s and 10 s on the course clock, which moves only this kernel, and "
                              "AWS applies usage-plan throttling on a best-effort basis, so on a real account the "
                              "sequence would not show the token bucket. Run it on the embedded backend (unset "
                              "LAB_BACKEND); your prediction is kept in the variable prediction.")
    try:
        actual = run_burst_sequence()
    except LookupError as err:
        return str(err)
    wrong = [f"request {i + 1}: you said {p}, the gateway answered {a}"
             for i, (p, a) in enumerate(zip(prediction, actual, strict=True)) if p != a]
    why = WHY_BURST + (" Where you differed: " + "; ".join(wrong) + "." if wrong else "")
    return compare_prediction(list(prediction), actual, why)


# -- 06.3 ---------------------------------------------------------------------------------------------------
ORDERS_FUNCTION = "nb06-ex-orders"
CORS_API = "nb06-ex-cors"
ORDERS_CODE = '''
import json

HEADERS = {"Content-Type": "application/json", "Access-Control-Allow-Origin": "https://shop.example.com"}


def handler(event, context):
    try:
        order = json.loads(event.get("body") or "")
    except ValueError:
        return {"statusCode": 400, "body": json.dumps({"error": "the body is not JSON"})}
    if not isinstance(order, dict) or not order.get("item"):
        return {"statusCode": 400, "body": json.dumps({"error": "item is required"})}
    return {"statusCode": 201, "headers": HEADERS, "body": json.dumps({"ordered": order["item"]})}
'''


def prepare_06_3() -> str:
    """REST API ``nb06-ex-cors`` (stage ``dev``): ``OPTIONS /orders`` answers preflights (MOCK) and ``POST /orders``
    is a Lambda proxy integration to ``nb06-ex-orders``, whose error answers lack the CORS header. Returns the id."""
    apigw = current().client("apigateway")
    fn = create_function(ORDERS_FUNCTION, ORDERS_CODE)
    api_id = rest_api(CORS_API, endpointConfiguration={"types": ["REGIONAL"]})
    allow_api_gateway(ORDERS_FUNCTION, api_id)
    orders = resource(api_id, "/orders")
    _put_method(api_id, orders, "OPTIONS")
    _mock(api_id, orders, "OPTIONS", body="", headers={
        "Access-Control-Allow-Origin": ORIGIN, "Access-Control-Allow-Methods": "POST,OPTIONS",
        "Access-Control-Allow-Headers": "content-type"})
    _put_method(api_id, orders, "POST")
    apigw.put_integration(restApiId=api_id, resourceId=orders, httpMethod="POST", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=lambda_uri(fn["FunctionArn"]))
    apigw.create_deployment(restApiId=api_id, stageName=STAGE)
    return api_id


@exercise(
    "06.3",
    "the CORS error that hides an error message",
    [
        "The preflight is fine and a good order is fine. Which other answers can POST /orders give? Send each "
        "kind yourself, with an Origin header, and look at the response headers of each.",
        "Section 7, 'Classic mistake 2': with a proxy integration, who adds headers to the answer the browser "
        "receives?",
        "The CORS response headers (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html); "
        "lab.create_function deploys code under an existing name.",
    ],
    kind="diagnose",
)
def _orders_cors() -> bool | str:
    import requests

    session = current()
    api_id = find_rest_api(CORS_API)
    if api_id is None:
        return "the API nb06-ex-cors does not exist: run the cell that prepares the exercise"
    url = session.stage_url(api_id, STAGE, "orders")
    preflight = requests.options(url, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                                               "Access-Control-Request-Headers": "content-type"}, timeout=30)
    if preflight.status_code != 200 or preflight.headers.get("Access-Control-Allow-Origin") != ORIGIN:
        return f"the preflight (OPTIONS /orders) now answers {preflight.status_code} without the CORS headers: " \
               "it was right, leave OPTIONS as prepared (run the preparing cell again)"
    cases = (("a good order", json.dumps({"item": "tea"}), 201), ("an order without item", "{}", 400),
             ("a body that is not JSON", "tea, please", 400))
    for label, body, status in cases:
        answer = requests.post(url, data=body, headers={"Origin": ORIGIN, "Content-Type": "application/json"},
                               timeout=30)
        if answer.status_code != status:
            return f"POST /orders with {label} answers {answer.status_code}; it should still answer {status}"
        allowed = answer.headers.get("Access-Control-Allow-Origin")
        if allowed not in (ORIGIN, "*"):
            return f"a browser at {ORIGIN} still cannot read every answer of POST /orders"
    return True


