"""Plumbing for releasing and operating an API (notebook 07), re-runnable and the same on both backends.

Notebook 07 teaches versions and aliases, stage variables, canaries, logs, metrics and alarms; the get-or-create
scaffolding around those lessons lives here so the notebook's cells show the calls that teach:

* :func:`publish_release`: deploy a handler with ``RELEASE`` in its environment and publish a version for it,
  once per release (a re-run finds the version by its description);
* :func:`set_alias`: point an alias at a version, creating the alias the first time;
* :func:`log_group`: a CloudWatch Logs group, created if missing, tagged and tracked; returns its ARN (defined in
  :mod:`lab_support.course.observability`);
* :func:`log_events`: ``filter_log_events`` of one log group, or nothing while the group does not exist yet (on
  AWS, API Gateway creates a stage's log group with its first line, seconds after the request): a notebook waits
  for lines with ``lab.until(lambda: log_events(group), what=...)``;
* :func:`topic_to_queue`: an SNS topic delivering (raw) to an SQS queue whose policy lets that topic send, so a
  notebook can read what an alarm notified.

Everything goes through public boto3 APIs (Lambda, API Gateway, CloudWatch Logs, SNS, SQS).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from lab_support.core.session import current
from lab_support.course.functions import create_function
from lab_support.course.observability import log_group
from lab_support.course.resources import queue

__all__ = ["log_events", "log_group", "publish_release", "set_alias", "topic_to_queue"]


def publish_release(function_name: str, code: Any, release: str, **config: Any) -> str:
    """The version of ``function_name`` published for ``release`` (its description reads ``release {release}``).

    The first time, the function is deployed with ``code`` and the environment variable ``RELEASE=release``
    (``lab.create_function``, which updates an existing function), then ``publish_version`` freezes code and
    configuration into a new version. Afterwards the version is found by its description and nothing changes.
    ``config`` holds further CreateFunction parameters. Versions: https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html.
    """
    lam = current().client("lambda")
    with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
        for version in lam.list_versions_by_function(FunctionName=function_name)["Versions"]:
            if version.get("Description") == f"release {release}":
                return str(version["Version"])
    create_function(function_name, code, Environment={"Variables": {"RELEASE": release}}, **config)
    return str(lam.publish_version(FunctionName=function_name, Description=f"release {release}")["Version"])


def set_alias(function_name: str, alias: str, version: str) -> str:
    """Point ``alias`` of ``function_name`` at ``version`` (creating the alias if needed); returns the alias ARN.

    Aliases: https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html.
    """
    lam = current().client("lambda")
    try:
        answer = lam.update_alias(FunctionName=function_name, Name=alias, FunctionVersion=version)
    except lam.exceptions.ResourceNotFoundException:
        answer = lam.create_alias(FunctionName=function_name, Name=alias, FunctionVersion=version)
    return str(answer["AliasArn"])


def log_events(group: str, pattern: str = "") -> list[dict[str, Any]]:
    """The events of log group ``group`` that match ``pattern`` (a CloudWatch Logs filter pattern; ``""``: all),
    oldest first, every page of ``filter_log_events``; ``[]`` while the group does not exist yet.

    FilterLogEvents: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html.
    """
    logs = current().client("logs")
    kwargs: dict[str, Any] = {"logGroupName": group}
    if pattern:
        kwargs["filterPattern"] = pattern
    events: list[dict[str, Any]] = []
    try:
        while True:
            page = logs.filter_log_events(**kwargs)
            events += page.get("events", [])
            if not page.get("nextToken"):
                return sorted(events, key=lambda e: e["timestamp"])
            kwargs["nextToken"] = page["nextToken"]
    except logs.exceptions.ResourceNotFoundException:
        return []


def topic_to_queue(topic_name: str, queue_name: str) -> tuple[str, str]:
    """An SNS topic ``topic_name`` that delivers raw messages to the SQS queue ``queue_name``: ``(topic ARN, queue URL)``.

    The queue (emptied on a re-run) gets a policy that lets this topic, and only it, send to it, as SNS needs on AWS
    (https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html). ``create_topic`` and
    ``subscribe`` return the existing topic and subscription on a re-run.
    """
    session = current()
    sns, sqs = session.client("sns"), session.client("sqs")
    topic_arn = str(sns.create_topic(Name=topic_name, Tags=session.tag_list)["TopicArn"])
    session.track(f"SNS topic {topic_name}", lambda: sns.delete_topic(TopicArn=topic_arn), once=True)
    url, arn = queue(queue_name)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    return topic_arn, url
