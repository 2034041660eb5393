"""lab_support.course.resources: create-or-get helpers are re-runnable, tagged, tracked, and removed by the cleanup.

Also the log reading next to them in lab_support.course.lambda_output (now_ms, handler_output, masked).
"""

from __future__ import annotations

import json

import boto3
import pytest

import lab_support as lab
from lab_support.course.lambda_output import handler_output, masked, now_ms
from lab_support.course.resources import (
    bucket,
    clear_mappings,
    clear_permissions,
    execution_role,
    queue,
    queue_depth,
    stream,
    table,
    track_mapping,
)

COURSE = {"Key": lab.COURSE_TAG_KEY, "Value": lab.COURSE_TAG_VALUE}
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
SQS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"


def _tracked(aws: lab.Session) -> list[str]:
    return [t.description for t in aws._tracked]


def test_execution_role_sets_exactly_its_policies(aws: lab.Session) -> None:
    iam = boto3.client("iam")
    logs_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
    arn = execution_role("t-role", managed=["AWSLambdaBasicExecutionRole"], inline={"logs": logs_only})
    role = iam.get_role(RoleName="t-role")["Role"]
    assert role["Arn"] == arn
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert COURSE in iam.list_role_tags(RoleName="t-role")["Tags"]

    # a later cell adds policies; running the helper again strips them and keeps the role
    iam.attach_role_policy(RoleName="t-role", PolicyArn=SQS_POLICY)
    iam.put_role_policy(RoleName="t-role", PolicyName="extra", PolicyDocument=json.dumps(logs_only))
    again = execution_role("t-role", managed=["AWSLambdaBasicExecutionRole"], inline={"logs": logs_only})
    assert again == arn
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="t-role")["AttachedPolicies"]] == [BASIC]
    assert iam.list_role_policies(RoleName="t-role")["PolicyNames"] == ["logs"]
    assert _tracked(aws).count("IAM role t-role") == 1

    # other trust, other managed policy (by ARN), no inline policy
    execution_role("t-role", managed=[SQS_POLICY], trust_service="ec2.amazonaws.com")
    role = iam.get_role(RoleName="t-role")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="t-role")["AttachedPolicies"]] == [
        SQS_POLICY]
    assert iam.list_role_policies(RoleName="t-role")["PolicyNames"] == []

    assert "removed 1 resource" in aws.cleanup()
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="t-role")


def test_execution_role_unknown_managed_policy(aws: lab.Session) -> None:
    with pytest.raises(lab.LabError, match="no AWS managed policy named 'NoSuchPolicy'"):
        execution_role("t-role-bad", managed=["NoSuchPolicy"])


def test_queue_create_or_get_purge_attributes_and_depth(aws: lab.Session) -> None:
    sqs = boto3.client("sqs")
    url, arn = queue("t-queue", VisibilityTimeout=5)
    assert arn.endswith(":t-queue") and sqs.list_queue_tags(QueueUrl=url)["Tags"] == aws.tags
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message(QueueUrl=url, MessageBody="two")
    assert queue_depth(url) == 2
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)  # in flight still counts
    assert queue_depth(url) == 2

    assert queue("t-queue", purge=False) == (url, arn) and queue_depth(url) == 2
    assert queue("t-queue", VisibilityTimeout=7) == (url, arn)  # purged by default
    assert queue_depth(url) == 0
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "7"
    assert _tracked(aws).count("SQS queue t-queue") == 1

    aws.cleanup()
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="t-queue")


def test_queue_redrive_policy_set_and_removed(aws: lab.Session) -> None:
    sqs = boto3.client("sqs")
    _, dlq_arn = queue("t-dlq")
    url, _ = queue("t-main", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}))
    get = sqs.get_queue_attributes
    assert json.loads(get(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"])[
        "deadLetterTargetArn"] == dlq_arn
    queue("t-main", RedrivePolicy="")
    assert "RedrivePolicy" not in get(QueueUrl=url, AttributeNames=["RedrivePolicy"]).get("Attributes", {})


def test_bucket_and_table(aws: lab.Session) -> None:
    s3, ddb = boto3.client("s3"), boto3.client("dynamodb")
    assert bucket("t-bucket-123") == "t-bucket-123"
    s3.put_object(Bucket="t-bucket-123", Key="a/b.txt", Body=b"kept")
    assert bucket("t-bucket-123") == "t-bucket-123"  # again: kept, with its objects
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="t-bucket-123")["Contents"]] == ["a/b.txt"]
    assert s3.get_bucket_tagging(Bucket="t-bucket-123")["TagSet"] == aws.tag_list  # the course tag and the run tag

    arn = table("t-table", key="name")
    ddb.put_item(TableName="t-table", Item={"name": {"S": "x"}})
    assert table("t-table", key="name") == arn
    assert ddb.scan(TableName="t-table")["Count"] == 1
    assert COURSE in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert _tracked(aws) == ["S3 bucket t-bucket-123", "DynamoDB table t-table"]

    assert "removed 2 resources" in aws.cleanup()  # the bucket was emptied first
    assert s3.list_buckets()["Buckets"] == [] and ddb.list_tables()["TableNames"] == []


