"""Shared fixtures: one embedded AWS per test process, emptied before each test that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import lab_support as lab


@pytest.fixture
def aws() -> Iterator[lab.Session]:
    """A running embedded session with an empty account."""
    session = lab.start("moto")
    lab.reset()
    yield session


@pytest.fixture(scope="session", autouse=True)
def _stop_at_end() -> Iterator[None]:
    yield
    lab.stop()
