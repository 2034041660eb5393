"""Self-checks (and the prepared resources) for notebook 05, Integrations.

Each exercise starts from resources a ``prepare_…`` function builds through public APIs (Lambda, API
Gateway), re-runnable, tagged and tracked for ``lab.cleanup()``. Running a ``prepare_…`` function again
puts the exercise back in its starting state. The checks look at real state: they send real requests
through the deployed stage.

* 05.1 (fix): ``GET /hello`` of ``nb05-ex-hello`` is a Lambda proxy integration whose handler returns a
  malformed proxy response (502); the student fixes the handler.
* 05.2 (predict): one function that raises, behind a proxy integration and behind a custom integration whose
  only ``selectionPattern`` does not match; the student predicts both status codes, the check sends the requests.
* 05.3 (write): a mapping template that turns ``POST /customers/{customer}/orders`` into the event the function
  ``nb05-ex-orders`` expects; the check sends requests with random values and compares the event received.
* 05.4 (design): the integration type for a described case, with reasons (:func:`registry.judge_design`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from lab_support.core.session import current
from lab_support.course.api_builders import allow_api_gateway, clear_method, find_rest_api, lambda_uri, resource, rest_api
from lab_support.course.functions import create_function
from lab_support.exercises.registry import Verdict, compare_prediction, exercise, judge_design

__all__ = ["DESIGN_OPTIONS", "DESIGN_REASONS", "HELLO_CODE", "find_rest_api", "prepare_05_1", "prepare_05_2",
           "prepare_05_3"]

STAGE = "dev"


def _rest_api(name: str) -> str:
    return rest_api(name, endpointConfiguration={"types": ["REGIONAL"]})


def _put_method(api_id: str, resource_id: str, http_method: str, **kwargs: Any) -> None:
    """The method as the exercise starts it: whatever an earlier run or the student left is replaced."""
    apigw = current().client("apigateway")
    clear_method(api_id, resource_id, http_method)
    apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=http_method, authorizationType="NONE",
                     **kwargs)


def _proxy(api_id: str, resource_id: str, function_arn: str) -> None:
    """``GET`` on the resource: a Lambda proxy integration (``AWS_PROXY``, always POST to Lambda's Invoke API)."""
    _put_method(api_id, resource_id, "GET")
    current().client("apigateway").put_integration(
        restApiId=api_id, resourceId=resource_id, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
        uri=lambda_uri(function_arn))


# -- 05.1 ---------------------------------------------------------------------------------------------------
HELLO_FUNCTION = "nb05-ex-hello"
HELLO_API = "nb05-ex-hello"
# The broken starting point: it answers a request with ?name=, but the path without a name forgets to return its
# answer, so Lambda returns null and API Gateway, finding no proxy response, answers 502.
HELLO_CODE = '''import json


def answer(text):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps({"message": text})}


def handler(event, context):
    params = event.get("queryStringParameters")
    if params and "name" in params:
        return answer(f"Hello, {params['name']}!")
    answer("Hello, world!")
'''


def prepare_05_1() -> str:
    """``GET /hello`` of REST API ``nb05-ex-hello`` (stage ``dev``): a Lambda proxy integration to
    ``nb05-ex-hello``, deployed with a handler that answers ``?name=…`` but returns nothing without a name (502).
    Returns the API id."""
    fn = create_function(HELLO_FUNCTION, HELLO_CODE)
    api_id = _rest_api(HELLO_API)
    allow_api_gateway(HELLO_FUNCTION, api_id)
    _proxy(api_id, resource(api_id, "/hello"), fn["FunctionArn"])
    current().client("apigateway").create_deployment(restApiId=api_id, stageName=STAGE)
    return api_id


@exercise(
    "05.1",
    "a proxy response the gateway accepts",
    [
        "One request works and the other gets 502, and the function never fails. What does the function give back "
        "for each of the two requests?",
        "Section 1, 'The proxy response contract': what must reach API Gateway from every invocation?",
        "Lambda's invoke with a test event shows what the function returns (its Payload); the execution log names "
        "the gateway's complaint: https://docs.aws.amazon.com/apigateway/latest/developerguide/"
        "set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format",
    ],
    kind="fix",
)
def _hello_answers() -> Verdict:
    import requests

    api_id = find_rest_api(HELLO_API)
    if api_id is None:
        return "the API nb05-ex-hello does not exist: run the cell that prepares the exercise"
    plain = requests.get(current().stage_url(api_id, STAGE, "hello"), timeout=30)
    if plain.status_code != 200 or plain.headers.get("Content-Type", "").split(";")[0] != "application/json":
        return f"GET /hello (no name) answers {plain.status_code} {plain.text[:80]}"
    if plain.json() != {"message": "Hello, world!"}:
        return f"GET /hello (no name) answers 200 with {plain.text[:80]}; the page expects {{\"message\": \"Hello, world!\"}}"
    name = f"student-{uuid.uuid4().hex[:6]}"
    answer = requests.get(current().stage_url(api_id, STAGE, "hello"), params={"name": name}, timeout=30)
    if answer.status_code != 200:
        return f"GET /hello?name=… answers {answer.status_code} {answer.text[:80]}"
    if "application/json" not in answer.headers.get("Content-Type", ""):
        return f"GET /hello answers 200, but with Content-Type {answer.headers.get('Content-Type')!r}"
    try:
        body = answer.json()
    except ValueError:
        return "GET /hello answers 200, but its body is not JSON"
    if body != {"message": f"Hello, {name}!"}:
        shown = json.dumps(body).replace(name, "<name>")
        return f"GET /hello?name=<name> answers 200 with {shown}; the page expects {{\"message\": \"Hello, <name>!\"}}"
    return True


# -- 05.2 ---------------------------------------------------------------------------------------------------
FAILING_FUNCTION = "nb05-ex-fails"
ERRORS_API = "nb05-ex-errors"
FAILING_CODE = '''def handler(event, context):
    raise RuntimeError("database unreachable")
'''
PREDICTION_KEYS = ("proxy", "custom")


def prepare_05_2() -> str:
    """REST API ``nb05-ex-errors`` (stage ``dev``): the function ``nb05-ex-fails``, which always raises, behind
    ``GET /proxy`` (Lambda proxy) and ``GET /custom`` (Lambda custom: a 200 default response and a 400 for
    errors matching ``Invalid input.*``). Returns the API id."""
    apigw = current().client("apigateway")
    fn = create_function(FAILING_FUNCTION, FAILING_CODE)
    api_id = _rest_api(ERRORS_API)
    allow_api_gateway(FAILING_FUNCTION, api_id)
    _proxy(api_id, resource(api_id, "/proxy"), fn["FunctionArn"])
    custom = resource(api_id, "/custom")
    _put_method(api_id, custom, "GET")
    apigw.put_integration(restApiId=api_id, resourceId=custom, httpMethod="GET", type="AWS",
                          integrationHttpMethod="POST", uri=lambda_uri(fn["FunctionArn"]),
                          requestTemplates={"application/json": "{}"})
    for status, pattern in (("200", None), ("400", "Invalid input.*")):
        apigw.put_method_response(restApiId=api_id, resourceId=custom, httpMethod="GET", statusCode=status)
        apigw.put_integration_response(restApiId=api_id, resourceId=custom, httpMethod="GET", statusCode=status,
                                       **({"selectionPattern": pattern} if pattern else {}))
    apigw.create_deployment(restApiId=api_id, stageName=STAGE)
    return api_id


WHY_ERRORS = (
    "Behind a proxy integration an unhandled function error is a 502 {\"message\": \"Internal server error\"}: "
    "the gateway got no valid proxy response. Behind a custom integration the error's errorMessage is matched "
    "against the integration responses' selectionPattern; 'database unreachable' matches no pattern, so the "
    "default response (200) is used, with the error JSON (errorMessage, errorType, stackTrace) as its body: a "
    "failed function answering 200, the classic custom-integration bug. A catch-all pattern such as '.+' for a "
    "500 response fixes it "
    "(https://docs.aws.amazon.com/apigateway/latest/developerguide/handle-errors-in-lambda-integration.html)."
)


@exercise(
    "05.2",
    "when the function raises",
    [
        "Two different mechanisms decide the status code: in one integration the function's answer is the HTTP "
        "response, in the other an integration response is chosen for it.",
        "Section 1: 'The proxy response contract' (what happens when there is no valid answer) and 'The custom "
        "(non-proxy) integration' (how selectionPattern picks a response, and which one has no pattern).",
        "selectionPattern is a regular expression matched against the errorMessage of a failed Lambda invocation "
        "(https://docs.aws.amazon.com/apigateway/latest/developerguide/handle-errors-in-lambda-integration.html).",
    ],
    kind="predict",
)
def _errors_predicted(prediction: Any = ...) -> Verdict:
    if prediction is ... or prediction is None:
        return compare_prediction(prediction, None, "")
    if not (isinstance(prediction, dict) and set(prediction) == set(PREDICTION_KEYS)
            and all(isinstance(code, int) for code in prediction.values())):
        return "the prediction should be a dict with two status codes (ints): {\"proxy\": …, \"custom\": …}"
    import requests

    api_id = find_rest_api(ERRORS_API)
    if api_id is None:
        return "the API nb05-ex-errors does not exist: run the cell that prepares the exercise"
    observed = {key: requests.get(current().stage_url(api_id, STAGE, key), timeout=30).status_code
                for key in PREDICTION_KEYS}
    return compare_prediction(dict(prediction), observed, WHY_ERRORS)


# -- 05.3 ---------------------------------------------------------------------------------------------------
ORDERS_FUNCTION = "nb05-ex-orders"
ORDERS_API = "nb05-ex-orders"
ORDERS_PATH = "/customers/{customer}/orders"
ORDERS_CODE = '''def handler(event, context):
    # A Lambda custom (non-proxy) integration: the event is whatever the mapping template produced.
    return {"received": event}
'''


def prepare_05_3() -> str:
    """``POST /customers/{customer}/orders`` of REST API ``nb05-ex-orders`` (stage ``dev``): a Lambda custom
    integration to ``nb05-ex-orders`` (which answers the event it received) whose mapping template is ``{}``.
    Returns the API id."""
    apigw = current().client("apigateway")
    fn = create_function(ORDERS_FUNCTION, ORDERS_CODE)
    api_id = _rest_api(ORDERS_API)
    allow_api_gateway(ORDERS_FUNCTION, api_id)
    orders = resource(api_id, ORDERS_PATH)
    _put_method(api_id, orders, "POST", requestParameters={"method.request.path.customer": True,
                                                           "method.request.header.X-Channel": False})
    apigw.put_method_response(restApiId=api_id, resourceId=orders, httpMethod="POST", statusCode="200")
    apigw.put_integration(restApiId=api_id, resourceId=orders, httpMethod="POST", type="AWS",
                          integrationHttpMethod="POST", uri=lambda_uri(fn["FunctionArn"]),
                          requestTemplates={"application/json": "{}"})
    apigw.put_integration_response(restApiId=api_id, resourceId=orders, httpMethod="POST", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName=STAGE)
    return api_id


@exercise(
    "05.3",
    "a mapping template for the orders backend",
    [
        "The event takes its values from three places of the request: the path, the JSON body and a header. A "
        "JSON string needs quotes around it in the template; a number must come out without quotes.",
        "Section 1, 'The custom (non-proxy) integration': its template reads a query parameter and a context "
        "variable; the same $input variable reads the path, headers and the body.",
        "$input.params('…') (path, query string or header) and $input.json('$.…') (a part of the body, as JSON): "
        "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html; "
        "change the template with update_integration (patch path /requestTemplates/application~1json), then "
        "create_deployment.",
    ],
    kind="write",
)
def _orders_template() -> Verdict:
    import requests

    api_id = find_rest_api(ORDERS_API)
    if api_id is None:
        return "the API nb05-ex-orders does not exist: run the cell that prepares the exercise"
    for quantity, channel in ((3, "mobile"), (12, "partner")):
        customer, item = f"c-{uuid.uuid4().hex[:6]}", f"item {uuid.uuid4().hex[:4]}"
        answer = requests.post(current().stage_url(api_id, STAGE, f"customers/{customer}/orders"),
                               json={"item": item, "qty": quantity}, headers={"X-Channel": channel}, timeout=30)
        if answer.status_code != 200:
            return f"POST /customers/…/orders answers {answer.status_code}: {answer.text[:100]}"
        try:
            received = answer.json().get("received")
        except (ValueError, AttributeError):
            return "the answer is not the function's JSON: is the template valid JSON once filled in?"
        expected = {"customer": customer, "item": item, "quantity": quantity, "channel": channel}
        if received != expected:
            shown = json.dumps(received)
            for value, label in ((customer, "<customer>"), (item, "<item>"), (channel, "<channel>")):
                shown = shown.replace(value, label)
            return (f"the function received {shown}; it expects exactly {{\"customer\": <customer>, \"item\": "
                    "<item>, \"quantity\": <qty, a number>, \"channel\": <X-Channel>}")
    return True


# -- 05.4 ---------------------------------------------------------------------------------------------------
DESIGN_OPTIONS = ("AWS_PROXY", "AWS", "HTTP_PROXY", "HTTP", "MOCK")
# Reason labels and statements, as the notebook lists them; sound ones support the best choice.
DESIGN_REASONS = {
    "a": "API Gateway can call SQS SendMessage itself, with a mapping template and an integration role.",
    "b": "No function runs per request: no Lambda invocation to pay for and no code to maintain in the request path.",
    "c": "The queue keeps every event until the worker, at its own pace, reads it.",
    "d": "Only a proxy integration can pass the request's whole body to the backend.",
    "e": "An AWS integration needs no IAM role, so there is nothing to set up besides the method.",
    "f": "A MOCK integration answers fastest, and the events can be read back from the access logs.",
}
_SOUND = {
    "a": "the SQS service integration of section 3",
    "b": "nothing of yours runs between the client and the queue",
    "c": "the queue is the buffer the case asks for",
}
_UNSOUND = {
    "d": "a mapping template passes the whole body too ($input.body), as section 3's SQS template does",
    "e": "an AWS integration calls the service as its credentials role, which must trust apigateway.amazonaws.com "
         "and allow the action",
    "f": "MOCK keeps nothing, and logs are not a place to read work from: events would be lost",
}
_ON_CHOICE = {
    "AWS_PROXY": "a function per request works, but the case asks for no code in the request path and no "
                 "per-request Lambda cost",
    "HTTP_PROXY": "there is no HTTP server of yours to forward to, and a request to an AWS API must be signed, "
                  "which API Gateway does for AWS integrations",
    "HTTP": "there is no HTTP server of yours to call, and a request to an AWS API must be signed, which API Gateway "
            "does for AWS integrations",
    "MOCK": "MOCK answers from the gateway and keeps nothing: the events would be lost",
}


@exercise(
    "05.4",
    "an integration for delivery events",
    [
        "List what the case asks for (keep every event, no code in the path, no per-request Lambda cost) and cross out "
        "each type that misses one of them.",
        "The table 'What an integration is' at the top of the notebook, and section 3, where a service is called "
        "without any function.",
        "judge your reasons against the integration types' definitions: "
        "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-integration-types.html",
    ],
    kind="design",
)
def _design(choice: Any = ..., reasons: Any = None) -> Verdict:
    return judge_design(choice, reasons, best="AWS", options=DESIGN_OPTIONS, sound=_SOUND, unsound=_UNSOUND,
                        needed=2, on_choice=_ON_CHOICE)
