"""Self-checks for notebook 03 (Push vs pull). They look at real state, on either backend.

* 03.1 (predict): how many times is a message that always fails received before SQS moves it to the
  dead-letter queue? The check runs the experiment itself, after the prediction is recorded: a queue with
  ``maxReceiveCount`` :data:`PREDICT_MAX_RECEIVES`, a function that always fails, one message; it counts
  the receives in the function's log and finds the message in the dead-letter queue.
* 03.2 (write): the student's ``nb03-payments`` handler reports ``batchItemFailures``. The check sends a
  batch with one bad order and reads what happened: every good order charged once (the function's log),
  only the bad one in the dead-letter queue.
* 03.3 (diagnose): :func:`prepare_03_3` builds a mapping whose queue's visibility timeout is shorter than
  the function's timeout (the function's timeout was raised after the mapping was created, which Lambda
  does not validate). The check reads both settings, then sends a message and sees it processed once.

``prepare_03_2`` and ``prepare_03_3`` use public boto3 APIs and the course helpers only, so they run on a
real account too.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from typing import Any

from lab_support.core.idle import wait_idle
from lab_support.core.retry import StillWaiting, retrying, until
from lab_support.core.session import current
from lab_support.course.functions import create_function
from lab_support.course.lambda_output import handler_output, now_ms
from lab_support.course.resources import clear_mappings, execution_role, queue, track_mapping
from lab_support.exercises.registry import Outcome, compare_prediction, exercise

SQS_MANAGED = ("AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole")
ROLE = "nb03-exercise-reader"

# -- 03.1 · predict: receives before the dead-letter queue ------------------------------------------------
PREDICT_MAX_RECEIVES = 4
PREDICT_FUNCTION = "nb03-always-rejects"
PREDICT_QUEUE = "nb03-predict"
PREDICT_DLQ = "nb03-predict-dlq"
_ALWAYS_FAILS = '''
def handler(event, context):
    for record in event["Records"]:
        print(f"received {record['body']} (receive count {record['attributes']['ApproximateReceiveCount']})")
    raise RuntimeError("this function fails every batch")
'''

# -- 03.2 · write: batchItemFailures ---------------------------------------------------------------------
PAYMENTS_FUNCTION = "nb03-payments"
PAYMENTS_QUEUE = "nb03-payments"
PAYMENTS_DLQ = "nb03-payments-dlq"
PAYMENTS_MAX_RECEIVES = 2
CHARGED = "charged order"

# -- 03.3 · diagnose: visibility timeout vs function timeout ---------------------------------------------
SHIPPING_FUNCTION = "nb03-shipping"
SHIPPING_QUEUE = "nb03-shipping"
SHIPPING_TIMEOUT = 120  # seconds: what the function needs for its slowest batches
_SHIPPING = '''
import json


def handler(event, context):
    for record in event["Records"]:
        order = json.loads(record["body"])
        print(f"label printed for order {order['id']}")
'''


def _wait_for_queue_work(done: Callable[[], Any], what: str, seconds_on_aws: float) -> None:
    """Let the mapping finish: on the embedded backend until nothing is pending; on AWS until ``done()`` holds, for
    at most about ``seconds_on_aws`` (one ``⏳ waiting for AWS`` line). The check then reports what it saw."""
    wait_idle(60)  # returns at once on AWS, where nothing local is pending
    with contextlib.suppress(StillWaiting):
        until(done, what=what, max_wait=seconds_on_aws)


def _dead_letters(dlq_url: str) -> list[str]:
    """Bodies of the messages in a dead-letter queue (received, then deleted: the check cleans up)."""
    sqs = current().client("sqs")
    bodies: list[str] = []
    for _ in range(10):
        messages = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if not messages:
            break
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def _mapping(function_name: str, queue_arn: str, **settings: Any) -> dict[str, Any]:
    """A fresh event source mapping from ``queue_arn`` to ``function_name``, tracked for the clean-up."""
    lam = current().client("lambda")
    clear_mappings(function_name)
    created = retrying(lambda: lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=function_name,
                                                               Tags=current().tags, **settings),
                       retry_on=lambda err: isinstance(err, lam.exceptions.InvalidParameterValueException),
                       what="the execution role's SQS permissions")
    track_mapping(created, f"{queue_arn.split(':')[-1]} -> {function_name}")
    return dict(created)


def _reader_role() -> str:
    return execution_role(ROLE, managed=SQS_MANAGED)


def _receives_before_dead_letter() -> tuple[int, bool]:
    """Run the 03.1 experiment: (receives seen in the log, was the message in the dead-letter queue)."""
    role = _reader_role()
    create_function(PREDICT_FUNCTION, _ALWAYS_FAILS, role=role)
    dlq_url, dlq_arn = queue(PREDICT_DLQ)
    url, arn = queue(PREDICT_QUEUE, VisibilityTimeout=30, RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": PREDICT_MAX_RECEIVES}))
    _mapping(PREDICT_FUNCTION, arn, BatchSize=1)
    since = now_ms()
    body = f"message {uuid.uuid4().hex[:8]}"
    current().client("sqs").send_message(QueueUrl=url, MessageBody=body)
    dead: list[str] = []
    _wait_for_queue_work(lambda: dead.extend(_dead_letters(dlq_url)) or body in dead,
                         f"the message to reach {PREDICT_DLQ} (a few minutes on AWS)", 30 * (PREDICT_MAX_RECEIVES + 2))
    receives = [line for line in handler_output(PREDICT_FUNCTION, since, count=PREDICT_MAX_RECEIVES, timeout=10)
                if line.startswith(f"received {body}")]
    clear_mappings(PREDICT_FUNCTION)
    return len(receives), body in dead + _dead_letters(dlq_url)


@exercise(
    "03.1",
    "how many receives before the dead-letter queue?",
    [
        "Count the receives one by one: after each failed receive, does the count now exceed the limit?",
        "The section 'When a batch fails' says, with a link to the SQS developer guide, exactly when SQS "
        "moves a message to the dead-letter queue.",
        "Compare ApproximateReceiveCount (one more on every receive) with the redrive policy's maxReceiveCount.",
    ],
    kind="predict",
)
def _predict_receives(prediction: Any = ...) -> Any:
    if prediction is ... or prediction is None:
        return compare_prediction(prediction, None, "")
    if isinstance(prediction, bool) or not isinstance(prediction, int) or prediction < 1:
        return "record the number of receives as a whole number of at least 1, e.g. prediction = 7"
    receives, dead = _receives_before_dead_letter()
    if not dead:
        return f"the experiment's message did not reach {PREDICT_DLQ} (received {receives} times): run the check again"
    why = (f"With maxReceiveCount {PREDICT_MAX_RECEIVES} SQS lets the message be received {PREDICT_MAX_RECEIVES} "
           f"times; the next receive would make the count {PREDICT_MAX_RECEIVES + 1}, which exceeds "
           "maxReceiveCount, so SQS moves the message to the dead-letter queue instead of handing it out again.")
    return compare_prediction(prediction, receives, why)


def prepare_03_2(code: str) -> str:
    """The set-up of exercise 03.2: deploy ``code`` as ``nb03-payments``, its queue (redrive after
    :data:`PAYMENTS_MAX_RECEIVES` receives) and dead-letter queue, and a mapping with
    ``FunctionResponseTypes=["ReportBatchItemFailures"]``. Returns the execution role's ARN."""
    role = _reader_role()
    create_function(PAYMENTS_FUNCTION, code, role=role)
    _, dlq_arn = queue(PAYMENTS_DLQ)
    _, arn = queue(PAYMENTS_QUEUE, VisibilityTimeout=30, RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": PAYMENTS_MAX_RECEIVES}))
    _mapping(PAYMENTS_FUNCTION, arn, BatchSize=10, MaximumBatchingWindowInSeconds=2,
             FunctionResponseTypes=["ReportBatchItemFailures"])
    return role


def _queue_url(name: str) -> str | None:
    sqs = current().client("sqs")
    try:
        return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist:
        return None


@exercise(
    "03.2",
    "retry only the bad message",
    [
        "Let the handler carry on after a bad order, remember which record failed, and tell Lambda at the end.",
        "The section 'Partial batch responses' shows the shape of the answer Lambda reads from the handler.",
        "Return batchItemFailures, a list with one itemIdentifier (the record's messageId) per failed record; "
        "a raised exception fails the whole batch.",
    ],
    kind="write",
)
def _batch_item_failures() -> Any:
    session = current()
    sqs, lam = session.client("sqs"), session.client("lambda")
    url, dlq_url = _queue_url(PAYMENTS_QUEUE), _queue_url(PAYMENTS_DLQ)
    if url is None or dlq_url is None:
        return "the queues are not there yet: run the set-up cell (prepare_03_2) first"
    if not lam.list_event_source_mappings(FunctionName=PAYMENTS_FUNCTION)["EventSourceMappings"]:
        return "there is no event source mapping to nb03-payments: run the set-up cell (prepare_03_2) again"
    _dead_letters(dlq_url)  # start from an empty dead-letter queue
    run = uuid.uuid4().hex[:6]
    orders = [{"id": f"{run}-{n}", "amount": amount} for n, amount in enumerate([25, 0, 40])]
    bad = orders[1]["id"]
    since = now_ms()
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": json.dumps(order)}
                                                  for n, order in enumerate(orders)])
    bodies: list[str] = []
    _wait_for_queue_work(lambda: bodies.extend(_dead_letters(dlq_url)) or bad in "".join(bodies),
                         f"the bad order to reach {PAYMENTS_DLQ} (about 2 minutes on AWS)",
                         30 * (PAYMENTS_MAX_RECEIVES + 2))
    printed = handler_output(PAYMENTS_FUNCTION, since, count=2, timeout=10)
    charged = {order["id"]: sum(1 for line in printed if line.startswith(f"{CHARGED} {order['id']}"))
               for order in orders}
    dead = [json.loads(body).get("id") for body in bodies + _dead_letters(dlq_url)]
    good = [order["id"] for order in orders if order["id"] != bad]
    if not any(charged.values()):
        return (f"no '{CHARGED} …' line in the function's log: deploy your handler (run the cell with "
                "lab.create_function) and keep charge() as it is")
    twice = [order_id for order_id in good if charged[order_id] > 1]
    if twice:
        return (f"a good order was charged {max(charged[o] for o in twice)} times: the whole batch came back, "
                "not just the bad message")
    missing = [order_id for order_id in good if charged[order_id] == 0]
    if missing:
        return f"a good order was never charged ({len(missing)} of {len(good)}): it ended in the dead-letter queue"
    if dead != [bad]:
        return (f"the dead-letter queue holds {len(dead)} message(s); it should hold exactly the bad order (amount 0) "
                "once SQS gave up on it")
    return Outcome(True, "Each good order was charged once; only the bad order came back, "
                         f"{PAYMENTS_MAX_RECEIVES} times, and then went to {PAYMENTS_DLQ}.")


