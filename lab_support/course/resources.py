"""Create-or-get helpers for the resources notebooks need around the lesson: roles, queues, buckets, streams…

Every helper here is plain boto3 through :func:`lab_support.current` ``.client(...)``, so it works the same on
the embedded backend and on a real account (``LAB_BACKEND=aws``). Each one is **re-runnable**: it looks the
resource up before creating it, and brings an existing one back to the state asked for, so a notebook cell that
calls it can be run again. What a helper creates carries the course tag (``course=apigw-lambda-lab``) and its
deletion is registered with ``aws.track(...)``, once per session, so ``lab.cleanup()`` removes it.

>>> from lab_support.course.resources import execution_role, queue, queue_depth
>>> role_arn = execution_role("demo-role", managed=["AWSLambdaBasicExecutionRole"])
>>> url, arn = queue("demo-queue", VisibilityTimeout=30)
>>> queue_depth(url)
0
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from lab_support.core import retry, sweep
from lab_support.core.errors import LabError
from lab_support.core.session import current

__all__ = [
    "bucket",
    "clear_mappings",
    "clear_permissions",
    "execution_role",
    "queue",
    "queue_depth",
    "stream",
    "table",
    "track_mapping",
    "trust_policy",
    "unreserved_concurrency",
]


# -- IAM: execution roles ------------------------------------------------------------------------------


def trust_policy(service: str = "lambda.amazonaws.com") -> dict[str, Any]:
    """The trust policy that lets ``service`` assume a role (``sts:AssumeRole``).

    An execution role trusts ``lambda.amazonaws.com``
    (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html). Creates nothing.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def _managed_arn(iam: Any, partition: str, policy: str) -> str:
    """The ARN of an AWS managed policy given by ARN or by name.

    Lambda's execution policies live under ``service-role/`` (``AWSLambdaBasicExecutionRole``, …), others at the
    root (``AmazonDynamoDBFullAccess``): a bare name is looked up under ``service-role/`` first.
    """
    if policy.startswith("arn:"):
        return policy
    for path in ("service-role/", ""):
        arn = f"arn:{partition}:iam::aws:policy/{path}{policy}"
        try:
            iam.get_policy(PolicyArn=arn)
            return arn
        except iam.exceptions.NoSuchEntityException:
            continue

    raise LabError(f"There is no AWS managed policy named {policy!r}.",
                   "check the name in the IAM console (Policies, type 'AWS managed'), or pass the policy's ARN.")


def _delete_role(iam: Any, name: str) -> None:
    """Delete a role with its attached and inline policies (IAM refuses to delete a role that has any)."""
    sweep.delete_role(iam, name)  # False when gone already: fine


def execution_role(
    name: str,
    *,
    managed: Iterable[str] = (),
    inline: Mapping[str, Mapping[str, Any] | str] | None = None,
    trust_service: str = "lambda.amazonaws.com",
) -> str:
    """Create the IAM role ``name`` (or find it) with exactly these policies, and return its ARN.

    Args:
        name: the role's name.
        managed: AWS managed policies to attach, by name (``"AWSLambdaBasicExecutionRole"``) or ARN.
        inline: inline policies, ``{policy name: policy document}`` (a dict or JSON text).
        trust_service: the service principal the trust policy lets assume the role
            (default ``lambda.amazonaws.com``: an execution role).

    Re-runnable: an existing role gets its trust policy set again, and exactly the ``managed`` and ``inline``
    policies given, so whatever was attached or added since (by hand, or by a later cell) is removed. A new role
    is tagged with the course tag; its deletion (policies first) is registered with ``aws.track``.
    """
    session = current()
    iam = session.client("iam")
    trust = json.dumps(trust_policy(trust_service))
    try:
        arn = str(iam.get_role(RoleName=name)["Role"]["Arn"])
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust)
    except iam.exceptions.NoSuchEntityException:
        arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, Tags=session.tag_list)["Role"]["Arn"])
    session.track(f"IAM role {name}", lambda: _delete_role(iam, name), once=True)

    partition = arn.split(":")[1]
    wanted = {_managed_arn(iam, partition, p) for p in managed}
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
    for policy_arn in sorted(attached - wanted):
        iam.detach_role_policy(RoleName=name, PolicyArn=policy_arn)
    for policy_arn in sorted(wanted - attached):
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)

    documents = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (inline or {}).items()}
    for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        if policy_name not in documents:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    for policy_name, document in documents.items():
        iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=document)
    return arn


# -- SQS: queues ---------------------------------------------------------------------------------------


