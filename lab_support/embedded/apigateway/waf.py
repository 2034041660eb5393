"""AWS WAF (``wafv2``) in front of REST API stages: the first handler of the REST chain, plus what moto lacks.

A web ACL associated with a REST stage (``wafv2.associate_web_acl(WebACLArn=..., ResourceArn=
"arn:aws:apigateway:{region}::/restapis/{api-id}/stages/{stage}")``; moto keeps the ARN in the ACL's
``associated_resources`` and sets the stage's ``webAclArn``) inspects every request **before** API Gateway
does anything else (no stage lookup, authorizer, usage plan or integration runs for a blocked request):
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-aws-waf.html.

:func:`inspect` evaluates the ACL's rules in ``Priority`` order (lowest first,
https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-processing-order.html): a matching ``Block`` or
``Allow`` rule ends the evaluation; a matching ``Count`` rule is counted and evaluation goes on; when no
terminating rule matched, the ACL's ``DefaultAction`` decides. Statements understood here:

* ``IPSetReferenceStatement`` (an IP set made with ``create_ip_set``; CIDR ranges, IPv4 and IPv6);
* ``ByteMatchStatement`` on ``UriPath``, ``QueryString``, ``SingleHeader`` (also ``Method``, ``AllQueryArguments``,
  ``SingleQueryArgument``), with ``PositionalConstraint`` ``EXACTLY | STARTS_WITH | ENDS_WITH | CONTAINS |
  CONTAINS_WORD`` and ``TextTransformations`` ``NONE | LOWERCASE | URL_DECODE | COMPRESS_WHITE_SPACE``
  (https://docs.aws.amazon.com/waf/latest/APIReference/API_ByteMatchStatement.html);
* ``RateBasedStatement`` aggregated by ``IP`` (or ``FORWARDED_IP``), with an optional ``ScopeDownStatement``
  (https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html);
* ``AndStatement``, ``OrStatement``, ``NotStatement``.

A blocked request gets API Gateway's answer, 403 ``{"message":"Forbidden"}`` (the ``WAF_FILTERED`` gateway
response, https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).

Every request inspected leaves CloudWatch metrics in namespace ``AWS/WAFV2`` (``AllowedRequests``,
``BlockedRequests``, ``CountedRequests``; dimensions ``Region``, ``WebACL``, ``Rule``, where ``Rule`` is the
rule's metric name or ``ALL`` for the web ACL as a whole:
https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html) in moto's cloudwatch backend, and a
sample for :func:`get_sampled_requests` (``wafv2.get_sampled_requests``, which moto lacks).

Time is the course clock (:func:`lab_support.core.clock.now`), chance the course's random source
(:func:`lab_support.core.clock.rng`). Simplifications: a rate-based rule counts the requests in the
evaluation window at every request (AWS checks every few seconds, so it blocks a little later); body
inspection and managed rule groups are not evaluated (a statement not understood never matches).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import sys
import threading
import urllib.parse
import weakref
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import Headers

from lab_support.core import clock, patching
from lab_support.embedded.apigateway import rest
from lab_support.embedded.apigateway.context import HttpResponse, RequestContext

NAMESPACE = "AWS/WAFV2"  # https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html
ALL_RULES = "ALL"  # the Rule dimension's value for the web ACL as a whole (same page)
#: ``RateBasedStatement.Limit``: "The lowest limit setting allowed is 10" (it was 100 until 2024), at most
#: 2,000,000,000; ``EvaluationWindowSec``: "Valid settings are 60 (1 minute), 120 (2 minutes), 300 (5 minutes), and
#: 600 (10 minutes), and 300 (5 minutes) is the default"
#: (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html,
#: https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html; botocore's model has min 10 too).
RATE_LIMIT_MIN = 10
RATE_LIMIT_MAX = 2_000_000_000
EVALUATION_WINDOWS = (60, 120, 300, 600)
DEFAULT_EVALUATION_WINDOW = 300
#: ``GetSampledRequests``: "a sample of up to MaxItems (at most 500) ... from among the first 5,000 requests"
#: received in the time window, which must start within the last three hours
#: (https://docs.aws.amazon.com/waf/latest/APIReference/API_GetSampledRequests.html).
MAX_SAMPLE_ITEMS = 500
SAMPLE_POPULATION = 5_000
SAMPLE_HORIZON_SECONDS = 3 * 3600
#: The RuleMetricName that asks for the requests the ACL's default action decided (same page).
DEFAULT_ACTION_METRIC = "Default_Action"
#: API Gateway's answer to a request WAF blocks (gateway response WAF_FILTERED, 403); "AWS WAF custom responses
#: take precedence over custom gateway responses" (supported-gateway-response-types.html), see :func:`_blocked`.
FORBIDDEN_BODY = {"message": "Forbidden"}
#: Custom response bodies' content types (https://docs.aws.amazon.com/waf/latest/APIReference/API_CustomResponseBody.html)
#: and the prefix WAF puts before custom response header names
#: (https://docs.aws.amazon.com/waf/latest/developerguide/customizing-the-response-for-blocks.html).
CONTENT_TYPES = {"TEXT_PLAIN": "text/plain", "TEXT_HTML": "text/html", "APPLICATION_JSON": "application/json"}
CUSTOM_HEADER_PREFIX = "x-amzn-waf-"
#: AWS WAF cannot protect an HTTP API: only REST API stages are API Gateway resources WAF associates with
#: (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html, "AWS WAF": REST only;
#: https://docs.aws.amazon.com/waf/latest/APIReference/API_AssociateWebACL.html lists "An Amazon API Gateway
#: REST API"). AWS answers AssociateWebACL with WAFInvalidParameterException.
HTTP_API_REFUSED = ("Error reason: The ARN isn't valid. AWS WAF can protect an Amazon API Gateway REST API stage "
                    "(arn:aws:apigateway:{region}::/restapis/{api-id}/stages/{stage}), not an HTTP API, "
                    "field: RESOURCE_ARN, parameter: {arn}")
_HTTP_API_ARN = re.compile(r"^arn:aws[a-z-]*:apigateway:[a-z0-9-]+::/apis/")


@dataclass
class _Sample:
    at: float
    request: dict[str, Any]
    action: str
    rule: str  # the metric name that decided (rule or web ACL)
    status: int | None = None


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    # (acl arn, rule name, aggregate key) -> times of the requests counted by the rate-based rule
    rates: dict[tuple[str, str, str], deque[float]] = field(default_factory=lambda: defaultdict(deque))
    # acl arn -> samples (the first SAMPLE_POPULATION per window are kept; older than the horizon dropped)
    samples: dict[str, list[_Sample]] = field(default_factory=lambda: defaultdict(list))


_STATE = _State()
_LOG_VARIABLES: weakref.WeakKeyDictionary[RequestContext, dict[str, Any]] = weakref.WeakKeyDictionary()


def reset() -> None:
    """Forget rate counters and samples (``lab.reset()``)."""
    global _STATE
    _STATE = _State()


def stage_arn(region: str, api_id: str, stage: str) -> str:
    """The ARN WAF associates with: ``arn:aws:apigateway:{region}::/restapis/{api-id}/stages/{stage}``."""
    return f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}"


# -- the chain handler ------------------------------------------------------------------------------------------
def inspect(ctx: RequestContext) -> None:
    """REST chain, first handler: the associated web ACL allows the request, or answers 403 Forbidden."""
    acl = _web_acl_for(ctx.account_id, ctx.region, stage_arn(ctx.region, ctx.api_id, ctx.stage_name))
    if acl is None:
        return
    now = clock.now()
    action, deciding, counted, block = _decide(acl, ctx, now)
    acl_metric = str((acl.visibility_config or {}).get("MetricName") or acl.name)
    _metrics(ctx, acl_metric, action, deciding, counted, now)
    _sample(acl, ctx, action, deciding or acl_metric, counted, now)
    log_variables = {"wafResponseCode": f"WAF_{action}", "webaclArn": acl.arn,
                     "waf": {"status": 403 if action == "BLOCK" else 200, "latency": 0, "error": None}}
    _LOG_VARIABLES[ctx] = log_variables
    if action == "BLOCK":
        rule = deciding or "Default_Action"
        ctx.exec_log.error(f"Request blocked by AWS WAF web ACL {acl.name} (rule {rule})")
        ctx.response = _blocked(acl, ctx, block)
        # API Gateway still logs the request (its access log shows it, with $context.wafResponseCode WAF_BLOCK)
        ctx.stage = ctx.api.stages.get(ctx.stage_name)
        ctx.variables = rest.context_variables(ctx)


def add_log_variables(ctx: RequestContext) -> None:
    """REST response handler: ``$context.wafResponseCode`` (``WAF_ALLOW`` | ``WAF_BLOCK``), ``$context.webaclArn``,
    ``$context.waf.status`` / ``latency`` / ``error`` for the access log
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html)."""
    found = _LOG_VARIABLES.pop(ctx, None)
    if found is not None:
        for key, value in found.items():
            ctx.variables.setdefault(key, value)


def _blocked(acl: Any, ctx: RequestContext, block: dict[str, Any]) -> HttpResponse:
    """403 ``{"message":"Forbidden"}``, or the Block action's ``CustomResponse`` (code, body, ``x-amzn-waf-`` headers)."""
    headers = [("x-amzn-RequestId", ctx.request_id), ("x-amz-apigw-id", ctx.extended_request_id)]
    custom = block.get("CustomResponse")
    if not custom:
        return HttpResponse.json(403, FORBIDDEN_BODY, [*headers, ("x-amzn-ErrorType", "ForbiddenException")])
    for header in custom.get("ResponseHeaders") or []:
        headers.append((CUSTOM_HEADER_PREFIX + str(header.get("Name", "")), str(header.get("Value", ""))))
    body = (acl.custom_response_bodies or {}).get(custom.get("CustomResponseBodyKey") or "") or {}
    if body:
        headers.append(("Content-Type", CONTENT_TYPES.get(str(body.get("ContentType")), "text/plain")))
    return HttpResponse(int(custom.get("ResponseCode", 403)), Headers(headers), str(body.get("Content", "")).encode())


