"""Cost stated first: what a notebook creates on a real account, what it costs, and cells that need costly things.

* :func:`costs` (``lab.costs("02")``) and :func:`cost_notice` (``lab.cost_notice(["waf", "lambda"])``) print, on
  ``LAB_BACKEND=aws``, the billable resources with their price, the expected cost of the notebook, and the Free
  Tier as it now is (accounts created since 15 July 2025 get credits instead of 12-month allowances; the "Always
  Free" offers stay), from ``data/pricing.json`` (sources and the date they were read). On the embedded backend
  they print one line, ``Costs: local, costs nothing (the embedded AWS runs on this machine).``
* :func:`skip_on_aws` (``lab.skip_on_aws("creates a load balancer, ~$0.0225/h")``) does nothing on the embedded
  backend; on a real account it stops the rest of the cell with :class:`SkippedOnAWS`, which IPython shows as
  one line (no traceback), and the cell counts as run, so *Run All* goes on with the next cell.

The price table lives in one data file, ``data/pricing.json`` (loaded by :func:`pricing`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from lab_support.core.errors import LabError
from lab_support.core.printed import PrintedText
from lab_support.core.session import current

PRICING_FILE = Path(__file__).resolve().parents[2] / "data" / "pricing.json"
LOCAL_LINE = "Costs: local, costs nothing (the embedded AWS runs on this machine)."


@cache
def pricing() -> dict[str, Any]:
    """The price table: ``{"read": date, "region", "free_tier", "items": {key: entry}, "notebooks": {nn: keys}}``."""
    try:
        return dict(json.loads(PRICING_FILE.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise LabError(f"The course's price table {PRICING_FILE} is missing.",
                       "run the course from its folder (make lab), where data/pricing.json lives.") from None


def _lines(keys: list[str], title: str) -> list[str]:
    table = pricing()
    items = table["items"]
    unknown = [k for k in keys if k not in items]
    if unknown:
        raise LabError(f"No price for {', '.join(unknown)} in data/pricing.json.",
                       f"use one of: {', '.join(sorted(items))}.")
    session = current()
    region_note = "" if session.region == table["region"] else f" (prices are {table['region']}'s; yours may differ)"
    lines = [f"{title}, Region {session.region}{region_note}; prices read {table['read']}:"]
    for key in keys:
        item = items[key]
        flag = "⚠ never free: " if item["never_free"] else ""
        mark = " (*)" if not item["checked"] else ""
        lines.append(f"  - {flag}{item['label']}: {item['course_cost']}. Price: {item['price']}{mark}; "
                     f"free tier: {item['free']}.")
    lines.append("Free Tier: " + table["free_tier"]["summary"])
    sources = sorted({items[k]["aws_page"] for k in keys})
    lines.append("Sources: " + ", ".join(sources) + (" ((*) figure to re-check there)" if any(
        not items[k]["checked"] for k in keys) else ""))
    lines.append("lab.cleanup() at the end of the notebook deletes all of it; lab.leftovers() lists what remains.")
    return lines


def cost_notice(resources: list[str], *, title: str = "Billable resources this creates") -> str:
    """Print (and return, as a :class:`~lab_support.core.printed.PrintedText` a notebook does not show twice)
    what ``resources`` (keys of ``data/pricing.json``: ``"lambda"``, ``"rest_api"``,
    ``"waf"``, ``"nlb"``…) cost on a real account; on the embedded backend the one line :data:`LOCAL_LINE`."""
    if current().backend == "moto":
        print(LOCAL_LINE)
        return PrintedText(LOCAL_LINE)
    text = "\n".join(_lines(list(resources), title))
    print(text)
    return PrintedText(text)


def costs(notebook: str) -> str:
    """Print (and return) the cost notice of notebook ``"NN"`` (what it creates, as listed in
    ``data/pricing.json``); on the embedded backend the one line :data:`LOCAL_LINE`."""
    key = str(notebook).zfill(2)[:2]
    table = pricing()
    if key not in table["notebooks"]:
        raise LabError(f"No notebook {notebook!r} in data/pricing.json.",
                       f"use one of: {', '.join(sorted(table['notebooks']))}.")
    if current().backend == "moto":
        print(LOCAL_LINE)
        return PrintedText(LOCAL_LINE)
    keys = table["notebooks"][key]
    if not keys:
        text = f"Notebook {key} creates nothing on AWS: it costs nothing."
        print(text)
        return PrintedText(text)
    return cost_notice(keys, title=f"Notebook {key} creates these billable resources")


class SkippedOnAWS(Exception):
    """Raised by :func:`skip_on_aws` to stop the rest of a cell on a real account (shown as one line)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"⏭ Skipped on a real account: {reason}. The embedded backend runs this cell "
                         "(unset LAB_BACKEND); here the notebook goes on with the next cell.")


def _show_skip(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> list[str]:
    """IPython's custom handler for :class:`SkippedOnAWS`: the message, one line on the cell's output, no traceback.

    IPython calls a custom handler instead of showing a traceback and displays nothing itself (``run_code`` drops
    the handler's return value), so the handler prints the line; it returns no traceback lines."""
    print(str(value), flush=True)
    return []


def _forgive_skip(result: Any) -> None:
    """``post_run_cell``: a cell stopped by :class:`SkippedOnAWS` counts as run (so *Run All* goes on)."""
    if isinstance(getattr(result, "error_in_exec", None), SkippedOnAWS):
        result.error_in_exec = None


def _install_ipython_handler() -> None:
    try:
        from IPython import get_ipython  # optional: plain Python has no IPython shell to tell
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    if SkippedOnAWS not in tuple(getattr(shell, "custom_exceptions", ())):
        shell.set_custom_exc((SkippedOnAWS,), _show_skip)
    callbacks = shell.events.callbacks.get("post_run_cell", [])
    if _forgive_skip not in callbacks:
        shell.events.register("post_run_cell", _forgive_skip)


def skip_on_aws(reason: str) -> None:
    """On a real account, stop the rest of this cell and say why in one line; on the embedded backend, nothing.

    For cells that need costly or account-level resources (a VPC link's load balancer, a private API's VPC
    endpoint, a WAF web ACL)::

        lab.skip_on_aws("creates a Network Load Balancer, ~$0.0225/h")

    In IPython (JupyterLab, nbclient) the :class:`SkippedOnAWS` it raises shows as one line, with no
    traceback, and the cell counts as run, so *Run All* continues with the next cell.
    """
    if current().backend == "moto":
        return
    _install_ipython_handler()
    raise SkippedOnAWS(reason)
