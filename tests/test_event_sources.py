"""Push and pull invocation (lab_support/event_sources), end to end with real handlers in the local runtime.

Handlers append every event they get to a JSON-lines file (``OUT``), so the tests see exactly what
Lambda delivered. AWS's fixed delays run on the fast clock (``lab.time_scale``).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

import lab_support as lab
import lab_support.embedded.lambda_  # registers the runtime extension
from lab_support.embedded import event_sources

HANDLER = '''
import json, os

def handler(event, context):
    with open(os.environ["OUT"], "a") as f:
        f.write(json.dumps({"rid": context.aws_request_id, "event": event}) + "\\n")
    mode = os.environ.get("MODE", "ok")
    if mode == "fail":
        raise RuntimeError("boom")
    if mode == "failbad" and any("bad" in r.get("body", "") for r in event.get("Records", [])):
        raise RuntimeError("bad message in batch")
    if mode == "partial":
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                      for r in event["Records"] if "bad" in r["body"]]}
    return {"ok": True}
'''

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def env(aws: lab.Session, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Clients, a role allowed to poll, and a fast clock (1 AWS minute = 0.1 s)."""
    saved = lab.time_scale
    lab.time_scale = 600.0
    iam = aws.client("iam")
    role = iam.create_role(RoleName="es-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.put_role_policy(RoleName="es-role", PolicyName="poll", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["sqs:*", "kinesis:*", "dynamodb:*", "logs:*"],
                       "Resource": "*"}]}))
    weak = iam.create_role(RoleName="weak-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    yield {"aws": aws, "lam": aws.client("lambda"), "sqs": aws.client("sqs"), "s3": aws.client("s3"),
           "kinesis": aws.client("kinesis"), "sns": aws.client("sns"), "role": role, "weak": weak,
           "tmp": tmp_path}
    lab.time_scale = saved
    event_sources.set_invoker(None)


def make_function(env: dict[str, Any], name: str, mode: str = "ok", *, role: str | None = None,
                  timeout: int = 3) -> tuple[str, Path]:
    out = env["tmp"] / f"{name}.jsonl"
    arn = env["lam"].create_function(
        FunctionName=name, Runtime="python3.11", Role=role or env["role"], Handler="app.handler",
        Code={"ZipFile": lab.lambda_zip(HANDLER)}, Timeout=timeout,
        Environment={"Variables": {"OUT": str(out), "MODE": mode}},
    )["FunctionArn"]
    return arn, out


def events(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line]


def make_queue(env: dict[str, Any], name: str, **attributes: str) -> tuple[str, str]:
    url = env["sqs"].create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = env["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def queue_count(env: dict[str, Any], url: str) -> int:
    attrs = env["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


# --------------------------------------------------------------------------- push: S3 and SNS
def test_s3_notification_invokes_async_with_documented_shape(env: dict[str, Any]) -> None:
    arn, out = make_function(env, "on-upload")
    s3, lam = env["s3"], env["lam"]
    s3.create_bucket(Bucket="uploads-bucket")
    lam.add_permission(FunctionName="on-upload", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::uploads-bucket")
    s3.put_bucket_notification_configuration(Bucket="uploads-bucket", NotificationConfiguration={
        "LambdaFunctionConfigurations": [
            {"Id": "created", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:Put"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"},
                                                {"Name": "suffix", "Value": ".txt"}]}}},
            {"Id": "removed", "LambdaFunctionArn": arn, "Events": ["s3:ObjectRemoved:*"]},
        ]})
    s3.put_object(Bucket="uploads-bucket", Key="in/my report 1.txt", Body=b"hello")
    s3.put_object(Bucket="uploads-bucket", Key="in/skip.csv", Body=b"x")  # suffix does not match
    s3.put_object(Bucket="uploads-bucket", Key="out/x.txt", Body=b"x")  # prefix does not match
    lab.wait_idle(20)
    got = events(out)
    assert len(got) == 1
    record = got[0]["event"]["Records"][0]
    assert record["eventVersion"] == "2.1" and record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put" and record["awsRegion"] == "us-east-1"
    assert set(record) >= {"eventTime", "userIdentity", "requestParameters", "responseElements"}
    assert "sourceIPAddress" in record["requestParameters"]
    s3part = record["s3"]
    assert s3part["s3SchemaVersion"] == "1.0" and s3part["configurationId"] == "created"
    assert s3part["bucket"]["name"] == "uploads-bucket"
    assert s3part["bucket"]["arn"] == "arn:aws:s3:::uploads-bucket"
    assert "principalId" in s3part["bucket"]["ownerIdentity"]
    assert s3part["object"]["key"] == "in/my+report+1.txt"  # URL-encoded, '/' kept
    assert s3part["object"]["size"] == 5
    assert s3part["object"]["eTag"] == "5d41402abc4b2a76b9719d911017c592"
    assert s3part["object"]["sequencer"]

    s3.delete_object(Bucket="uploads-bucket", Key="in/my report 1.txt")
    lab.wait_idle(20)
    removed = events(out)[-1]["event"]["Records"][0]
    assert removed["eventName"] == "ObjectRemoved:Delete" and removed["s3"]["configurationId"] == "removed"
    assert "size" not in removed["s3"]["object"]
    kinds = [e["kind"] for e in event_sources.timeline("s3")]
    assert kinds.count("s3.notify") == 2


