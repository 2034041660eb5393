"""API keys, usage plans and throttling for REST APIs: one handler of the gateway chain, plus ``GetUsage``.

:func:`enforce` runs after the method is known (and after an authorizer, when one ran):

1. **API key** (methods with ``apiKeyRequired``): the key comes from the ``x-api-key`` header (the API's
   ``apiKeySource`` ``HEADER``, the default) or from the Lambda authorizer's ``usageIdentifierKey``
   (``AUTHORIZER``). It must exist, be enabled and belong to a usage plan that lists this API stage, else
   403 ``{"message":"Forbidden"}`` (gateway response ``INVALID_API_KEY``)
   (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html,
   https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
2. **Throttling**, token buckets (rate = tokens per second, burst = bucket size) applied in AWS's order:
   the usage plan's per-method throttle for this stage, else the plan's own throttle (per API key); the
   stage's ``methodSettings`` for the method, else ``*/*``; the account, per Region (:data:`ACCOUNT_RATE_LIMIT`,
   :data:`ACCOUNT_BURST_LIMIT`). A request needs a token from each: else 429 ``{"message":"Too Many Requests"}``
   (``THROTTLED``) (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html).
3. **Quota** of the usage plan (``DAY``, ``WEEK`` or ``MONTH``; ``offset`` requests are taken off the first
   period's limit, as ``QuotaSettings`` says: https://docs.aws.amazon.com/apigateway/latest/api/API_QuotaSettings.html):
   429 ``{"message":"Limit Exceeded"}`` (``QUOTA_EXCEEDED``)
   ("How do I troubleshoot 429 Too Many Requests or Limit Exceeded errors": https://repost.aws/knowledge-center/api-gateway-429-limit).

Time is the course clock (:func:`lab_support.core.clock.now`): ``clock.advance(1)`` refills buckets, a day's
advance starts a new quota period. ``GetUsage`` (moto lacks it) reports what the quota counted per key and day.

Deliberate simplifications: periods are UTC (a ``DAY`` starts at 00:00 UTC, a ``WEEK`` on Monday, a ``MONTH``
on the 1st); buckets start full; a throttled or refused request is not counted against the quota.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lab_support.core import clock, patching
from lab_support.embedded.apigateway.context import GatewayError, RequestContext

# Account-level throttling per Region: "10,000 requests per second (RPS) with an additional burst capacity
# provided by the token bucket algorithm. The maximum bucket capacity is 5,000 requests per account and Region"
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html,
# https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html,
# https://repost.aws/knowledge-center/api-gateway-429-limit). Some newer Regions default to 2,500 / 1,250.
ACCOUNT_RATE_LIMIT = 10_000.0
ACCOUNT_BURST_LIMIT = 5_000

#: Where the API key is read from (``RestApi.apiKeySource``: ``HEADER`` | ``AUTHORIZER``,
#: https://docs.aws.amazon.com/apigateway/latest/api/API_RestApi.html).
API_KEY_HEADER = "x-api-key"

#: Gateway response types this module raises (status and message in :data:`.rest.GATEWAY_RESPONSES`).
FORBIDDEN = "INVALID_API_KEY"        # 403 {"message":"Forbidden"}
THROTTLED = "THROTTLED"              # 429 {"message":"Too Many Requests"}
QUOTA_EXCEEDED = "QUOTA_EXCEEDED"    # 429 {"message":"Limit Exceeded"}


@dataclass
class TokenBucket:
    """A token bucket: ``rate`` tokens per second, at most ``burst`` tokens; starts full."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = 0.0
    scope: tuple[Any, ...] = ()  # ("plan" | "plan-method" | "stage" | "account", ...): what it limits

    def refill(self, now: float) -> float:
        """Tokens available at ``now`` (course clock seconds)."""
        if self.tokens < 0:
            self.tokens, self.stamp = float(self.burst), now
        elif now > self.stamp:
            self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
        return self.tokens


