"""X-Ray traces of traced REST stages (lab_support/embedded/apigateway/xray.py) and the service map figure."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import requests
from gateway_support import REGION, lambda_function, proxy_api

import lab_support as lab
from lab_support.core import clock
from lab_support.course.service_map import plot_service_map, service_map

CODE = ("import json, os\n"
        "def handler(event, context):\n"
        "    return {'statusCode': 200, 'body': json.dumps(event['headers'].get('X-Amzn-Trace-Id')),\n"
        "            'headers': {'x-env-trace': os.environ.get('_X_AMZN_TRACE_ID', '')}}\n")


def _api(aws: lab.Session, *, traced: bool = True) -> str:
    return proxy_api(aws, "shop", lambda_function(aws, "xr-fn", CODE), "prod", traced=traced)


def _window() -> dict[str, Any]:
    now = dt.datetime.fromtimestamp(clock.now(), tz=dt.UTC)
    return {"StartTime": now - dt.timedelta(minutes=5), "EndTime": now + dt.timedelta(minutes=5)}


def test_a_traced_stage_records_gateway_and_lambda_segments(aws: lab.Session) -> None:
    api_id = _api(aws)
    got = requests.get(f"https://{api_id}.execute-api.{REGION}.amazonaws.com/prod/", timeout=10)
    header = got.json()
    assert got.headers["x-env-trace"] == header  # the function's _X_AMZN_TRACE_ID is the header it was sent
    root, parent, sampled = header.split(";")
    assert root.startswith("Root=1-") and len(root) == len("Root=1-") + 8 + 1 + 24
    assert parent.startswith("Parent=") and len(parent) == len("Parent=") + 16 and sampled == "Sampled=1"
    trace_id = root[len("Root="):]

    xray = aws.client("xray")
    summaries = xray.get_trace_summaries(**_window())["TraceSummaries"]
    assert [s["Id"] for s in summaries] == [trace_id]
    [summary] = summaries
    assert summary["Http"]["HttpStatus"] == 200 and summary["Http"]["HttpMethod"] == "GET"
    assert summary["EntryPoint"]["Type"] == "AWS::ApiGateway::Stage" and summary["ResponseTime"] >= 0
    assert {s["Type"] for s in summary["ServiceIds"]} == {"AWS::ApiGateway::Stage", "AWS::Lambda", "AWS::Lambda::Function"}
    [trace] = xray.batch_get_traces(TraceIds=[trace_id])["Traces"]
    docs = {json.loads(s["Document"])["origin"]: json.loads(s["Document"]) for s in trace["Segments"]}
    gateway, service, function = docs["AWS::ApiGateway::Stage"], docs["AWS::Lambda"], docs["AWS::Lambda::Function"]
    assert gateway["name"] == "shop/prod" and gateway["http"]["response"]["status"] == 200
    assert gateway["resource_arn"] == f"arn:aws:apigateway:{REGION}::/restapis/{api_id}/stages/prod"
    [sub] = gateway["subsegments"]
    assert (sub["id"], sub["name"], sub["aws"]["operation"]) == (parent[len("Parent="):], "Lambda", "Invoke")
    assert service["parent_id"] == sub["id"] and function["parent_id"] == service["id"]
    assert {d["trace_id"] for d in docs.values()} == {trace_id} and function["name"] == "xr-fn"
    assert gateway["start_time"] <= sub["start_time"] <= sub["end_time"] <= gateway["end_time"]
    assert abs(gateway["start_time"] - clock.now()) < 60

    services = service_map(xray, end=dt.datetime.fromtimestamp(clock.now() + 60, tz=dt.UTC))
    names = {s["Name"]: s for s in services}
    assert set(names) == {"shop/prod", "xr-fn"} or {s["Type"] for s in services} == {
        "AWS::ApiGateway::Stage", "AWS::Lambda", "AWS::Lambda::Function"}
    edges = {(s["Type"], next(t["Type"] for t in services if t["ReferenceId"] == e["ReferenceId"]))
             for s in services for e in s["Edges"]}
    assert edges == {("AWS::ApiGateway::Stage", "AWS::Lambda"), ("AWS::Lambda", "AWS::Lambda::Function")}
    ax = plot_service_map(services)
    assert ax.get_title() == "X-Ray service map"


def test_course_clock_and_untraced_stages(aws: lab.Session) -> None:
    api_id = _api(aws, traced=False)
    answer = requests.get(f"https://{api_id}.execute-api.{REGION}.amazonaws.com/prod/", timeout=10)
    got = answer.json()
    assert ";Sampled=1" not in got
    # Lambda sets _X_AMZN_TRACE_ID for every invocation; untraced, it is not sampled.
    assert answer.headers["x-env-trace"].startswith("Root=1-") and ";Sampled=1" not in answer.headers["x-env-trace"]
    assert aws.client("xray").get_trace_summaries(**_window())["TraceSummaries"] == []
    aws.client("apigateway").update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/tracingEnabled", "value": "true"}])
    clock.advance(7200)
    requests.get(f"https://{api_id}.execute-api.{REGION}.amazonaws.com/prod/", timeout=10)
    [summary] = aws.client("xray").get_trace_summaries(**_window())["TraceSummaries"]
    assert int(summary["Id"].split("-")[1], 16) >= int(clock.now()) - 5  # the trace id's time is the course clock


def test_invoking_an_active_function_is_traced_by_the_default_sampling_rule(aws: lab.Session) -> None:
    lambda_function(aws, "xr-active", CODE.replace("event['headers'].get('X-Amzn-Trace-Id')", "'ok'"), allow=False)
    lambda_function(aws, "xr-passive", CODE.replace("event['headers'].get('X-Amzn-Trace-Id')", "'ok'"), allow=False)
    lam, xray = aws.client("lambda"), aws.client("xray")
    lam.update_function_configuration(FunctionName="xr-active", TracingConfig={"Mode": "Active"})
    lam.get_waiter("function_updated_v2").wait(FunctionName="xr-active")
    lam.invoke(FunctionName="xr-passive", Payload=b"{}")
    assert xray.get_trace_summaries(**_window())["TraceSummaries"] == []  # PassThrough, no sampled caller

    def traced() -> set[str]:
        return {s["Id"] for s in xray.get_trace_summaries(**_window())["TraceSummaries"]}

    # The first request of a second is sampled; with seed 1, neither of the next two (5 %). The course clock runs
    # on with the wall clock, so three invokes that straddle a second are tried again in the next second.
    for _attempt in range(5):
        clock.advance(1)
        clock.seed(1)
        before, second = traced(), int(clock.now())
        for _ in range(3):
            lam.invoke(FunctionName="xr-active", Payload=b"{}")
        if int(clock.now()) == second:
            break
    [trace_id] = traced() - before
    [trace] = xray.batch_get_traces(TraceIds=[trace_id])["Traces"]
    docs = sorted((json.loads(s["Document"]) for s in trace["Segments"]), key=lambda d: d["origin"])
    assert [(d["origin"], d["name"]) for d in docs] == [("AWS::Lambda", "xr-active"), ("AWS::Lambda::Function", "xr-active")]
    assert docs[1]["parent_id"] == docs[0]["id"] and "parent_id" not in docs[0]
    before = traced()
    clock.advance(1)
    lam.invoke(FunctionName="xr-active", Payload=b"{}")  # a new second: sampled again
    assert len(traced() - before) == 1
