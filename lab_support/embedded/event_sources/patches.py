"""Every change this package makes to moto, in one place.

moto 5.2.5 runs S3/SNS/SQS/Kinesis/DynamoDB-stream triggers inline, inside
put_object/publish/send_message/put_record, one record per invocation
(docs: /work/shared/notes/moto-facts.md). The patches below make them behave as
AWS does. They are declared in :data:`PATCHES` (:mod:`lab_support.core.patching`), applied
when their moto module is first imported during a session, and undone by ``lab.stop()``.

1. ``moto.s3.notifications.send_event``: Lambda targets → :func:`.push.s3_send_event`
   (async, documented event shape, key encoding); queue/topic/EventBridge targets keep
   moto's code.
2. ``moto.sns.models.Subscription.publish``: ``lambda`` protocol → :func:`.push.sns_publish`.
3. ``LambdaBackend.create_event_source_mapping``: AWS's validation first (execution role
   permissions for SQS, Kinesis and DynamoDB streams, SQS visibility timeout ≥ function timeout); then the mapping is detached
   from moto's inline trigger lists and served by a poller thread.
4. ``LambdaBackend.delete_event_source_mapping``: stops the poller.
5. ``LambdaBackend.update_event_source_mapping``: wakes the pollers (Enabled, BatchSize…
   are read live from the mapping).
6. ``sqs Queue.add_message``, ``kinesis Stream.put_record``, ``dynamodb StreamShard.add``:
   wake the pollers after moto stores the record.
7. ``LambdaFunction.__init__`` / ``update_configuration`` / ``get_configuration``: keep and
   return ``DeadLetterConfig`` (moto drops it).
8. ``LambdaBackend.put_function_event_invoke_config``: replace, don't append, so the latest
   configuration is the one in force (moto keeps a list and reads the first).
"""

from __future__ import annotations

import json
from typing import Any

from lab_support.core import patching
from lab_support.embedded import moto_state as util
from lab_support.embedded.event_sources import pollers, push
from lab_support.embedded.iam.policy import Decision, evaluate

SQS_ACTIONS = ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")


def _invalid(message: str) -> Exception:
    from moto.awslambda.exceptions import InvalidParameterValueException

    return InvalidParameterValueException(message)


# ------------------------------------------------------------------ validation
def _role_policies(role_arn: str) -> list[Any] | None:
    """The role's identity policies as JSON documents, or None if the role is unknown."""
    from moto.iam.models import iam_backends

    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else util.session_account_region()[0]
    backend = iam_backends[account]["global"]
    role = next((r for r in backend.roles.values() if r.arn == role_arn), None)
    if role is None:
        return None
    documents: list[Any] = list(role.policies.values())
    for managed in role.managed_policies.values():
        version = next((v for v in managed.versions if v.is_default), None)
        if version is not None:
            documents.append(version.document)
    return [json.loads(d) if isinstance(d, str) else d for d in documents]


def role_allows(role_arn: str, action: str, resource: str) -> bool | None:
    """Does the role's identity policy allow ``action`` on ``resource``? None if the role is unknown."""
    policies = _role_policies(role_arn)
    if policies is None:
        return None
    return evaluate(policies, action, resource) is Decision.ALLOW


def validate_mapping(backend: Any, spec: dict[str, Any]) -> None:
    """What CreateEventSourceMapping checks for an SQS queue before it accepts the mapping.

    Error texts as AWS returns them (seen in user reports, e.g.
    https://github.com/winglang/wing/issues/1507 "Queue visibility timeout: 30 seconds is less
    than Function timeout: 60 seconds", and "The provided execution role does not have
    permissions to call ReceiveMessage on SQS"); the rule itself is in
    https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html (execution role needs
    sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes; visibility timeout at least the
    function timeout).
    """
    source = str(spec.get("EventSourceArn") or "")
    if ":kinesis:" in source or (":dynamodb:" in source and "/stream/" in source):
        _validate_stream_mapping(backend, spec, source)
        return
    if ":sqs:" not in source:
        return
    queue = util.sqs_queue_by_arn(source)
    if queue is None:
        return
    try:
        fn = backend.get_function(spec["FunctionName"])
    except Exception:
        return  # moto raises its own ResourceNotFoundException next
    for action in SQS_ACTIONS:
        if role_allows(fn.role, f"sqs:{action}", source) is False:
            raise _invalid(f"The provided execution role does not have permissions to call {action} on SQS")
    visibility = int(queue.visibility_timeout or 30)
    timeout = int(fn.timeout or 3)
    if visibility < timeout:
        raise _invalid(
            f"Queue visibility timeout: {visibility} seconds is less than Function timeout: {timeout} seconds"
        )