def test_sns_to_lambda_is_async_with_documented_shape(env: dict[str, Any]) -> None:
    arn, out = make_function(env, "on-message")
    topic = env["sns"].create_topic(Name="news")["TopicArn"]
    env["lam"].add_permission(FunctionName="on-message", StatementId="sns", Action="lambda:InvokeFunction",
                              Principal="sns.amazonaws.com", SourceArn=topic)
    sub = env["sns"].subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)["SubscriptionArn"]
    message_id = env["sns"].publish(TopicArn=topic, Message="hello", Subject="greeting",
                                    MessageAttributes={"lang": {"DataType": "String", "StringValue": "en"}})[
        "MessageId"]
    lab.wait_idle(20)
    (got,) = events(out)
    record = got["event"]["Records"][0]
    assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == sub
    assert record["Sns"]["Message"] == "hello" and record["Sns"]["Subject"] == "greeting"
    assert record["Sns"]["TopicArn"] == topic and record["Sns"]["MessageId"] == message_id
    assert record["Sns"]["MessageAttributes"] == {"lang": {"Type": "String", "Value": "en"}}


def test_push_without_permission_is_dropped(env: dict[str, Any]) -> None:
    arn, out = make_function(env, "no-perm")
    topic = env["sns"].create_topic(Name="quiet")["TopicArn"]
    env["sns"].subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    env["sns"].publish(TopicArn=topic, Message="hello")
    lab.wait_idle(20)
    assert events(out) == []
    assert [e["kind"] for e in event_sources.timeline("sns")] == ["sns.refused"]