def test_stream_fresh_starts_empty(aws: lab.Session) -> None:
    kinesis = boto3.client("kinesis")
    arn = stream("t-stream", shards=2)
    assert arn.endswith(":stream/t-stream")
    kinesis.put_record(StreamName="t-stream", PartitionKey="k", Data=b"old")
    assert stream("t-stream", shards=2) == arn  # kept
    assert kinesis.list_tags_for_stream(StreamName="t-stream")["Tags"] == aws.tag_list

    stream("t-stream", shards=2, fresh=True)
    shards = kinesis.list_shards(StreamName="t-stream")["Shards"]
    assert len(shards) == 2
    records = []
    for shard in shards:
        iterator = kinesis.get_shard_iterator(StreamName="t-stream", ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records += kinesis.get_records(ShardIterator=iterator)["Records"]
    assert records == []
    assert _tracked(aws).count("Kinesis stream t-stream") == 1
    aws.cleanup()
    assert kinesis.list_streams()["StreamNames"] == []


def test_mappings_tracked_and_cleared(aws: lab.Session) -> None:
    lam = boto3.client("lambda")
    role = execution_role("t-reader", managed=["AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole"])
    lab.create_function("t-worker", "def handler(event, context):\n    return None\n", role=role)
    _, arn = queue("t-work")
    assert clear_mappings("t-worker") == 0
    first = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="t-worker", Enabled=False)
    assert track_mapping(first, "t-work -> t-worker") is first
    track_mapping(first, "t-work -> t-worker")  # tracked once
    assert _tracked(aws).count(f"event source mapping t-work -> t-worker ({first['UUID']})") == 1

    assert clear_mappings("t-worker") == 1  # a re-run starts from none
    assert lam.list_event_source_mappings(FunctionName="t-worker")["EventSourceMappings"] == []
    second = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="t-worker", Enabled=False)
    track_mapping(second, "t-work -> t-worker")  # same label, another mapping: tracked too
    aws.cleanup()  # the first one, already gone, is fine
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_event_source_mapping(UUID=second["UUID"])


