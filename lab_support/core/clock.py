"""AWS's fixed delays, on a faster local clock.

AWS waits one minute, then two, between retries of an asynchronous invocation
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html);
a queue hides a failed message for its visibility timeout (30 s by default); a
batching window can last five minutes. Nobody wants to wait that long in a
notebook, so the local event sources run those *fixed* delays faster:
``lab.time_scale`` AWS seconds pass per local second (default 60: one AWS minute
is one second here). Set it in a notebook with ``lab.time_scale = 120``.

Function code is never sped up: a handler that sleeps 1 s takes 1 s.
Everything printed about a delay says both times, e.g.
``retry 1 after 60 s (AWS time) = 1.0 s here``.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable

DEFAULT_TIME_SCALE = 60.0


def time_scale() -> float:
    """AWS seconds per local second, read from ``lab_support.time_scale`` each time."""
    package = sys.modules.get("lab_support")
    value = getattr(package, "time_scale", DEFAULT_TIME_SCALE) if package else DEFAULT_TIME_SCALE
    try:
        scale = float(value)
    except (TypeError, ValueError):
        return DEFAULT_TIME_SCALE
    return scale if scale > 0 else DEFAULT_TIME_SCALE


def local_seconds(aws_seconds: float) -> float:
    """How long ``aws_seconds`` of AWS time last on the local clock."""
    return max(0.0, float(aws_seconds)) / time_scale()


def aws_seconds(local: float) -> float:
    """The AWS time that ``local`` seconds on this machine stand for."""
    return float(local) * time_scale()


def describe(aws_secs: float) -> str:
    """``"60 s (AWS time) = 1.0 s here"``: a delay in both clocks, for anything printed."""
    return f"{aws_secs:g} s (AWS time) = {local_seconds(aws_secs):.1f} s here"


# -- the course clock and the course's random source ------------------------------------------------------------
# Features whose behaviour depends on time or chance (authorizer result caches, token buckets, quota periods,
# canary routing, WAF rate windows and sampling, alarm periods) read these two, never time.time() or random
# directly, so a notebook can make them quick (advance() instead of waiting) and its stored outputs stable
# (seed()).
_OFFSET = 0.0
_OFFSET_LOCK = threading.Lock()
_RANDOM = random.Random(0)
_LISTENERS: list[Callable[[], None]] = []


def now() -> float:
    """The course clock, in seconds since the epoch: the wall clock plus every :func:`advance` so far."""
    return time.time() + _OFFSET


def advance(seconds: float) -> float:
    """Move the course clock forward by ``seconds`` (caches expire, buckets refill, periods end) and return it."""
    global _OFFSET
    if seconds < 0:
        raise ValueError("the course clock only moves forward")
    with _OFFSET_LOCK:
        _OFFSET += float(seconds)
    for listener in list(_LISTENERS):
        listener()  # e.g. CloudWatch alarms whose period has now ended are evaluated before advance() returns
    return now()


def on_advance(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener()`` after every :func:`advance` (in the caller's thread); returns a function that removes it."""
    _LISTENERS.append(listener)

    def remove() -> None:
        if listener in _LISTENERS:
            _LISTENERS.remove(listener)

    return remove


def reset_clock() -> None:
    """Back to the wall clock (``lab.reset()`` does this)."""
    global _OFFSET
    with _OFFSET_LOCK:
        _OFFSET = 0.0


def rng() -> random.Random:
    """The course's random source (canary routing, sampling): seeded, so runs repeat. See :func:`seed`."""
    return _RANDOM


def seed(value: int) -> None:
    """Re-seed the course's random source (``lab.reset()`` seeds it with 0)."""
    _RANDOM.seed(value)