# --------------------------------------------------------------------------- asynchronous invocation
def test_async_retries_twice_then_failure_destination_and_dlq(env: dict[str, Any]) -> None:
    _, out = make_function(env, "always-fails", "fail")
    dest_url, dest_arn = make_queue(env, "failures")
    dlq_url, dlq_arn = make_queue(env, "dead-letters")
    env["lam"].update_function_configuration(FunctionName="always-fails", DeadLetterConfig={"TargetArn": dlq_arn})
    assert env["lam"].get_function_configuration(FunctionName="always-fails")["DeadLetterConfig"] == {
        "TargetArn": dlq_arn}
    env["lam"].put_function_event_invoke_config(
        FunctionName="always-fails", DestinationConfig={"OnFailure": {"Destination": dest_arn}})
    started = time.monotonic()
    response = env["lam"].invoke(FunctionName="always-fails", InvocationType="Event", Payload=b'{"n": 1}')
    assert response["StatusCode"] == 202
    lab.wait_idle(20)
    elapsed = time.monotonic() - started
    attempts = events(out)
    assert len(attempts) == 3  # 1 + 2 retries (AWS default)
    assert elapsed >= 0.3 - 0.05  # 60 s + 120 s of AWS time at 600x
    notes = [e["note"] for e in event_sources.timeline("async.retry_scheduled")]
    assert notes == ["retry 1 after 60 s (AWS time) = 0.1 s here", "retry 2 after 120 s (AWS time) = 0.2 s here"]

    (message,) = env["sqs"].receive_message(QueueUrl=dest_url, MaxNumberOfMessages=10)["Messages"]
    record = json.loads(message["Body"])
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(":function:always-fails:$LATEST")
    # every attempt ran under the one request id, the one the record names
    assert {a["rid"] for a in attempts} == {record["requestContext"]["requestId"]}
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                         "functionError": "Unhandled"}
    assert record["responsePayload"]["errorMessage"] == "boom"

    (dead,) = env["sqs"].receive_message(QueueUrl=dlq_url, MessageAttributeNames=["All"])["Messages"]
    assert json.loads(dead["Body"]) == {"n": 1}
    attributes = dead["MessageAttributes"]
    assert attributes["ErrorCode"]["StringValue"] == "200"
    assert attributes["ErrorMessage"]["StringValue"] == "boom"
    assert attributes["RequestID"]["StringValue"] == record["requestContext"]["requestId"]


def test_async_honours_max_retry_attempts_and_success_destination(env: dict[str, Any]) -> None:
    _, out_fail = make_function(env, "fails-once-only", "fail")
    env["lam"].put_function_event_invoke_config(FunctionName="fails-once-only", MaximumRetryAttempts=0)
    _, out_ok = make_function(env, "works")
    ok_url, ok_arn = make_queue(env, "successes")
    env["lam"].put_function_event_invoke_config(FunctionName="works",
                                                DestinationConfig={"OnSuccess": {"Destination": ok_arn}})
    env["lam"].invoke(FunctionName="fails-once-only", InvocationType="Event", Payload=b"{}")
    env["lam"].invoke(FunctionName="works", InvocationType="Event", Payload=b'{"x": 2}')
    lab.wait_idle(20)
    assert len(events(out_fail)) == 1
    assert len(events(out_ok)) == 1
    (message,) = env["sqs"].receive_message(QueueUrl=ok_url)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responsePayload"] == {"ok": True}
    assert "functionError" not in record["responseContext"]


def test_async_event_age_exceeded(env: dict[str, Any]) -> None:
    _, out = make_function(env, "too-old", "fail")
    dest_url, dest_arn = make_queue(env, "old-events")
    env["lam"].put_function_event_invoke_config(
        FunctionName="too-old", MaximumEventAgeInSeconds=90, DestinationConfig={"OnFailure": {"Destination": dest_arn}})
    env["lam"].invoke(FunctionName="too-old", InvocationType="Event", Payload=b"{}")
    lab.wait_idle(20)
    assert len(events(out)) == 2  # at 0 s and 60 s; the 180 s attempt would be older than 90 s
    (message,) = env["sqs"].receive_message(QueueUrl=dest_url)["Messages"]
    assert json.loads(message["Body"])["requestContext"]["condition"] == "EventAgeExceeded"


