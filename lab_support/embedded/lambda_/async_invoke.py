"""Asynchronous invocation, as the Lambda service does it.

``submit(function_name, payload, qualifier, caller)`` puts an event on an internal
queue and returns its request id at once (the runtime's ``invoke(...,
invocation_type="Event")`` calls it and answers 202). Worker threads then run the
function; on a function error Lambda "attempts to run it two more times, with a
one-minute wait between the first two attempts, and two minutes between the second
and third attempts"
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
``put_function_event_invoke_config`` sets MaximumRetryAttempts (0–2) and
MaximumEventAgeInSeconds (60–21600)
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html).
When all attempts fail, or the event grows too old, the invocation record goes to
the on-failure destination and the event to the function's dead-letter queue; a
success goes to the on-success destination
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).

The fixed delays run on the local clock of :mod:`.clock` (1 AWS minute = 1 s by
default); the timeline notes say both, e.g. ``retry 1 after 60 s (AWS time) = 1.0 s here``.
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lab_support.core import clock, idle, timeline
from lab_support.embedded import moto_state as util
from lab_support.embedded.lambda_.invoker import Outcome, invoke_sync

# AWS defaults (invocation-async-error-handling.html): two retries, 1 min then 2 min apart; 6 h max age.
DEFAULT_MAX_RETRIES = 2
RETRY_DELAYS_AWS_SECONDS = (60.0, 120.0)
DEFAULT_MAX_EVENT_AGE = 21600
# A throttled attempt (429) goes back to the queue without counting as a retry: "The retry interval increases
# exponentially from 1 second after the first attempt to a maximum of 5 minutes", for up to the event's maximum
# age (invocation-async-error-handling.html).
THROTTLE_FIRST_DELAY_AWS_SECONDS = 1.0
THROTTLE_MAX_DELAY_AWS_SECONDS = 300.0
WORKERS = 4


@dataclass(order=True)
class _Event:
    due: float
    seq: int
    request_id: str = field(compare=False)
    function_name: str = field(compare=False)
    qualifier: str | None = field(compare=False)
    payload: bytes = field(compare=False)
    caller: Any = field(compare=False, default=None)
    enqueued: float = field(compare=False, default=0.0)
    attempts: int = field(compare=False, default=0)
    last: Outcome | None = field(compare=False, default=None)
    running: float = field(compare=False, default=0.0)  # local seconds spent inside the function
    throttles: int = field(compare=False, default=0)  # attempts refused with 429 (not counted as retries)

    def age_aws(self) -> float:
        """The event's age in AWS seconds: waiting time runs on the fast clock, function time does not."""
        elapsed = time.monotonic() - self.enqueued
        return clock.aws_seconds(max(0.0, elapsed - self.running)) + self.running


