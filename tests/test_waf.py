"""AWS WAF on REST API stages (lab_support/embedded/apigateway/waf.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import botocore.exceptions
import pytest
import requests
from gateway_support import REGION

import lab_support as lab
from lab_support.core import clock

VIS = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True}


def _api(aws: lab.Session) -> str:
    apig = aws.client("apigateway")
    api_id = apig.create_rest_api(name="waf")["id"]
    root = apig.get_resources(restApiId=api_id)["items"][0]["id"]
    items = apig.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    apig.put_method(restApiId=api_id, resourceId=items, httpMethod="GET", authorizationType="NONE")
    apig.put_integration(restApiId=api_id, resourceId=items, httpMethod="GET", type="MOCK",
                         requestTemplates={"application/json": '{"statusCode": 200}'})
    apig.put_method_response(restApiId=api_id, resourceId=items, httpMethod="GET", statusCode="200")
    apig.put_integration_response(restApiId=api_id, resourceId=items, httpMethod="GET", statusCode="200",
                                  responseTemplates={"application/json": '{"ok":true}'})
    apig.create_deployment(restApiId=api_id, stageName="dev")
    return str(api_id)


def _acl(aws: lab.Session, api_id: str, rules: list[dict[str, Any]], default: str = "Allow") -> str:
    waf = aws.client("wafv2")
    arn = waf.create_web_acl(Name="acl", Scope="REGIONAL", DefaultAction={default: {}}, Rules=rules,
                             VisibilityConfig={**VIS, "MetricName": "acl"})["Summary"]["ARN"]
    waf.associate_web_acl(WebACLArn=arn, ResourceArn=f"arn:aws:apigateway:{REGION}::/restapis/{api_id}/stages/dev")
    return str(arn)


def _get(api_id: str, path: str = "items", **headers: str) -> requests.Response:
    return requests.get(f"https://{api_id}.execute-api.{REGION}.amazonaws.com/dev/{path}", headers=headers, timeout=10)


def _rule(name: str, priority: int, statement: dict[str, Any], action: str = "Block") -> dict[str, Any]:
    return {"Name": name, "Priority": priority, "Statement": statement, "Action": {action: {}},
            "VisibilityConfig": {**VIS, "MetricName": name}}


def test_byte_match_ip_set_priority_and_default(aws: lab.Session) -> None:
    api_id = _api(aws)
    waf = aws.client("wafv2")
    ip_set = waf.create_ip_set(Name="me", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=["127.0.0.0/8"])
    lower = [{"Priority": 0, "Type": "LOWERCASE"}]
    _acl(aws, api_id, [
        _rule("allow-health", 0, {"ByteMatchStatement": {"SearchString": b"health", "FieldToMatch": {"QueryString": {}},
                                                         "TextTransformations": lower, "PositionalConstraint": "CONTAINS"}},
              "Allow"),
        _rule("bad-agent", 1, {"ByteMatchStatement": {"SearchString": b"badbot",
                                                      "FieldToMatch": {"SingleHeader": {"Name": "user-agent"}},
                                                      "TextTransformations": lower, "PositionalConstraint": "STARTS_WITH"}}),
        _rule("count-local", 2, {"IPSetReferenceStatement": {"ARN": ip_set["Summary"]["ARN"]}}, "Count"),
        _rule("admin", 3, {"ByteMatchStatement": {"SearchString": b"/dev/admin", "FieldToMatch": {"UriPath": {}},
                                                  "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                                                  "PositionalConstraint": "STARTS_WITH"}}),
    ])
    assert (_get(api_id).status_code, _get(api_id).text) == (200, '{"ok":true}')
    blocked = _get(api_id, **{"User-Agent": "BadBot/1.0"})
    assert (blocked.status_code, blocked.text) == (403, '{"message":"Forbidden"}')
    assert blocked.headers["x-amzn-ErrorType"] == "ForbiddenException"
    # a lower priority number wins: the Allow rule decides before the Block rule is looked at
    assert _get(api_id, "items?check=HEALTH", **{"User-Agent": "BadBot/1.0"}).status_code == 200
    # blocked before routing: an unknown path is not "Missing Authentication Token"
    assert _get(api_id, "admin/x").text == '{"message":"Forbidden"}'


def test_default_block_and_ip_set_allow(aws: lab.Session) -> None:
    api_id = _api(aws)
    waf = aws.client("wafv2")
    other = waf.create_ip_set(Name="other", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=["10.0.0.0/8"])
    arn = _acl(aws, api_id, [_rule("office", 0, {"IPSetReferenceStatement": {"ARN": other["Summary"]["ARN"]}}, "Allow")],
               default="Block")
    assert _get(api_id).status_code == 403
    mine = waf.create_ip_set(Name="me", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=["127.0.0.1/32"])
    acl = waf.get_web_acl(Name="acl", Scope="REGIONAL", Id=arn.rsplit("/", 1)[1])
    waf.update_web_acl(Name="acl", Scope="REGIONAL", Id=acl["WebACL"]["Id"], LockToken=acl["LockToken"],
                       DefaultAction={"Block": {}}, VisibilityConfig={**VIS, "MetricName": "acl"},
                       Rules=[_rule("office", 0, {"IPSetReferenceStatement": {"ARN": mine["Summary"]["ARN"]}}, "Allow")])
    assert _get(api_id).status_code == 200


def test_rate_based_rule_on_the_course_clock(aws: lab.Session) -> None:
    api_id = _api(aws)
    _acl(aws, api_id, [_rule("rate", 0, {"RateBasedStatement": {"Limit": 10, "EvaluationWindowSec": 60,
                                                                 "AggregateKeyType": "IP"}})])
    assert [_get(api_id).status_code for _ in range(10)] == [200] * 10
    assert _get(api_id).status_code == 403
    clock.advance(61)
    assert _get(api_id).status_code == 200


def test_rate_limit_and_window_are_checked(aws: lab.Session) -> None:
    waf = aws.client("wafv2")

    def create(statement: dict[str, Any]) -> None:
        waf.create_web_acl(Name="bad", Scope="REGIONAL", DefaultAction={"Allow": {}},
                           VisibilityConfig={**VIS, "MetricName": "bad"},
                           Rules=[_rule("r", 0, {"RateBasedStatement": statement})])

    with pytest.raises(botocore.exceptions.ParamValidationError, match="valid min value: 10"):  # botocore's model
        create({"Limit": 9, "AggregateKeyType": "IP"})
    with pytest.raises(botocore.exceptions.ClientError) as err:
        create({"Limit": 10, "EvaluationWindowSec": 30, "AggregateKeyType": "IP"})
    assert err.value.response["Error"]["Code"] == "WAFInvalidParameterException"


def test_http_api_cannot_be_associated(aws: lab.Session) -> None:
    waf = aws.client("wafv2")
    arn = waf.create_web_acl(Name="acl", Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=[],
                             VisibilityConfig={**VIS, "MetricName": "acl"})["Summary"]["ARN"]
    api_id = aws.client("apigatewayv2").create_api(Name="h", ProtocolType="HTTP")["ApiId"]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        waf.associate_web_acl(WebACLArn=arn, ResourceArn=f"arn:aws:apigateway:{REGION}::/apis/{api_id}/stages/$default")
    assert err.value.response["Error"]["Code"] == "WAFInvalidParameterException"
    assert "not an HTTP API" in err.value.response["Error"]["Message"]


def test_metrics_and_sampled_requests(aws: lab.Session) -> None:
    api_id = _api(aws)
    arn = _acl(aws, api_id, [_rule("bad-agent", 0, {"ByteMatchStatement": {
        "SearchString": b"bot", "FieldToMatch": {"SingleHeader": {"Name": "user-agent"}},
        "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "CONTAINS"}})])
    for _ in range(3):
        _get(api_id)
    for _ in range(8):
        _get(api_id, **{"User-Agent": "bot"})
    cw = aws.client("cloudwatch")
    now = dt.datetime.fromtimestamp(clock.now(), tz=dt.UTC)

    def total(metric: str, rule: str) -> float:
        stats = cw.get_metric_statistics(Namespace="AWS/WAFV2", MetricName=metric, Statistics=["Sum"], Period=60,
                                         StartTime=now - dt.timedelta(minutes=5), EndTime=now + dt.timedelta(minutes=5),
                                         Dimensions=[{"Name": "Region", "Value": REGION}, {"Name": "Rule", "Value": rule},
                                                     {"Name": "WebACL", "Value": "acl"}])
        return sum(p["Sum"] for p in stats["Datapoints"])

    assert (total("AllowedRequests", "ALL"), total("BlockedRequests", "ALL"), total("BlockedRequests", "bad-agent")) == (3, 8, 8)
    waf = aws.client("wafv2")
    window = {"StartTime": now - dt.timedelta(minutes=10), "EndTime": now + dt.timedelta(minutes=1)}

    def sample() -> list[str]:
        clock.seed(7)
        got = waf.get_sampled_requests(WebAclArn=arn, RuleMetricName="bad-agent", Scope="REGIONAL", TimeWindow=window,
                                       MaxItems=5)
        assert got["PopulationSize"] == 8 and len(got["SampledRequests"]) == 5
        assert {s["Action"] for s in got["SampledRequests"]} == {"BLOCK"}
        return [str(s["Timestamp"]) for s in got["SampledRequests"]]

    assert sample() == sample()
    default = waf.get_sampled_requests(WebAclArn=arn, RuleMetricName="Default_Action", Scope="REGIONAL",
                                       TimeWindow=window, MaxItems=100)
    assert default["PopulationSize"] == 3 and {s["Action"] for s in default["SampledRequests"]} == {"ALLOW"}


def test_a_custom_block_response_takes_precedence(aws: lab.Session) -> None:
    api_id = _api(aws)
    waf = aws.client("wafv2")
    rule = _rule("teapot", 0, {"ByteMatchStatement": {"SearchString": b"tea", "FieldToMatch": {"QueryString": {}},
                                                      "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                                                      "PositionalConstraint": "CONTAINS"}})
    rule["Action"] = {"Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "slow",
                                                   "ResponseHeaders": [{"Name": "reason", "Value": "tea"}]}}}
    arn = waf.create_web_acl(Name="acl", Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=[rule],
                             VisibilityConfig={**VIS, "MetricName": "acl"},
                             CustomResponseBodies={"slow": {"ContentType": "APPLICATION_JSON",
                                                            "Content": '{"error":"no tea"}'}})["Summary"]["ARN"]
    waf.associate_web_acl(WebACLArn=arn, ResourceArn=f"arn:aws:apigateway:{REGION}::/restapis/{api_id}/stages/dev")
    got = _get(api_id, "items?drink=tea")
    assert (got.status_code, got.text, got.headers["x-amzn-waf-reason"]) == (429, '{"error":"no tea"}', "tea")
    assert got.headers["Content-Type"] == "application/json"
    assert _get(api_id, "items?drink=coffee").status_code == 200


def test_blocked_and_allowed_requests_reach_the_access_log(aws: lab.Session) -> None:
    api_id = _api(aws)
    logs = aws.client("logs")
    logs.create_log_group(logGroupName=f"access-{api_id}")
    group_arn = f"arn:aws:logs:{REGION}:123456789012:log-group:access-{api_id}"
    aws.client("apigateway").update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": group_arn},
        {"op": "replace", "path": "/accessLogSettings/format",
         "value": "$context.wafResponseCode $context.status $context.waf.status $context.webaclArn"}])
    arn = _acl(aws, api_id, [_rule("bad-agent", 0, {"ByteMatchStatement": {
        "SearchString": b"bot", "FieldToMatch": {"SingleHeader": {"Name": "user-agent"}},
        "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "CONTAINS"}})])
    _get(api_id)
    _get(api_id, **{"User-Agent": "bot"})
    lines = [e["message"] for e in logs.filter_log_events(logGroupName=f"access-{api_id}")["events"]]
    assert lines == [f"WAF_ALLOW 200 200 {arn}", f"WAF_BLOCK 403 403 {arn}"]
