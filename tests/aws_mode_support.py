"""Test support for real-account mode: ``python -m lab_support serve`` as the stand-in for AWS, and an
``LAB_BACKEND=aws`` session in this process pointed at it (tests/test_session.py, test_resources.py,
test_aws_mode.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import lab_support as lab

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import run_aws_mode  # noqa: E402  (tools/ is not a package)


@contextmanager
def stand_in() -> Iterator[str]:
    """The course's own stand-in for AWS in a child process; yields its URL."""
    with run_aws_mode.lab_server() as url:
        yield url


@contextmanager
def aws_session(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[lab.Session]:
    """Stop whatever session runs, start ``backend="aws"`` on ``endpoint`` with dummy keys, and stop it after
    (the environment is put back by ``monkeypatch``)."""
    lab.stop()
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in run_aws_mode.aws_mode_env(endpoint, "us-east-1").items():
        if key.startswith(("AWS_", "LAB_")):
            monkeypatch.setenv(key, value)
    try:
        yield lab.start("aws")
    finally:
        lab.stop()
