"""Values a function prints *and* returns, without Jupyter displaying them a second time.

``lab.costs("09")`` prints its notice, and tests read the returned text. As a cell's last expression the return
value would be displayed again under the printout (and a trailing ``;`` does not help under nbval, which runs
cells without history). These types display nothing: IPython calls ``_ipython_display_`` instead of showing them.
"""

from __future__ import annotations


class PrintedText(str):
    """A ``str`` that was already printed: Jupyter shows nothing more for it."""

    def _ipython_display_(self) -> None:
        """Already printed."""


class PrintedList(list[str]):
    """A ``list`` of lines that were already printed: Jupyter shows nothing more for it."""

    def _ipython_display_(self) -> None:
        """Already printed."""