# --------------------------------------------------------------------------- SQS event source mappings
def test_sqs_preexisting_messages_batches_and_delete_on_success(env: dict[str, Any]) -> None:
    _, out = make_function(env, "consumer")
    url, qarn = make_queue(env, "work")
    for start in (0, 10, 20):
        env["sqs"].send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": f"m{i}",
             "MessageAttributes": {"n": {"DataType": "Number", "StringValue": str(i)}}}
            for i in range(start, min(start + 10, 25))])
    env["lam"].create_event_source_mapping(EventSourceArn=qarn, FunctionName="consumer", BatchSize=10)
    lab.wait_idle(20)
    batches = [e["event"]["Records"] for e in events(out)]
    assert [len(b) for b in batches] == [10, 10, 5]
    assert sorted(r["body"] for b in batches for r in b) == sorted(f"m{i}" for i in range(25))
    assert queue_count(env, url) == 0
    record = batches[0][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == qarn
    assert record["awsRegion"] == "us-east-1" and record["md5OfBody"]
    assert set(record["attributes"]) >= {"ApproximateReceiveCount", "SentTimestamp", "SenderId",
                                         "ApproximateFirstReceiveTimestamp"}
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["n"]["dataType"] == "Number"
    assert {"messageId", "receiptHandle", "body"} <= set(record)
    sizes = [e["size"] for e in event_sources.timeline("sqs.batch")]
    assert sizes == [10, 10, 5]


def test_sqs_batching_window_collects_one_batch(env: dict[str, Any]) -> None:
    lab.time_scale = 60.0  # window of 30 AWS seconds = 0.5 s here
    _, out = make_function(env, "windowed")
    url, qarn = make_queue(env, "trickle")
    env["lam"].create_event_source_mapping(EventSourceArn=qarn, FunctionName="windowed", BatchSize=50,
                                           MaximumBatchingWindowInSeconds=30)
    for i in range(7):
        env["sqs"].send_message(QueueUrl=url, MessageBody=f"t{i}")
    lab.wait_idle(20)
    assert [len(e["event"]["Records"]) for e in events(out)] == [7]


def test_sqs_failure_redrives_to_dlq_after_max_receive_count(env: dict[str, Any]) -> None:
    _, out = make_function(env, "picky", "failbad")
    _, dlq_arn = make_queue(env, "work-dlq")
    dlq_url = env["sqs"].get_queue_url(QueueName="work-dlq")["QueueUrl"]
    url, qarn = make_queue(env, "work2", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn,
                                                                      "maxReceiveCount": "2"}))
    env["sqs"].send_message(QueueUrl=url, MessageBody="bad one")
    env["lam"].create_event_source_mapping(EventSourceArn=qarn, FunctionName="picky", BatchSize=1)
    lab.wait_idle(20)
    got = events(out)
    assert [r["attributes"]["ApproximateReceiveCount"] for e in got for r in e["event"]["Records"]] == ["1", "2"]
    assert queue_count(env, url) == 0
    (dead,) = env["sqs"].receive_message(QueueUrl=dlq_url)["Messages"]
    assert dead["Body"] == "bad one"
    assert [e["kind"] for e in event_sources.timeline("sqs.redrive")] == ["sqs.redrive"]