class AsyncEngine:
    """The internal event queue and the worker threads that drain it."""

    def __init__(self, workers: int = WORKERS) -> None:
        self._heap: list[_Event] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._running = 0
        self._stop = False
        self._threads = [
            threading.Thread(target=self._work, name=f"lab-async-invoke-{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    # -- public ------------------------------------------------------------------
    def submit(self, function_name: str, payload: bytes, qualifier: str | None = None, caller: Any = None,
               request_id: str | None = None) -> str:
        now = time.monotonic()
        event = _Event(now, next(self._seq), request_id or util.new_request_id(), function_name, qualifier,
                       bytes(payload), caller, enqueued=now)
        timeline.record("async.queued", function_name, request_id=event.request_id)
        with self._cond:
            heapq.heappush(self._heap, event)
            self._cond.notify()
        return event.request_id

    def pending(self) -> int:
        """Events queued, waiting for a retry, or running."""
        with self._cond:
            return len(self._heap) + self._running

    def clear(self) -> None:
        """Drop every queued event (running ones finish)."""
        with self._cond:
            self._heap.clear()
            self._cond.notify_all()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stop = True
            self._heap.clear()
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    # -- workers -----------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._stop:
                    if self._heap and self._heap[0].due <= time.monotonic():
                        break
                    wait = (self._heap[0].due - time.monotonic()) if self._heap else None
                    self._cond.wait(timeout=wait)
                if self._stop:
                    return
                event = heapq.heappop(self._heap)
                self._running += 1
            try:
                self._attempt(event)
            except Exception as err:  # never let a worker die
                timeline.record("async.error", event.function_name, request_id=event.request_id, error=repr(err))
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

    def _attempt(self, event: _Event) -> None:
        config = _invoke_config(event.function_name, event.qualifier)
        if config is None:  # the function is gone: nothing to deliver to
            timeline.record("async.dropped", event.function_name, request_id=event.request_id,
                            note="function no longer exists")
            return
        max_age = float(config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE))
        max_retries = int(config.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES))
        if (event.attempts or event.throttles) and event.age_aws() > max_age:
            timeline.record("async.expired", event.function_name, request_id=event.request_id,
                            attempts=event.attempts,
                            note=f"event older than MaximumEventAgeInSeconds {clock.describe(max_age)}")
            self._finish(event, config, "EventAgeExceeded")
            return
        event.attempts += 1
        start = time.time()
        began = time.monotonic()
        try:
            outcome = invoke_sync(event.function_name, event.payload, event.qualifier, request_id=event.request_id)
        except Exception as err:
            if getattr(err, "code", None) == "TooManyRequestsException":  # throttled: back to the queue
                event.attempts -= 1
                self._requeue_throttled(event, max_age)
                return
            # deleted meanwhile, runtime refused…: a failed attempt
            outcome = Outcome(500, json.dumps({"errorMessage": str(err), "errorType": type(err).__name__}).encode(),
                              "Unhandled", event.qualifier or "$LATEST", util.new_request_id())
        event.running += time.monotonic() - began
        event.last = outcome
        timeline.record("async.attempt", event.function_name, request_id=event.request_id, attempt=event.attempts,
                        start=start, end=time.time(), error=outcome.function_error)
        if not outcome.failed:
            self._finish(event, config, "Success")
            return
        retry = event.attempts  # 1 for the first retry
        if retry > max_retries:
            self._finish(event, config, "RetriesExhausted")
            return
        delay = RETRY_DELAYS_AWS_SECONDS[min(retry, len(RETRY_DELAYS_AWS_SECONDS)) - 1]
        if event.age_aws() + delay > max_age:
            # the retry would come after the event's maximum age: AWS discards it then
            delay = max(0.0, max_age - event.age_aws()) + 1e-3 * clock.time_scale()
        note = f"retry {retry} after {clock.describe(delay)}"
        timeline.record("async.retry_scheduled", event.function_name, request_id=event.request_id, retry=retry,
                        delay_aws=delay, delay_local=clock.local_seconds(delay), note=note)
        event.due = time.monotonic() + clock.local_seconds(delay)
        with self._cond:
            heapq.heappush(self._heap, event)
            self._cond.notify()

    def _requeue_throttled(self, event: _Event, max_age: float) -> None:
        """Run the event again later, 1 s then doubling up to 5 min (AWS time), while it is young enough."""
        event.throttles += 1
        delay = min(THROTTLE_FIRST_DELAY_AWS_SECONDS * 2 ** (event.throttles - 1), THROTTLE_MAX_DELAY_AWS_SECONDS)
        if event.age_aws() + delay > max_age:
            delay = max(0.0, max_age - event.age_aws()) + 1e-3 * clock.time_scale()
        timeline.record("async.throttled", event.function_name, request_id=event.request_id,
                        throttles=event.throttles, note=f"throttled (429): again after {clock.describe(delay)}")
        event.due = time.monotonic() + clock.local_seconds(delay)
        with self._cond:
            heapq.heappush(self._heap, event)
            self._cond.notify()

    def _finish(self, event: _Event, config: dict[str, Any], condition: str) -> None:
        destinations = config.get("DestinationConfig") or {}
        target = (destinations.get("OnSuccess") if condition == "Success" else destinations.get("OnFailure")) or {}
        if target.get("Destination"):
            record = invocation_record(event, condition)
            deliver(target["Destination"], record, event.function_name, condition)
        if condition != "Success" and config.get("DeadLetterTargetArn"):
            send_to_dlq(config["DeadLetterTargetArn"], event)
        timeline.record("async.done", event.function_name, request_id=event.request_id, condition=condition,
                        attempts=event.attempts)


def _invoke_config(function_name: str, qualifier: str | None) -> dict[str, Any] | None:
    """The function's event-invoke config and DLQ, or None if the function is gone."""
    fn = util.get_function(function_name, qualifier)
    if fn is None:
        fn = util.get_function(function_name)
        if fn is None:
            return None
    config: dict[str, Any] = {}
    configs = getattr(fn, "event_invoke_config", None) or []
    if not configs:  # configs live on the unqualified function in moto
        base = util.get_function(fn.function_name)
        configs = getattr(base, "event_invoke_config", None) or []
    if configs:
        config.update(configs[-1].config)
    dlq = (getattr(fn, "lab_dead_letter_config", None) or {}).get("TargetArn")
    if dlq:
        config["DeadLetterTargetArn"] = dlq
    config["FunctionArn"] = fn.function_arn
    return config