def _web_acl_for(account_id: str, region: str, resource_arn: str) -> Any:
    models = sys.modules.get("moto.wafv2.models")
    if models is None:  # nobody has called wafv2 yet: no web ACL can exist (and moto's wafv2 stays unimported)
        return None
    wafv2_backends = models.wafv2_backends
    if account_id not in wafv2_backends or region not in wafv2_backends[account_id]:
        return None
    return wafv2_backends[account_id][region].get_web_acl_for_resource(resource_arn)


def _decide(acl: Any, ctx: RequestContext, now: float) -> tuple[str, str | None, list[str], dict[str, Any]]:
    """(``ALLOW`` | ``BLOCK``, the deciding rule's metric name or ``None`` for the default action, the Count rules
    that matched, the deciding ``Block`` action's settings such as ``CustomResponse``)."""
    counted: list[str] = []
    for rule in sorted(acl.rules, key=lambda r: int(r.priority)):
        if not _matches(rule.statement or {}, ctx, now, acl.arn, rule.name):
            continue
        metric = str((rule.visibility_config or {}).get("MetricName") or rule.name)
        action = next(iter(rule.action or {"Count": {}}), "Count").upper()
        if action == "COUNT":
            counted.append(metric)
            continue
        if action in ("ALLOW", "BLOCK"):
            return action, metric, counted, dict((rule.action or {}).get("Block") or {})
        # CAPTCHA / Challenge: a client without a token is blocked (AWS answers 405 with a page); not modelled
        return "BLOCK", metric, counted, {}
    default_action = acl.default_action or {"Allow": {}}
    default = next(iter(default_action), "Allow").upper()
    return ("BLOCK" if default == "BLOCK" else "ALLOW"), None, counted, dict(default_action.get("Block") or {})