def test_sqs_partial_batch_response(env: dict[str, Any]) -> None:
    _, out = make_function(env, "partial", "partial")
    url, qarn = make_queue(env, "mixed")
    env["sqs"].send_message_batch(QueueUrl=url, Entries=[
        {"Id": "1", "MessageBody": "good 1"}, {"Id": "2", "MessageBody": "bad 2"},
        {"Id": "3", "MessageBody": "good 3"}])
    uuid = env["lam"].create_event_source_mapping(EventSourceArn=qarn, FunctionName="partial", BatchSize=10,
                                                  FunctionResponseTypes=["ReportBatchItemFailures"])["UUID"]
    deadline = time.monotonic() + 10
    while len(events(out)) < 2 and time.monotonic() < deadline:  # the failed one comes back after 30 s AWS
        time.sleep(0.02)
    env["lam"].update_event_source_mapping(UUID=uuid, Enabled=False)
    lab.wait_idle(20)
    first, second = (e["event"]["Records"] for e in events(out)[:2])
    assert sorted(r["body"] for r in first) == ["bad 2", "good 1", "good 3"]
    assert [r["body"] for r in second] == ["bad 2"]  # only the reported failure came back
    assert second[0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert event_sources.timeline("sqs.batch")[0]["result"] == "partial"


def test_sqs_enable_disable(env: dict[str, Any]) -> None:
    _, out = make_function(env, "pausable")
    url, qarn = make_queue(env, "paused")
    uuid = env["lam"].create_event_source_mapping(EventSourceArn=qarn, FunctionName="pausable", Enabled=False)[
        "UUID"]
    env["sqs"].send_message(QueueUrl=url, MessageBody="wait for me")
    time.sleep(0.3)
    lab.wait_idle(5)  # a disabled mapping is not pending
    assert events(out) == [] and queue_count(env, url) == 1
    assert env["lam"].get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    env["lam"].update_event_source_mapping(UUID=uuid, Enabled=True)
    lab.wait_idle(20)
    assert [r["body"] for e in events(out) for r in e["event"]["Records"]] == ["wait for me"]
    env["lam"].delete_event_source_mapping(UUID=uuid)
    env["sqs"].send_message(QueueUrl=url, MessageBody="after delete")
    time.sleep(0.2)
    assert len(events(out)) == 1


def test_sqs_mapping_validation_errors(env: dict[str, Any]) -> None:
    make_function(env, "weak-fn", role=env["weak"])
    make_function(env, "slow-fn", timeout=60)
    _, qarn = make_queue(env, "validated")
    with pytest.raises(ClientError) as err:
        env["lam"].create_event_source_mapping(EventSourceArn=qarn, FunctionName="weak-fn")
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert err.value.response["Error"]["Message"] == (
        "The provided execution role does not have permissions to call ReceiveMessage on SQS")
    with pytest.raises(ClientError) as err:
        env["lam"].create_event_source_mapping(EventSourceArn=qarn, FunctionName="slow-fn")
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert err.value.response["Error"]["Message"] == (
        "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds")
    assert env["lam"].list_event_source_mappings()["EventSourceMappings"] == []


# --------------------------------------------------------------------------- Kinesis
def _stream(env: dict[str, Any], name: str) -> str:
    env["kinesis"].create_stream(StreamName=name, ShardCount=1)
    return str(env["kinesis"].describe_stream(StreamName=name)["StreamDescription"]["StreamARN"])


def test_kinesis_order_and_starting_positions(env: dict[str, Any]) -> None:
    _, out_trim = make_function(env, "from-start")
    _, out_latest = make_function(env, "from-now")
    stream = _stream(env, "clicks")
    for i in range(5):
        env["kinesis"].put_record(StreamName="clicks", Data=f"old{i}".encode(), PartitionKey="p")
    env["lam"].create_event_source_mapping(EventSourceArn=stream, FunctionName="from-start",
                                           StartingPosition="TRIM_HORIZON", BatchSize=3)
    env["lam"].create_event_source_mapping(EventSourceArn=stream, FunctionName="from-now",
                                           StartingPosition="LATEST", BatchSize=100)
    for i in range(4):
        env["kinesis"].put_record(StreamName="clicks", Data=f"new{i}".encode(), PartitionKey="p")
    lab.wait_idle(20)

    def data(out: Path) -> list[str]:
        return [base64.b64decode(r["kinesis"]["data"]).decode() for e in events(out) for r in e["event"]["Records"]]

    assert data(out_trim) == [f"old{i}" for i in range(5)] + [f"new{i}" for i in range(4)]
    assert all(len(e["event"]["Records"]) <= 3 for e in events(out_trim))
    assert data(out_latest) == [f"new{i}" for i in range(4)]
    record = events(out_trim)[0]["event"]["Records"][0]
    assert record["eventSource"] == "aws:kinesis" and record["eventName"] == "aws:kinesis:record"
    assert record["eventVersion"] == "1.0" and record["eventSourceARN"] == stream
    assert record["eventID"] == f"shardId-000000000000:{record['kinesis']['sequenceNumber']}"
    assert record["invokeIdentityArn"] == env["role"]
    assert record["kinesis"]["kinesisSchemaVersion"] == "1.0" and record["kinesis"]["partitionKey"] == "p"
    assert isinstance(record["kinesis"]["approximateArrivalTimestamp"], float)


# --------------------------------------------------------------------------- lifecycle
def test_reset_and_stop_end_every_thread(env: dict[str, Any]) -> None:
    import threading

    _, qarn = make_queue(env, "lifecycle")
    make_function(env, "lifecycle-fn")
    env["lam"].create_event_source_mapping(EventSourceArn=qarn, FunctionName="lifecycle-fn")
    event_sources.submit("lifecycle-fn", b"{}")
    lab.wait_idle(20)
    assert any(t.name.startswith("lab-poller-") for t in threading.enumerate())
    lab.reset()
    time.sleep(0.1)
    assert not any(t.name.startswith(("lab-poller-", "lab-async-")) and t.is_alive() for t in threading.enumerate())
    assert event_sources.pending() == 0 and event_sources.timeline() == []


# --------------------------------------------------------------------------- DynamoDB Streams
def test_dynamodb_stream_mapping_in_order(env: dict[str, Any]) -> None:
    _, out = make_function(env, "on-change")
    ddb = env["aws"].client("dynamodb")
    table = ddb.create_table(
        TableName="notes", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    ddb.put_item(TableName="notes", Item={"id": {"S": "before"}})
    env["lam"].create_event_source_mapping(EventSourceArn=table["LatestStreamArn"], FunctionName="on-change",
                                           StartingPosition="LATEST", BatchSize=2)
    for i in range(3):
        ddb.put_item(TableName="notes", Item={"id": {"S": f"n{i}"}})
    ddb.delete_item(TableName="notes", Key={"id": {"S": "n0"}})
    lab.wait_idle(20)
    records = [r for e in events(out) for r in e["event"]["Records"]]
    assert [(r["eventName"], r["dynamodb"]["Keys"]["id"]["S"]) for r in records] == [
        ("INSERT", "n0"), ("INSERT", "n1"), ("INSERT", "n2"), ("REMOVE", "n0")]
    assert all(len(e["event"]["Records"]) <= 2 for e in events(out))
    assert records[0]["eventSource"] == "aws:dynamodb" and records[0]["eventSourceARN"] == table["LatestStreamArn"]
    assert records[0]["dynamodb"]["NewImage"] == {"id": {"S": "n0"}}
    assert records[-1]["dynamodb"]["OldImage"] == {"id": {"S": "n0"}}


def test_kinesis_failure_blocks_shard_until_retries_used_up(env: dict[str, Any]) -> None:
    _, out = make_function(env, "kinesis-fails", "fail")
    stream = _stream(env, "failing")
    env["kinesis"].put_record(StreamName="failing", Data=b"a", PartitionKey="p")
    env["lam"].create_event_source_mapping(EventSourceArn=stream, FunctionName="kinesis-fails",
                                           StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=2)
    lab.wait_idle(20)
    assert len(events(out)) == 3  # first attempt + 2 retries, then the batch is skipped
    assert [e["result"] for e in event_sources.timeline("kinesis.batch")] == ["error", "error", "discarded"]


def test_kinesis_at_timestamp(env: dict[str, Any]) -> None:
    _, out = make_function(env, "from-time")
    stream = _stream(env, "timed")
    env["kinesis"].put_record(StreamName="timed", Data=b"before", PartitionKey="p")
    time.sleep(0.05)
    cut = time.time()
    time.sleep(0.05)
    env["kinesis"].put_record(StreamName="timed", Data=b"after", PartitionKey="p")
    env["lam"].create_event_source_mapping(EventSourceArn=stream, FunctionName="from-time",
                                           StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=cut)
    lab.wait_idle(20)
    got = [base64.b64decode(r["kinesis"]["data"]) for e in events(out) for r in e["event"]["Records"]]
    assert got == [b"after"]


# --------------------------------------------------------------------------- S3 FilterRule names
def test_s3_filter_rule_names_in_any_case(env: dict[str, Any]) -> None:
    """S3 accepts "Prefix" / "Suffix" (moto 5.2.5 crashed on an assert); the capitalised rules still filter."""
    arn, out = make_function(env, "on-capital")
    s3, lam = env["s3"], env["lam"]
    s3.create_bucket(Bucket="capital-bucket")
    lam.add_permission(FunctionName="on-capital", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::capital-bucket")
    s3.put_bucket_notification_configuration(Bucket="capital-bucket", NotificationConfiguration={
        "LambdaFunctionConfigurations": [
            {"Id": "caps", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"},
                                                {"Name": "SUFFIX", "Value": ".txt"}]}}}]})
    rules = s3.get_bucket_notification_configuration(Bucket="capital-bucket")[
        "LambdaFunctionConfigurations"][0]["Filter"]["Key"]["FilterRules"]
    assert sorted(r["Value"] for r in rules) == [".txt", "in/"]
    s3.put_object(Bucket="capital-bucket", Key="in/a.txt", Body=b"x")
    s3.put_object(Bucket="capital-bucket", Key="in/a.csv", Body=b"x")
    s3.put_object(Bucket="capital-bucket", Key="out/a.txt", Body=b"x")
    lab.wait_idle(20)
    assert [e["event"]["Records"][0]["s3"]["object"]["key"] for e in events(out)] == ["in/a.txt"]


