"""Operating an API: per-stage CloudWatch metrics (apigateway/metrics.py), alarms that change state on the course
clock (embedded/cloudwatch/alarms.py) and access-log formats (apigateway/logs.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import requests
from gateway_support import ACCOUNT, REGION

import lab_support as lab
from lab_support.core import clock
from lab_support.embedded.cloudwatch import evaluate_alarms


def call(aws: lab.Session, method: str, api_id: str, stage: str, path: str) -> requests.Response:
    """Call a deployed stage through the kernel's execute-api door."""
    prefix = "" if stage == "$default" else f"/{stage}"
    return requests.request(method, f"https://{api_id}.execute-api.{REGION}.amazonaws.com{prefix}/{path}", timeout=30)


def add(apig: Any, api_id: str, parent: str, part: str) -> str:
    return str(apig.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"])


def mock_method(apig: Any, api_id: str, resource: str, method: str, body_template: str) -> None:
    apig.put_method(restApiId=api_id, resourceId=resource, httpMethod=method, authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=resource, httpMethod=method, type="MOCK",
                         requestTemplates={"application/json": '{"statusCode": 200}'})
    apig.put_method_response(restApiId=api_id, resourceId=resource, httpMethod=method, statusCode="200")
    apig.put_integration_response(restApiId=api_id, resourceId=resource, httpMethod=method, statusCode="200",
                                  responseTemplates={"application/json": body_template})


def http_api(aws: lab.Session, routes: dict[str, dict[str, Any]], stage: str = "$default") -> tuple[Any, str]:
    """An HTTP API with one integration per route key, and an auto-deploying stage."""
    v2 = aws.client("apigatewayv2")
    api_id = v2.create_api(Name="h", ProtocolType="HTTP")["ApiId"]
    for route_key, integration in routes.items():
        integration_id = v2.create_integration(ApiId=api_id, **integration)["IntegrationId"]
        v2.create_route(ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration_id}")
    v2.create_stage(ApiId=api_id, StageName=stage, AutoDeploy=True)
    return v2, api_id


def _window() -> dict[str, dt.datetime]:
    now = dt.datetime.fromtimestamp(clock.now(), dt.UTC)
    return {"StartTime": now - dt.timedelta(minutes=10), "EndTime": now + dt.timedelta(minutes=1)}


def _sum(cw: Any, name: str, dims: dict[str, str], stat: str = "Sum") -> float:
    points = cw.get_metric_statistics(Namespace="AWS/ApiGateway", MetricName=name, Period=3600, Statistics=[stat],
                                      Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()], **_window())
    return sum(p[stat] for p in points["Datapoints"])


def _rest_api(aws: lab.Session, name: str = "shop") -> tuple[Any, str]:
    """A REST API ``name``: GET /ok (MOCK 200), GET /broken (MOCK 500), deployed to ``dev``."""
    apig = aws.client("apigateway")
    api_id = apig.create_rest_api(name=name)["id"]
    root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
    mock_method(apig, api_id, add(apig, api_id, root, "ok"), "GET", '{"ok": true}')
    broken = add(apig, api_id, root, "broken")
    apig.put_method(restApiId=api_id, resourceId=broken, httpMethod="GET", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=broken, httpMethod="GET", type="MOCK",
                         requestTemplates={"application/json": '{"statusCode": 500}'})
    apig.put_method_response(restApiId=api_id, resourceId=broken, httpMethod="GET", statusCode="500")
    apig.put_integration_response(restApiId=api_id, resourceId=broken, httpMethod="GET", statusCode="500",
                                  selectionPattern="", responseTemplates={"application/json": '{"oops": true}'})
    apig.create_deployment(restApiId=api_id, stageName="dev")
    return apig, api_id


