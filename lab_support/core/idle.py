"""One ``wait_idle`` for the whole package: background work registers how much of it is pending.

The Lambda runtime counts invocations in flight, async invocation counts queued events and retries, the
event-source pollers count batches not yet delivered. Each registers a counter here with
:func:`register_pending`; :func:`wait_idle` (``lab.wait_idle``) returns once every counter reads zero twice
in a row, a short pause apart (work handed from one service to another in between is not missed).
On a real account nothing registers, and ``wait_idle`` returns at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_COUNTERS: dict[str, Callable[[], int]] = {}
_CHANGED = threading.Condition()
SETTLE_SECONDS = 0.02


def register_pending(name: str, count: Callable[[], int]) -> None:
    """Tell :func:`wait_idle` about background work: ``count()`` is how many items of it are pending."""
    _COUNTERS[name] = count


def notify() -> None:
    """Wake :func:`wait_idle` early: call it when a counter may have dropped."""
    with _CHANGED:
        _CHANGED.notify_all()


def pending() -> dict[str, int]:
    """Pending work per registered name (only names with work)."""
    found = {}
    for name, count in list(_COUNTERS.items()):
        n = int(count())
        if n:
            found[name] = n
    return found


def wait_idle(timeout: float = 30) -> None:
    """Return once no invocation, async retry or poller batch is pending; ``TimeoutError`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        if not pending():
            time.sleep(SETTLE_SECONDS)
            if not pending():
                return
        busy = pending()
        if time.monotonic() > deadline:
            what = ", ".join(f"{name}: {n}" for name, n in sorted(busy.items()))
            raise TimeoutError(f"work still pending after {timeout:g} s ({what})")
        with _CHANGED:
            _CHANGED.wait(0.05)
