"""Push and pull invocation of Lambda functions, as the Lambda service does it.

Attached to every embedded session in the order of ``lab_support.EXTENSIONS`` (``install``).

* **Push** (:mod:`.push`): S3 event notifications and SNS subscriptions invoke the
  function asynchronously, as ``s3.amazonaws.com`` / ``sns.amazonaws.com``, through Lambda's asynchronous
  invocation (:mod:`lab_support.embedded.lambda_.async_invoke`: retries, event age, destinations, DLQs).
* **Pull** (:mod:`.pollers`): event source mappings for SQS, Kinesis and DynamoDB
  Streams served by background poller threads, with batching, windows, deletes on
  success, redrive, partial batch responses and enable/disable.
* **Where moto changes** (:mod:`.patches`): the patch group ``event_sources`` (see docs/SEAMS.md).
* **Time** (:mod:`lab_support.core.clock`): AWS's fixed delays run on a fast local clock,
  ``lab.time_scale`` AWS seconds per local second (default 60).

Public API::

    from lab_support.embedded import event_sources
    event_sources.submit(name, payload, qualifier, caller) -> request_id   # async invoke
    event_sources.pending() -> int        # async events + busy pollers not finished
    event_sources.timeline(kind=None, source=None) -> list[dict]
    event_sources.clear_timeline()
    event_sources.set_invoker(fn | None)  # tests: replace the runtime
"""

from __future__ import annotations

from typing import Any

from lab_support.core import clock
from lab_support.core.timeline import clear as clear_timeline
from lab_support.core.timeline import entries as timeline
from lab_support.embedded.event_sources import patches, pollers
from lab_support.embedded.lambda_ import async_invoke
from lab_support.embedded.lambda_.async_invoke import submit
from lab_support.embedded.lambda_.invoker import Outcome, set_invoker

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
]


def pending() -> int:
    """How many things are not finished: queued/retrying/running asynchronous events, plus
    event source mappings with a batch running or records waiting."""
    return async_invoke.pending() + pollers.pending()


def shutdown() -> None:
    """Stop every poller and async worker (lab.stop / lab.reset)."""
    pollers.stop_all()
    async_invoke.shutdown()


def _on_reset() -> None:
    pollers.stop_all()
    async_invoke.shutdown()
    clear_timeline()


def install(session: Any) -> None:
    """Extension hook: request the moto patches (undone by ``lab.stop()``) and attach to this session's reset/stop."""
    patches.apply()
    session.on_reset(_on_reset)
    session.on_stop(shutdown)