def queue(name: str, *, purge: bool = True, **attributes: Any) -> tuple[str, str]:
    """Create the SQS queue ``name`` (or find it), set ``attributes``, empty it, and return ``(url, arn)``.

    ``attributes`` are SetQueueAttributes names (``VisibilityTimeout=30``, ``RedrivePolicy=json.dumps(...)``;
    an empty ``RedrivePolicy=""`` removes the redrive policy); values are sent as strings
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
    With ``purge`` (the default) an existing queue is emptied, so a re-run starts from no messages; AWS allows one
    purge a minute per queue (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_PurgeQueue.html),
    and a purge refused for that reason is ignored.

    Re-runnable. A new queue is tagged with the course tag; its deletion is registered with ``aws.track``.
    """
    session = current()
    sqs = session.client("sqs")
    try:
        url = str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist:
        url = str(sqs.create_queue(QueueName=name, tags=session.tags)["QueueUrl"])
        purge = False  # a new queue is empty: keep the one purge a minute for a re-run

    def delete() -> None:
        with contextlib.suppress(sqs.exceptions.QueueDoesNotExist):  # already gone
            sqs.delete_queue(QueueUrl=url)

    session.track(f"SQS queue {name}", delete, once=True)
    if attributes:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={k: str(v) for k, v in attributes.items()})
    if purge:
        with contextlib.suppress(sqs.exceptions.PurgeQueueInProgress):  # purged less than a minute ago
            sqs.purge_queue(QueueUrl=url)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, str(arn)


def queue_depth(url: str) -> int:
    """How many messages the queue holds: visible ones plus those in flight (received, not yet deleted).

    Both counts are approximate on AWS
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html).
    Reads only; creates nothing.
    """
    attributes = current().client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


# -- S3: buckets ---------------------------------------------------------------------------------------


def _empty_and_delete_bucket(s3: Any, name: str) -> None:
    """Delete every object (and version), then the bucket: S3 refuses to delete a bucket that is not empty."""
    sweep.empty_and_delete_bucket(s3, name)  # False when gone already: fine


def bucket(name: str) -> str:
    """Create the S3 bucket ``name`` unless this account has it already; returns the name.

    Bucket names are global on AWS: name it ``aws.unique_name("nb02-uploads")`` (the account id on the embedded
    backend, a short hash of account and Region on AWS), so it cannot collide with anyone's. Outside ``us-east-1`` the
    bucket is created in the session's Region (``LocationConstraint``). Re-runnable: an existing bucket is kept
    with its objects. A new bucket is tagged with the course tag; its deletion (objects first) is registered
    with ``aws.track``.
    """
    import botocore.exceptions

    session = current()
    s3 = session.client("s3")
    try:
        s3.head_bucket(Bucket=name)
    except botocore.exceptions.ClientError as err:
        if err.response["Error"]["Code"] in ("403", "AccessDenied"):
            raise LabError(f"The S3 bucket name {name!r} belongs to another AWS account (bucket names are global).",
                           "name the bucket with aws.unique_name(...), e.g. bucket(aws.unique_name('nb02-uploads')).") \
                from None
        if err.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
            raise
        extra = {} if session.region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": session.region}}
        s3.create_bucket(Bucket=name, **extra)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": session.tag_list})
    session.track(f"S3 bucket {name}", lambda: _empty_and_delete_bucket(s3, name), once=True)
    return name


# -- DynamoDB: tables ----------------------------------------------------------------------------------


def table(name: str, *, key: str = "id", key_type: str = "S") -> str:
    """Create the on-demand DynamoDB table ``name`` with partition key ``key`` (or find it); returns its ARN.

    ``key_type`` is ``"S"`` (string), ``"N"`` (number) or ``"B"`` (binary). Waits until the table is
    ``ACTIVE``. Re-runnable: an existing table is kept with its items. A new table is tagged with the course
    tag; its deletion is registered with ``aws.track``.
    """
    session = current()
    ddb = session.client("dynamodb")
    try:
        arn = str(ddb.describe_table(TableName=name)["Table"]["TableArn"])
    except ddb.exceptions.ResourceNotFoundException:
        arn = str(ddb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST", Tags=session.tag_list,
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": key_type}],
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        )["TableDescription"]["TableArn"])
        ddb.get_waiter("table_exists").wait(TableName=name)

    def delete() -> None:
        with contextlib.suppress(ddb.exceptions.ResourceNotFoundException):  # already gone
            ddb.delete_table(TableName=name)

    session.track(f"DynamoDB table {name}", delete, once=True)
    return arn


# -- Kinesis: streams ----------------------------------------------------------------------------------


