"""Small timing helpers shared by the benchmarks (run them as scripts: ``python bench/bench_lambda.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable


def pct(samples: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``samples``, nearest-rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[], object]) -> float:
    """Milliseconds ``fn()`` takes."""
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000
