"""Shared fixtures: one embedded AWS per test process, emptied before each test (``aws``) or module (``shared_aws``)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

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


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    """A loopback HTTP server behind HTTP integrations: echoes the request as JSON (status 200, or N for
    ``/status/N``, header ``X-Backend: yes``); ``/slow`` sleeps 1 s first."""

    @Request.application
    def app(request: Request) -> Response:
        if request.path.startswith("/slow"):
            time.sleep(1.0)
        status = int(request.path.rsplit("/", 1)[1]) if request.path.startswith("/status/") else 200
        payload = {"method": request.method, "path": request.path, "query": request.args.to_dict(flat=False),
                   "headers": dict(request.headers), "body": request.get_data(as_text=True)}
        return Response(json.dumps(payload), status=status, content_type="application/json",
                        headers={"X-Backend": "yes"})

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