def test_rest_metrics_names_units_and_dimensions(aws: lab.Session) -> None:
    _apig, api_id = _rest_api(aws)
    assert call(aws, "GET", api_id, "dev", "ok").status_code == 200
    assert call(aws, "GET", api_id, "dev", "broken").status_code == 500
    assert call(aws, "GET", api_id, "dev", "missing").status_code == 403
    cw = aws.client("cloudwatch")
    stage = {"ApiName": "shop", "Stage": "dev"}
    assert _sum(cw, "Count", stage, "SampleCount") == 3
    assert (_sum(cw, "4XXError", stage), _sum(cw, "5XXError", stage)) == (1, 1)
    latency = cw.get_metric_statistics(Namespace="AWS/ApiGateway", MetricName="Latency", Period=3600,
                                       Statistics=["Maximum"], Dimensions=[{"Name": k, "Value": v} for k, v in stage.items()],
                                       **_window())["Datapoints"]
    assert latency and latency[0]["Unit"] == "Milliseconds"
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/ApiGateway")["Metrics"]}
    assert names == {"Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"}  # no cache: no Cache*Count
    dims = {tuple(sorted(d["Name"] for d in m["Dimensions"])) for m in cw.list_metrics(Namespace="AWS/ApiGateway")["Metrics"]}
    assert dims == {("ApiName",), ("ApiName", "Stage")}
    assert _sum(cw, "Count", {"ApiName": "shop"}, "SampleCount") == 3  # the API-wide metric: a dimension set of its own


def test_rest_detailed_metrics_add_resource_and_method(aws: lab.Session) -> None:
    apig, api_id = _rest_api(aws, "detailed")
    apig.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"}])
    call(aws, "GET", api_id, "dev", "ok")
    cw = aws.client("cloudwatch")
    detailed = {"ApiName": "detailed", "Method": "GET", "Resource": "/ok", "Stage": "dev"}
    data = cw.get_metric_data(MetricDataQueries=[{"Id": "c", "MetricStat": {"Metric": {
        "Namespace": "AWS/ApiGateway", "MetricName": "Count",
        "Dimensions": [{"Name": k, "Value": v} for k, v in detailed.items()]}, "Period": 60, "Stat": "SampleCount"}}],
        **_window())
    assert sum(data["MetricDataResults"][0]["Values"]) == 1
    # CloudWatch matches the exact dimension set: the stage-level Count does not count the detailed datapoint again
    assert _sum(cw, "Count", {"ApiName": "detailed", "Stage": "dev"}, "SampleCount") == 1


def test_http_api_metrics(aws: lab.Session, backend: str) -> None:
    _v2, api_id = http_api(aws, {"GET /a": {"IntegrationType": "HTTP_PROXY", "IntegrationMethod": "GET",
                                            "IntegrationUri": f"{backend}/a", "PayloadFormatVersion": "1.0"}})
    assert call(aws, "GET", api_id, "$default", "a").status_code == 200
    assert call(aws, "GET", api_id, "$default", "nope").status_code == 404
    cw = aws.client("cloudwatch")
    stage = {"ApiId": api_id, "Stage": "$default"}
    assert _sum(cw, "Count", stage, "SampleCount") == 2
    assert (_sum(cw, "4xx", stage), _sum(cw, "5xx", stage)) == (1, 0)
    assert _sum(cw, "DataProcessed", stage) > 0
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/ApiGateway")["Metrics"]}
    assert names == {"Count", "4xx", "5xx", "Latency", "IntegrationLatency", "DataProcessed"}


