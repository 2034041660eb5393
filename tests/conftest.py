"""Shared fixtures: one embedded AWS per test process, emptied before each test (``aws``) or module (``shared_aws``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import lab_support as lab
from lab_support.course.services.notes import NotesService


@pytest.fixture
def aws() -> Iterator[lab.Session]:
    """A running embedded session with an empty account."""
    session = lab.start("moto")
    lab.reset()
    yield session


@pytest.fixture(scope="module")
def shared_aws() -> Iterator[lab.Session]:
    """One embedded session for a whole test module (emptied before its first and after its last test)."""
    session = lab.start("moto")
    lab.reset()
    yield session
    lab.reset()


@pytest.fixture
def notes_service() -> Iterator[NotesService]:
    """Notebook 01's notes service on a free loopback port, stopped after the test."""
    service = NotesService()
    yield service
    service.stop()


@pytest.fixture(scope="session", autouse=True)
def _stop_at_end() -> Iterator[None]:
    yield
    lab.stop()


@pytest.fixture(params=("kernel", "loopback", "host"))
def door(request: pytest.FixtureRequest) -> str:
    """The gateway door a routing test goes through: in the kernel (``https://{api}.execute-api...`` via moto's
    ``responses`` mock), loopback ``/restapis/{api}/{stage}/_user_request_/...``, or loopback with the
    execute-api ``Host`` header (tests/test_gateway_rest.py, tests/test_gateway_http.py)."""
    return str(request.param)
