"""Self-checks (and the prepared resources) for notebook 07, Releasing and operating an API.

* 07.1 (write): :func:`prepare_07_1` builds ``nb07-ex-logs`` (``GET /`` → a Lambda proxy, stage ``dev``) and the
  log group ``nb07-ex-access``; the student gives the stage an access-log format in JSON with the fields a check
  needs (``requestId``, ``status``, ``resourcePath``, ``integrationLatency``); the check sends a request and reads
  the real log line.
* 07.2 (diagnose): :func:`prepare_07_2` builds ``nb07-ex-canary``: its ``prod`` stage runs a 10 % canary whose
  stage-variable override picks the Lambda alias ``beta``, which API Gateway may not invoke; canary requests fail
  with 500 (about one request in ten).
  The student finds it in the access and execution logs and fixes it, keeping the canary.
* 07.3 (predict): :func:`prepare_07_3` builds ``nb07-ex-alarm`` (a MOCK method answering 500) and an alarm
  with Period 60, EvaluationPeriods 3, DatapointsToAlarm 2; the student predicts in which minute of
  :data:`ERRORS_PER_MINUTE` the alarm goes to ALARM; only then does the check play those minutes on the course
  clock and compare (:func:`~lab_support.exercises.registry.compare_prediction`).

Everything is created through public APIs (Lambda, API Gateway, CloudWatch), tagged and tracked for
``lab.cleanup()``; running a ``prepare_…`` function again puts the exercise back in its starting state.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from lab_support.core import clock
from lab_support.core.retry import StillWaiting, until
from lab_support.core.session import current
from lab_support.course.api_builders import allow_api_gateway, execute_api_arn, find_rest_api, lambda_uri, resource, rest_api
from lab_support.course.functions import create_function
from lab_support.course.operations import log_events, log_group, publish_release, set_alias
from lab_support.exercises.registry import Outcome, Verdict, compare_prediction, exercise

__all__ = ["ERRORS_PER_MINUTE", "prepare_07_1", "prepare_07_2", "prepare_07_3"]

LOGS_API, LOGS_FN, LOGS_GROUP = "nb07-ex-logs", "nb07-ex-hello", "nb07-ex-access"
CANARY_API, CANARY_FN = "nb07-ex-canary", "nb07-ex-shop"
ALARM_API, ALARM_NAME = "nb07-ex-alarm", "nb07-ex-5xx"
#: 5XX errors sent in each minute of exercise 07.3 (minute 1 first).
ERRORS_PER_MINUTE = [6, 2, 7, 0, 0]
REQUIRED_FIELDS = ("requestId", "status", "resourcePath", "integrationLatency")

SHOP_CODE = '''
import json
import os


def handler(event, context):
    alias = context.invoked_function_arn.split(":")[-1]
    return {"statusCode": 200, "body": json.dumps({"release": os.environ["RELEASE"], "alias": alias})}
'''


HELLO_CODE = '''
def handler(event, context):
    return {"statusCode": 200, "body": "hello"}
'''


# -- 07.1 -------------------------------------------------------------------------------------------------------
def prepare_07_1() -> str:
    """REST API ``nb07-ex-logs``: ``GET /`` → Lambda proxy ``nb07-ex-hello``, stage ``dev`` without access logs;
    the log group ``nb07-ex-access`` exists. Returns the API id."""
    apig = current().client("apigateway")
    fn = create_function(LOGS_FN, HELLO_CODE)
    api_id = rest_api(LOGS_API, fresh=True, endpointConfiguration={"types": ["REGIONAL"]})
    allow_api_gateway(LOGS_FN, api_id)
    root = resource(api_id, "/")
    apig.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS_PROXY",
                         integrationHttpMethod="POST", uri=lambda_uri(fn["FunctionArn"]))
    apig.create_deployment(restApiId=api_id, stageName="dev")
    log_group(LOGS_GROUP)
    return api_id


@exercise(
    "07.1",
    "an access log a check can read",
    [
        "A stage's access log needs two settings: where its lines go, and what each line holds.",
        "Section 3, 'Access logs in JSON and in CLF', sets both settings on the stages prod and dev.",
        "apigateway update_stage with patch operations on /accessLogSettings/destinationArn (the log group's ARN) "
        "and /accessLogSettings/format; the page '$context variables for access logging' lists resourcePath and "
        "integrationLatency.",
    ],
    kind="write",
)
def _json_access_log() -> bool | str:
    import requests

    session = current()
    apig = session.client("apigateway")
    api_id = find_rest_api(LOGS_API)
    if api_id is None:
        return "the API nb07-ex-logs does not exist: run the cell that prepares the exercise"
    settings = apig.get_stage(restApiId=api_id, stageName="dev").get("accessLogSettings") or {}
    if not settings.get("destinationArn") or not settings.get("format"):
        return "the dev stage has no access log yet: it needs a destination (a log group's ARN) and a format"
    try:
        json.loads(settings["format"].replace("$", "S"))
    except ValueError:
        return "the format is not a JSON object: write it with json.dumps({...}) so every value is quoted"
    answer = requests.get(session.stage_url(api_id, "dev"), timeout=30)
    request_id = answer.headers.get("x-amzn-RequestId")
    group = settings["destinationArn"].split(":log-group:", 1)[-1].removesuffix(":*")
    if not session.client("logs").describe_log_groups(logGroupNamePrefix=group).get("logGroups"):
        return f"the log group {group} does not exist"
    try:  # on AWS an access-log line arrives seconds after the request
        events = until(lambda: log_events(group, f'"{request_id}"'), what="the request's access-log line",
                       max_wait=30)
    except StillWaiting:
        return "no access-log line carries the request's id: is $context.requestId in the format?"
    line = json.loads(events[-1]["message"])
    missing = [f for f in REQUIRED_FIELDS if f not in line]
    if missing:
        return f"the log line {json.dumps(line)} lacks the field(s) {', '.join(missing)}"
    if str(line["status"]) != str(answer.status_code):
        return f"'status' is {line['status']!r}, the response's status was {answer.status_code}: which $context variable?"
    if line["resourcePath"] != "/":
        return f"'resourcePath' is {line['resourcePath']!r}; the request went to the resource /"
    if not str(line["integrationLatency"]).isdigit():
        return f"'integrationLatency' is {line['integrationLatency']!r}, not a number of milliseconds"
    return True


# -- 07.2 -------------------------------------------------------------------------------------------------------
def prepare_07_2() -> str:
    """REST API ``nb07-ex-canary``: ``GET /`` calls ``nb07-ex-shop:${stageVariables.alias}``; stage ``prod``
    (alias ``prod`` → release 1.0) with a 10 % canary whose override is ``alias=beta`` (release 2.0), an access
    log and ERROR execution logs. Only the alias ``prod`` may be invoked by API Gateway. Returns the API id."""
    session = current()
    lam, apig = session.client("lambda"), session.client("apigateway")
    set_alias(CANARY_FN, "prod", publish_release(CANARY_FN, SHOP_CODE, "1.0"))
    set_alias(CANARY_FN, "beta", publish_release(CANARY_FN, SHOP_CODE, "2.0"))
    api_id = rest_api(CANARY_API, fresh=True, endpointConfiguration={"types": ["REGIONAL"]})
    for alias in ("prod", "beta"):  # back to the starting state (whatever a fix added): only prod may be invoked
        _drop_permissions(alias)
    lam.add_permission(FunctionName=CANARY_FN, Qualifier="prod", StatementId="nb07-ex-prod",
                       Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                       SourceArn=execute_api_arn(api_id))
    session.track("permissions of nb07-ex-shop's aliases", lambda: [_drop_permissions(a) for a in ("prod", "beta")],
                  once=True)
    root = resource(api_id, "/")
    fn_arn = lam.get_function_configuration(FunctionName=CANARY_FN)["FunctionArn"]
    apig.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS_PROXY",
                         integrationHttpMethod="POST", uri=lambda_uri(fn_arn + ":${stageVariables.alias}"))
    apig.create_deployment(restApiId=api_id, stageName="prod", variables={"alias": "prod"})
    arn = log_group(f"nb07-ex-canary-access-{api_id}")
    fmt = json.dumps({"requestId": "$context.requestId", "isCanaryRequest": "$context.isCanaryRequest",
                      "status": "$context.status", "integrationStatus": "$context.integrationStatus"})
    apig.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn},
        {"op": "replace", "path": "/accessLogSettings/format", "value": fmt},
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"}])
    apig.create_deployment(restApiId=api_id, stageName="prod", canarySettings={
        "percentTraffic": 10.0, "stageVariableOverrides": {"alias": "beta"}})
    return api_id


def _drop_permissions(alias: str) -> None:
    """Remove every statement of the resource-based policy of ``nb07-ex-shop:{alias}`` (none: nothing to do)."""
    lam = current().client("lambda")
    try:
        policy = json.loads(lam.get_policy(FunctionName=CANARY_FN, Qualifier=alias)["Policy"])
    except lam.exceptions.ResourceNotFoundException:
        return
    for statement in policy.get("Statement", []):
        with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
            lam.remove_permission(FunctionName=CANARY_FN, Qualifier=alias, StatementId=statement["Sid"])


def _beta_has_its_own_permission() -> bool | str:
    """Section 1 teaches one permission per alias: a statement on the whole function is not the fix looked for."""
    lam = current().client("lambda")
    try:
        lam.get_policy(FunctionName=CANARY_FN, Qualifier="beta")
    except lam.exceptions.ResourceNotFoundException:
        return ("every request succeeds, but the alias beta has no permission of its own: section 1, 'Each alias "
                "needs its own permission', says which resource the permission belongs to")
    return True


@exercise(
    "07.2",
    "one request in ten fails",
    [
        "First find which requests fail: the stage's access log has a field that tells canary requests from the "
        "others.",
        "Section 3 reads a stage's execution log with filter_log_events; section 1, 'Each alias needs its own "
        "permission', explains the message you will find there.",
        "apigateway get_stage; lambda get_policy (with Qualifier); lambda add_permission.",
    ],
    kind="diagnose",
)
def _canary_works() -> bool | str:
    import requests

    session = current()
    apig = session.client("apigateway")
    api_id = find_rest_api(CANARY_API)
    if api_id is None:
        return "the API nb07-ex-canary does not exist: run the cell that prepares the exercise"
    canary = apig.get_stage(restApiId=api_id, stageName="prod").get("canarySettings")
    if not canary or float(canary.get("percentTraffic") or 0) <= 0:
        return "the canary is gone (or gets no traffic): the release must still be tried on a share of requests"
    canary_hits = 0
    for _ in range(150):  # enough for a few canary requests at 10 %
        answer = requests.get(session.stage_url(api_id, "prod"), timeout=30)
        if answer.status_code != 200:
            return f"requests to prod still fail ({answer.status_code}): which ones, and what does the log say?"
        canary_hits += answer.json().get("release") == "2.0"
        if canary_hits >= 3:
            return _beta_has_its_own_permission()
    return "every request succeeds, but (almost) none reaches release 2.0: the canary should still run the new release"


# -- 07.3 -------------------------------------------------------------------------------------------------------
def prepare_07_3() -> str:
    """REST API ``nb07-ex-alarm`` (``GET /broken``, MOCK 500, stage ``dev``) and the alarm ``nb07-ex-5xx``
    (Sum of 5XXError ≥ 5, Period 60, EvaluationPeriods 3, DatapointsToAlarm 2, missing data not breaching).
    Returns the API id."""
    session = current()
    apig, cw = session.client("apigateway"), session.client("cloudwatch")
    api_id = rest_api(ALARM_API, fresh=True, endpointConfiguration={"types": ["REGIONAL"]})
    broken = resource(api_id, "/broken")
    apig.put_method(restApiId=api_id, resourceId=broken, httpMethod="GET", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=broken, httpMethod="GET", type="MOCK",
                         requestTemplates={"application/json": '{"statusCode": 500}'})
    apig.put_method_response(restApiId=api_id, resourceId=broken, httpMethod="GET", statusCode="500")
    apig.put_integration_response(restApiId=api_id, resourceId=broken, httpMethod="GET", statusCode="500",
                                  selectionPattern="", responseTemplates={"application/json": '{"oops": true}'})
    apig.create_deployment(restApiId=api_id, stageName="dev")
    cw.put_metric_alarm(AlarmName=ALARM_NAME, Namespace="AWS/ApiGateway", MetricName="5XXError", Statistic="Sum",
                        Dimensions=[{"Name": "ApiName", "Value": ALARM_API}, {"Name": "Stage", "Value": "dev"}],
                        Period=60, EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=5.0,
                        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching",
                        Tags=session.tag_list)
    session.track(f"alarm {ALARM_NAME}", lambda: cw.delete_alarms(AlarmNames=[ALARM_NAME]), once=True)
    return api_id


def _play_minutes(api_id: str) -> list[str]:
    """Send :data:`ERRORS_PER_MINUTE` on the course clock; the alarm's state at the end of each minute."""
    import requests

    session = current()
    cw = session.client("cloudwatch")
    clock.advance(60 - clock.now() % 60 + 1)  # the start of a fresh minute: each minute's errors in one period
    states = []
    for errors in ERRORS_PER_MINUTE:
        for _ in range(errors):
            requests.get(session.stage_url(api_id, "dev", "broken"), timeout=30)
        clock.advance(60)
        states.append(cw.describe_alarms(AlarmNames=[ALARM_NAME])["MetricAlarms"][0]["StateValue"])
    return states