def test_alarm_on_5xx_goes_to_alarm_and_back_with_sns_to_sqs(aws: lab.Session) -> None:
    _apig, api_id = _rest_api(aws, "alarmed")
    sns, sqs, cw = aws.client("sns"), aws.client("sqs"), aws.client("cloudwatch")
    topic = sns.create_topic(Name="ops")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="ops-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    cw.put_metric_alarm(AlarmName="api-5xx", Namespace="AWS/ApiGateway", MetricName="5XXError", Statistic="Sum",
                        Dimensions=[{"Name": "ApiName", "Value": "alarmed"}, {"Name": "Stage", "Value": "dev"}],
                        Period=60, EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="notBreaching", AlarmActions=[topic], OKActions=[topic])
    # A new alarm starts in INSUFFICIENT_DATA (the evaluator thread may already have evaluated it: then OK)
    assert cw.describe_alarms(AlarmNames=["api-5xx"])["MetricAlarms"][0]["StateValue"] in ("INSUFFICIENT_DATA", "OK")
    evaluate_alarms()
    first = cw.describe_alarms(AlarmNames=["api-5xx"])["MetricAlarms"][0]
    assert first["StateValue"] == "OK"
    assert first["StateReason"].startswith("Threshold Crossed: no datapoints were received for 1 period")

    clock.advance(60 - clock.now() % 60 + 1)  # the start of a fresh minute: the errors all fall in one period
    for _ in range(5):
        assert call(aws, "GET", api_id, "dev", "broken").status_code == 500
    clock.advance(60)
    alarm = cw.describe_alarms(AlarmNames=["api-5xx"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert re.fullmatch(r"Threshold Crossed: 1 datapoint \[5\.0 \(\d\d/\d\d/\d\d \d\d:\d\d:00\)\] was greater than or "
                        r"equal to the threshold \(1\.0\)\.", alarm["StateReason"]), alarm["StateReason"]
    assert json.loads(alarm["StateReasonData"])["recentDatapoints"] == [5.0]
    lab.wait_idle()
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    message = json.loads(received[-1]["Body"])
    assert (message["AlarmName"], message["NewStateValue"], message["OldStateValue"]) == ("api-5xx", "ALARM", "OK")
    assert message["NewStateReason"] == alarm["StateReason"]
    assert message["AWSAccountId"] == ACCOUNT and message["Region"] == "US East (N. Virginia)"
    assert message["Trigger"]["MetricName"] == "5XXError" and message["Trigger"]["Statistic"] == "SUM"
    assert message["Trigger"]["Dimensions"] == [{"value": "alarmed", "name": "ApiName"}, {"value": "dev", "name": "Stage"}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", message["StateChangeTime"])

    for _ in range(3):
        call(aws, "GET", api_id, "dev", "ok")
    clock.advance(60)
    back = cw.describe_alarms(AlarmNames=["api-5xx"])["MetricAlarms"][0]
    assert back["StateValue"] == "OK"
    assert back["StateReason"].startswith("Threshold Crossed: 1 datapoint [0.0 (")
    assert "was not greater than or equal to the threshold (1.0)." in back["StateReason"]
    lab.wait_idle()
    bodies = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]]
    assert bodies[-1]["NewStateValue"] == "OK" and bodies[-1]["OldStateValue"] == "ALARM"

    history = cw.describe_alarm_history(AlarmName="api-5xx", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == ["Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
                                                      "Alarm updated from INSUFFICIENT_DATA to OK"]
    actions = cw.describe_alarm_history(AlarmName="api-5xx", HistoryItemType="Action")["AlarmHistoryItems"]
    assert actions and actions[0]["HistorySummary"] == f"Successfully executed action {topic}"


def test_access_log_json_and_clf(aws: lab.Session, backend: str) -> None:
    apig, api_id = _rest_api(aws, "logged")
    clf_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:clf-{api_id}"
    # The CLF and JSON examples of "Set up CloudWatch logging for REST APIs in API Gateway" (set-up-logging.html).
    clf = ('$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] '
           '"$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength '
           '$context.requestId $context.extendedRequestId')
    apig.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": clf_arn},
        {"op": "replace", "path": "/accessLogSettings/format", "value": clf}])
    resp = call(aws, "GET", api_id, "dev", "ok")
    call(aws, "GET", api_id, "dev", "broken")
    lines = [e["message"] for e in aws.client("logs").filter_log_events(logGroupName=f"clf-{api_id}")["events"]]
    pattern = (r'127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /ok HTTP/1\.1" 200 '
               + str(len(resp.content)) + " " + re.escape(resp.headers["x-amzn-RequestId"]) + r" \S+=")
    assert re.fullmatch(pattern, lines[0]), lines[0]
    assert '"GET /broken HTTP/1.1" 500 ' in lines[1]

    v2, http_id = http_api(aws, {"GET /a": {"IntegrationType": "HTTP_PROXY", "IntegrationMethod": "GET",
                                            "IntegrationUri": f"{backend}/a", "PayloadFormatVersion": "1.0"}},
                           stage="dev")
    fmt = json.dumps({"requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
                      "requestTime": "$context.requestTime", "requestTimeEpoch": "$context.requestTimeEpoch",
                      "httpMethod": "$context.httpMethod", "routeKey": "$context.routeKey", "status": "$context.status",
                      "protocol": "$context.protocol", "responseLength": "$context.responseLength",
                      "integrationLatency": "$context.integrationLatency", "responseLatency": "$context.responseLatency",
                      "error": "$context.error.message", "integrationError": "$context.integrationErrorMessage",
                      "apiId": "$context.apiId", "stage": "$context.stage"})
    v2.create_stage(ApiId=http_id, StageName="logged", AutoDeploy=True, AccessLogSettings={
        "DestinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:json-{http_id}", "Format": fmt})
    ok = call(aws, "GET", http_id, "logged", "a")
    call(aws, "GET", http_id, "logged", "nope")
    events = aws.client("logs").filter_log_events(logGroupName=f"json-{http_id}")["events"]
    first, second = (json.loads(e["message"]) for e in events)
    assert first["requestId"] == ok.headers["Apigw-Requestid"]
    assert (first["httpMethod"], first["routeKey"], first["status"], first["protocol"]) == ("GET", "GET /a", "200", "HTTP/1.1")
    assert (first["apiId"], first["stage"], first["ip"], first["error"]) == (http_id, "logged", "127.0.0.1", "-")
    assert int(first["responseLatency"]) >= int(first["integrationLatency"]) >= 0
    assert abs(int(first["requestTimeEpoch"]) / 1000 - clock.now()) < 60
    assert (second["status"], second["routeKey"], second["error"]) == ("404", "-", "Not Found")