# What a stream poller needs, as in the managed policies AWSLambdaKinesisExecutionRole and
# AWSLambdaDynamoDBExecutionRole (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html,
# https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html: execution role permissions).
KINESIS_ACTIONS = ("GetRecords", "GetShardIterator", "DescribeStream", "ListShards", "ListStreams")
DYNAMODB_STREAM_ACTIONS = ("GetRecords", "GetShardIterator", "DescribeStream", "ListStreams")


def _validate_stream_mapping(backend: Any, spec: dict[str, Any], source: str) -> None:
    """CreateEventSourceMapping for a Kinesis or DynamoDB stream: the execution role must be able to read it.

    AWS's answer (InvalidParameterValueException) names the stream, for both kinds, e.g.
    https://github.com/aws-samples/cross-account-amazon-dynamodb-replication/issues/11 (Kinesis) and
    https://github.com/awsdocs/aws-lambda-developer-guide/issues/237 (DynamoDB): "Cannot access stream <ARN>.
    Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, ListShards, and
    ListStreams Actions on your stream in IAM." (older reports, e.g.
    https://github.com/awslabs/dynamodb-continuous-backup/issues/39, show the same text without ListShards).
    There is no "… does not have permissions to call GetRecords on Kinesis" text as for SQS.
    """
    try:
        fn = backend.get_function(spec["FunctionName"])
    except Exception:
        return  # moto raises its own ResourceNotFoundException next
    service, actions = ("kinesis", KINESIS_ACTIONS) if ":kinesis:" in source else ("dynamodb", DYNAMODB_STREAM_ACTIONS)
    if any(role_allows(fn.role, f"{service}:{action}", source) is False for action in actions):
        raise _invalid(
            f"Cannot access stream {source}. Please ensure the role can perform the GetRecords, GetShardIterator, "
            "DescribeStream, ListShards, and ListStreams Actions on your stream in IAM."
        )


