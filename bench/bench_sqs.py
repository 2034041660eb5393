"""SQS → Lambda throughput through the local event source mapping poller.

    python bench/bench_sqs.py [--messages 500] [--batch-size 10] [--preload]

Sends N messages (in SendMessageBatch calls of 10) to a queue mapped to a real handler running in the local
Lambda runtime, and reports messages per second from the first send until every message was processed and
deleted. ``--preload`` fills the queue before creating the mapping (pure drain rate).
"""

from __future__ import annotations

import argparse
import json
import time

import lab_support as lab
import lab_support.embedded.lambda_ as runtime
from lab_support.embedded import event_sources

HANDLER = '''
def handler(event, context):
    return {"n": len(event["Records"])}
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--preload", action="store_true")
    args = parser.parse_args()

    aws = lab.start()
    lam, sqs = aws.client("lambda"), aws.client("sqs")
    iam = aws.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="bench-sqs-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    # the permissions of the AWSLambdaSQSQueueExecutionRole managed policy
    iam.put_role_policy(RoleName="bench-sqs-role", PolicyName="sqs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
            "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
            "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]}]}))
    runtime.create_function("bench-consumer", HANDLER, role=role, Timeout=3)
    url = sqs.create_queue(QueueName="bench-queue")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.invoke(FunctionName="bench-consumer", Payload=json.dumps({"Records": []}))  # warm one environment

    def send_all() -> None:
        for start in range(0, args.messages, 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "MessageBody": f"message {i}"} for i in range(start, min(start + 10, args.messages))])

    if args.preload:
        send_all()
        started = time.perf_counter()
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="bench-consumer", BatchSize=args.batch_size)
    else:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="bench-consumer", BatchSize=args.batch_size)
        started = time.perf_counter()
        send_all()
    lab.wait_idle(120)
    elapsed = time.perf_counter() - started
    batches = event_sources.timeline("sqs.batch")
    processed = sum(b["size"] for b in batches)
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    print(f"{processed} messages in {len(batches)} batches (BatchSize {args.batch_size}) in {elapsed:.2f} s: "
          f"{processed / elapsed:.0f} messages/s; left in queue: {left['ApproximateNumberOfMessages']}")
    lab.stop()


if __name__ == "__main__":
    main()