def test_new_metrics_do_not_reach_other_stages(aws: lab.Session) -> None:
    apig, api_id = _rest_api(aws, "two")
    apig.create_stage(restApiId=api_id, stageName="prod",
                      deploymentId=apig.get_stage(restApiId=api_id, stageName="dev")["deploymentId"])
    call(aws, "GET", api_id, "prod", "ok")
    cw = aws.client("cloudwatch")
    assert _sum(cw, "Count", {"ApiName": "two", "Stage": "prod"}, "SampleCount") == 1
    assert _sum(cw, "Count", {"ApiName": "two", "Stage": "dev"}, "SampleCount") == 0


def test_m_out_of_n_and_missing_data(aws: lab.Session) -> None:
    _apig, api_id = _rest_api(aws, "mofn")
    cw = aws.client("cloudwatch")
    dims = [{"Name": "ApiName", "Value": "mofn"}, {"Name": "Stage", "Value": "dev"}]
    cw.put_metric_alarm(AlarmName="rate", Namespace="AWS/ApiGateway", MetricName="5XXError", Statistic="Average",
                        Dimensions=dims, Period=60, EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=0.5,
                        ComparisonOperator="GreaterThanThreshold")  # TreatMissingData: missing (the default)
    evaluate_alarms()
    alarm = cw.describe_alarms(AlarmNames=["rate"])["MetricAlarms"][0]
    assert (alarm["StateValue"], alarm["StateReason"]) == ("INSUFFICIENT_DATA", "Insufficient Data: 3 datapoints were unknown.")
    clock.advance(60 - clock.now() % 60 + 1)
    for minute in range(2):
        call(aws, "GET", api_id, "dev", "broken")
        call(aws, "GET", api_id, "dev", "broken")
        call(aws, "GET", api_id, "dev", "ok")  # an error rate of 2/3 each minute
        clock.advance(60)
        state = cw.describe_alarms(AlarmNames=["rate"])["MetricAlarms"][0]
        assert state["StateValue"] == ("OK" if minute == 0 else "ALARM"), state["StateReason"]
    assert re.fullmatch(r"Threshold Crossed: 2 out of the last 3 datapoints \[0\.6666666666666666 \(.+\), "
                        r"0\.6666666666666666 \(.+\)\] were greater than the threshold \(0\.5\) "
                        r"\(minimum 2 datapoints for OK -> ALARM transition\)\.", state["StateReason"]), state["StateReason"]