def prepare_03_3() -> None:
    """The broken set-up of exercise 03.3: queue ``nb03-shipping`` (visibility timeout 30 s), function
    ``nb03-shipping`` and a mapping between them, created while the function's timeout was 30 s; then the
    function's timeout is raised to :data:`SHIPPING_TIMEOUT` s, which Lambda accepts without looking at the
    queue. Running it again puts the broken state back."""
    role = _reader_role()
    create_function(SHIPPING_FUNCTION, _SHIPPING, role=role, Timeout=30)
    _, arn = queue(SHIPPING_QUEUE, VisibilityTimeout=30)
    _mapping(SHIPPING_FUNCTION, arn, BatchSize=10)
    lam = current().client("lambda")
    lam.update_function_configuration(FunctionName=SHIPPING_FUNCTION, Timeout=SHIPPING_TIMEOUT)
    lam.get_waiter("function_updated_v2").wait(FunctionName=SHIPPING_FUNCTION)


@exercise(
    "03.3",
    "orders shipped twice",
    [
        "Twice, and each time about 30 s after the first delivery: what makes a message that is being "
        "processed visible to Lambda's poller again?",
        "The section 'When a batch fails' says what happens when the visibility timeout ends; the paragraph "
        "before this exercise says how it must compare with the function's settings.",
        "sqs.get_queue_attributes, lam.get_function_configuration; sqs.set_queue_attributes and "
        "lam.update_function_configuration.",
    ],
    kind="diagnose",
)
def _visibility_timeout() -> Any:
    session = current()
    sqs, lam = session.client("sqs"), session.client("lambda")
    url = _queue_url(SHIPPING_QUEUE)
    if url is None:
        return "there is no queue nb03-shipping: run the set-up cell (prepare_03_3) first"
    try:
        timeout = int(lam.get_function_configuration(FunctionName=SHIPPING_FUNCTION)["Timeout"])
    except lam.exceptions.ResourceNotFoundException:
        return "there is no function nb03-shipping: run the set-up cell (prepare_03_3) first"
    visibility = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
                     ["Attributes"]["VisibilityTimeout"])
    if timeout < SHIPPING_TIMEOUT:
        return (f"the function's timeout is now {timeout} s, but its slowest batches need {SHIPPING_TIMEOUT} s: "
                "leave the function alone and fix the queue")
    if visibility < timeout:
        return "as set up now, a message can still become visible again while its batch is running"
    mappings = lam.list_event_source_mappings(FunctionName=SHIPPING_FUNCTION)["EventSourceMappings"]
    if not mappings or mappings[0].get("State") not in ("Enabled", "Enabling", "Creating", "Updating"):
        return "the queue looks right, but the mapping is gone or disabled: the orders must still be processed"
    since = now_ms()
    order = uuid.uuid4().hex[:8]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": order}))
    _wait_for_queue_work(lambda: any(order in line for line in handler_output(SHIPPING_FUNCTION, since)),
                         "the test order to be processed", 60)
    printed = [line for line in handler_output(SHIPPING_FUNCTION, since, count=1, timeout=10) if order in line]
    if len(printed) != 1:
        return f"a test order was processed {len(printed)} times, not once"
    advice = ("" if visibility >= 6 * timeout else
              f" AWS recommends at least six times the function's timeout ({6 * timeout} s), so that Lambda can "
              "retry a throttled batch within one visibility timeout.")
    return Outcome(True, f"VisibilityTimeout {visibility} s ≥ function timeout {timeout} s: a message stays "
                         f"hidden while its batch runs, and a test order was processed once.{advice}")