MINUTES = range(len(ERRORS_PER_MINUTE) + 1)  # 0 ("never") to 5


@exercise(
    "07.3",
    "when does an M out of N alarm fire?",
    [
        "Mark each of the minutes 1 to 5 as breaching (at least 5 errors) or not; at the end of each minute, look "
        "at that minute and the two before it.",
        "Section 5 explains DatapointsToAlarm out of EvaluationPeriods; the page 'Evaluating an alarm' has a worked "
        "table.",
        "TreatMissingData notBreaching: minutes before the first one count as not breaching, and the breaching "
        "minutes need not be consecutive.",
    ],
    kind="predict",
)
def _alarm_prediction(prediction: Any = ...) -> Verdict:
    if prediction is ... or prediction is None or prediction not in MINUTES:
        return compare_prediction(prediction, None, "", choices=MINUTES)  # nothing is played before a prediction
    if current().backend == "aws":
        return Outcome(False, "This check plays five minutes on the course clock, which moves only this kernel: on a "
                              "real account they would be five real minutes and more. Run it on the embedded backend "
                              "(unset LAB_BACKEND); your prediction is kept in predicted_minute.")
    api_id = find_rest_api(ALARM_API) or prepare_07_3()
    states = _play_minutes(api_id)
    observed = next((minute for minute, state in enumerate(states, 1) if state == "ALARM"), 0)
    played = ", ".join(f"{m} → {s}" for m, s in enumerate(states, 1))
    why = (f"At the end of each minute: {played}. The alarm looks at the last 3 minutes and needs 2 of them with at "
           "least 5 errors; they need not be consecutive, and one breaching minute alone is not enough.")
    verdict = compare_prediction(prediction, observed, why, choices=MINUTES)
    return verdict if isinstance(verdict, Outcome) else Outcome(False, str(verdict))
