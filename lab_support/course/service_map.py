"""X-Ray's service map as a figure: the services of recent traces and the calls between them (plain boto3).

``xray.get_service_graph`` answers with nodes (``Services``: name, ``Type`` such as ``AWS::ApiGateway::Stage`` or
``AWS::Lambda::Function``, ``SummaryStatistics``) and edges (``Edges`` with a ``ReferenceId``)
(https://docs.aws.amazon.com/xray/latest/api/API_GetServiceGraph.html). :func:`service_map` fetches them and
:func:`plot_service_map` draws them left to right, each node with its request count, average response time and
error/fault counts. Works on both backends.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lab_support.course.figures import PALETTE

__all__ = ["plot_service_map", "service_map"]


def service_map(xray: Any, *, minutes: float = 60, end: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The ``Services`` of ``get_service_graph`` for the last ``minutes`` (all pages)."""
    end = end or dt.datetime.now(dt.UTC)
    kwargs: dict[str, Any] = {"StartTime": end - dt.timedelta(minutes=minutes), "EndTime": end}
    services: list[dict[str, Any]] = []
    while True:
        page = xray.get_service_graph(**kwargs)
        services += page.get("Services", [])
        token = page.get("NextToken")
        if not token:
            return services
        kwargs["NextToken"] = token


def _depths(services: list[dict[str, Any]]) -> dict[int, int]:
    """Column of each node: its longest distance from a node nothing calls."""
    called = {e["ReferenceId"] for s in services for e in s.get("Edges", [])}
    depth = {s["ReferenceId"]: 0 for s in services if s["ReferenceId"] not in called}
    by_id = {s["ReferenceId"]: s for s in services}
    frontier = list(depth)
    for _ in range(len(services)):
        nxt = []
        for ref in frontier:
            for edge in by_id[ref].get("Edges", []):
                target = edge["ReferenceId"]
                if target in by_id and depth.get(target, -1) < depth[ref] + 1:
                    depth[target] = depth[ref] + 1
                    nxt.append(target)
        frontier = nxt
    for s in services:
        depth.setdefault(s["ReferenceId"], 0)
    return depth


def plot_service_map(services: list[dict[str, Any]], *, title: str = "X-Ray service map", ax: Any = None) -> Any:
    """Draw ``services`` (from :func:`service_map`); returns the matplotlib ``Axes``."""
    import matplotlib.pyplot as plt

    if ax is None:
        _fig, ax = plt.subplots(figsize=(11, 4.5))
    depth = _depths(services)
    columns: dict[int, list[int]] = {}
    for ref in sorted(depth):
        columns.setdefault(depth[ref], []).append(ref)
    position = {ref: (col, -row) for col, refs in columns.items() for row, ref in enumerate(refs)}
    by_id = {s["ReferenceId"]: s for s in services}
    for s in services:
        for edge in s.get("Edges", []):
            if edge["ReferenceId"] in position:
                (x0, y0), (x1, y1) = position[s["ReferenceId"]], position[edge["ReferenceId"]]
                ax.annotate("", xy=(x1 - 0.18, y1), xytext=(x0 + 0.18, y0),
                            arrowprops={"arrowstyle": "-|>", "lw": 2, "color": "#555555"})
    types = sorted({str(s.get("Type", "")) for s in services})
    for ref, (x, y) in position.items():
        s = by_id[ref]
        stats = s.get("SummaryStatistics") or {}
        total = int(stats.get("TotalCount", 0))
        avg_ms = 1000 * float(stats.get("TotalResponseTime", 0.0)) / total if total else 0.0
        errors = int((stats.get("ErrorStatistics") or {}).get("TotalCount", 0))
        faults = int((stats.get("FaultStatistics") or {}).get("TotalCount", 0))
        colour = PALETTE[types.index(str(s.get("Type", ""))) % len(PALETTE)]
        ax.scatter([x], [y], s=2600, color=colour, zorder=3, edgecolors="black" if faults else colour, linewidths=3)
        ax.text(x, y + 0.32, f"{s.get('Name')}\n{s.get('Type', '')}", ha="center", va="bottom", fontsize=11)
        ax.text(x, y - 0.3, f"{total} req · {avg_ms:.0f} ms\n{errors} 4xx · {faults} 5xx", ha="center", va="top",
                fontsize=10)
    ax.set_title(title)
    ax.set_xlim(-0.6, max(columns, default=0) + 0.6)
    ax.set_ylim(-max((len(v) for v in columns.values()), default=1) - 0.2, 1.0)
    ax.axis("off")
    return ax