def _matches(statement: dict[str, Any], ctx: RequestContext, now: float, acl_arn: str, rule: str) -> bool:
    if "AndStatement" in statement:
        return all(_matches(s, ctx, now, acl_arn, rule) for s in statement["AndStatement"].get("Statements", []))
    if "OrStatement" in statement:
        return any(_matches(s, ctx, now, acl_arn, rule) for s in statement["OrStatement"].get("Statements", []))
    if "NotStatement" in statement:
        return not _matches(statement["NotStatement"].get("Statement", {}), ctx, now, acl_arn, rule)
    if "IPSetReferenceStatement" in statement:
        return _in_ip_set(statement["IPSetReferenceStatement"], ctx)
    if "ByteMatchStatement" in statement:
        return _byte_match(statement["ByteMatchStatement"], ctx)
    if "RateBasedStatement" in statement:
        return _over_rate(statement["RateBasedStatement"], ctx, now, acl_arn, rule)
    return False


def _in_ip_set(spec: dict[str, Any], ctx: RequestContext) -> bool:
    from moto.wafv2.models import wafv2_backends  # see _web_acl_for

    ip_set = wafv2_backends[ctx.account_id][ctx.region].ip_sets.get(spec.get("ARN", ""))
    if ip_set is None:
        return False
    try:
        client = ipaddress.ip_address(_client_ip(ctx, spec.get("IPSetForwardedIPConfig")))
    except ValueError:
        return False
    for cidr in ip_set.addresses or []:
        try:
            if client in ipaddress.ip_network(cidr, strict=False):
                return True
        except ValueError:
            continue
    return False


