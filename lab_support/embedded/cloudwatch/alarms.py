"""Metric alarm evaluation over the embedded metrics, on the course clock.

An alarm with ``Period`` P, ``EvaluationPeriods`` N, ``DatapointsToAlarm`` M (default N), ``Statistic``,
``ComparisonOperator``, ``Threshold`` and ``TreatMissingData`` is evaluated each time a period of P seconds ends
on the course clock: the last N *complete* periods are aggregated from the datapoints whose namespace, metric
name and dimensions (the exact set, as CloudWatch matches them) equal the alarm's; M breaching datapoints out of
N put it in ALARM, otherwise OK; missing datapoints follow ``TreatMissingData`` (``missing``, the default, gives
INSUFFICIENT_DATA when all N are missing; ``notBreaching`` / ``breaching`` count them as good / bad; ``ignore``
keeps the state) ("Using Amazon CloudWatch alarms", "Configuring how CloudWatch alarms treat missing data":
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).

A state change is written with AWS's reason and reason data, added to the alarm's history
(``describe_alarm_history``) and, when actions are enabled, published to each SNS topic of the new state's actions
(``AlarmActions``, ``OKActions``, ``InsufficientDataActions``) with AWS's alarm message.

Deliberate differences: metric math alarms (``Metrics=``), composite alarms, percentiles (``ExtendedStatistic``)
and actions other than SNS topics (Auto Scaling, EC2, Systems Manager) are not evaluated; AWS's evaluation delay
is not modelled (a period is evaluated as soon as it ends).
"""

from __future__ import annotations

import json
import logging
import math
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from lab_support.core import clock, idle

_LOG = logging.getLogger("lab_support.server")  # kept in memory by core.server, never printed

TICK_SECONDS = 0.1  # how often the thread looks at the course clock (wall-clock seconds)

# ComparisonOperator → (test, words of the reason). Reason text as CloudWatch writes it: "Threshold Crossed: 1
# datapoint [5.0 (29/11/26 04:50:00)] was greater than or equal to the threshold (1.0)." and, for M out of N, "…
# 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0) (minimum 1
# datapoint for OK -> ALARM transition)." (aws/aws-lambda-go events/testdata/cloudwatch-alarm-sns-payload-single-metric.json).
OPERATORS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}
INITIAL_REASON = "Unchecked: Initial alarm creation"
# The region's name in the alarm message's "Region" and Subject ("ALARM: \"name\" in US East (N. Virginia)").
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)", "eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)",
    "eu-central-1": "EU (Frankfurt)", "eu-north-1": "EU (Stockholm)", "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-southeast-1": "Asia Pacific (Singapore)", "ap-southeast-2": "Asia Pacific (Sydney)",
}

_LOCK = threading.RLock()
_LAST_END: dict[str, float] = {}  # alarm ARN -> end of the last period evaluated (course-clock seconds)
_HISTORY: dict[str, list[dict[str, Any]]] = {}  # alarm ARN -> history items, oldest first
_THREAD: threading.Thread | None = None
_STOP = threading.Event()
_REMOVE_LISTENER: Callable[[], None] | None = None


# -- lifecycle --------------------------------------------------------------------------------------------------
def start() -> None:
    """Start the evaluator thread (idempotent), evaluate on every ``clock.advance``, register with ``wait_idle``."""
    global _THREAD, _REMOVE_LISTENER
    with _LOCK:
        if _THREAD is None or not _THREAD.is_alive():
            _STOP.clear()
            _THREAD = threading.Thread(target=_run, name="lab-cloudwatch-alarms", daemon=True)
            _THREAD.start()
        if _REMOVE_LISTENER is None:
            _REMOVE_LISTENER = clock.on_advance(evaluate_alarms)
    idle.register_pending("cloudwatch alarms", _due_count)


def stop() -> None:
    """Stop the thread and the ``clock.advance`` hook (``lab.stop()``)."""
    global _THREAD, _REMOVE_LISTENER
    _STOP.set()
    thread, _THREAD = _THREAD, None
    if thread is not None and thread is not threading.current_thread():
        thread.join(timeout=2)
    if _REMOVE_LISTENER is not None:
        _REMOVE_LISTENER()
        _REMOVE_LISTENER = None
    idle.register_pending("cloudwatch alarms", lambda: 0)


