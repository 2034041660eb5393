"""GetMetricStatistics with CloudWatch's dimension rule: the exact set of dimensions the datapoints were put with.

"CloudWatch treats each unique combination of dimensions as a separate metric. If a specific combination of
dimensions was not published, you can't retrieve statistics for it. You must specify the same dimensions that
were used when the metrics were created."
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html, Dimensions).

moto 5.2.5 matches the requested dimensions as a subset, so a stage-level query of ``AWS/ApiGateway`` would also
count the per-method datapoints that detailed metrics add (:mod:`lab_support.embedded.apigateway.metrics`).

Also: PutMetricData stamps a datum that has no ``Timestamp`` on the course clock (:func:`wrap_put_metric_data`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lab_support.core import clock


def same_dimensions(datum: Any, dimensions: list[dict[str, str]]) -> bool:
    """Whether ``datum`` was put with exactly ``dimensions`` (names and values, in any order)."""
    have = sorted((d.name, d.value) for d in datum.dimensions)
    return have == sorted((d["Name"], d.get("Value")) for d in dimensions)


def get_metric_statistics(self: Any, namespace: str, metric_name: str, start_time: datetime, end_time: datetime,
                          period: int, stats: list[str], dimensions: list[dict[str, str]],
                          unit: str | None = None) -> list[Any]:
    """moto's ``CloudWatchBackend.get_metric_statistics``, with exact dimension matching (see the module docstring)."""
    from moto.cloudwatch.exceptions import InvalidParameterValue
    from moto.cloudwatch.models import Statistics, daterange

    start_time = start_time.replace(microsecond=0)
    end_time = end_time.replace(microsecond=0)
    if start_time >= end_time:
        raise InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
    period_delta = timedelta(seconds=period)
    found = sorted((md for md in self.get_all_metrics()
                    if md.namespace == namespace and md.name == metric_name and start_time <= md.timestamp < end_time
                    and (not unit or md.unit == unit) and same_dimensions(md, dimensions or [])),
                   key=lambda md: md.timestamp)
    if not found:
        return []
    index, data = 0, []
    for moment in daterange(found[0].timestamp, found[-1].timestamp + period_delta, period_delta):
        bucket = Statistics(stats, moment)
        while index < len(found) and found[index].timestamp < moment + period_delta:
            bucket.metric_data.append(found[index])
            bucket.unit = found[index].unit
            index += 1
        if bucket.metric_data:
            data.append(bucket)
    return data


def wrap_put_metric_data(original: Any) -> Any:
    """PutMetricData: a datum without ``Timestamp`` gets the course clock's time ("the time the metric data was
    received" on AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html), so
    alarms evaluated on the course clock see it in the right period after ``clock.advance()``."""

    def put_metric_data(self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        stamp = datetime.fromtimestamp(clock.now(), UTC).replace(tzinfo=None)  # moto keeps naive UTC datetimes
        for datum in metric_data:
            if not datum.get("Timestamp"):
                datum["Timestamp"] = stamp
        original(self, namespace, metric_data)

    return put_metric_data