def stream(name: str, *, shards: int = 1, fresh: bool = False) -> str:
    """Create the Kinesis data stream ``name`` with ``shards`` shards (or find it); returns its ARN.

    With ``fresh=True`` an existing stream is deleted and created again, so it starts empty (records stay in a
    stream until they expire, whoever read them). Waits until the stream is ``ACTIVE``. Re-runnable. A new
    stream is tagged with the course tag; its deletion is registered with ``aws.track``.
    """
    session = current()
    kinesis = session.client("kinesis")
    try:
        kinesis.describe_stream_summary(StreamName=name)
        exists = True
    except kinesis.exceptions.ResourceNotFoundException:
        exists = False
    if exists and fresh:
        kinesis.delete_stream(StreamName=name)
        kinesis.get_waiter("stream_not_exists").wait(StreamName=name)
        exists = False

    def delete() -> None:
        with contextlib.suppress(kinesis.exceptions.ResourceNotFoundException):  # already gone
            kinesis.delete_stream(StreamName=name)

    if not exists:
        # Tagged as it is created and tracked before the wait: a stream is billed by the shard-hour, so one that an
        # interrupted cell leaves behind must still be found by the clean-up
        kinesis.create_stream(StreamName=name, ShardCount=shards, Tags=session.tags)
        session.track(f"Kinesis stream {name}", delete, once=True)
        kinesis.get_waiter("stream_exists").wait(StreamName=name)
        kinesis.add_tags_to_stream(StreamName=name, Tags=session.tags)  # the embedded backend ignores Tags= above

    session.track(f"Kinesis stream {name}", delete, once=True)
    return str(kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"])


# -- Lambda: event source mappings and resource-based policies ----------------------------------------------


def clear_mappings(function_name: str) -> int:
    """Delete every event source mapping of ``function_name``; returns how many there were.

    A cell that creates a mapping calls this first, so running it again does not add a second poller.
    Re-runnable (no mapping, or no function, is fine); creates nothing.
    """
    lam = current().client("lambda")
    uuids = [m["UUID"]
             for page in lam.get_paginator("list_event_source_mappings").paginate(FunctionName=function_name)
             for m in page["EventSourceMappings"]]
    for uuid in uuids:
        _delete_mapping(lam, uuid)
    return len(uuids)


def _delete_mapping(lam: Any, uuid: str) -> None:
    """Delete a mapping; one still ``Creating`` or ``Updating`` (ResourceInUseException) is waited for."""
    with contextlib.suppress(lam.exceptions.ResourceNotFoundException):  # deleted meanwhile
        retry.retrying(lambda: lam.delete_event_source_mapping(UUID=uuid),
                       retry_on=lambda e: retry.error_code(e) == "ResourceInUseException",
                       what=f"the event source mapping {uuid} to finish changing state")


def track_mapping(mapping: Mapping[str, Any], label: str | None = None) -> Mapping[str, Any]:
    """Register the deletion of an event source mapping (the response of ``create_event_source_mapping``).

    Mappings have no name, so the notebook creates them itself and passes the response here; ``label`` (say
    ``"nb03-orders -> nb03-order-worker"``) names it in cleanup messages. It does not tag the mapping, which
    exists already: pass ``Tags=aws.tags`` to ``create_event_source_mapping`` for that.
    Re-runnable: a mapping is tracked once; one already deleted when ``lab.cleanup()`` runs is fine.
    Returns ``mapping``.
    """
    session = current()
    lam = session.client("lambda")
    uuid = str(mapping["UUID"])

    def delete() -> None:
        _delete_mapping(lam, uuid)

    session.track(f"event source mapping {label + ' ' if label else ''}({uuid})", delete, once=True)
    return mapping


def clear_permissions(function_name: str) -> int:
    """Remove every statement from the function's resource-based policy; returns how many there were.

    A set-up cell calls this so that an exercise about ``add_permission`` starts unsolved on every run.
    Re-runnable (a function without a policy is fine); creates nothing.
    """
    lam = current().client("lambda")
    try:
        statements = json.loads(lam.get_policy(FunctionName=function_name)["Policy"])["Statement"]
    except lam.exceptions.ResourceNotFoundException:
        return 0  # no policy yet
    for statement in statements:
        lam.remove_permission(FunctionName=function_name, StatementId=statement["Sid"])
    return len(statements)


def unreserved_concurrency() -> int | None:
    """The account's unreserved concurrent executions (``GetAccountSettings``), or ``None`` when the endpoint does not
    answer that call (the embedded backend and ``lab_support serve`` do not).

    Lambda keeps at least 10 unreserved, so an account whose total is 10, as new accounts often have, cannot reserve
    any (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
    """
    lam = current().client("lambda")
    try:
        return int(lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"])
    except ClientError:
        return None