def reset() -> None:
    """Forget evaluation times and history (``lab.reset()`` empties moto's alarms)."""
    with _LOCK:
        _LAST_END.clear()
        _HISTORY.clear()


def _run() -> None:
    reported: set[str] = set()
    while not _STOP.wait(TICK_SECONDS):
        try:
            evaluate_alarms()
        except Exception as err:  # the thread must survive a bad alarm; a notebook's output is no place for it
            if repr(err) not in reported:
                reported.add(repr(err))
                _LOG.exception("CloudWatch alarm evaluation failed")  # see core.server.recent_problems()


# -- evaluation -------------------------------------------------------------------------------------------------
def _backends() -> list[Any]:
    """moto's CloudWatch backends that exist (none until a notebook has used CloudWatch: nothing is imported)."""
    models = sys.modules.get("moto.cloudwatch.models")
    # Not imported yet, or being imported in another thread (cloudwatch_backends is the module's last statement).
    backends = getattr(models, "cloudwatch_backends", None)
    if backends is None:
        return []
    found = []
    for regions in list(backends.values()):
        found.extend(list(regions.values()))
    return found


def _period_end(now: float, period: int) -> float:
    return math.floor(now / period) * period


def _evaluable(alarm: Any) -> bool:
    return bool(alarm.metric_name) and not alarm.metric_data_queries and not alarm.rule and int(alarm.period or 0) > 0


def _due_count() -> int:
    now = clock.now()
    with _LOCK:
        return sum(1 for backend in _backends() for alarm in list(backend.alarms.values())
                   if _evaluable(alarm) and _period_end(now, int(alarm.period)) > _LAST_END.get(alarm.alarm_arn, -1.0))


def evaluate_alarms() -> None:
    """Evaluate every metric alarm whose period has ended since its last evaluation (thread, ``clock.advance``)."""
    now = clock.now()
    with _LOCK:
        for backend in _backends():
            for alarm in list(backend.alarms.values()):
                if not _evaluable(alarm):
                    continue
                end = _period_end(now, int(alarm.period))
                if end <= _LAST_END.get(alarm.alarm_arn, -1.0):
                    continue
                _LAST_END[alarm.alarm_arn] = end
                _evaluate(backend, alarm, end)
    idle.notify()


def _statistic(values: list[Any], statistic: str) -> float:
    samples = sum(getattr(v, "sample_count", 1) for v in values)
    total = sum(getattr(v, "sum", None) if hasattr(v, "sum") else v.value for v in values)
    if statistic == "SampleCount":
        return float(samples)
    if statistic == "Sum":
        return float(total)
    if statistic == "Average":
        return float(total) / samples if samples else 0.0
    if statistic == "Minimum":
        return float(min(getattr(v, "min", None) if hasattr(v, "min") else v.value for v in values))
    return float(max(getattr(v, "max", None) if hasattr(v, "max") else v.value for v in values))


