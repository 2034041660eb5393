"""Per-stage CloudWatch metrics of deployed APIs, written to the embedded CloudWatch (moto's ``cloudwatch`` backend).

:func:`record` is a response handler of both chains (:mod:`.chain`): after each request it stores one datapoint
per metric and dimension set, timestamped on the course clock (:func:`lab_support.core.clock.now`), so
``get_metric_statistics``, ``get_metric_data`` and ``list_metrics`` from boto3 return them and CloudWatch
alarms (:mod:`lab_support.embedded.cloudwatch`) can evaluate them.

REST APIs (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html):
namespace ``AWS/ApiGateway``; ``4XXError``, ``5XXError``, ``Count`` (Unit Count), ``IntegrationLatency``,
``Latency`` (Unit Milliseconds); dimensions ``ApiName``, ``ApiName`` + ``Stage``, and ``ApiName`` + ``Method`` +
``Resource`` + ``Stage`` when the stage's ``methodSettings`` enable detailed metrics (``metricsEnabled``). ``CacheHitCount`` /
``CacheMissCount`` exist only for a stage with an API cache: the local gateway has none, so they are never written.

HTTP APIs (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html): namespace
``AWS/ApiGateway``; ``4xx``, ``5xx``, ``Count``, ``IntegrationLatency``, ``Latency``, ``DataProcessed`` (bytes);
dimensions ``ApiId``, ``ApiId`` + ``Stage``, and ``ApiId`` + ``Method`` + ``Resource`` + ``Stage`` when the stage's
``DefaultRouteSettings`` set ``DetailedMetricsEnabled``.

Each dimension set is a metric of its own: a query names the exact set (``GetMetricStatistics`` is patched to
match as CloudWatch does: :mod:`lab_support.embedded.cloudwatch.statistics`). Deliberate differences: AWS
aggregates per minute before storing; here each request is one raw datapoint (the statistics are the same).
Requests that reach no stage (unknown API or stage) are not counted.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from lab_support.core import clock
from lab_support.embedded.apigateway.context import HTTP, REST, RequestContext

NAMESPACE = "AWS/ApiGateway"
# REST metric names (api-gateway-metrics-and-dimensions.html, "API Gateway metrics").
REST_4XX, REST_5XX = "4XXError", "5XXError"
# HTTP API metric names (http-api-metrics.html).
HTTP_4XX, HTTP_5XX, DATA_PROCESSED = "4xx", "5xx", "DataProcessed"
COUNT, LATENCY, INTEGRATION_LATENCY = "Count", "Latency", "IntegrationLatency"


def record(ctx: RequestContext) -> None:
    """Response handler: the request's datapoints (count, errors, latencies) for the stage's dimension sets."""
    if ctx.response is None or ctx.stage is None or ctx.api is None:
        return
    status = ctx.response.status
    latency_ms = float(round((time.monotonic() - ctx.started) * 1000))
    integration_ms = ctx.variables.get("integrationLatency")
    if ctx.kind == REST:
        dimension_sets = _rest_dimensions(ctx)
        values: list[tuple[str, float, str]] = [
            (COUNT, 1.0, "Count"),
            (REST_4XX, 1.0 if 400 <= status < 500 else 0.0, "Count"),
            (REST_5XX, 1.0 if status >= 500 else 0.0, "Count"),
            (LATENCY, latency_ms, "Milliseconds"),
        ]
    elif ctx.kind == HTTP:
        dimension_sets = _http_dimensions(ctx)
        values = [
            (COUNT, 1.0, "Count"),
            (HTTP_4XX, 1.0 if 400 <= status < 500 else 0.0, "Count"),
            (HTTP_5XX, 1.0 if status >= 500 else 0.0, "Count"),
            (LATENCY, latency_ms, "Milliseconds"),
            (DATA_PROCESSED, float(len(ctx.body) + len(ctx.response.body)), "Bytes"),
        ]
    else:
        return
    if isinstance(integration_ms, (int, float)):
        values.append((INTEGRATION_LATENCY, float(integration_ms), "Milliseconds"))
    put(ctx.account_id, ctx.region, NAMESPACE, [
        {"MetricName": name, "Value": value, "Unit": unit, "Dimensions": dims}
        for dims in dimension_sets for name, value, unit in values
    ])


def put(account_id: str, region: str, namespace: str, metric_data: list[dict[str, Any]]) -> None:
    """Store datapoints as ``PutMetricData`` does (moto's backend API), timestamped now on the course clock."""
    from moto.cloudwatch.models import cloudwatch_backends

    stamp = datetime.fromtimestamp(clock.now(), UTC).replace(tzinfo=None)  # moto keeps naive UTC datetimes
    for datum in metric_data:
        datum.setdefault("Timestamp", stamp)
    cloudwatch_backends[account_id][region].put_metric_data(namespace, metric_data)


def _dims(**pairs: str) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in pairs.items()]


def _enabled(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _rest_dimensions(ctx: RequestContext) -> list[list[dict[str, str]]]:
    sets = [_dims(ApiName=ctx.api.name), _dims(ApiName=ctx.api.name, Stage=ctx.stage_name)]
    resource_path = ctx.variables.get("resourcePath")
    if resource_path and _rest_detailed(ctx.stage, resource_path, ctx.method):
        sets.append(_dims(ApiName=ctx.api.name, Method=ctx.method, Resource=resource_path, Stage=ctx.stage_name))
    return sets


def _rest_detailed(stage: Any, resource_path: str, method: str) -> bool:
    """``metricsEnabled`` for ``{resource}/{METHOD}``, else ``*/*`` (the stage's ``methodSettings``)."""
    settings = getattr(stage, "method_settings", None) or {}
    key = f"{resource_path.lstrip('/').replace('/', '~1')}/{method}"
    for candidate in (key, "*/*"):
        if candidate in settings and "metricsEnabled" in settings[candidate]:
            return _enabled(settings[candidate]["metricsEnabled"])
    return False


def _http_dimensions(ctx: RequestContext) -> list[list[dict[str, str]]]:
    sets = [_dims(ApiId=ctx.api.api_id), _dims(ApiId=ctx.api.api_id, Stage=ctx.stage_name)]
    route_settings = getattr(ctx.stage, "default_route_settings", None) or {}
    detailed = route_settings.get("detailedMetricsEnabled", route_settings.get("DetailedMetricsEnabled"))
    if ctx.route is not None and _enabled(detailed):
        method, _, resource = ctx.route.route_key.partition(" ")
        sets.append(_dims(ApiId=ctx.api.api_id, Method=method, Resource=resource or method, Stage=ctx.stage_name))
    return sets