def test_http_detailed_metrics(aws: lab.Session, backend: str) -> None:
    v2 = aws.client("apigatewayv2")
    api_id = v2.create_api(Name="d", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                                        IntegrationUri=f"{backend}/a", PayloadFormatVersion="1.0")["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /a", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True,
                    DefaultRouteSettings={"DetailedMetricsEnabled": True})
    call(aws, "GET", api_id, "$default", "a")
    cw = aws.client("cloudwatch")
    assert _sum(cw, "Count", {"ApiId": api_id, "Method": "GET", "Resource": "/a", "Stage": "$default"}, "SampleCount") == 1
    assert _sum(cw, "Count", {"ApiId": api_id, "Stage": "$default"}, "SampleCount") == 1
    assert _sum(cw, "Count", {"ApiId": api_id}, "SampleCount") == 1


def test_custom_metric_without_timestamp_follows_the_course_clock(aws: lab.Session) -> None:
    cw = aws.client("cloudwatch")
    cw.put_metric_alarm(AlarmName="custom", Namespace="Shop", MetricName="Orders", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=3, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="notBreaching")
    clock.advance(600)  # the course clock runs ten minutes ahead of the wall clock now
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Orders", "Value": 4.0}])  # no Timestamp
    clock.advance(60)
    assert cw.describe_alarms(AlarmNames=["custom"])["MetricAlarms"][0]["StateValue"] == "ALARM"


def test_set_alarm_state_runs_the_actions_and_is_recorded(aws: lab.Session) -> None:
    """SetAlarmState (AWS's way to test an alarm's actions): a changed state notifies the state's topics and shows in
    the history; the same state again does nothing; moto's validation errors stay."""
    sns, sqs, cw = aws.client("sns"), aws.client("sqs"), aws.client("cloudwatch")
    topic = sns.create_topic(Name="ops")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="ops-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    cw.put_metric_alarm(AlarmName="by-hand", Namespace="AWS/ApiGateway", MetricName="5XXError", Statistic="Sum",
                        Dimensions=[{"Name": "ApiName", "Value": "none"}, {"Name": "Stage", "Value": "dev"}],
                        Period=60, EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="notBreaching", AlarmActions=[topic])
    evaluate_alarms()  # OK (no data, not breaching); the next evaluation comes when the next minute ends
    cw.set_alarm_state(AlarmName="by-hand", StateValue="ALARM", StateReason="testing the actions")
    cw.set_alarm_state(AlarmName="by-hand", StateValue="ALARM", StateReason="again: no change, no notification")
    assert cw.describe_alarms(AlarmNames=["by-hand"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    lab.wait_idle()
    (received,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    message = json.loads(received["Body"])
    assert (message["AlarmName"], message["NewStateValue"], message["NewStateReason"]) == (
        "by-hand", "ALARM", "testing the actions")
    assert message["OldStateValue"] == "OK"
    history = cw.describe_alarm_history(AlarmName="by-hand", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert "Alarm updated from OK to ALARM" in [h["HistorySummary"] for h in history]
    actions = cw.describe_alarm_history(AlarmName="by-hand", HistoryItemType="Action")["AlarmHistoryItems"]
    assert actions[0]["HistorySummary"] == f"Successfully executed action {topic}"
    for bad in ({"AlarmName": "nope", "StateValue": "ALARM"}, {"AlarmName": "by-hand", "StateValue": "ALARM",
                                                                "StateReasonData": "not json"}):
        try:
            cw.set_alarm_state(StateReason="x", **bad)
        except cw.exceptions.ClientError as err:
            assert err.response["Error"]["Code"] in ("ResourceNotFound", "InvalidFormat")
        else:
            raise AssertionError(f"set_alarm_state({bad}) should fail")
