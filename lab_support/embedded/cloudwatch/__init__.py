"""The embedded CloudWatch: metric alarms that really change state, on the course clock.

moto stores alarms (``put_metric_alarm``, ``describe_alarms``, ``set_alarm_state``) and metrics but never
evaluates an alarm. This package does (:mod:`.alarms`): a background thread, started at ``lab.start()`` and
stopped at ``lab.stop()``, evaluates every metric alarm when one of its periods ends on the course clock
(``lab_support.core.clock``; ``clock.advance(60)`` evaluates at once, before it returns), sets its state with
AWS's reason, records the history (``describe_alarm_history``, which moto lacks) and publishes AWS's alarm
message to the SNS topics of ``AlarmActions`` / ``OKActions`` / ``InsufficientDataActions`` through moto's SNS,
so an SQS queue or a Lambda function subscribed to the topic receives it. ``get_metric_statistics`` matches the
exact set of dimensions, as CloudWatch does (:mod:`.statistics`).

It attaches itself to every embedded session through ``lab_support.register_extension("cloudwatch", install)``.

Public API:

* :func:`install` – attach to a session (done for you by ``lab.start()``)
* :func:`evaluate_alarms` – evaluate every alarm now (what the thread does when a period ends)
"""

from __future__ import annotations

from lab_support.core import patching
from lab_support.core.session import Session
from lab_support.embedded.cloudwatch import alarms, statistics
from lab_support.embedded.cloudwatch.alarms import evaluate_alarms

__all__ = ["evaluate_alarms", "install"]


def install(session: Session) -> None:
    """Attach to ``session`` (embedded backend only): the alarm patches, the evaluator thread, reset and stop."""
    if session.backend != "moto":
        return
    patching.apply(PATCHES)
    alarms.start()
    session.on_reset(alarms.reset)
    session.on_stop(alarms.stop)


PATCHES = patching.group("cloudwatch", [
    patching.Patch("moto.cloudwatch.models:CloudWatchBackend.put_metric_alarm", wrap=alarms.wrap_put_metric_alarm,
                   signature=["self", "name", "namespace", "metric_name", "comparison_operator", "evaluation_periods",
                              "period", "threshold", "statistic", "description", "dimensions", "alarm_actions",
                              "metric_data_queries", "datapoints_to_alarm", "extended_statistic", "ok_actions",
                              "insufficient_data_actions", "unit", "actions_enabled", "treat_missing_data",
                              "evaluate_low_sample_count_percentile", "threshold_metric_id", "rule", "tags"],
                   why="a new alarm starts in INSUFFICIENT_DATA; an updated one keeps its state and history"),
    patching.Patch("moto.cloudwatch.models:CloudWatchBackend.set_alarm_state", wrap=alarms.wrap_set_alarm_state,
                   signature=["self", "alarm_name", "reason", "reason_data", "state_value"],
                   why="SetAlarmState runs the new state's actions (SNS) and is recorded in the history, as on AWS"),
    patching.Patch("moto.cloudwatch.responses:CloudWatchResponse.describe_alarm_history",
                   replacement=alarms.describe_alarm_history, signature=None,
                   why="DescribeAlarmHistory: the evaluator's state changes and actions"),
    patching.Patch("moto.cloudwatch.models:CloudWatchBackend.get_metric_statistics",
                   replacement=statistics.get_metric_statistics,
                   signature=["self", "namespace", "metric_name", "start_time", "end_time", "period", "stats",
                              "dimensions", "unit"],
                   why="the exact set of dimensions, as CloudWatch matches them (moto: any superset)"),
    patching.Patch("moto.cloudwatch.models:CloudWatchBackend.put_metric_data", wrap=statistics.wrap_put_metric_data,
                   signature=["self", "namespace", "metric_data"],
                   why="a datum without Timestamp is stamped on the course clock (alarms evaluate on it)"),
])