@dataclass
class _State:
    buckets: dict[tuple[Any, ...], TokenBucket] = field(default_factory=dict)
    # (plan id, key id) -> (period start, requests counted in it)
    periods: dict[tuple[str, str], tuple[datetime, int]] = field(default_factory=dict)
    # (plan id, key id) -> {day: requests}
    daily: dict[tuple[str, str], dict[date, int]] = field(default_factory=dict)
    first_period: dict[tuple[str, str], datetime] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_STATE = _State()


def reset() -> None:
    """Forget buckets and counted usage (``lab.reset()``)."""
    global _STATE
    _STATE = _State()


# -- the chain handler ---------------------------------------------------------------------------
def enforce(ctx: RequestContext) -> None:
    """REST chain handler: API key, then throttling, then the usage plan's quota (see the module docstring)."""
    method = ctx.method_def
    plan = key = None
    if getattr(method, "api_key_required", False):
        plan, key = _plan_and_key(ctx)
        if plan is None or key is None:
            ctx.exec_log.error("API Key not authorized because method requires API key and the key is missing, "
                               "disabled or not in a usage plan of this stage")
            raise GatewayError(FORBIDDEN)
        ctx.variables.setdefault("identity", {})["apiKey"] = key.value
        ctx.variables["identity"]["apiKeyId"] = key.id
    now = clock.now()
    buckets = _buckets(ctx, plan, key)
    with _STATE.lock:
        for bucket in buckets:
            if bucket.refill(now) < 1.0:
                ctx.exec_log.error(_throttle_log(ctx, bucket, plan, key))
                raise GatewayError(THROTTLED)
        if plan is not None and key is not None and plan.quota and plan.quota.get("limit") is not None:
            _count_quota(ctx, plan, key, now)
        for bucket in buckets:
            bucket.tokens -= 1.0


def _plan_and_key(ctx: RequestContext) -> tuple[Any, Any]:
    """The usage plan (listing this API stage) and the enabled API key the request presents, else ``(None, None)``."""
    value = _presented_key(ctx)
    if not value:
        return None, None
    backend = _backend(ctx)
    key = next((k for k in backend.keys.values() if k.value == value), None)
    if key is None or not key.enabled:
        return None, None
    for plan_id, plan_keys in backend.usage_plan_keys.items():
        plan = backend.usage_plans.get(plan_id)
        if plan is None or key.id not in plan_keys:
            continue
        if _stage_entry(plan, ctx) is not None:
            return plan, key
    return None, None


def _backend(ctx: RequestContext) -> Any:
    from moto.apigateway.models import apigateway_backends

    return apigateway_backends[ctx.account_id][ctx.region]


def _presented_key(ctx: RequestContext) -> str | None:
    """``x-api-key``, or with ``apiKeySource`` ``AUTHORIZER`` the authorizer's ``usageIdentifierKey``."""
    if str(getattr(ctx.api, "api_key_source", "HEADER") or "HEADER").upper() != "AUTHORIZER":
        return ctx.header(API_KEY_HEADER)
    result = getattr(ctx, "authorizer", None)  # set by the authorizer handler, when one ran
    if isinstance(result, dict):
        found = result.get("usageIdentifierKey")
    else:
        found = getattr(result, "usage_identifier_key", None) or getattr(result, "usageIdentifierKey", None)
    return str(found) if found else None


def _stage_entry(plan: Any, ctx: RequestContext) -> dict[str, Any] | None:
    for entry in plan.api_stages or []:
        if entry.get("apiId") == ctx.api.id and entry.get("stage") == ctx.stage_name:
            return dict(entry)
    return None