def _datapoints(backend: Any, alarm: Any, end: float) -> list[tuple[datetime, float | None]]:
    """The last N complete periods before ``end``, newest first: (period start, statistic or None when missing)."""
    period, n = int(alarm.period), int(alarm.evaluation_periods or 1)
    wanted = sorted((d.name, d.value) for d in alarm.dimensions)
    start = datetime.fromtimestamp(end - n * period, UTC).replace(tzinfo=None)
    stop = datetime.fromtimestamp(end, UTC).replace(tzinfo=None)
    buckets: dict[int, list[Any]] = {}
    for datum in list(backend.metric_data):
        if datum.namespace != alarm.namespace or datum.name != alarm.metric_name:
            continue
        if not (start <= datum.timestamp < stop):
            continue
        if sorted((d.name, d.value) for d in datum.dimensions) != wanted:
            continue
        if alarm.unit and datum.unit != alarm.unit:
            continue
        index = int((datum.timestamp - start).total_seconds() // period)
        buckets.setdefault(index, []).append(datum)
    points = []
    for index in reversed(range(n)):
        values = buckets.get(index)
        points.append((start + timedelta(seconds=index * period),
                       _statistic(values, alarm.statistic or "Average") if values else None))
    return points


def _number(value: float) -> str:
    """A double as CloudWatch prints it in reasons: ``5.0``, ``0.25``."""
    return repr(float(value))


def _evaluate(backend: Any, alarm: Any, end: float) -> None:
    test, words = OPERATORS.get(alarm.comparison_operator, OPERATORS["GreaterThanOrEqualToThreshold"])
    threshold = float(alarm.threshold)
    n = int(alarm.evaluation_periods or 1)
    m = int(alarm.datapoints_to_alarm or n)
    treat = alarm.treat_missing_data or "missing"
    points = _datapoints(backend, alarm, end)
    present = [(ts, v) for ts, v in points if v is not None]
    missing = n - len(present)
    breaching = sum(1 for _ts, v in present if test(v, threshold))
    if treat == "breaching":
        breaching += missing
    if not present:
        if treat == "ignore":
            return
        if treat == "missing":
            new_state = "INSUFFICIENT_DATA"
            reason = f"Insufficient Data: {n} datapoint{'s were' if n > 1 else ' was'} unknown."
        else:
            new_state = "ALARM" if treat == "breaching" and breaching >= m else "OK"
            kind = "Breaching" if treat == "breaching" else "NonBreaching"
            reason = (f"Threshold Crossed: no datapoints were received for {n} period{'s' if n > 1 else ''} and "
                      f"{n} missing datapoint{'s were' if n > 1 else ' was'} treated as [{kind}].")
    else:
        new_state = "ALARM" if breaching >= m else "OK"
        shown = ", ".join(f"{_number(v)} ({ts.strftime('%d/%m/%y %H:%M:%S')})" for ts, v in present)
        negation = "" if new_state == "ALARM" else "not "
        if n == 1:
            reason = f"Threshold Crossed: 1 datapoint [{shown}] was {negation}{words} the threshold ({_number(threshold)})."
        else:
            count = breaching if new_state == "ALARM" else len(present) - sum(1 for _t, v in present if test(v, threshold))
            transition = "OK -> ALARM" if new_state == "ALARM" else "ALARM -> OK"
            reason = (f"Threshold Crossed: {count} out of the last {n} datapoints [{shown}] "
                      f"{'was' if count == 1 else 'were'} {negation}{words} the threshold ({_number(threshold)}) "
                      f"(minimum {m} datapoint{'s' if m > 1 else ''} for {transition} transition).")
    first = alarm.state_reason == INITIAL_REASON
    if new_state == alarm.state_value and not first:
        return
    _set_state(backend, alarm, new_state, reason, _reason_data(alarm, end, points, threshold))


def _reason_data(alarm: Any, end: float, points: list[tuple[datetime, float | None]], threshold: float) -> str:
    """``StateReasonData`` as CloudWatch writes it (version 1.0, queryDate, startDate, statistic, period, ...)."""
    now = datetime.fromtimestamp(clock.now(), UTC)
    evaluated = [{"timestamp": _iso(ts), "value": v} for ts, v in points if v is not None]
    return json.dumps({
        "version": "1.0", "queryDate": _iso(now),
        "startDate": _iso(datetime.fromtimestamp(end - len(points) * int(alarm.period), UTC)),
        "statistic": alarm.statistic, "period": int(alarm.period),
        "recentDatapoints": [v for _ts, v in points if v is not None], "threshold": threshold,
        "evaluatedDatapoints": evaluated,
    }, separators=(",", ":"))


def _iso(moment: datetime) -> str:
    """``2026-11-29T04:50:42.123+0000`` (the alarm message's StateChangeTime form)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.") + f"{aware.microsecond // 1000:03d}+0000"


def _set_state(backend: Any, alarm: Any, new_state: str, reason: str, reason_data: str) -> None:
    old_state, old_reason = alarm.state_value, alarm.state_reason
    alarm.update_state(reason, reason_data, new_state)
    changed = datetime.fromtimestamp(clock.now(), UTC)
    alarm.state_updated_timestamp = changed.replace(tzinfo=None)
    history = _HISTORY.setdefault(alarm.alarm_arn, [])
    history.append(_history_item(alarm, changed, "StateUpdate", f"Alarm updated from {old_state} to {new_state}", {
        "version": "1.0",
        "oldState": {"stateValue": old_state, "stateReason": old_reason},
        "newState": {"stateValue": new_state, "stateReason": reason, "stateReasonData": json.loads(reason_data)},
    }))
    if not alarm.actions_enabled:
        return
    actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions,
               "INSUFFICIENT_DATA": alarm.insufficient_data_actions}[new_state] or []
    for action in actions:
        if not action.startswith("arn:aws:sns:"):
            continue
        message, subject = alarm_message(backend, alarm, old_state, changed)
        try:
            _publish(action, message, subject)
            summary = f"Successfully executed action {action}"
        except Exception as err:
            summary = f"Failed to execute action {action}. Received error: \"{err}\""
        history.append(_history_item(alarm, changed, "Action", summary, {"actionState": "Succeeded"
                                     if summary.startswith("Successfully") else "Failed", "notificationResource": action}))


def _history_item(alarm: Any, when: datetime, kind: str, summary: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"AlarmName": alarm.name, "AlarmType": "MetricAlarm", "Timestamp": when, "HistoryItemType": kind,
            "HistorySummary": summary, "HistoryData": json.dumps(data, separators=(",", ":"))}


def alarm_message(backend: Any, alarm: Any, old_state: str, changed: datetime) -> tuple[str, str]:
    """AWS's alarm notification (the SNS ``Message`` JSON) and its ``Subject``.

    Shape as in aws/aws-lambda-go ``events/testdata/cloudwatch-alarm-sns-payload-single-metric.json`` (a captured
    notification): AlarmName, AlarmDescription, AWSAccountId, NewStateValue, NewStateReason, StateChangeTime,
    Region, AlarmArn, OldStateValue, Trigger {MetricName, Namespace, StatisticType, Statistic (upper case), Unit,
    Dimensions [{value, name}], Period, EvaluationPeriods, ComparisonOperator, Threshold, TreatMissingData, ...};
    Subject ``ALARM: "name" in US East (N. Virginia)``.
    """
    region = REGION_NAMES.get(backend.region_name, backend.region_name)
    message = {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": backend.account_id,
        "AlarmConfigurationUpdatedTimestamp": _iso(alarm.configuration_updated_timestamp),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": _iso(changed),
        "Region": region,
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions or []),
        "AlarmActions": list(alarm.alarm_actions or []),
        "InsufficientDataActions": list(alarm.insufficient_data_actions or []),
        "Trigger": {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "StatisticType": "Statistic",
            "Statistic": (alarm.statistic or "").upper(),
            "Unit": alarm.unit,
            "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
            "Period": int(alarm.period),
            "EvaluationPeriods": int(alarm.evaluation_periods),
            "DatapointsToAlarm": int(alarm.datapoints_to_alarm or alarm.evaluation_periods),
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": float(alarm.threshold),
            "TreatMissingData": alarm.treat_missing_data or "missing",
            "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
        },
    }
    subject = f'{alarm.state_value}: "{alarm.name}" in {region}'
    if len(subject) > 100:  # SNS subjects are at most 100 characters
        subject = subject[:97] + "..."
    return json.dumps(message, separators=(",", ":")), subject


def _publish(topic_arn: str, message: str, subject: str) -> None:
    """Publish through moto's SNS, so the topic's subscribers (SQS, Lambda, ...) receive it."""
    from moto.sns.models import sns_backends

    _arn, _aws, _sns, region, account, _name = topic_arn.split(":", 5)
    sns_backends[account][region].publish(message, arn=topic_arn, subject=subject)


# -- the moto patches ---------------------------------------------------------------------------------------------
def wrap_put_metric_alarm(original: Any) -> Any:
    """PutMetricAlarm: "When this operation creates an alarm, the alarm state is immediately set to
    INSUFFICIENT_DATA"; "When you update an existing alarm, its state is left unchanged"
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html)."""

    def put_metric_alarm(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        previous = self.alarms.get(name)
        alarm = original(self, name, *args, **kwargs)
        if previous is None or previous is alarm:
            alarm.state_value = "INSUFFICIENT_DATA"
            alarm.state_updated_timestamp = datetime.fromtimestamp(clock.now(), UTC).replace(tzinfo=None)
            with _LOCK:
                _LAST_END.pop(alarm.alarm_arn, None)
                _HISTORY.setdefault(alarm.alarm_arn, []).append(_history_item(
                    alarm, datetime.fromtimestamp(clock.now(), UTC), "ConfigurationUpdate", f'Alarm "{name}" created',
                    {"type": "Create", "createdAlarm": {"alarmName": name, "metricName": alarm.metric_name}}))
        else:
            alarm.state_value, alarm.state_reason = previous.state_value, previous.state_reason
            alarm.state_reason_data, alarm.state_updated_timestamp = previous.state_reason_data, previous.state_updated_timestamp
            alarm.history = previous.history
            with _LOCK:
                _LAST_END.pop(alarm.alarm_arn, None)  # evaluated again with the new configuration
                _HISTORY.setdefault(alarm.alarm_arn, []).append(_history_item(
                    alarm, datetime.fromtimestamp(clock.now(), UTC), "ConfigurationUpdate", f'Alarm "{name}" updated',
                    {"type": "Update", "updatedAlarm": {"alarmName": name, "metricName": alarm.metric_name}}))
        return alarm

    return put_metric_alarm


def wrap_set_alarm_state(original: Any) -> Any:
    """SetAlarmState: "When the updated state differs from the previous value, the action configured for the
    appropriate state is invoked" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html):
    the change is recorded in the history and notifies the state's SNS topics, as the evaluator's changes do. The
    next evaluation sets the state the metric calls for again, as on AWS."""

    def set_alarm_state(self: Any, alarm_name: str, reason: str, reason_data: str | None, state_value: str) -> None:
        alarm = self.alarms.get(alarm_name)
        try:
            data = json.dumps(json.loads(reason_data)) if reason_data else "{}"
        except ValueError:
            data = None
        if alarm is None or data is None or state_value not in _ACTIONS_OF or alarm.state_value == state_value:
            return original(self, alarm_name, reason, reason_data, state_value)  # moto's errors, or no change
        with _LOCK:
            _set_state(self, alarm, state_value, reason, data)
        return None

    return set_alarm_state


_ACTIONS_OF = ("ALARM", "OK", "INSUFFICIENT_DATA")


def describe_alarm_history(self: Any) -> Any:
    """DescribeAlarmHistory (moto 5.2.5 lacks it): AlarmName, HistoryItemType, StartDate, EndDate, ScanBy
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html)."""
    from moto.core.responses import ActionResult

    name = self._get_param("AlarmName")
    kind = self._get_param("HistoryItemType")
    start, end = self._get_param("StartDate"), self._get_param("EndDate")
    limit = int(self._get_param("MaxRecords") or 100)
    prefix = f"arn:aws:cloudwatch:{self.region}:{self.current_account}:alarm:"
    with _LOCK:
        items = [item for arn, found in _HISTORY.items() if arn.startswith(prefix) for item in found]
    items = [i for i in items if (not name or i["AlarmName"] == name) and (not kind or i["HistoryItemType"] == kind)]
    if start is not None:
        items = [i for i in items if i["Timestamp"] >= _aware(start)]
    if end is not None:
        items = [i for i in items if i["Timestamp"] <= _aware(end)]
    items.sort(key=lambda i: i["Timestamp"], reverse=self._get_param("ScanBy") != "TimestampAscending")
    return ActionResult({"AlarmHistoryItems": items[:limit]})


def _aware(moment: Any) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