def test_s3_unknown_filter_rule_name_is_invalid_argument(env: dict[str, Any]) -> None:
    arn, _ = make_function(env, "on-bad-rule")
    env["s3"].create_bucket(Bucket="bad-rule-bucket")
    with pytest.raises(ClientError) as err:
        env["s3"].put_bucket_notification_configuration(Bucket="bad-rule-bucket", NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
                 "Filter": {"Key": {"FilterRules": [{"Name": "extension", "Value": ".txt"}]}}}]})
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err.value.response["Error"]["Code"] == "InvalidArgument"
    assert err.value.response["Error"]["Message"] == "Invalid filter rule name"


# --------------------------------------------------------------------------- stream mapping validation
STREAM_MESSAGE = ("Cannot access stream {}. Please ensure the role can perform the GetRecords, GetShardIterator, "
                  "DescribeStream, ListShards, and ListStreams Actions on your stream in IAM.")


def test_kinesis_mapping_needs_a_role_that_can_read_the_stream(env: dict[str, Any]) -> None:
    make_function(env, "weak-kinesis", role=env["weak"])
    stream = _stream(env, "guarded")
    with pytest.raises(ClientError) as err:
        env["lam"].create_event_source_mapping(EventSourceArn=stream, FunctionName="weak-kinesis",
                                               StartingPosition="LATEST")
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert err.value.response["Error"]["Message"] == STREAM_MESSAGE.format(stream)
    assert env["lam"].list_event_source_mappings()["EventSourceMappings"] == []
    # the AWS managed policy for Kinesis pollers is enough
    env["aws"].client("iam").attach_role_policy(
        RoleName="weak-role", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole")
    env["lam"].create_event_source_mapping(EventSourceArn=stream, FunctionName="weak-kinesis",
                                           StartingPosition="LATEST")
    assert len(env["lam"].list_event_source_mappings()["EventSourceMappings"]) == 1


def test_dynamodb_stream_mapping_needs_a_role_that_can_read_the_stream(env: dict[str, Any]) -> None:
    make_function(env, "weak-ddb", role=env["weak"])
    ddb = env["aws"].client("dynamodb")
    stream = ddb.create_table(
        TableName="guarded", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    with pytest.raises(ClientError) as err:
        env["lam"].create_event_source_mapping(EventSourceArn=stream, FunctionName="weak-ddb",
                                               StartingPosition="LATEST")
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert err.value.response["Error"]["Message"] == STREAM_MESSAGE.format(stream)
    env["aws"].client("iam").attach_role_policy(
        RoleName="weak-role", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole")
    env["lam"].create_event_source_mapping(EventSourceArn=stream, FunctionName="weak-ddb",
                                           StartingPosition="LATEST")
    assert len(env["lam"].list_event_source_mappings()["EventSourceMappings"]) == 1
