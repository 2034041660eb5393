"""Requests offered vs served per second: the data (and figure) of a throttling experiment.

Works on both backends: a notebook sends requests with plain HTTP, keeps ``(seconds since start, status)``
for each, and hands the list here. Nothing is read from the gateway itself.

API Gateway answers a throttled request with 429 ``{"message":"Too Many Requests"}`` and a request over the
usage plan's quota with 429 ``{"message":"Limit Exceeded"}``
(https://repost.aws/knowledge-center/api-gateway-429-limit); anything else below 400 counts as served.

:func:`get_with_key` sends one request with an API key. On a real account a key just added to a usage plan can
take a few seconds to be accepted (``403 Forbidden`` meanwhile), so there it asks again while the answer is 403,
in a bounded wait (:func:`lab_support.core.retry.retrying`); on the embedded backend it sends one request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests

from lab_support.core.retry import retrying
from lab_support.course.figures import PALETTE, use_course_style

__all__ = ["get_with_key", "offered_vs_served", "plot_offered_vs_served"]


class _KeyNotAcceptedYet(Exception):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"{response.status_code} {response.text}")
        self.response = response


def get_with_key(url: str, key: str, *, max_wait: float = 60.0) -> requests.Response:
    """``GET url`` with the API key ``key`` (header ``x-api-key``); the response, whatever its status.

    A key just created and added to a usage plan can take a few seconds to be accepted on AWS; until then the
    gateway answers ``403 Forbidden``. On a real account this asks again while the answer is 403 (one
    ``⏳ waiting for AWS`` line, at most ``max_wait`` seconds, then the last 403 is returned); on the embedded
    backend it sends exactly one request, so a wrong key's 403 comes back at once.
    """
    def attempt() -> requests.Response:
        response = requests.get(url, headers={"x-api-key": key}, timeout=30)
        if response.status_code == 403:
            raise _KeyNotAcceptedYet(response)
        return response

    try:
        return retrying(attempt, retry_on=lambda err: isinstance(err, _KeyNotAcceptedYet), max_wait=max_wait,
                        what="the new API key to be accepted (403 until then)")
    except _KeyNotAcceptedYet as refused:
        return refused.response


def offered_vs_served(samples: Iterable[tuple[float, int]]) -> list[tuple[int, int, int]]:
    """``[(second, offered, served), ...]`` for every whole second from 0 to the last sample.

    ``samples`` are ``(seconds since the start, HTTP status)`` pairs; a request is served when its status is
    below 400. Seconds without requests appear with zeros, so the plot shows the gaps.
    """
    offered: dict[int, int] = {}
    served: dict[int, int] = {}
    last = -1
    for at, status in samples:
        second = int(at)
        last = max(last, second)
        offered[second] = offered.get(second, 0) + 1
        if int(status) < 400:
            served[second] = served.get(second, 0) + 1
    return [(s, offered.get(s, 0), served.get(s, 0)) for s in range(last + 1)]


def plot_offered_vs_served(samples: Iterable[tuple[float, int]], *, title: str = "Requests offered vs served",
                           ax: Any = None) -> Any:
    """Plot :func:`offered_vs_served` as two step lines (course style); returns the matplotlib ``Axes``."""
    import matplotlib.pyplot as plt  # plotting is optional: only notebooks that draw import matplotlib

    rows = offered_vs_served(samples)
    use_course_style()
    if ax is None:
        _fig, ax = plt.subplots()
    seconds = [r[0] for r in rows]
    ax.step(seconds, [r[1] for r in rows], where="post", label="offered", color=PALETTE[0])
    ax.step(seconds, [r[2] for r in rows], where="post", label="served (status < 400)", color=PALETTE[2])
    ax.set_xlabel("second")
    ax.set_ylabel("requests per second")
    ax.set_title(title)
    ax.legend()
    return ax
