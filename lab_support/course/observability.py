"""Watching a deployed REST API: its access log, its CloudWatch metrics (the same calls on both backends).

* :func:`log_group`: a CloudWatch Logs group, created once, tagged, deleted at clean-up.
* :func:`enable_access_logs`: one JSON line per request of a stage into a log group.
* :func:`ensure_logging_role`: the account-level role API Gateway logs with (a real account needs it once).
* :func:`access_log`: the lines of a log group, parsed.
* :func:`metric_total`: the sum of an ``AWS/ApiGateway`` metric of a stage over the last minutes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

from lab_support.core import retry
from lab_support.core.session import current
from lab_support.course.resources import execution_role

# One JSON object per request, from $context variables
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html).
JSON_ACCESS_LOG = {"requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
                   "principal": "$context.authorizer.principalId", "httpMethod": "$context.httpMethod",
                   "path": "$context.path", "status": "$context.status", "latency": "$context.responseLatency"}
# The account-level role API Gateway writes logs with, on a real account (set once per Region):
# https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
LOGGING_ROLE = "lab-apigateway-cloudwatch"
RETENTION_DAYS = 7


def log_group(name: str) -> str:
    """The ARN of CloudWatch Logs group ``name``, created (tagged, deleted at clean-up) if it does not exist."""
    session = current()
    logs = session.client("logs")
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=name, tags=session.tags)
    # a week, so a group a failed run leaves behind empties itself (retention values: PutRetentionPolicy)
    logs.put_retention_policy(logGroupName=name, retentionInDays=RETENTION_DAYS)

    def delete() -> None:
        with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
            logs.delete_log_group(logGroupName=name)

    session.track(f"log group {name}", delete, once=True)
    return f"arn:aws:logs:{session.region}:{session.account_id}:log-group:{name}"


def logging_role_setting() -> tuple[str, bool]:
    """The account's API Gateway CloudWatch role setting (``""`` when unset) and whether that role still exists."""
    session = current()
    iam = session.client("iam")
    arn = session.client("apigateway").get_account().get("cloudwatchRoleArn") or ""
    if not arn:
        return "", False
    try:
        iam.get_role(RoleName=arn.rsplit("/", 1)[-1])
    except iam.exceptions.NoSuchEntityException:
        return arn, False
    return arn, True


def ensure_logging_role() -> None:
    """Give API Gateway the account-level role it writes execution and access logs with, if the account has none.

    A real account needs it once per Region (``update_account`` with ``/cloudwatchRoleArn``); the role
    (:data:`LOGGING_ROLE`, tagged) trusts ``apigateway.amazonaws.com`` with the managed policy
    ``AmazonAPIGatewayPushToCloudWatchLogs``, and the clean-up unsets the account setting when it deletes the role.
    Does nothing on the embedded backend, which writes logs without it.
    """
    session = current()
    if session.backend != "aws":
        return
    apig = session.client("apigateway")
    current_arn, role_exists = logging_role_setting()
    if role_exists:  # a setting that names a role deleted since (by hand, or an earlier run) is as good as none
        return
    arn = execution_role(LOGGING_ROLE, managed=["AmazonAPIGatewayPushToCloudWatchLogs"],
                         trust_service="apigateway.amazonaws.com")

    def point_account_at(value: str, *, waits_for: tuple[str, ...], what: str, max_wait: float) -> None:
        # UpdateAccount: one call every 20 s per account (TooManyRequestsException)
        retry.retrying(lambda: apig.update_account(patchOperations=[
            {"op": "replace", "path": "/cloudwatchRoleArn", "value": value}]),
            retry_on=lambda err: retry.error_code(err) in ("TooManyRequestsException", *waits_for),
            what=what, max_wait=max_wait, first_delay=3)

    # a new role is refused (BadRequestException) until IAM has it everywhere
    point_account_at(arn, waits_for=("BadRequestException",), what="API Gateway to accept its CloudWatch role",
                     max_wait=120)

    def unset() -> None:  # undone before the role is deleted (tracked later, so removed first)
        if (apig.get_account().get("cloudwatchRoleArn") or "") == arn:
            point_account_at(current_arn, waits_for=(), what="API Gateway's one UpdateAccount per 20 s", max_wait=60)

    session.track("API Gateway account setting cloudwatchRoleArn", unset, once=True)


def enable_access_logs(api_id: str, stage: str, group: str, fields: dict[str, str] | None = None) -> str:
    """Write one JSON line per request of stage ``stage`` of REST API ``api_id`` to log group ``group``.

    ``fields`` maps JSON keys to ``$context`` variables (default :data:`JSON_ACCESS_LOG`). Creates the log group
    (:func:`log_group`) and, on a real account without one, the account-level CloudWatch role API Gateway needs.
    Returns the format set on the stage.
    """
    session = current()
    arn = log_group(group)
    ensure_logging_role()
    fmt = json.dumps(fields or JSON_ACCESS_LOG)
    session.client("apigateway").update_stage(restApiId=api_id, stageName=stage, patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn},
        {"op": "replace", "path": "/accessLogSettings/format", "value": fmt}])
    return fmt


def access_log(group: str) -> list[dict[str, Any]]:
    """Every line of log group ``group``, oldest first, each parsed as JSON (a line that is not JSON is kept as
    ``{"message": line}``)."""
    logs = current().client("logs")
    lines: list[dict[str, Any]] = []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
        for event in sorted(page["events"], key=lambda e: e["timestamp"]):
            try:
                lines.append(json.loads(event["message"]))
            except ValueError:
                lines.append({"message": event["message"]})
    return lines


def metric_total(api_name: str, stage: str, metric: str, *, minutes: int = 30, statistic: str = "Sum") -> float:
    """The ``statistic`` of ``AWS/ApiGateway`` metric ``metric`` (``Count``, ``4XXError``, ``5XXError``…) for
    stage ``stage`` of the REST API named ``api_name``, added up over the last ``minutes`` minutes in 1-minute
    periods (dimensions ``ApiName`` and ``Stage``:
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html).
    For ``Count`` the right statistic is ``SampleCount`` (or ``Sum``: each request counts 1)."""
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    points = current().client("cloudwatch").get_metric_statistics(
        Namespace="AWS/ApiGateway", MetricName=metric, Period=60, Statistics=[statistic],
        Dimensions=[{"Name": "ApiName", "Value": api_name}, {"Name": "Stage", "Value": stage}],
        StartTime=end - dt.timedelta(minutes=minutes + 1), EndTime=end)["Datapoints"]
    return float(sum(p[statistic] for p in points))
