"""``check_environment()``: is everything the course needs installed, and which backend runs?"""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

DIST_NAME = "apigw-lambda-course"
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
MIN_PYTHON = (3, 11)


def requirements() -> list[Requirement]:
    """The course's runtime requirements, as pyproject.toml states them."""
    try:
        raw = [r for r in metadata.requires(DIST_NAME) or [] if "extra ==" not in r]
    except metadata.PackageNotFoundError:
        raw = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    return [Requirement(r) for r in raw]


def check_environment(verbose: bool = True) -> list[str]:
    """Check Python and every required package; print a report; return the problems.

    Each problem line says what to do. An empty list means all is well.
    """
    problems: list[str] = []
    lines = []
    py = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] < MIN_PYTHON:
        problems.append(f"Python {py} is too old: install Python 3.11 or newer, then `make lab` again.")
    lines.append(f"{'python':<18} {py:<10} {'ok' if sys.version_info[:2] >= MIN_PYTHON else 'TOO OLD'}")
    for req in requirements():
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{req.name} is missing: run `make lab` (or `pip install -e .`) in the course folder.")
            lines.append(f"{req.name:<18} {'-':<10} MISSING")
            continue
        ok = req.specifier.contains(version, prereleases=True)
        if not ok:
            problems.append(f"{req.name} {version} is outside {req.specifier}: run `make lab` to install the tested version.")
        lines.append(f"{req.name:<18} {version:<10} {'ok' if ok else 'WRONG VERSION (want ' + str(req.specifier) + ')'}")
    if verbose:
        print("\n".join(lines))
        print()
        print("All set: every package the course needs is installed." if not problems else "To fix:\n- " + "\n- ".join(problems))
    return problems
