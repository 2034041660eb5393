"""A tiny "inventory" web server on ``127.0.0.1``: a second HTTP backend for notebook 05.

Notebook 05 puts it behind a stage variable (stage ``test``) and behind a VPC link stand-in. Every GET answers
the same JSON, naming the path it was asked for, so a student can see which backend answered::

    >>> from lab_support.course.services.inventory import start_inventory_service
    >>> url = start_inventory_service()          # doctest: +SKIP
    >>> requests.get(f"{url}/items").json()      # doctest: +SKIP
    {'service': 'inventory', 'path': '/items', 'items': ['bolts', 'nuts']}
"""

from __future__ import annotations

import json
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from lab_support.core.server import quiet_errors, quiet_loggers
from lab_support.core.session import current
from lab_support.course.services.notes import _QuietHandler

ITEMS = ["bolts", "nuts"]


@Request.application  # type: ignore[arg-type]
def inventory_app(request: Request) -> Response:
    """The whole service: ``{"service": "inventory", "path": <the path asked for>, "items": [...]}``."""
    body = {"service": "inventory", "path": request.path, "items": ITEMS}
    return Response(json.dumps(body), content_type="application/json")


_SERVER: BaseWSGIServer | None = None
_LOCK = threading.Lock()


def start_inventory_service() -> str:
    """Serve :func:`inventory_app` on ``127.0.0.1`` (any free port) from a daemon thread; returns its base URL.

    Re-runnable: while it runs, a second call returns the same URL. Its stop is registered with ``aws.track``
    (once per start), so ``lab.cleanup()`` stops it; ``lab.stop()`` stops it too.
    """
    global _SERVER

    with _LOCK:
        if _SERVER is None:
            quiet_loggers()  # no request log lines or tracebacks in notebook outputs
            _SERVER = make_server("127.0.0.1", 0, inventory_app, threaded=True, request_handler=_QuietHandler)
            quiet_errors(_SERVER)
            threading.Thread(target=_SERVER.serve_forever, name="lab-inventory-service", daemon=True).start()
        url = f"http://127.0.0.1:{_SERVER.server_port}"
    session = current()
    description = f"local inventory server {url}"
    session.track(description, stop_inventory_service, once=True)
    return url


def stop_inventory_service() -> None:
    """Stop the inventory server and free its port (no error if it is not running)."""
    global _SERVER
    with _LOCK:
        server, _SERVER = _SERVER, None
    if server is not None:
        server.shutdown()
        server.server_close()


def install(session: Any) -> None:
    session.on_stop(stop_inventory_service)
