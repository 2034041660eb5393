"""Push and pull invocation of Lambda functions, as the Lambda service does it.

Attached to every session by ``lab.register_extension("event_sources", install)``.

* **Push** (:mod:`.push`): S3 event notifications and SNS subscriptions invoke the
  function asynchronously, as ``s3.amazonaws.com`` / ``sns.amazonaws.com``.
* **Asynchronous invocation** (:mod:`.async_invoke`): an internal queue, retries
  (2 by default, 1 then 2 AWS minutes apart), MaximumEventAgeInSeconds, destinations,
  dead-letter queues.
* **Pull** (:mod:`.pollers`): event source mappings for SQS, Kinesis and DynamoDB
  Streams served by background poller threads, with batching, windows, deletes on
  success, redrive, partial batch responses and enable/disable.
* **Time** (:mod:`.clock`): AWS's fixed delays run on a fast local clock,
  ``lab.time_scale`` AWS seconds per local second (default 60).

Public API::

    from lab_support import event_sources
    event_sources.submit(name, payload, qualifier, caller) -> request_id   # async invoke
    event_sources.pending() -> int        # async events + busy pollers not finished
    event_sources.wait_idle(timeout=30) -> None   # until pending() stays 0 (TimeoutError otherwise)
    event_sources.timeline(kind=None, source=None) -> list[dict]
    event_sources.clear_timeline()
    event_sources.set_invoker(fn | None)  # tests: replace the runtime
"""

from __future__ import annotations

import time
from typing import Any

from . import async_invoke, clock, patches, pollers
from .async_invoke import submit
from .invoker import Outcome, set_invoker
from .timeline import clear as clear_timeline
from .timeline import entries as timeline

__all__ = [
    "Outcome",
    "clear_timeline",
    "clock",
    "install",
    "pending",
    "set_invoker",
    "shutdown",
    "submit",
    "timeline",
    "wait_idle",
]


def pending() -> int:
    """How many things are not finished: queued/retrying/running asynchronous events, plus
    event source mappings with a batch running or records waiting."""
    return async_invoke.pending() + pollers.pending()


def wait_idle(timeout: float = 30.0, *, settle: float = 0.05) -> None:
    """Return once nothing is pending (checked twice, ``settle`` seconds apart).

    Raises ``TimeoutError`` (saying what is still pending) after ``timeout`` local seconds.
    A mapping whose function always fails and whose queue has no dead-letter queue never
    becomes idle — as on AWS, where the messages keep coming back.
    """
    deadline = time.monotonic() + timeout
    while True:
        if pending() == 0:
            time.sleep(settle)
            if pending() == 0:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"still pending after {timeout:g} s: {async_invoke.pending()} asynchronous event(s), "
                f"{pollers.pending()} event source mapping(s) with records to process"
            )
        time.sleep(0.01)


def shutdown() -> None:
    """Stop every poller and async worker (lab.stop / lab.reset)."""
    patches.ACTIVE = False
    pollers.stop_all()
    async_invoke.shutdown()


def _on_reset() -> None:
    pollers.stop_all()
    async_invoke.shutdown()
    clear_timeline()


def install(session: Any) -> None:
    """Extension hook: patch moto (once) and attach to this session's reset/stop."""
    patches.apply()
    patches.ACTIVE = True
    try:  # the runtime's wait_idle (lab.wait_idle) also waits for retries and poller batches
        from lab_support.lambda_runtime import register_pending_check
    except ImportError:
        pass
    else:
        register_pending_check("event_sources", lambda: pending() > 0)
    session.on_reset(_on_reset)
    session.on_stop(shutdown)


def _register() -> None:
    from lab_support.session import register_extension

    register_extension("event_sources", install)


_register()
