"""The course's data folder (``data/`` at the top of the repository), wherever a notebook runs from.

A notebook's working folder is wherever JupyterLab (or a test) opened it, so ``"../data/x"`` breaks when a notebook
is copied or opened from elsewhere; :func:`data_file` does not.
"""

from __future__ import annotations

from pathlib import Path

from lab_support.core.errors import LabError

DATA = Path(__file__).resolve().parents[2] / "data"


def data_file(name: str) -> Path:
    """The path of ``data/<name>``; a :class:`~lab_support.core.errors.LabError` names the files there if it is
    missing."""
    path = DATA / name
    if not path.is_file():
        known = ", ".join(sorted(p.name for p in DATA.iterdir() if p.is_file())) if DATA.is_dir() else "none"
        raise LabError(f"There is no data file {name!r}.", f"the course's data folder ({DATA}) holds: {known}.")
    return path