def _client_ip(ctx: RequestContext, forwarded: dict[str, Any] | None) -> str:
    """The request's origin (``IP``) or the first address of a forwarded-IP header (``FORWARDED_IP``)."""
    if forwarded:
        value = ctx.header(forwarded.get("HeaderName", "X-Forwarded-For"))
        if value:
            return value.split(",")[0].strip()
    return ctx.source_ip


# Text transformations (https://docs.aws.amazon.com/waf/latest/APIReference/API_TextTransformation.html).
def _transform(text: str, transformations: list[dict[str, Any]]) -> str:
    for step in sorted(transformations or [], key=lambda t: int(t.get("Priority", 0))):
        kind = step.get("Type", "NONE")
        if kind == "LOWERCASE":
            text = text.lower()
        elif kind == "URL_DECODE":
            text = urllib.parse.unquote(text)
        elif kind == "COMPRESS_WHITE_SPACE":
            text = re.sub(r"[ \t\n\r\f\v]+", " ", text)
    return text


def _field(spec: dict[str, Any], ctx: RequestContext) -> str | None:
    """The part of the web request a statement inspects (``FieldToMatch``)."""
    if "UriPath" in spec:
        return f"/{ctx.stage_name}{ctx.path}"  # the URI as the client sent it, stage included
    if "QueryString" in spec:
        return ctx.raw_query
    if "Method" in spec:
        return ctx.method
    if "SingleHeader" in spec:
        return ctx.header(spec["SingleHeader"].get("Name", ""))
    if "SingleQueryArgument" in spec:
        wanted = spec["SingleQueryArgument"].get("Name", "").lower()
        values = [v for k, v in urllib.parse.parse_qsl(ctx.raw_query, keep_blank_values=True) if k.lower() == wanted]
        return values[-1] if values else None
    if "AllQueryArguments" in spec:
        return " ".join(v for _k, v in urllib.parse.parse_qsl(ctx.raw_query, keep_blank_values=True))
    return None


