"""A record of what the event sources did, for notebooks to print or plot.

Every entry is a dict with at least ``kind`` (e.g. ``"sqs.batch"``), ``source``
(an ARN or function name) and ``time`` (epoch seconds, local clock). Batches
also carry ``start``/``end``, the record ids and, for SQS, the messages'
``sent`` times, so a notebook can draw message age and batch boundaries.
"""

from __future__ import annotations

import threading
import time
from typing import Any

_LOCK = threading.Lock()
_ENTRIES: list[dict[str, Any]] = []
_MAX = 100_000


def record(kind: str, source: str, **fields: Any) -> dict[str, Any]:
    """Append one entry (thread-safe) and return it."""
    entry: dict[str, Any] = {"kind": kind, "source": source, "time": time.time(), **fields}
    with _LOCK:
        _ENTRIES.append(entry)
        if len(_ENTRIES) > _MAX:
            del _ENTRIES[: len(_ENTRIES) - _MAX]
    return entry


def entries(kind: str | None = None, source: str | None = None) -> list[dict[str, Any]]:
    """A copy of the entries, optionally only those whose kind starts with ``kind``
    and whose source equals (or ends with) ``source``."""
    with _LOCK:
        items = [dict(e) for e in _ENTRIES]
    if kind is not None:
        items = [e for e in items if e["kind"].startswith(kind)]
    if source is not None:
        items = [e for e in items if e["source"] == source or str(e["source"]).endswith(source)]
    return items


def clear() -> None:
    """Forget every entry."""
    with _LOCK:
        _ENTRIES.clear()
