"""Event source mappings served by background pollers, as the Lambda service does.

For SQS, Kinesis and DynamoDB Streams Lambda *polls* the source and invokes the
function synchronously with a batch of records
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html).
One daemon thread per mapping does that here:

* **SQS** (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html): batches of up
  to ``BatchSize``, gathered for at most ``MaximumBatchingWindowInSeconds``; messages
  are deleted only when the batch succeeds, become visible again after the queue's
  visibility timeout when it fails, and go to the queue's dead-letter queue once
  received ``maxReceiveCount`` times (RedrivePolicy). With ``FunctionResponseTypes=
  ["ReportBatchItemFailures"]`` the function may return ``{"batchItemFailures":
  [{"itemIdentifier": messageId}]}`` (https://docs.aws.amazon.com/lambda/latest/dg/
  services-sqs-errorhandling.html). Messages already in the queue are processed too.
* **Kinesis** (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html) and
  **DynamoDB Streams** (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html):
  each shard is read in order from ``TRIM_HORIZON``, ``LATEST`` or ``AT_TIMESTAMP``;
  a failed batch is retried (blocking its shard) until it succeeds or
  ``MaximumRetryAttempts`` is used up.

Disabled mappings (``update_event_source_mapping(Enabled=False)``) pause; enabling
them resumes. Visibility timeouts and batching windows are AWS's fixed delays and run
on the fast local clock of :mod:`.clock`.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from typing import Any

from lab_support.core import clock, idle, timeline
from lab_support.embedded import moto_state as util
from lab_support.embedded.lambda_.invoker import Outcome, invoke_sync

IDLE_POLL = 0.02  # local seconds between looks at an idle source
_WAKE = threading.Condition()


def wake() -> None:
    """Tell the pollers new records arrived (called from the patched moto send/put paths)."""
    with _WAKE:
        _WAKE.notify_all()


def _sleep(seconds: float) -> None:
    with _WAKE:
        _WAKE.wait(timeout=max(0.0, seconds))


class Poller:
    """One event source mapping's poller thread."""

    kind = "base"

    def __init__(self, esm: Any) -> None:
        self.uuid: str = esm.uuid
        self.source_arn: str = esm.event_source_arn
        self.account, self.region = esm.account_id, esm.region
        self._stop = threading.Event()
        self.in_flight = False
        self._thread = threading.Thread(target=self._run, name=f"lab-poller-{self.kind}-{self.uuid[:8]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        wake()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=timeout)

    def esm(self) -> Any | None:
        from moto.awslambda.utils import get_backend

        try:
            return get_backend(self.account, self.region).get_event_source_mapping(self.uuid)
        except Exception:
            return None

    def _run(self) -> None:
        while not self._stop.is_set():
            esm = self.esm()
            if esm is None:  # deleted
                return
            try:
                worked = esm.enabled and self.poll_once(esm)
            except Exception as err:  # keep polling whatever a single batch does
                timeline.record(f"{self.kind}.error", self.source_arn, error=repr(err), mapping=self.uuid)
                worked = False
                self.in_flight = False
            if not worked:
                _sleep(IDLE_POLL)

    def poll_once(self, esm: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def has_work(self) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def pending(self) -> bool:
        esm = self.esm()
        if esm is None or not esm.enabled or self._stop.is_set():
            return False
        return self.in_flight or self.has_work()

    def invoke(self, esm: Any, event: dict[str, Any]) -> Outcome:
        try:
            return invoke_sync(esm.function_arn, json.dumps(event).encode())
        except Exception as err:
            body = json.dumps({"errorMessage": str(err), "errorType": type(err).__name__}).encode()
            return Outcome(500, body, "Unhandled", "$LATEST", util.new_request_id())


# --------------------------------------------------------------------------- SQS
def _sqs_message_attributes(message: Any) -> dict[str, Any]:
    """moto's stored attributes in the shape Lambda's SQS event uses."""
    out: dict[str, Any] = {}
    for name, value in (message.message_attributes or {}).items():
        entry: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType")}
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            entry["binaryValue"] = raw if isinstance(raw, str) else __import__("base64").b64encode(raw).decode()
        out[name] = entry
    return out


class SqsPoller(Poller):
    """Standard and FIFO queues; see the module docstring for the rules."""

    kind = "sqs"
    FAR_FUTURE_MS = 10**15

    def __init__(self, esm: Any) -> None:
        super().__init__(esm)
        self._mine: set[str] = set()  # ids of messages this poller received and not yet deleted
        self._window_started: float | None = None

    def queue(self) -> Any | None:
        return util.sqs_queue_by_arn(self.source_arn)

    def _visible(self, queue: Any) -> list[Any]:
        return list(queue.messages)

    def has_work(self) -> bool:
        queue = self.queue()
        if queue is None:
            return False
        messages = list(queue._messages)
        return any(m.visible or m.id in self._mine for m in messages)

    def poll_once(self, esm: Any) -> bool:
        queue = self.queue()
        if queue is None:
            return False
        visible = self._visible(queue)
        self._redrive(queue, visible)
        visible = self._visible(queue)
        if not visible:
            self._window_started = None
            return False
        batch_size = int(esm.batch_size or 10)
        window = float(esm.max_batch_window or 0)
        if len(visible) < batch_size and window > 0:
            now = time.monotonic()
            if self._window_started is None:
                self._window_started = now
            if now - self._window_started < clock.local_seconds(window):
                _sleep(min(IDLE_POLL, clock.local_seconds(window) - (now - self._window_started)))
                return True
        self._window_started = None
        self.in_flight = True
        try:
            batch = self._receive(queue, batch_size)
            if batch:
                self._process(esm, queue, batch)
        finally:
            self.in_flight = False
        return True

    def _redrive(self, queue: Any, visible: list[Any]) -> None:
        """Move messages received maxReceiveCount times to the queue's dead-letter queue."""
        policy = queue.redrive_policy
        dlq = queue.dead_letter_queue
        if not policy or dlq is None:
            return
        limit = int(policy["maxReceiveCount"])
        for message in visible:
            if message.approximate_receive_count >= limit:
                with queue._messages_lock:
                    if message in queue._messages:
                        queue._messages.remove(message)
                self._mine.discard(message.id)
                message.visible_at = 0.0
                dlq.add_message(message)
                timeline.record("sqs.redrive", self.source_arn, message_id=message.id, dead_letter_queue=dlq.queue_arn,
                                receive_count=message.approximate_receive_count)

    def _receive(self, queue: Any, count: int) -> list[Any]:
        from moto.core.utils import unix_time_millis

        taken: list[Any] = []
        pending_groups: set[str] = set()
        with queue._messages_lock:
            for message in list(queue._messages):
                if len(taken) >= count:
                    break
                if not message.visible or message.delayed:
                    continue
                if queue.fifo_queue and message.group_id:
                    if message.group_id in queue.pending_message_groups and message not in taken:
                        continue
                    pending_groups.add(message.group_id)
                message.mark_received(visibility_timeout=0)
                # invisible while the batch runs; on failure the visibility timeout is applied from receipt
                message.visible_at = self.FAR_FUTURE_MS
                message.lab_received_ms = unix_time_millis()
                queue.pending_messages.add(message)
                self._mine.add(message.id)
                taken.append(message)
        return taken

    def _event(self, esm: Any, queue: Any, batch: list[Any]) -> dict[str, Any]:
        # Event shape: https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html (example standard queue event)
        records = []
        for m in batch:
            attributes = {
                "ApproximateReceiveCount": str(m.approximate_receive_count),
                "SentTimestamp": str(m.sent_timestamp),
                "SenderId": str(m.sender_id),
                "ApproximateFirstReceiveTimestamp": str(m.approximate_first_receive_timestamp),
            }
            if queue.fifo_queue:
                attributes.update({"SequenceNumber": str(m.sequence_number),
                                   "MessageGroupId": str(m.group_id),
                                   "MessageDeduplicationId": str(m.deduplication_id)})
            records.append({
                "messageId": m.id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": attributes,
                "messageAttributes": _sqs_message_attributes(m),
                "md5OfBody": m.body_md5,
                "eventSource": "aws:sqs",
                "eventSourceARN": queue.queue_arn,
                "awsRegion": queue.region,
            })
        return {"Records": records}

    def _process(self, esm: Any, queue: Any, batch: list[Any]) -> None:
        start = time.time()
        outcome = self.invoke(esm, self._event(esm, queue, batch))
        ids = [m.id for m in batch]
        failed: list[str]
        if outcome.failed:
            failed, result = ids, "error"
        elif "ReportBatchItemFailures" in (esm.function_response_types or []):
            failed, result = _batch_item_failures(outcome, ids)
        else:
            failed, result = [], "ok"
        failed_set = set(failed)
        for m in batch:
            if m.id in failed_set:
                self._make_visible_later(queue, m)
            else:
                with contextlib.suppress(Exception):  # already deleted by someone else
                    queue.delete_message(m.receipt_handle)
                self._mine.discard(m.id)
        with queue._messages_lock:
            for m in batch:
                queue.pending_messages.discard(m)
            queue._messages_lock.notify_all()
        timeline.record("sqs.batch", self.source_arn, mapping=self.uuid, start=start, end=time.time(),
                        ids=ids, failed=failed, size=len(ids), result=result,
                        sent=[int(m.sent_timestamp) / 1000 for m in batch],
                        receive_counts=[m.approximate_receive_count for m in batch])

    def _make_visible_later(self, queue: Any, message: Any) -> None:
        """Back in the queue once the visibility timeout, counted from receipt, has passed."""
        timeout_aws = float(queue.visibility_timeout or 30)
        received = getattr(message, "lab_received_ms", None) or 0.0
        message.visible_at = received + clock.local_seconds(timeout_aws) * 1000


def _batch_item_failures(outcome: Outcome, ids: list[str]) -> tuple[list[str], str]:
    """Partial batch response rules (services-sqs-errorhandling.html): an empty or null
    response is success; an invalid one (unknown or empty itemIdentifier) fails the whole batch."""
    body = outcome.json()
    if body is None or body == {} or not isinstance(body, dict):
        return [], "ok"
    items = body.get("batchItemFailures")
    if items is None or items == []:
        return [], "ok"
    if not isinstance(items, list):
        return ids, "invalid-response"
    failed: list[str] = []
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in ids:
            return ids, "invalid-response"
        failed.append(identifier)
    return failed, "partial"


# ------------------------------------------------------------------ Kinesis & DynamoDB
class _ShardPoller(Poller):
    """Common code: per-shard positions, in-order batches, retries that block the shard."""

    def __init__(self, esm: Any) -> None:
        super().__init__(esm)
        self.positions: dict[str, int] = {}
        self.failures: dict[str, int] = {}
        self._init_positions(esm)

    def shards(self) -> list[tuple[str, list[Any]]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _init_positions(self, esm: Any) -> None:
        position = (esm.starting_position or "TRIM_HORIZON").upper()
        for shard_id, records in self.shards():
            if position == "LATEST":
                self.positions[shard_id] = len(records)
            elif position == "AT_TIMESTAMP" and esm.starting_position_timestamp is not None:
                ts = esm.starting_position_timestamp
                ts = ts.timestamp() if hasattr(ts, "timestamp") else float(ts)
                index = next((i for i, r in enumerate(records) if self.record_time(r) >= ts), len(records))
                self.positions[shard_id] = index
            else:
                self.positions[shard_id] = 0

    def record_time(self, record: Any) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def has_work(self) -> bool:
        return any(len(records) > self.positions.get(shard_id, 0) for shard_id, records in self.shards())

    def poll_once(self, esm: Any) -> bool:
        worked = False
        batch_size = int(esm.batch_size or 100)
        for shard_id, records in self.shards():
            position = self.positions.setdefault(shard_id, 0)
            batch = records[position: position + batch_size]
            if not batch:
                continue
            worked = True
            self.in_flight = True
            start = time.time()
            try:
                outcome = self.invoke(esm, self.event(esm, shard_id, batch))
            finally:
                self.in_flight = False
            ids = [self.record_id(shard_id, r) for r in batch]
            if not outcome.failed:
                self.positions[shard_id] = position + len(batch)
                self.failures.pop(shard_id, None)
                timeline.record(f"{self.kind}.batch", self.source_arn, mapping=self.uuid, shard=shard_id, start=start,
                                end=time.time(), ids=ids, size=len(batch), result="ok")
                continue
            attempts = self.failures.get(shard_id, 0) + 1
            self.failures[shard_id] = attempts
            max_retries = esm.max_retry_attempts if esm.max_retry_attempts is not None else -1
            discarded = max_retries >= 0 and attempts > int(max_retries)
            timeline.record(f"{self.kind}.batch", self.source_arn, mapping=self.uuid, shard=shard_id, start=start,
                            end=time.time(), ids=ids, size=len(batch),
                            result="discarded" if discarded else "error", attempt=attempts)
            if discarded:  # skip the batch, as AWS does when MaximumRetryAttempts is used up
                self.positions[shard_id] = position + len(batch)
                self.failures.pop(shard_id, None)
        return worked

    def record_id(self, shard_id: str, record: Any) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def event(self, esm: Any, shard_id: str, batch: list[Any]) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError


class KinesisPoller(_ShardPoller):
    kind = "kinesis"

    def stream(self) -> Any | None:
        from moto.kinesis.models import kinesis_backends

        for stream in kinesis_backends[self.account][self.region].streams.values():
            if stream.arn == self.source_arn:
                return stream
        return None

    def shards(self) -> list[tuple[str, list[Any]]]:
        stream = self.stream()
        if stream is None:
            return []
        return [(shard.shard_id, list(shard.records.values()))
                for shard in sorted(stream.shards.values(), key=lambda s: s.shard_id)]

    def record_time(self, record: Any) -> float:
        return float(record.created_at)

    def record_id(self, shard_id: str, record: Any) -> str:
        return f"{shard_id}:{record.sequence_number}"

    def event(self, esm: Any, shard_id: str, batch: list[Any]) -> dict[str, Any]:
        # Event shape: https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (example event)
        fn = util.get_function(esm.function_arn)
        role = getattr(fn, "role", "") if fn is not None else ""
        return {"Records": [{
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": r.partition_key,
                "sequenceNumber": str(r.sequence_number),
                "data": r.data,
                "approximateArrivalTimestamp": round(float(r.created_at), 3),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{r.sequence_number}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": role,
            "awsRegion": self.region,
            "eventSourceARN": self.source_arn,
        } for r in batch]}


class DynamoDbPoller(_ShardPoller):
    kind = "dynamodb"

    def table(self) -> Any | None:
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[self.account][self.region]
        for table in backend.tables.values():
            if getattr(table, "latest_stream_label", None) and self.source_arn.endswith(
                f"table/{table.name}/stream/{table.latest_stream_label}"
            ):
                return table
        return None

    def shards(self) -> list[tuple[str, list[Any]]]:
        table = self.table()
        if table is None or table.stream_shard is None:
            return []
        return [(table.stream_shard.id, list(table.stream_shard.items))]

    def record_time(self, record: Any) -> float:
        created = record.record["dynamodb"]["ApproximateCreationDateTime"]
        return created.timestamp() if hasattr(created, "timestamp") else float(created)

    def record_id(self, shard_id: str, record: Any) -> str:
        return str(record.record["eventID"])

    def event(self, esm: Any, shard_id: str, batch: list[Any]) -> dict[str, Any]:
        # Event shape: https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html (example event)
        records = []
        for item in batch:
            record = item.to_json()
            dynamodb = dict(record["dynamodb"])
            created = dynamodb.get("ApproximateCreationDateTime")
            if hasattr(created, "timestamp"):
                dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
            records.append({
                "eventID": record["eventID"],
                "eventName": record["eventName"],
                "eventVersion": record["eventVersion"],
                "eventSource": "aws:dynamodb",
                "awsRegion": self.region,
                "dynamodb": dynamodb,
                "eventSourceARN": self.source_arn,
            })
        return {"Records": records}


# --------------------------------------------------------------------------- registry
_POLLERS: dict[str, Poller] = {}
_LOCK = threading.Lock()


def poller_for(esm: Any) -> Poller:
    service = esm.event_source_arn.split(":")[2]
    cls = {"sqs": SqsPoller, "kinesis": KinesisPoller, "dynamodb": DynamoDbPoller}[service]
    return cls(esm)


def start_poller(esm: Any) -> Poller:
    """Start (or restart) the poller of a mapping."""
    poller = poller_for(esm)
    with _LOCK:
        old = _POLLERS.pop(esm.uuid, None)
        _POLLERS[esm.uuid] = poller
    if old is not None:
        old.stop()
    poller.start()
    return poller


def stop_poller(uuid: str) -> None:
    with _LOCK:
        poller = _POLLERS.pop(uuid, None)
    if poller is not None:
        poller.stop()


def stop_all() -> None:
    with _LOCK:
        pollers = list(_POLLERS.values())
        _POLLERS.clear()
    for poller in pollers:
        poller.stop()


def pending() -> int:
    """Mappings with a batch running or records waiting to be processed."""
    with _LOCK:
        pollers = list(_POLLERS.values())
    return sum(1 for p in pollers if p.pending())


idle.register_pending("event source mappings", pending)


def pollers() -> dict[str, Poller]:
    with _LOCK:
        return dict(_POLLERS)