def _search_string(raw: Any) -> str:
    """``SearchString`` is a blob: base64 in the JSON API (boto3 encodes bytes), as moto stores it."""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    try:
        return base64.b64decode(str(raw), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return str(raw)


def _byte_match(spec: dict[str, Any], ctx: RequestContext) -> bool:
    value = _field(spec.get("FieldToMatch") or {}, ctx)
    if value is None:
        return False
    needle = _search_string(spec.get("SearchString", ""))
    haystack = _transform(value, spec.get("TextTransformations") or [])
    position = spec.get("PositionalConstraint", "CONTAINS")
    if position == "EXACTLY":
        return haystack == needle
    if position == "STARTS_WITH":
        return haystack.startswith(needle)
    if position == "ENDS_WITH":
        return haystack.endswith(needle)
    if position == "CONTAINS_WORD":  # bounded by characters other than alphanumerics and underscore
        return re.search(rf"(?<![A-Za-z0-9_]){re.escape(needle)}(?![A-Za-z0-9_])", haystack) is not None
    return needle in haystack


def _over_rate(spec: dict[str, Any], ctx: RequestContext, now: float, acl_arn: str, rule: str) -> bool:
    """Counts the request (when the scope-down statement matches) and says whether its key is over the limit."""
    scope = spec.get("ScopeDownStatement")
    if scope and not _matches(scope, ctx, now, acl_arn, rule):
        return False
    window = int(spec.get("EvaluationWindowSec") or DEFAULT_EVALUATION_WINDOW)
    key = _client_ip(ctx, spec.get("ForwardedIPConfig") if spec.get("AggregateKeyType") == "FORWARDED_IP" else None)
    with _STATE.lock:
        times = _STATE.rates[(acl_arn, rule, key)]
        times.append(now)
        while times and times[0] <= now - window:
            times.popleft()
        return len(times) > int(spec.get("Limit", RATE_LIMIT_MIN))


# -- metrics and samples ----------------------------------------------------------------------------------------
def _metrics(ctx: RequestContext, acl_metric: str, action: str, deciding: str | None, counted: list[str],
             now: float) -> None:
    from moto.cloudwatch.models import cloudwatch_backends  # see _web_acl_for

    stamp = datetime.fromtimestamp(now, tz=UTC).replace(tzinfo=None)  # moto's cloudwatch compares naive UTC
    name = "BlockedRequests" if action == "BLOCK" else "AllowedRequests"

    def datum(metric: str, rule: str) -> dict[str, Any]:
        dims = [{"Name": "Region", "Value": ctx.region}, {"Name": "Rule", "Value": rule},
                {"Name": "WebACL", "Value": acl_metric}]
        return {"MetricName": metric, "Value": 1.0, "Unit": "Count", "Timestamp": stamp, "Dimensions": dims}

    data = [datum(name, ALL_RULES)]
    if deciding is not None:
        data.append(datum(name, deciding))
    data += [datum("CountedRequests", rule) for rule in counted]
    cloudwatch_backends[ctx.account_id][ctx.region].put_metric_data(NAMESPACE, data)


def _sample(acl: Any, ctx: RequestContext, action: str, rule: str, counted: list[str], now: float) -> None:
    request = {"ClientIP": ctx.source_ip, "Country": "-", "URI": f"/{ctx.stage_name}{ctx.path}", "Method": ctx.method,
               "HTTPVersion": ctx.protocol, "Headers": [{"Name": k, "Value": v} for k, v in ctx.headers]}
    with _STATE.lock:
        samples = _STATE.samples[acl.arn]
        samples[:] = [s for s in samples if s.at > now - SAMPLE_HORIZON_SECONDS]
        samples.append(_Sample(now, request, action, rule, 403 if action == "BLOCK" else None))
        samples += [_Sample(now, request, "COUNT", c) for c in counted]


def get_sampled_requests(web_acl_arn: str, rule_metric_name: str, start: float, end: float,
                         max_items: int) -> dict[str, Any]:
    """``GetSampledRequests``: up to ``max_items`` of the first 5,000 requests in [start, end] for the metric,
    drawn with :func:`lab_support.core.clock.rng` (``PopulationSize`` says how many there were)."""
    now = clock.now()
    start = max(start, now - SAMPLE_HORIZON_SECONDS)
    with _STATE.lock:
        population = [s for s in _STATE.samples.get(web_acl_arn, []) if start <= s.at <= end
                      and (s.rule == rule_metric_name or (rule_metric_name == DEFAULT_ACTION_METRIC
                                                           and s.action != "COUNT" and s.rule not in _rule_metrics(web_acl_arn)))]
    population = population[:SAMPLE_POPULATION]
    chosen = clock.rng().sample(population, min(max(0, int(max_items)), MAX_SAMPLE_ITEMS, len(population)))
    chosen.sort(key=lambda s: s.at)
    out = []
    for s in chosen:
        item: dict[str, Any] = {"Request": s.request, "Weight": 1, "Timestamp": s.at, "Action": s.action}
        if s.rule != rule_metric_name or rule_metric_name != DEFAULT_ACTION_METRIC:
            item["RuleNameWithinRuleGroup"] = s.rule
        if s.status is not None:
            item["ResponseCodeSent"] = s.status
        out.append(item)
    return {"SampledRequests": out, "PopulationSize": len(population),
            "TimeWindow": {"StartTime": start, "EndTime": end}}


def _rule_metrics(web_acl_arn: str) -> set[str]:
    from moto.wafv2.models import wafv2_backends  # see _web_acl_for

    for regions in wafv2_backends.values():
        for backend in regions.values():
            acl = backend.wacls.get(web_acl_arn)
            if acl is not None:
                return {str((r.visibility_config or {}).get("MetricName") or r.name) for r in acl.rules}
    return set()


# -- moto's control plane ---------------------------------------------------------------------------------------
def _get_sampled_requests_response(self: Any) -> Any:
    """``WAFV2Response.get_sampled_requests`` (moto 5.2.5 lacks it)."""
    body = json.loads(self.body or "{}")
    window = body.get("TimeWindow") or {}
    result = get_sampled_requests(body.get("WebAclArn", ""), body.get("RuleMetricName", ""),
                                  float(window.get("StartTime", 0)), float(window.get("EndTime", clock.now())),
                                  int(body.get("MaxItems", 100)))
    return 200, {}, json.dumps(result)


def _wrap_associate(original: Any) -> Any:
    def associate_web_acl(self: Any, web_acl_arn: str, resource_arn: str) -> Any:
        if _HTTP_API_ARN.match(resource_arn or ""):
            from moto.wafv2.exceptions import WAFv2ClientError  # moto's wafv2 is loaded when this runs

            error = WAFv2ClientError("WAFInvalidParameterException", HTTP_API_REFUSED.replace("{arn}", resource_arn))
            raise error
        return original(self, web_acl_arn, resource_arn)

    return associate_web_acl


def _validate_rules(rules: list[dict[str, Any]] | None) -> None:
    """``Limit`` and ``EvaluationWindowSec`` of rate-based rules, as WAF checks them."""
    from moto.wafv2.exceptions import WAFv2ClientError  # moto's wafv2 is loaded when this runs

    for rule in rules or []:
        spec = (rule.get("Statement") or {}).get("RateBasedStatement")
        if spec is None:
            continue
        limit = int(spec.get("Limit", 0))
        if not RATE_LIMIT_MIN <= limit <= RATE_LIMIT_MAX:
            raise WAFv2ClientError("WAFInvalidParameterException",
                                   f"Error reason: Your statement has an invalid value., field: RATE_LIMIT, "
                                   f"parameter: {limit}")
        window = int(spec.get("EvaluationWindowSec") or DEFAULT_EVALUATION_WINDOW)
        if window not in EVALUATION_WINDOWS:
            raise WAFv2ClientError("WAFInvalidParameterException",
                                   f"Error reason: Your statement has an invalid value., field: "
                                   f"RATE_BASED_STATEMENT_EVALUATION_WINDOW_SEC, parameter: {window}")


def _wrap_create_web_acl(original: Any) -> Any:
    def create_web_acl(self: Any, *args: Any, **kwargs: Any) -> Any:
        _validate_rules(kwargs["rules"] if "rules" in kwargs else args[6] if len(args) > 6 else None)
        return original(self, *args, **kwargs)

    return create_web_acl


def _wrap_update_web_acl(original: Any) -> Any:
    def update_web_acl(self: Any, *args: Any, **kwargs: Any) -> Any:
        _validate_rules(kwargs["rules"] if "rules" in kwargs else args[3] if len(args) > 3 else None)
        return original(self, *args, **kwargs)

    return update_web_acl


PATCHES = [
    patching.Patch("moto.wafv2.responses:WAFV2Response.get_sampled_requests", replacement=_get_sampled_requests_response,
                   signature=None, why="GetSampledRequests: requests the gateway's WAF inspected, sampled with clock.rng()"),
    patching.Patch("moto.wafv2.models:WAFV2Backend.associate_web_acl", wrap=_wrap_associate,
                   signature=["self", "web_acl_arn", "resource_arn"],
                   why="an HTTP API stage is refused (WAFInvalidParameterException): WAF protects REST APIs only"),
    patching.Patch("moto.wafv2.models:WAFV2Backend.create_web_acl", wrap=_wrap_create_web_acl,
                   signature=["self", "name", "visibility_config", "default_action", "scope", "description", "tags",
                              "rules", "association_config", "captcha_config", "challenge_config",
                              "custom_response_bodies", "token_domains"],
                   why="rate-based rules: Limit 10..2,000,000,000, EvaluationWindowSec 60/120/300/600"),
    patching.Patch("moto.wafv2.models:WAFV2Backend.update_web_acl", wrap=_wrap_update_web_acl,
                   signature=["self", "name", "_id", "default_action", "rules", "description", "visibility_config",
                              "lock_token", "custom_response_bodies", "captcha_config", "challenge_config",
                              "token_domains", "association_config"], why="the same checks on update"),
]

__all__ = ["PATCHES", "add_log_variables", "get_sampled_requests", "inspect", "reset", "stage_arn"]
