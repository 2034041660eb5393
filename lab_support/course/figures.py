"""One figure style for the whole course, readable on a projector.

Large type, thick lines, a colour-blind-safe palette (Okabe & Ito), no chart junk.
"""

from __future__ import annotations

from typing import Any

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

COURSE_RC: dict[str, Any] = {
    "figure.figsize": (10, 5.5),
    "figure.dpi": 100,
    "font.size": 15,
    "axes.titlesize": 19,
    "axes.titleweight": "bold",
    "axes.labelsize": 16,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 14,
    "legend.frameon": False,
    "lines.linewidth": 3,
    "lines.markersize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def use_course_style() -> None:
    """Apply the course style to every later matplotlib figure in this kernel."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(COURSE_RC)
    mpl.rcParams["axes.prop_cycle"] = cycler(color=PALETTE)
