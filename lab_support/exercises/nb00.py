"""Self-checks for notebook 00 (Start here)."""

from __future__ import annotations

from lab_support.core.session import current
from lab_support.core.tags import COURSE_TAG_KEY, COURSE_TAG_VALUE
from lab_support.exercises.registry import exercise


@exercise(
    "00.1",
    "your first resource",
    "create an SQS queue named 'hello-queue' with tags=aws.tags "
    "(sqs.create_queue(QueueName=..., tags=...)), then run this cell again.",
)
def _first_queue() -> bool | str:
    sqs = current().client("sqs")
    urls = sqs.list_queues(QueueNamePrefix="hello-queue").get("QueueUrls", [])
    url = next((u for u in urls if u.rsplit("/", 1)[-1] == "hello-queue"), None)
    if url is None:
        return "there is no queue named 'hello-queue' yet"
    tags = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
    if tags.get(COURSE_TAG_KEY) != COURSE_TAG_VALUE:
        return "the queue exists but does not carry the course tag"
    return True
