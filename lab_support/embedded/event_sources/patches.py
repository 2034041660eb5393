"""Every change this package makes to moto, in one place.

moto 5.2.5 runs S3/SNS/SQS/Kinesis/DynamoDB-stream triggers inline, inside
put_object/publish/send_message/put_record, one record per invocation
(docs: /work/shared/notes/moto-facts.md). The patches below make them behave as
AWS does; each checks :data:`ACTIVE` and falls back to moto's code when no lab
session runs. They are applied once per process and never removed.

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

import functools
import json
from typing import Any

from lab_support.embedded import moto_state as util
from lab_support.embedded.event_sources import pollers, push

ACTIVE = False
_APPLIED = False

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
    try:
        from lab_support.embedded.iam.policy import Decision, evaluate
    except ImportError:  # the pure evaluator is not there: use moto's
        from moto.iam.access_control import IAMPolicy, PermissionResult

        results = [IAMPolicy(json.dumps(p)).is_action_permitted(action, resource) for p in policies]
        return PermissionResult.DENIED not in results and PermissionResult.PERMITTED in results
    return evaluate(policies, action, resource) == Decision.ALLOW


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


# ------------------------------------------------------------------ apply
def apply() -> None:
    """Install the patches (idempotent)."""
    global _APPLIED
    if _APPLIED:
        return
    _APPLIED = True

    from moto.awslambda.models import LambdaBackend, LambdaFunction
    from moto.dynamodb.models.table import StreamShard
    from moto.kinesis.models import Stream
    from moto.s3 import notifications
    from moto.sns.models import Subscription
    from moto.sqs.models import Queue

    # 1. S3 notifications
    original_send_event = notifications.send_event

    @functools.wraps(original_send_event)
    def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        if not ACTIVE:
            return original_send_event(account_id, event_name, bucket, key)
        push.s3_send_event(account_id, event_name, bucket, key, original_send_event)

    notifications.send_event = send_event
    # the queue/topic targets use _get_s3_event: give them the documented shape too
    notifications._get_s3_event = lambda name, bucket, key, nid: push.s3_event(name, bucket, key, nid)

    # 2. SNS → Lambda
    original_publish = Subscription.publish

    @functools.wraps(original_publish)
    def publish(self: Any, message: str, message_id: str, subject: str | None = None,
                message_attributes: dict[str, Any] | None = None, group_id: str | None = None,
                deduplication_id: str | None = None, message_structure: str | None = None) -> None:
        if not ACTIVE or self.protocol != "lambda":
            return original_publish(self, message, message_id, subject, message_attributes, group_id,
                                    deduplication_id, message_structure)
        push.sns_publish(self, message, message_id, subject, message_attributes, message_structure)

    Subscription.publish = publish

    # 3-5. event source mappings
    original_create = LambdaBackend.create_event_source_mapping

    @functools.wraps(original_create)
    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        if not ACTIVE:
            return original_create(self, spec)
        validate_mapping(self, spec)
        esm = original_create(self, spec)
        _detach_from_moto(esm)
        pollers.start_poller(esm)
        return esm

    LambdaBackend.create_event_source_mapping = create_event_source_mapping

    original_delete = LambdaBackend.delete_event_source_mapping

    @functools.wraps(original_delete)
    def delete_event_source_mapping(self: Any, uuid: str) -> Any:
        esm = original_delete(self, uuid)
        pollers.stop_poller(uuid)
        return esm

    LambdaBackend.delete_event_source_mapping = delete_event_source_mapping

    original_update = LambdaBackend.update_event_source_mapping

    @functools.wraps(original_update)
    def update_event_source_mapping(self: Any, uuid: str, spec: dict[str, Any]) -> Any:
        esm = original_update(self, uuid, spec)
        pollers.wake()
        return esm

    LambdaBackend.update_event_source_mapping = update_event_source_mapping

    # 6. wake pollers when records arrive
    original_add_message = Queue.add_message

    @functools.wraps(original_add_message)
    def add_message(self: Any, message: Any) -> None:
        original_add_message(self, message)
        if ACTIVE:
            pollers.wake()

    Queue.add_message = add_message

    original_put_record = Stream.put_record

    @functools.wraps(original_put_record)
    def put_record(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original_put_record(self, *args, **kwargs)
        if ACTIVE:
            pollers.wake()
        return result

    Stream.put_record = put_record

    original_shard_add = StreamShard.add

    @functools.wraps(original_shard_add)
    def shard_add(self: Any, old: Any, new: Any) -> None:
        original_shard_add(self, old, new)
        if ACTIVE:
            pollers.wake()

    StreamShard.add = shard_add

    # 7. DeadLetterConfig
    original_init = LambdaFunction.__init__

    @functools.wraps(original_init)
    def function_init(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.lab_dead_letter_config = dict(spec.get("DeadLetterConfig") or {})

    LambdaFunction.__init__ = function_init

    original_update_configuration = LambdaFunction.update_configuration

    @functools.wraps(original_update_configuration)
    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            self.lab_dead_letter_config = dict(config_updates["DeadLetterConfig"] or {})
        return original_update_configuration(self, config_updates)  # type: ignore[no-any-return]

    LambdaFunction.update_configuration = update_configuration

    original_get_configuration = LambdaFunction.get_configuration

    @functools.wraps(original_get_configuration)
    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_get_configuration(self, *args, **kwargs)
        dlq = getattr(self, "lab_dead_letter_config", None)
        if dlq and dlq.get("TargetArn"):
            config["DeadLetterConfig"] = {"TargetArn": dlq["TargetArn"]}
        return config  # type: ignore[no-any-return]

    LambdaFunction.get_configuration = get_configuration

    # 8. one event-invoke config per function
    original_put_config = LambdaBackend.put_function_event_invoke_config

    @functools.wraps(original_put_config)
    def put_function_event_invoke_config(self: Any, function_name: str, config: dict[str, Any]) -> Any:
        fn = self.get_function(function_name)
        previous = list(fn.event_invoke_config)
        fn.event_invoke_config = []
        try:
            return original_put_config(self, function_name, config)
        except Exception:
            fn.event_invoke_config = previous
            raise

    LambdaBackend.put_function_event_invoke_config = put_function_event_invoke_config