def _iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def invocation_record(event: _Event, condition: str) -> dict[str, Any]:
    """The invocation record Lambda sends to a destination (invocation-async-retain-records.html)."""
    fn = util.get_function(event.function_name)
    function_arn = fn.function_arn if fn is not None else event.function_name
    version = event.last.executed_version if event.last else (event.qualifier or "$LATEST")
    try:
        request_payload: Any = json.loads(event.payload or b"null")
    except ValueError:
        request_payload = event.payload.decode(errors="replace")
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": _iso_now(),
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": f"{function_arn}:{version}",
            "condition": condition,
            "approximateInvokeCount": event.attempts,
        },
        "requestPayload": request_payload,
    }
    if event.last is not None:
        context: dict[str, Any] = {"statusCode": event.last.status_code, "executedVersion": version}
        if event.last.function_error:
            context["functionError"] = event.last.function_error
        record["responseContext"] = context
        record["responsePayload"] = event.last.json()
    return record


def deliver(destination: str, record: dict[str, Any], function_name: str, condition: str) -> None:
    """Send an invocation record to an SQS queue, SNS topic, Lambda function or EventBridge bus."""
    service = destination.split(":")[2] if destination.startswith("arn:") else ""
    body = json.dumps(record)
    try:
        if service == "sqs":
            util.send_to_sqs(destination, body)
        elif service == "sns":
            util.publish_to_sns(destination, body)
        elif service == "lambda":
            # a destination function is invoked asynchronously with the record as its event
            engine().submit(destination, body.encode())
        elif service == "events":
            detail_type = (
                "Lambda Function Invocation Result - Success" if condition == "Success"
                else "Lambda Function Invocation Result - Failure"
            )
            util.put_event(destination, "lambda", detail_type, body, record["requestContext"]["functionArn"])
        else:
            raise ValueError(f"unsupported destination {destination}")
    except Exception as err:  # AWS counts a DestinationDeliveryFailures metric and moves on
        timeline.record("async.destination_failed", function_name, destination=destination, error=repr(err))
        return
    timeline.record("async.destination", function_name, destination=destination, condition=condition,
                    request_id=record["requestContext"]["requestId"])


def send_to_dlq(target_arn: str, event: _Event) -> None:
    """The event itself, with RequestID, ErrorCode and ErrorMessage attributes
    (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq)."""
    last = event.last
    error_message = ""
    if last is not None:
        parsed = last.json()
        error_message = parsed.get("errorMessage", "") if isinstance(parsed, dict) else str(parsed or "")
    error_message = (error_message or "event discarded")[:1024]  # "The first 1 KB of the error message"
    code = str(last.status_code if last is not None else 200)
    body = event.payload.decode(errors="replace")
    try:
        if ":sns:" in target_arn:
            util.publish_to_sns(target_arn, body, {
                "RequestID": {"Type": "String", "Value": event.request_id},
                "ErrorCode": {"Type": "Number", "Value": code},
                "ErrorMessage": {"Type": "String", "Value": error_message},
            })
        else:
            util.send_to_sqs(target_arn, body, {
                "RequestID": {"DataType": "String", "StringValue": event.request_id},
                "ErrorCode": {"DataType": "Number", "StringValue": code},
                "ErrorMessage": {"DataType": "String", "StringValue": error_message},
            })
    except Exception as err:
        timeline.record("async.dlq_failed", event.function_name, destination=target_arn, error=repr(err))
        return
    timeline.record("async.dlq", event.function_name, destination=target_arn, request_id=event.request_id)


_ENGINE: AsyncEngine | None = None
_ENGINE_LOCK = threading.Lock()


def engine() -> AsyncEngine:
    """The running engine (started on first use)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = AsyncEngine()
        return _ENGINE


def submit(function_name: str, payload: bytes = b"{}", qualifier: str | None = None, caller: Any = None, *,
           request_id: str | None = None) -> str:
    """Queue an asynchronous invocation and return its request id (the 202 comes right away).

    The resource-policy check for ``caller`` is the runtime's, done before it calls this.
    ``request_id`` (the runtime's) is kept for every attempt, as Lambda does.
    """
    return engine().submit(function_name, payload, qualifier, caller, request_id=request_id)


def pending() -> int:
    """Asynchronous events not finished yet (queued, waiting to retry, or running)."""
    return _ENGINE.pending() if _ENGINE is not None else 0


def shutdown() -> None:
    """Stop the workers and drop queued events (lab.stop / lab.reset)."""
    global _ENGINE
    with _ENGINE_LOCK:
        current, _ENGINE = _ENGINE, None
    if current is not None:
        current.stop()


idle.register_pending("asynchronous invocations", pending)