def _buckets(ctx: RequestContext, plan: Any, key: Any) -> list[TokenBucket]:
    """Every bucket the request takes a token from, most specific first."""
    resource_path = str(ctx.variables.get("resourcePath") or ctx.path)
    out: list[TokenBucket] = []
    if plan is not None and key is not None:
        entry = _stage_entry(plan, ctx) or {}
        per_method = (entry.get("throttle") or {}).get(f"{resource_path}/{ctx.method}")
        if per_method:
            out.append(_bucket(("plan-method", plan.id, key.id, ctx.api.id, ctx.stage_name, resource_path, ctx.method),
                               per_method))
        elif plan.throttle:
            out.append(_bucket(("plan", plan.id, key.id), plan.throttle))
    settings = getattr(ctx.stage, "method_settings", None) or {}
    if settings:
        # keys are {resource_path}/{http_method}, the path's "/" written "~1" ("~1items/POST"; "items/POST" accepted)
        escaped = resource_path.replace("/", "~1")
        for name in (f"{escaped}/{ctx.method}", f"{escaped.removeprefix('~1')}/{ctx.method}", "*/*"):
            found = settings.get(name)
            if found and ("throttlingRateLimit" in found or "throttlingBurstLimit" in found):
                out.append(_bucket(("stage", ctx.api.id, ctx.stage_name, name),
                                   {"rateLimit": found.get("throttlingRateLimit", ACCOUNT_RATE_LIMIT),
                                    "burstLimit": found.get("throttlingBurstLimit", ACCOUNT_BURST_LIMIT)}))
                break
    out.append(_bucket(("account", ctx.account_id, ctx.region), {"rateLimit": ACCOUNT_RATE_LIMIT,
                                                                 "burstLimit": ACCOUNT_BURST_LIMIT}))
    return out


def _bucket(scope: tuple[Any, ...], limits: dict[str, Any]) -> TokenBucket:
    rate = float(limits.get("rateLimit", ACCOUNT_RATE_LIMIT))
    burst = float(limits.get("burstLimit", ACCOUNT_BURST_LIMIT))
    bucket = _STATE.buckets.get(scope)
    if bucket is None or bucket.rate != rate or bucket.burst != burst:
        bucket = _STATE.buckets[scope] = TokenBucket(rate, burst, scope=scope)
    return bucket


def masked(value: str) -> str:
    """An API key as execution logs show it: asterisks, then its last 6 characters."""
    return "*" * max(0, len(value) - 6) + value[-6:]


def _throttle_log(ctx: RequestContext, bucket: TokenBucket, plan: Any, key: Any) -> str:
    """The execution-log line of a throttled request; the usage-plan form follows the knowledge-center example
    ("API Key ****F0yrv6 exceeded throttle limit for API Stage rohkz08x02/dev: Key throttle limit exceeded for
    Usage Plan ID nnpegc", https://repost.aws/knowledge-center/api-gateway-429-limit); the others are the course's."""
    kind = bucket.scope[0] if bucket.scope else ""
    if kind in ("plan", "plan-method") and plan is not None and key is not None:
        what = "Method" if kind == "plan-method" else "Key"
        return (f"API Key {masked(key.value)} exceeded throttle limit for API Stage {ctx.api.id}/{ctx.stage_name}: "
                f"{what} throttle limit exceeded for Usage Plan ID {plan.id}")
    if kind == "stage":
        return f"Execution failed: the stage's throttle limit for {bucket.scope[3]} was exceeded"
    return "Execution failed: the account's throttle limit was exceeded"


