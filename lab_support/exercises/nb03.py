"""Self-checks for notebook 03 (Push vs pull). They look at real state, and test behaviour with probes.

* 03.1 reads the bucket's notification configuration, then (on the embedded backend) uploads probe
  objects and sees which of them made S3 invoke the function (``lab.event_sources.timeline("s3")``).
* 03.2 reads the queue's redrive policy and the event source mapping, then sends a poison message of its
  own and looks for it in the dead-letter queue.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from typing import Any

from lab_support.core import timeline
from lab_support.core.idle import wait_idle
from lab_support.core.session import current
from lab_support.exercises.registry import exercise

THUMBNAILER = "nb03-thumbnailer"
PICKY = "nb03-picky"
INBOX = "nb03-inbox"
INBOX_DLQ = "nb03-inbox-dlq"
PROBE_MARK = "lab.check probe"

# key -> should it invoke the function? (prefix images/, suffix .png, nothing else)
PNG_PROBES = {
    "images/lab-check-probe.png": True,
    "images/nested/lab-check-probe.png": True,
    "images/lab-check-probe.jpg": False,
    "docs/lab-check-probe.png": False,
    "lab-check-probe.png": False,
}


def exercise_bucket(account_id: str) -> str:
    """The bucket notebook 03 prepares for exercise 03.1."""
    return f"nb03-exercise-{account_id}"


def _function_name(arn: str) -> str:
    """``name`` from ``arn:aws:lambda:region:account:function:name[:qualifier]``."""
    parts = arn.split(":")
    return parts[6] if len(parts) > 6 else arn


def _rules(config: dict[str, Any]) -> dict[str, str]:
    rules = config.get("Filter", {}).get("Key", {}).get("FilterRules", [])
    return {str(r.get("Name", "")).lower(): str(r.get("Value", "")) for r in rules}


def _probe_uploads(s3: Any, bucket: str) -> bool | str:
    """Upload the probes one by one and compare who invoked the function with what should have."""
    def attempts(kind: str) -> int:  # S3 tried to invoke the function (s3.notify) or was refused (s3.refused)
        return sum(1 for e in timeline.entries(kind) if f":function:{THUMBNAILER}" in str(e["source"]))

    verdict: bool | str = True
    refused_before = attempts("s3.refused")
    try:
        for key, expected in PNG_PROBES.items():
            before = attempts("s3.")
            s3.put_object(Bucket=bucket, Key=key, Body=b"probe")
            invoked = attempts("s3.") > before
            if invoked and not expected and verdict is True:
                verdict = f"uploading {key!r} invoked the function too"
            if expected and not invoked and verdict is True:
                verdict = f"uploading {key!r} did not invoke the function"
        if attempts("s3.refused") > refused_before and verdict is True:
            verdict = "S3 tried, but the function's resource-based policy refused s3.amazonaws.com"
    finally:
        for key in PNG_PROBES:
            with contextlib.suppress(Exception):
                s3.delete_object(Bucket=bucket, Key=key)
        with contextlib.suppress(Exception):
            wait_idle(20)
    return verdict


@exercise(
    "03.1",
    "only PNG images under images/ trigger the thumbnailer",
    "lam.add_permission(... Principal='s3.amazonaws.com', SourceArn=the bucket's ARN ...), then "
    "s3.put_bucket_notification_configuration with Events ['s3:ObjectCreated:*'] and FilterRules "
    "prefix 'images/' and suffix '.png'",
)
def _png_only() -> bool | str:
    session = current()
    s3, lam = session.client("s3"), session.client("lambda")
    bucket = exercise_bucket(session.account_id)
    try:
        lam.get_function(FunctionName=THUMBNAILER)
    except lam.exceptions.ResourceNotFoundException:
        return f"there is no function {THUMBNAILER}: run the set-up cell above first"
    try:
        configuration = s3.get_bucket_notification_configuration(Bucket=bucket)
    except s3.exceptions.ClientError:
        return f"there is no bucket {bucket}: run the set-up cell above first"
    mine = [c for c in configuration.get("LambdaFunctionConfigurations", [])
            if _function_name(c["LambdaFunctionArn"]) == THUMBNAILER]
    if not mine:
        return f"the bucket has no notification that invokes {THUMBNAILER} yet"
    for config in mine:
        other = [e for e in config.get("Events", []) if not e.startswith("s3:ObjectCreated:")]
        if other:
            return f"{', '.join(other)} also invokes the function: only new objects should"
        rules = _rules(config)
        if rules.get("prefix") != "images/" or rules.get("suffix") != ".png":
            return (f"the notification's filter is prefix={rules.get('prefix')!r}, suffix={rules.get('suffix')!r}; "
                    "it should be prefix 'images/' and suffix '.png'")
    if session.backend != "moto":
        return True  # the configuration is right; probing needs the embedded backend's timeline
    return _probe_uploads(s3, bucket)


def _queue(sqs: Any, name: str) -> tuple[str, str] | None:
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        return None
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return str(url), str(arn)


def _probe_in_dlq(sqs: Any, dlq_url: str, body: str | None) -> bool:
    """Is the probe (or, with ``body=None``, any probe) in the dead-letter queue? Deletes what it finds."""
    found = False
    for _ in range(10):
        messages = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        for message in messages:
            if PROBE_MARK in message["Body"] and (body is None or message["Body"] == body):
                found = True
                sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            else:  # not ours: leave it where it was
                sqs.change_message_visibility(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"],
                                              VisibilityTimeout=0)
    return found


@exercise(
    "03.2",
    "a poison message ends in the dead-letter queue",
    "sqs.set_queue_attributes(QueueUrl=inbox_url, Attributes={'RedrivePolicy': json.dumps("
    "{'deadLetterTargetArn': inbox_dlq_arn, 'maxReceiveCount': 2})}), then "
    "lam.create_event_source_mapping(EventSourceArn=inbox_arn, FunctionName='nb03-picky', BatchSize=5)",
)
def _poison_to_dlq() -> bool | str:
    session = current()
    sqs, lam = session.client("sqs"), session.client("lambda")
    inbox, dlq = _queue(sqs, INBOX), _queue(sqs, INBOX_DLQ)
    if inbox is None or dlq is None:
        return f"the queues {INBOX} and {INBOX_DLQ} are not there: run the set-up cell above first"
    mappings = lam.list_event_source_mappings(EventSourceArn=inbox[1], FunctionName=PICKY)["EventSourceMappings"]
    if not mappings:
        return f"there is no event source mapping from {INBOX} to {PICKY} yet"
    mapping = mappings[0]
    if mapping.get("BatchSize") != 5:
        return f"the mapping's BatchSize is {mapping.get('BatchSize')}, not 5"
    if mapping.get("State") not in ("Enabled", "Enabling", "Creating"):
        return f"the mapping is {mapping.get('State')}: enable it"
    attributes = sqs.get_queue_attributes(QueueUrl=inbox[0], AttributeNames=["RedrivePolicy"]).get("Attributes", {})
    if not attributes.get("RedrivePolicy"):
        return f"{INBOX} has no redrive policy yet, so a poison message would come back for ever"
    policy = json.loads(attributes["RedrivePolicy"])
    if policy.get("deadLetterTargetArn") != dlq[1]:
        return f"the redrive policy sends messages to {policy.get('deadLetterTargetArn')}, not to {INBOX_DLQ}"
    if int(policy.get("maxReceiveCount", 0)) > 5:
        return "maxReceiveCount is above 5: the check would wait too long; use 2 or 3"
    if _probe_in_dlq(sqs, dlq[0], None):  # a probe from an earlier check (on AWS, redrive takes minutes)
        return True
    body = f"poison pill ({PROBE_MARK} {uuid.uuid4()})"
    sqs.send_message(QueueUrl=inbox[0], MessageBody=body)
    if session.backend == "moto":
        wait_idle(30)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if _probe_in_dlq(sqs, dlq[0], body):
            return True
        time.sleep(0.2)
    if session.backend != "moto":
        return ("the probe is not in the dead-letter queue yet; on AWS that takes visibility timeout × "
                "maxReceiveCount: run the check again in a few minutes")
    return f"the poison probe did not reach {INBOX_DLQ}"