def test_clear_permissions(aws: lab.Session) -> None:
    lam = boto3.client("lambda")
    lab.create_function("t-perms", "def handler(event, context):\n    return None\n")
    assert clear_permissions("t-perms") == 0
    for sid in ("a", "b"):
        lam.add_permission(FunctionName="t-perms", StatementId=sid, Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com")
    assert clear_permissions("t-perms") == 2
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        json.loads(lam.get_policy(FunctionName="t-perms")["Policy"])


def test_handler_output_and_masked(aws: lab.Session) -> None:
    lam = boto3.client("lambda")
    code = "def handler(event, context):\n    print('first\\nsecond')\n    print('done')\n    return 1\n"
    lab.create_function("t-printer", code)
    since = now_ms()
    assert handler_output("t-printer", since) == []  # no log group yet
    lam.invoke(FunctionName="t-printer")
    assert handler_output("t-printer", since, count=3, timeout=10) == ["first", "second", "done"]  # no START/END/REPORT
    assert handler_output("t-printer", now_ms() + 60_000) == []

    event = {"Records": [{"id": "x1", "s3": {"sequencer": "0A1", "key": "k"}}], "id": "top"}
    assert masked(event, {"id", "sequencer"}) == {
        "Records": [{"id": "…", "s3": {"sequencer": "…", "key": "k"}}], "id": "…"}


def test_handler_output_leaves_out_a_cold_starts_service_lines(aws: lab.Session) -> None:
    """On AWS a cold start logs INIT_START before START (and INIT_REPORT when init fails): not the handler's output."""
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/t-cold")
    logs.create_log_stream(logGroupName="/aws/lambda/t-cold", logStreamName="s")
    since = now_ms()
    lines = ["INIT_START Runtime Version: python:3.12.v40\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:x\n",
             "START RequestId: r Version: $LATEST\n", "hello\n", "END RequestId: r\n",
             "REPORT RequestId: r\tDuration: 1.00 ms\n", "INIT_REPORT Init Duration: 3000.00 ms\tPhase: init\n"]
    logs.put_log_events(logGroupName="/aws/lambda/t-cold", logStreamName="s",
                        logEvents=[{"timestamp": since + i, "message": m} for i, m in enumerate(lines)])
    assert handler_output("t-cold", since) == ["hello"]


# -- real-account mode: lab.cleanup() finds everything by the course tag, in dependency order ---------------------


def test_aws_cleanup_removes_a_crashed_runs_resources_in_order_and_is_idempotent(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from aws_mode_support import aws_session, stand_in

    from lab_support.course.functions import create_function

    with stand_in() as endpoint:
        # A "crashed" earlier run: created with the course tag and another run id, tracked by nobody.
        with aws_session(endpoint, monkeypatch) as old:
            tags, tag_list = {**old.tags, "lab-run": "dead01"}, [{**t} for t in old.tag_list]
            tag_list[1]["Value"] = "dead01"
            iam, sqs, lam = old.client("iam"), old.client("sqs"), old.client("lambda")
            role = iam.create_role(RoleName="crashed-role", AssumeRolePolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": "lambda.amazonaws.com"}}]}),
                Tags=tag_list)["Role"]["Arn"]
            iam.attach_role_policy(RoleName="crashed-role", PolicyArn=SQS_POLICY)
            iam.put_role_policy(RoleName="crashed-role", PolicyName="inline", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
            url = sqs.create_queue(QueueName="crashed-queue", tags=tags)["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            create_function("nb99-crashed", "def handler(e, c):\n    return 1\n", role=role, Tags={"lab-run": "dead01"})
            lam.create_event_source_mapping(FunctionName="nb99-crashed", EventSourceArn=queue_arn, BatchSize=1)
            apigw = old.client("apigateway")
            api = apigw.create_rest_api(name="crashed-api", tags=tags)["id"]
            root = apigw.get_resources(restApiId=api)["items"][0]["id"]
            apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
            apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
            apigw.create_deployment(restApiId=api, stageName="dev")
            key = apigw.create_api_key(name="crashed-key", enabled=True, tags=tags)["id"]
            plan = apigw.create_usage_plan(name="crashed-plan", apiStages=[{"apiId": api, "stage": "dev"}],
                                           tags=tags)["id"]
            apigw.create_usage_plan_key(usagePlanId=plan, keyId=key, keyType="API_KEY")
            old.client("sqs").create_queue(QueueName="not-the-courses")  # no course tag: never touched
            old._tracked.clear()  # the kernel died: nothing tracked survives
        capsys.readouterr()

        with aws_session(endpoint, monkeypatch) as aws:
            left = aws.leftovers(quiet=True)
            assert "SQS queue crashed-queue (lab-run=dead01)" in left
            assert "IAM role crashed-role (lab-run=dead01)" in left
            assert "event source mapping crashed-queue -> nb99-crashed" in left
            capsys.readouterr()
            summary = aws.cleanup()
            lines = summary.splitlines()
            assert lines[0].startswith(f"Cleanup (endpoint {endpoint}, us-east-1): removed ")
            order = [line.removeprefix("  - ") for line in lines[1:]]
            for before, after in [("API Gateway usage plan crashed-plan", "API key crashed-key"),
                                  ("API key crashed-key", f"REST API crashed-api ({api})"),
                                  ("event source mapping crashed-queue -> nb99-crashed", "Lambda function nb99-crashed"),
                                  ("Lambda function nb99-crashed", "SQS queue crashed-queue"),
                                  ("SQS queue crashed-queue", "IAM role crashed-role")]:
                assert order.index(before) < order.index(after), (before, after, order)
            again = aws.cleanup()
            assert again == (f"Cleanup (endpoint {endpoint}, us-east-1): nothing to remove; "
                             "no resource tagged course=apigw-lambda-lab is left.")
            assert aws.leftovers(quiet=True) == []
            assert [u.rsplit("/", 1)[-1] for u in aws.client("sqs").list_queues()["QueueUrls"]] == ["not-the-courses"]


def test_data_files_are_found_wherever_the_notebook_runs(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert lab.data_file("bookstore.openapi.json").read_text().startswith("{")
    with pytest.raises(lab.LabError, match=r"There is no data file 'nope\.json'"):
        lab.data_file("nope.json")