# -- quotas --------------------------------------------------------------------------------------
def period_start(period: str, moment: datetime) -> datetime:
    """The start of the quota period (``DAY`` | ``WEEK`` | ``MONTH``, UTC) that contains ``moment``."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    kind = period.upper()
    if kind == "WEEK":
        return day - timedelta(days=day.weekday())
    if kind == "MONTH":
        return day.replace(day=1)
    return day


def _count_quota(ctx: RequestContext, plan: Any, key: Any, now: float) -> None:
    limit = int(plan.quota["limit"])
    offset = int(plan.quota.get("offset") or 0)
    moment = datetime.fromtimestamp(now, tz=UTC)
    start = period_start(str(plan.quota.get("period") or "DAY"), moment)
    ident = (plan.id, key.id)
    first = _STATE.first_period.setdefault(ident, start)
    previous_start, used = _STATE.periods.get(ident, (start, 0))
    if previous_start != start:
        used = 0
    allowed = limit - (offset if start == first else 0)
    if used >= allowed:
        ctx.exec_log.error(f"API Key {masked(key.value)} exceeded quota limit for API Stage {ctx.api.id}/{ctx.stage_name}: "
                           f"Key quota exhausted for Usage Plan ID {plan.id}. Quota Limit: {limit} "
                           f"Period: {plan.quota.get('period')}")
        raise GatewayError(QUOTA_EXCEEDED)
    _STATE.periods[ident] = (start, used + 1)
    days = _STATE.daily.setdefault(ident, {})
    days[moment.date()] = days.get(moment.date(), 0) + 1


def usage(plan: Any, key_id: str | None, start: date, end: date) -> dict[str, list[list[int]]]:
    """``items`` of ``GetUsage`` (``values`` in the JSON body): per key id, one ``[used, remaining]`` pair per
    day from ``start`` to ``end``.

    ``remaining`` is what the quota left at the end of that day within its period
    (https://docs.aws.amazon.com/apigateway/latest/api/API_GetUsage.html).
    """
    limit = int(plan.quota["limit"]) if plan.quota and plan.quota.get("limit") is not None else None
    period = str((plan.quota or {}).get("period") or "DAY")
    out: dict[str, list[list[int]]] = {}
    for (plan_id, kid), days in list(_STATE.daily.items()):
        if plan_id != plan.id or (key_id and kid != key_id):
            continue
        rows = []
        day = start
        while day <= end:
            used = days.get(day, 0)
            remaining = -1
            if limit is not None:
                pstart = period_start(period, datetime(day.year, day.month, day.day, tzinfo=UTC)).date()
                spent = sum(n for d, n in days.items() if pstart <= d <= day)
                first = _STATE.first_period.get((plan_id, kid))
                offset = int(plan.quota.get("offset") or 0) if first is not None and first.date() == pstart else 0
                remaining = max(0, limit - offset - spent)
            rows.append([used, remaining])
            day += timedelta(days=1)
        out[kid] = rows
    return out


# -- GetUsage (moto 5.2.5 has neither the route nor the operation) --------------------------------
def _dispatch(*args: Any, **kwargs: Any) -> Any:
    """moto's API Gateway handler, for the added ``/usageplans/{id}/usage`` route.

    The route goes into ``moto.apigatewayv2.urls.url_paths``: moto's ``apigateway`` URL map copies that dict when
    it is imported (both serve ``apigateway.{region}.amazonaws.com``), so the entry reaches both maps whatever the
    import order; the handler is looked up at call time (no moto import while a patch is applied).
    """
    from moto.apigateway.responses import APIGatewayResponse

    return APIGatewayResponse.dispatch(*args, **kwargs)


def _get_usage(self: Any) -> tuple[int, dict[str, Any], str]:
    """``GET /usageplans/{usagePlanId}/usage?startDate&endDate[&keyId]``."""
    plan_id = self.path.split("/")[-2]
    query = {k: (v[0] if isinstance(v, list) else v) for k, v in (self.querystring or {}).items()}
    from moto.apigateway.exceptions import BadRequestException, UsagePlanNotFoundException

    plan = self.backend.usage_plans.get(plan_id)
    if plan is None:
        raise UsagePlanNotFoundException()  # 404 NotFoundException "Invalid Usage Plan ID specified"
    try:
        start = date.fromisoformat(query["startDate"])
        end = date.fromisoformat(query["endDate"])
    except (KeyError, ValueError):
        raise BadRequestException("startDate and endDate are required, as yyyy-MM-dd") from None  # wording assumed
    items = usage(plan, query.get("keyId"), start, end)
    body = {"usagePlanId": plan_id, "startDate": query["startDate"], "endDate": query["endDate"], "values": items}
    return 200, {"status": 200}, json.dumps(body)  # moto takes the status from the headers' "status"


PATCHES = [
    patching.Patch("moto.apigatewayv2.urls:url_paths", key="{0}/usageplans/(?P<usage_plan_id>[^/]+)/usage$",
                   replacement=_dispatch, why="routes GetUsage (moto's apigateway URL map copies this dict)"),
    patching.Patch("moto.apigateway.responses:APIGatewayResponse.get_usage", replacement=_get_usage,
                   why="GetUsage: requests counted per key and day by the gateway's usage plans"),
]
"""Declared in the ``gateway`` group (:mod:`lab_support.embedded.apigateway`)."""