def _detach_from_moto(esm: Any) -> None:
    """Remove the mapping from the lists moto's inline triggers walk."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.kinesis.models import kinesis_backends
    from moto.sqs.models import sqs_backends

    account, region = esm.account_id, esm.region
    for queue in sqs_backends[account][region].queues.values():
        for key, value in list(queue.lambda_event_source_mappings.items()):
            if value is esm:
                del queue.lambda_event_source_mappings[key]
    for stream in kinesis_backends[account][region].streams.values():
        for key, value in list(stream.lambda_event_source_mappings.items()):
            if value is esm:
                del stream.lambda_event_source_mappings[key]
    for table in dynamodb_backends[account][region].tables.values():
        for key, value in list(table.lambda_event_source_mappings.items()):
            if value is esm:
                del table.lambda_event_source_mappings[key]


# ------------------------------------------------------------------ the patches
# 1. S3 notifications
def _wrap_send_event(original: Any) -> Any:
    def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        push.s3_send_event(account_id, event_name, bucket, key, original)

    return send_event


def _get_s3_event(event_name: Any, bucket: Any, key: Any, notification_id: Any) -> Any:
    """The queue/topic targets use ``_get_s3_event``: give them the documented shape too."""
    return push.s3_event(event_name, bucket, key, notification_id)


# 2. SNS → Lambda (on top of iam's permission check, when that is applied)
def _wrap_sns_publish(original: Any) -> Any:
    def publish(self: Any, message: str, message_id: str, subject: str | None = None,
                message_attributes: dict[str, Any] | None = None, group_id: str | None = None,
                deduplication_id: str | None = None, message_structure: str | None = None) -> None:
        if self.protocol != "lambda":
            return original(self, message, message_id, subject, message_attributes, group_id,  # type: ignore[no-any-return]
                            deduplication_id, message_structure)
        push.sns_publish(self, message, message_id, subject, message_attributes, message_structure)

    return publish


# 3-5. event source mappings
def _wrap_create_event_source_mapping(original: Any) -> Any:
    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        validate_mapping(self, spec)
        esm = original(self, spec)
        _detach_from_moto(esm)
        pollers.start_poller(esm)
        return esm

    return create_event_source_mapping


def _wrap_delete_event_source_mapping(original: Any) -> Any:
    def delete_event_source_mapping(self: Any, uuid: str) -> Any:
        esm = original(self, uuid)
        pollers.stop_poller(uuid)
        return esm

    return delete_event_source_mapping


def _wrap_update_event_source_mapping(original: Any) -> Any:
    def update_event_source_mapping(self: Any, uuid: str, spec: dict[str, Any]) -> Any:
        esm = original(self, uuid, spec)
        pollers.wake()
        return esm

    return update_event_source_mapping


# 6. wake pollers when records arrive
def _wrap_add_message(original: Any) -> Any:
    def add_message(self: Any, message: Any) -> None:
        original(self, message)
        pollers.wake()

    return add_message


def _wrap_put_record(original: Any) -> Any:
    def put_record(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        pollers.wake()
        return result

    return put_record


def _wrap_shard_add(original: Any) -> Any:
    def add(self: Any, old: Any, new: Any) -> None:
        original(self, old, new)
        pollers.wake()

    return add


# 7. DeadLetterConfig
def _wrap_function_init(original: Any) -> Any:
    def __init__(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original(self, account_id, spec, *args, **kwargs)
        self.lab_dead_letter_config = dict(spec.get("DeadLetterConfig") or {})

    return __init__


def _wrap_update_configuration(original: Any) -> Any:
    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            self.lab_dead_letter_config = dict(config_updates["DeadLetterConfig"] or {})
        return original(self, config_updates)  # type: ignore[no-any-return]

    return update_configuration


def _wrap_get_configuration(original: Any) -> Any:
    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original(self, *args, **kwargs)
        dlq = getattr(self, "lab_dead_letter_config", None)
        if dlq and dlq.get("TargetArn"):
            config["DeadLetterConfig"] = {"TargetArn": dlq["TargetArn"]}
        return config  # type: ignore[no-any-return]

    return get_configuration


# 8. one event-invoke config per function
def _wrap_put_function_event_invoke_config(original: Any) -> Any:
    def put_function_event_invoke_config(self: Any, function_name: str, config: dict[str, Any]) -> Any:
        fn = self.get_function(function_name)
        previous = list(fn.event_invoke_config)
        fn.event_invoke_config = []
        try:
            return original(self, function_name, config)
        except Exception:
            fn.event_invoke_config = previous
            raise

    return put_function_event_invoke_config


_LAMBDA = "moto.awslambda.models"
PATCHES = patching.group("event_sources", [
    patching.Patch("moto.s3.notifications:send_event", wrap=_wrap_send_event,
                   signature=["account_id", "event_name", "bucket", "key"],
                   why="Lambda targets: asynchronous invocation, documented event shape (queue/topic targets keep moto's)"),
    patching.Patch("moto.s3.notifications:_get_s3_event", replacement=_get_s3_event,
                   signature=["event_name", "bucket", "key", "notification_id"],
                   why="the documented S3 event shape for queue/topic targets too"),
    patching.Patch("moto.sns.models:Subscription.publish", wrap=_wrap_sns_publish, stacks_on=("iam",),
                   signature=["self", "message", "message_id", "subject", "message_attributes", "group_id",
                              "deduplication_id", "message_structure"],
                   why="`lambda` protocol: asynchronous invocation as sns.amazonaws.com"),
    patching.Patch(f"{_LAMBDA}:LambdaBackend.create_event_source_mapping", wrap=_wrap_create_event_source_mapping,
                   signature=["self", "spec"],
                   why="AWS's validation; the mapping is served by a poller thread, not moto's inline trigger"),
    patching.Patch(f"{_LAMBDA}:LambdaBackend.delete_event_source_mapping", wrap=_wrap_delete_event_source_mapping,
                   signature=["self", "uuid"], why="stops the poller"),
    patching.Patch(f"{_LAMBDA}:LambdaBackend.update_event_source_mapping", wrap=_wrap_update_event_source_mapping,
                   signature=["self", "uuid", "spec"], why="wakes the pollers"),
    patching.Patch("moto.sqs.models:Queue.add_message", wrap=_wrap_add_message, signature=["self", "message"],
                   why="wakes the pollers"),
    patching.Patch("moto.kinesis.models:Stream.put_record", wrap=_wrap_put_record,
                   signature=["self", "partition_key", "explicit_hash_key", "data"], why="wakes the pollers"),
    patching.Patch("moto.dynamodb.models.table:StreamShard.add", wrap=_wrap_shard_add, signature=["self", "old", "new"],
                   why="wakes the pollers"),
    patching.Patch(f"{_LAMBDA}:LambdaFunction.__init__", wrap=_wrap_function_init,
                   signature=["self", "account_id", "spec", "region", "version"], why="keeps DeadLetterConfig"),
    patching.Patch(f"{_LAMBDA}:LambdaFunction.update_configuration", wrap=_wrap_update_configuration,
                   signature=["self", "config_updates"], why="keeps DeadLetterConfig"),
    patching.Patch(f"{_LAMBDA}:LambdaFunction.get_configuration", wrap=_wrap_get_configuration,
                   signature=["self", "on_create"], why="returns DeadLetterConfig"),
    patching.Patch(f"{_LAMBDA}:LambdaBackend.put_function_event_invoke_config",
                   wrap=_wrap_put_function_event_invoke_config, signature=["self", "function_name", "config"],
                   why="replaces the configuration (moto appends and reads the first)"),
])


def apply() -> None:
    """Request the patches (idempotent; each is applied when its moto module is imported, undone by ``lab.stop()``)."""
    patching.apply(PATCHES)
