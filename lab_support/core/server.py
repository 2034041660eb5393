"""The embedded AWS: moto in the kernel's process, also served over HTTP.

Two doors lead to one in-memory account:

* **in the kernel**, ``moto.mock_aws`` intercepts every boto3 call, and the
  ``requests`` calls to AWS hostnames;
* **over HTTP** on ``127.0.0.1``, a background thread serves the same moto
  backends (the same module-level state), so a Lambda worker process, the AWS
  CLI, curl, Postman or a second kernel reach the same account.

Other modules (the local Lambda runtime, the local API Gateway) add their own
routes to the HTTP door with :meth:`EmbeddedServer.mount`; requests nobody
claims go to moto.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from lab_support.core.errors import PortInUse

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Predicate = Callable[[dict[str, Any]], bool]


def _moto_app() -> WSGIApp:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)  # type: ignore[no-any-return]


class _Dispatcher:
    """WSGI app: the first mounted app whose predicate matches, else moto."""

    def __init__(self, fallback: WSGIApp) -> None:
        self.fallback = fallback
        self.mounts: list[tuple[str, Predicate, WSGIApp]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        for _name, predicate, app in list(self.mounts):
            if predicate(environ):
                return app(environ, start_response)
        return self.fallback(environ, start_response)


def port_in_use_error(host: str, port: int) -> PortInUse:
    """The error for a fixed port that another program already holds."""
    return PortInUse(
        f"Port {port} on {host} is already in use by another program.",
        "pick another port (or port 0 for any free one), or stop the program that holds it "
        f"(on Linux/macOS: `lsof -i :{port}` shows which).",
    )


def _port_free(host: str, port: int) -> bool:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
        probe.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        probe.close()


class EmbeddedServer:
    """The embedded AWS served over HTTP from a daemon thread of this process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.requested_port = port
        self.dispatcher = _Dispatcher(_moto_app())
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind the port and start serving; raises PortInUse with a fix."""
        from moto.moto_server.werkzeug_app import MotoRequestHandler

        # werkzeug logs every request to stderr: that would land in notebook outputs.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if self.requested_port and not _port_free(self.host, self.requested_port):
            raise port_in_use_error(self.host, self.requested_port)
        try:
            self._server = make_server(
                self.host, self.requested_port, self.dispatcher, threaded=True,
                request_handler=MotoRequestHandler,
            )
        except (OSError, SystemExit) as err:  # werkzeug exits on a busy port after printing
            if isinstance(err, SystemExit) or err.errno == errno.EADDRINUSE:
                raise port_in_use_error(self.host, self.requested_port) from None
            raise
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="lab-support-embedded-aws", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The port actually bound (useful when 0 was asked for)."""
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{self.host}:{self.port}"

    def mount(self, name: str, predicate: Predicate, app: WSGIApp) -> None:
        """Route requests for which ``predicate(environ)`` is true to ``app``.

        Mounting the same ``name`` again replaces the earlier app.
        """
        self.unmount(name)
        self.dispatcher.mounts.append((name, predicate, app))

    def unmount(self, name: str) -> None:
        """Remove a mounted app by name (no error if absent)."""
        self.dispatcher.mounts = [m for m in self.dispatcher.mounts if m[0] != name]

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
