"""API keys, usage plans, throttling and quotas of REST APIs (lab_support/embedded/apigateway/usage_plans.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from gateway_support import REGION

import lab_support as lab
from lab_support.core import clock
from lab_support.course.throttling import get_with_key, offered_vs_served


def _api(aws: lab.Session, *, key_required: bool = True, **api_kwargs: Any) -> tuple[Any, str, str]:
    """A REST API with GET /items (MOCK, 200 {"ok":true}) deployed to ``dev``."""
    apig = aws.client("apigateway")
    api_id = apig.create_rest_api(name="plans", **api_kwargs)["id"]
    root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
    items = apig.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    for method in ("GET", "POST"):
        apig.put_method(restApiId=api_id, resourceId=items, httpMethod=method, authorizationType="NONE",
                        apiKeyRequired=key_required)
        apig.put_integration(restApiId=api_id, resourceId=items, httpMethod=method, type="MOCK",
                             requestTemplates={"application/json": '{"statusCode": 200}'})
        apig.put_method_response(restApiId=api_id, resourceId=items, httpMethod=method, statusCode="200")
        apig.put_integration_response(restApiId=api_id, resourceId=items, httpMethod=method, statusCode="200",
                                      responseTemplates={"application/json": '{"ok":true}'})
    apig.create_deployment(restApiId=api_id, stageName="dev")
    return apig, api_id, items


def _plan(apig: Any, api_id: str, *, enabled: bool = True, **plan: Any) -> tuple[str, str, str]:
    key = apig.create_api_key(name="k", enabled=enabled, value="a" * 30)
    plan_id = apig.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "dev", **plan.pop("stage", {})}],
                                     **plan)["id"]
    apig.create_usage_plan_key(usagePlanId=plan_id, keyId=key["id"], keyType="API_KEY")
    return plan_id, key["id"], key["value"]


def _get(api_id: str, key: str | None = None, method: str = "GET") -> requests.Response:
    headers = {"x-api-key": key} if key else {}
    return requests.request(method, f"https://{api_id}.execute-api.{REGION}.amazonaws.com/dev/items", headers=headers,
                            timeout=10)


def test_api_key_required(aws: lab.Session) -> None:
    apig, api_id, _ = _api(aws)
    _plan_id, _key_id, value = _plan(apig, api_id)
    missing = _get(api_id)
    assert (missing.status_code, missing.text) == (403, '{"message":"Forbidden"}')
    assert missing.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert _get(api_id, "b" * 30).status_code == 403
    ok = _get(api_id, value)
    assert (ok.status_code, ok.text) == (200, '{"ok":true}')


def test_disabled_key_or_key_without_plan_is_forbidden(aws: lab.Session) -> None:
    apig, api_id, _ = _api(aws)
    _plan(apig, api_id, enabled=False)
    assert _get(api_id, "a" * 30).status_code == 403
    lonely = apig.create_api_key(name="lonely", enabled=True, value="c" * 30)
    assert _get(api_id, lonely["value"]).text == '{"message":"Forbidden"}'


def test_plan_throttle_is_a_token_bucket(aws: lab.Session) -> None:
    apig, api_id, _ = _api(aws)
    _plan_id, _key_id, value = _plan(apig, api_id, throttle={"rateLimit": 1.0, "burstLimit": 2})
    statuses = [_get(api_id, value).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    throttled = _get(api_id, value)
    assert throttled.text == '{"message":"Too Many Requests"}'
    assert throttled.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    clock.advance(1.0)
    assert _get(api_id, value).status_code == 200


def test_throttled_and_quota_lines_in_the_execution_log(aws: lab.Session) -> None:
    apig, api_id, _ = _api(aws)
    plan_id, _key_id, value = _plan(apig, api_id, throttle={"rateLimit": 0.01, "burstLimit": 1},
                                    quota={"limit": 2, "period": "MONTH"})
    apig.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"}])
    assert [_get(api_id, value).status_code for _ in range(2)] == [200, 429]
    clock.advance(100)
    assert [_get(api_id, value).status_code for _ in range(1)] == [200]
    clock.advance(100)
    assert _get(api_id, value).text == '{"message":"Limit Exceeded"}'
    events = aws.client("logs").filter_log_events(logGroupName=f"API-Gateway-Execution-Logs_{api_id}/dev")["events"]
    lines = [e["message"].split(") ", 1)[1] for e in events]
    masked = "*" * 24 + "a" * 6
    assert lines == [
        f"API Key {masked} exceeded throttle limit for API Stage {api_id}/dev: Key throttle limit exceeded for "
        f"Usage Plan ID {plan_id}",
        f"API Key {masked} exceeded quota limit for API Stage {api_id}/dev: Key quota exhausted for Usage Plan ID "
        f"{plan_id}. Quota Limit: 2 Period: MONTH"]


def test_per_method_throttle_in_the_plan(aws: lab.Session) -> None:
    apig, api_id, _ = _api(aws)
    _plan_id, _key_id, value = _plan(apig, api_id, throttle={"rateLimit": 100.0, "burstLimit": 100},
                                     stage={"throttle": {"/items/POST": {"rateLimit": 0.5, "burstLimit": 1}}})
    assert [_get(api_id, value, "POST").status_code for _ in range(2)] == [200, 429]
    assert _get(api_id, value, "GET").status_code == 200  # GET uses the plan's own bucket


def test_stage_method_settings_throttle_without_keys(aws: lab.Session) -> None:
    apig, api_id, _ = _api(aws, key_required=False)
    apig.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1"},
        {"op": "replace", "path": "/~1items/POST/throttling/burstLimit", "value": "3"},
        {"op": "replace", "path": "/~1items/POST/throttling/rateLimit", "value": "1"},
    ])
    assert [_get(api_id).status_code for _ in range(2)] == [200, 429]
    assert [_get(api_id, method="POST").status_code for _ in range(4)] == [200, 200, 200, 429]
    clock.advance(1.0)
    assert _get(api_id).status_code == 200


def test_quota_per_day_and_get_usage(aws: lab.Session) -> None:
    apig, api_id, _ = _api(aws)
    plan_id, key_id, value = _plan(apig, api_id, quota={"limit": 3, "period": "DAY", "offset": 1})
    assert [_get(api_id, value).status_code for _ in range(3)] == [200, 200, 429]  # offset: 2 left on day one
    exceeded = _get(api_id, value)
    assert (exceeded.status_code, exceeded.text) == (429, '{"message":"Limit Exceeded"}')
    assert exceeded.headers["x-amzn-ErrorType"] == "LimitExceededException"
    today = dt.datetime.fromtimestamp(clock.now(), tz=dt.UTC).date()
    clock.advance(86_400)
    assert [_get(api_id, value).status_code for _ in range(4)] == [200, 200, 200, 429]
    tomorrow = today + dt.timedelta(days=1)
    usage = apig.get_usage(usagePlanId=plan_id, keyId=key_id, startDate=today.isoformat(), endDate=tomorrow.isoformat())
    assert usage["usagePlanId"] == plan_id
    assert usage["items"] == {key_id: [[2, 0], [3, 0]]}
    with pytest.raises(apig.exceptions.NotFoundException):
        apig.get_usage(usagePlanId="nope", startDate=today.isoformat(), endDate=today.isoformat())


def test_offered_vs_served_per_second() -> None:
    rows = offered_vs_served([(0.1, 200), (0.5, 429), (0.9, 200), (1.2, 200), (2.7, 429)])
    assert rows == [(0, 3, 2), (1, 1, 1), (2, 1, 0)]


def test_get_with_key_asks_again_while_a_new_key_is_refused_on_aws_only(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from lab_support.core import retry
    from lab_support.course import throttling

    answers: list[int] = []

    def fake_get(url: str, headers: dict[str, str], timeout: float) -> requests.Response:
        response = requests.Response()
        response.status_code = 403 if len(answers) < 2 else 429
        answers.append(response.status_code)
        return response

    monkeypatch.setattr(throttling.requests, "get", fake_get)
    monkeypatch.setattr(retry, "_sleep", lambda seconds: None)
    monkeypatch.setattr(retry, "_PATIENT", False)  # the embedded backend: one request, its 403 returned
    assert get_with_key("http://x/items", "k").status_code == 403 and answers == [403]
    monkeypatch.setattr(retry, "_PATIENT", True)  # a real account: again while 403, then whatever comes
    assert get_with_key("http://x/items", "k").status_code == 429 and answers == [403, 403, 429]
    assert capsys.readouterr().out.count("waiting for AWS: the new API key to be accepted") == 1


def test_check_06_2_says_on_a_real_account_that_it_needs_the_course_clock(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from lab_support.core.session import Session
    from lab_support.exercises import nb06

    fake = Session("aws", "eu-west-1", "111122223333", caller_arn="arn:aws:sts::111122223333:assumed-role/S/a",
                   run_id="a1b2c3")
    monkeypatch.setattr(nb06, "current", lambda: fake)
    monkeypatch.setattr(nb06, "run_burst_sequence", lambda: pytest.fail("no requests on a real account"))
    verdict = nb06._predict_burst(prediction=[200] * nb06.REQUESTS)
    assert isinstance(verdict, nb06.Outcome) and not verdict.solved
    assert "course clock" in verdict.message and "unset LAB_BACKEND" in verdict.message
