"""Push sources: S3 event notifications and SNS subscriptions invoke a function asynchronously.

AWS services that push events invoke the function *asynchronously* and as
themselves, so the function's resource-based policy must allow them
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html,
https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html).
Here that is ``lab_support.embedded.lambda_.invoke(..., invocation_type="Event", caller=Caller(
principal="s3.amazonaws.com", source_arn=bucket_arn, source_account=account))``: Lambda checks the
policy and hands the event to :mod:`lab_support.embedded.lambda_.async_invoke`.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from lab_support.core import timeline
from lab_support.embedded import moto_state as util
from lab_support.embedded.lambda_ import Caller, InvokeError, invoke

_SEQUENCER = itertools.count(int(time.time() * 1000) << 8)
_SEQ_LOCK = threading.Lock()
# Placeholder identities (AWS fills in the caller's principal id and the bucket owner's id).
REQUESTER_PRINCIPAL = "AWS:AIDAEXAMPLEPRINCIPAL"
OWNER_PRINCIPAL = "A3NL1KOZZKEXAMPLE"
SOURCE_IP = "127.0.0.1"


def push(function_arn: str, event: dict[str, Any], *, principal: str, source_arn: str, source_account: str,
         source: str) -> str | None:
    """Invoke ``function_arn`` asynchronously as ``principal``; returns the request id or None if refused."""
    payload = json.dumps(event).encode()
    qualifier = None
    parts = function_arn.split(":")
    if len(parts) == 8:  # arn:aws:lambda:region:account:function:name:qualifier
        qualifier = parts[7]
        function_arn = ":".join(parts[:7])
    caller = Caller(principal=principal, source_arn=source_arn, source_account=source_account)
    try:
        result = invoke(function_arn, payload, qualifier=qualifier, invocation_type="Event", caller=caller)
    except InvokeError as err:  # InvokeDenied, ResourceNotFound, RequestTooLarge: AWS drops the event
        timeline.record(f"{source}.refused", function_arn, principal=principal, source_arn=source_arn,
                        error=f"{type(err).__name__}: {err}")
        return None
    request_id = result.request_id
    timeline.record(f"{source}.notify", function_arn, principal=principal, source_arn=source_arn,
                    request_id=request_id)
    return request_id


# ---------------------------------------------------------------------------- S3
def s3_key(key_name: str) -> str:
    """The object key as S3 puts it in an event: URL-encoded, spaces as '+', '/' kept.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
    ("The s3 key provides information about the bucket and object involved in the event.
    The object key name value is URL encoded.")
    """
    return quote_plus(key_name, safe="/")


def _sequencer() -> str:
    with _SEQ_LOCK:
        return format(next(_SEQUENCER), "018X")


def s3_event(event_name: str, bucket: Any, key: Any, configuration_id: str) -> dict[str, Any]:
    """One S3 event record in the documented shape (notification-content-structure.html)."""
    name = event_name[3:] if event_name.startswith("s3:") else event_name
    obj: dict[str, Any] = {"key": s3_key(key.name)}
    if not name.startswith("ObjectRemoved"):
        obj["size"] = key.size
        obj["eTag"] = key.etag.replace('"', "")
    version = getattr(key, "version_id", None)
    if version and version != "null" and getattr(bucket, "is_versioned", False):
        obj["versionId"] = version
    obj["sequencer"] = _sequencer()
    now = datetime.now(UTC)
    return {"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket.region_name,
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "eventName": name,
        "userIdentity": {"principalId": REQUESTER_PRINCIPAL},
        "requestParameters": {"sourceIPAddress": SOURCE_IP},
        "responseElements": {
            "x-amz-request-id": os.urandom(8).hex().upper(),
            "x-amz-id-2": os.urandom(24).hex(),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket.name,
                "ownerIdentity": {"principalId": OWNER_PRINCIPAL},
                "arn": bucket.arn,
            },
            "object": obj,
        },
    }]}


def s3_send_event(account_id: str, event_name: Any, bucket: Any, key: Any, original: Any) -> None:
    """Replacement for ``moto.s3.notifications.send_event``: Lambda targets are invoked
    asynchronously as s3.amazonaws.com; queue, topic and EventBridge targets keep moto's code
    (with the corrected event shape)."""
    config = bucket.notification_configuration
    if config is None:
        return
    name = getattr(event_name, "value", event_name)
    for notification in config.cloud_function:
        if notification.matches(name, key.name):
            event = s3_event(name, bucket, key, notification.id)
            push(notification.arn, event, principal="s3.amazonaws.com", source_arn=bucket.arn,
                 source_account=account_id, source="s3")
    saved = config.cloud_function
    try:
        config.cloud_function = []
        original(account_id, event_name, bucket, key)
    finally:
        config.cloud_function = saved


# ---------------------------------------------------------------------------- SNS
def sns_event(subscription: Any, message: str, message_id: str, subject: str | None,
              message_attributes: dict[str, Any] | None) -> dict[str, Any]:
    """The SNS → Lambda event (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html)."""
    topic_arn = subscription.topic.arn
    region = topic_arn.split(":")[3]
    now = datetime.now(UTC)
    attributes = {
        name: {"Type": value.get("Type", value.get("DataType", "String")),
               "Value": value.get("Value", value.get("StringValue"))}
        for name, value in (message_attributes or {}).items()
    }
    return {"Records": [{
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription.arn,
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": "1",
            "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "Signature": "EXAMPLE",
            "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-EXAMPLE.pem",
            "MessageId": message_id,
            "Message": message,
            "MessageAttributes": attributes,
            "Type": "Notification",
            "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription.arn}",
            "TopicArn": topic_arn,
            "Subject": subject,
        },
    }]}


def sns_publish(subscription: Any, message: str, message_id: str, subject: str | None = None,
                message_attributes: dict[str, Any] | None = None, message_structure: str | None = None) -> None:
    """A lambda-protocol subscription: filter, then invoke asynchronously as sns.amazonaws.com."""
    if subscription._filter_policy_matcher is not None and not subscription._filter_policy_matcher.matches(
        message_attributes, message
    ):
        return
    if message_structure == "json":
        message = subscription._parse_message_structure(message, subscription.protocol)
    event = sns_event(subscription, message, message_id, subject, message_attributes)
    topic_arn = subscription.topic.arn
    push(subscription.endpoint, event, principal="sns.amazonaws.com", source_arn=topic_arn,
         source_account=util.account_region(topic_arn)[0], source="sns")
