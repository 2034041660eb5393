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

import collections
import contextlib
import errno
import json
import logging
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from werkzeug.serving import BaseWSGIServer, make_server

from lab_support.core.errors import PortInUse

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Predicate = Callable[[dict[str, Any]], bool]


def _moto_app() -> WSGIApp:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)  # type: ignore[no-any-return]


# What the server noticed but a notebook must not print (tracebacks, refused requests): kept here, newest last,
# for `lab_support.core.server.recent_problems()` when something needs explaining.
_PROBLEMS: collections.deque[str] = collections.deque(maxlen=200)
_LOG = logging.getLogger("lab_support.server")


class _Remember(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            _PROBLEMS.append(self.format(record))


def quiet_loggers() -> None:
    """werkzeug logs every request, every refused request and every traceback to stderr, which would land in
    notebook outputs: keep them in memory instead."""
    for name in ("werkzeug", "lab_support.server"):
        logger = logging.getLogger(name)
        logger.handlers = [_Remember()]
        logger.propagate = False
        logger.setLevel(logging.INFO)


def quiet_errors(server: Any) -> None:
    """socketserver prints a traceback to stderr for what escapes a handler (a reset connection…): log it instead."""
    server.handle_error = lambda _request, client: _LOG.exception("Error serving %s", client)


def recent_problems() -> list[str]:
    """The server's recent error lines and tracebacks (they never reach a notebook's output)."""
    return list(_PROBLEMS)


def _internal_error(start_response: Callable[..., Any]) -> Iterable[bytes]:
    # The body API Gateway and the AWS JSON services answer for an unexpected failure on their side.
    body = b'{"message": "Internal server error"}'
    start_response("500 Internal Server Error", [("Content-Type", "application/json"),
                                                 ("Content-Length", str(len(body)))])
    return [body]


_CREDENTIAL = re.compile(r"Credential=([^/\s,]+)/[^/]*/[^/]*/([a-z0-9-]+)/")
# Services whose APIs use the AWS query protocol and answer errors as XML (the others here answer JSON).
_QUERY_SERVICES = frozenset({"sts", "iam", "sns", "ec2", "cloudformation", "elasticloadbalancing", "autoscaling",
                             "rds", "ses", "elasticache", "redshift", "sdb"})


# What STS, IAM and the JSON services (and API Gateway's IAM authorization) say of a key they do not know.
UNKNOWN_KEY_MESSAGE = "The security token included in the request is invalid."


def access_key_of(environ: dict[str, Any]) -> tuple[str | None, str]:
    """The access key id a request is signed with (header or presigned URL) and its service, else ``(None, "")``."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _CREDENTIAL.search(auth)
    if match:
        return match.group(1), match.group(2)
    query = parse_qs(environ.get("QUERY_STRING", ""))
    credential = (query.get("X-Amz-Credential") or [""])[0].split("/")
    if len(credential) >= 4 and credential[0]:
        return credential[0], credential[3]
    return None, ""


def _guess_service(environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return "json"
    path = environ.get("PATH_INFO", "")
    if path.startswith("/20") or path.startswith("/restapis") or path.startswith("/v2/"):
        return "json"  # Lambda (/2015-03-31/…), API Gateway: REST-JSON services
    if "Action=" in environ.get("QUERY_STRING", "") or environ.get("CONTENT_TYPE", "").startswith(
            "application/x-www-form-urlencoded"):
        return "sts"
    return "s3"


def unknown_key_response(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """What AWS answers a request signed with a key it does not know, in the service's own shape.

    S3: 403 ``InvalidAccessKeyId`` "The AWS Access Key Id you provided does not exist in our records."
    (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html); query-protocol services (STS, IAM,
    SNS…): 403 ``InvalidClientTokenId``; JSON services (Lambda, DynamoDB, SQS, CloudWatch Logs…): 403
    ``UnrecognizedClientException`` (https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html); both say
    "The security token included in the request is invalid.". Unsigned requests get AWS's answer for a
    missing signature instead.
    """
    key, service = access_key_of(environ)
    service = service or _guess_service(environ)
    request_id = str(uuid.uuid4())
    if service == "s3":
        if key:
            body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidAccessKeyId</Code><Message>The AWS "
                    "Access Key Id you provided does not exist in our records.</Message>"
                    f"<AWSAccessKeyId>{key}</AWSAccessKeyId><RequestId>{request_id}</RequestId></Error>")
        else:
            body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied"
                    f"</Message><RequestId>{request_id}</RequestId></Error>")
        content_type, code = "application/xml", ""
    elif service in _QUERY_SERVICES:
        code = "InvalidClientTokenId" if key else "MissingAuthenticationToken"
        message = UNKNOWN_KEY_MESSAGE if key else "Request is missing Authentication Token"
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>")
        content_type = "text/xml"
    else:
        code = "UnrecognizedClientException" if key else "MissingAuthenticationTokenException"
        message = UNKNOWN_KEY_MESSAGE if key else "Missing Authentication Token"
        body = json.dumps({"__type": code, "message": message})
        content_type = "application/x-amz-json-1.1"
    data = body.encode()
    headers = [("Content-Type", content_type), ("Content-Length", str(len(data))), ("x-amzn-RequestId", request_id)]
    if code:
        headers.append(("x-amzn-ErrorType", code))
    _LOG.info("refused a request signed with an unknown key (%s) for %s", key, service)
    start_response("403 Forbidden", headers)
    return [data]


class _Dispatcher:
    """WSGI app: public mounts first; then, when keys are required, only requests signed with a trusted key go on
    to the other mounts and moto; a crash answers a JSON 500."""

    def __init__(self, fallback: WSGIApp) -> None:
        self.fallback = fallback
        self.mounts: list[tuple[str, Predicate, WSGIApp]] = []
        self.public: set[str] = set()
        self.trusted: list[Callable[[str], bool]] | None = None  # None: open to any key (`lab_support serve`)

    def _trusted(self, environ: dict[str, Any]) -> bool:
        if self.trusted is None:
            return True
        key, _service = access_key_of(environ)
        return key is not None and any(check(key) for check in list(self.trusted))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            mounts = list(self.mounts)
            for name, predicate, app in mounts:
                if name in self.public and predicate(environ):
                    return app(environ, start_response)
            if not self._trusted(environ):
                return unknown_key_response(environ, start_response)
            for name, predicate, app in mounts:
                if name not in self.public and predicate(environ):
                    return app(environ, start_response)
            return self.fallback(environ, start_response)
        except ConnectionError:  # the connection is gone (or was handed over, as a WebSocket upgrade): no answer
            raise
        except Exception:
            _LOG.exception("Error on %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            return _internal_error(start_response)


def quiet_handler(base: type) -> type:
    """``base`` (werkzeug/moto's request handler) that answers protocol errors in JSON, not an HTML page, and
    logs to memory, not stderr (a 431 for oversized headers, a malformed request line from a browser…)."""

    class QuietRequestHandler(base):  # type: ignore[valid-type,misc]
        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            phrase = self.responses.get(code, ("Error", ""))[0]
            _LOG.info("refused a request with %s %s (%s)", code, phrase, message)
            body = json.dumps({"message": phrase}).encode()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.send_response(code, phrase)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                    self.wfile.write(body)

        def log_error(self, format: str, *args: Any) -> None:
            _LOG.info(format, *args)

        def log_message(self, format: str, *args: Any) -> None:
            _LOG.debug(format, *args)

    return QuietRequestHandler


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

        quiet_loggers()
        if self.requested_port and not _port_free(self.host, self.requested_port):
            raise port_in_use_error(self.host, self.requested_port)
        try:
            self._server = make_server(
                self.host, self.requested_port, self.dispatcher, threaded=True,
                request_handler=quiet_handler(MotoRequestHandler),
            )
        except (OSError, SystemExit) as err:  # werkzeug exits on a busy port after printing
            if isinstance(err, SystemExit) or err.errno == errno.EADDRINUSE:
                raise port_in_use_error(self.host, self.requested_port) from None
            raise
        quiet_errors(self._server)
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

    def mount(self, name: str, predicate: Predicate, app: WSGIApp, *, public: bool = False) -> None:
        """Route requests for which ``predicate(environ)`` is true to ``app``.

        Mounting the same ``name`` again replaces the earlier app. A ``public`` mount (the deployed APIs'
        ``_user_request_`` door, like a public API on AWS) is reached without a signature; the others only with
        a trusted key once :meth:`require_keys` is on.
        """
        self.unmount(name)
        self.dispatcher.mounts.append((name, predicate, app))
        if public:
            self.dispatcher.public.add(name)

    def unmount(self, name: str) -> None:
        """Remove a mounted app by name (no error if absent)."""
        self.dispatcher.mounts = [m for m in self.dispatcher.mounts if m[0] != name]
        self.dispatcher.public.discard(name)

    def require_keys(self, *trusted: Callable[[str], bool]) -> None:
        """Serve only requests signed with an access key one of ``trusted`` accepts (add more with :meth:`trust`).

        Anything else gets AWS's answer for an unknown key (:func:`unknown_key_response`).
        """
        self.dispatcher.trusted = list(trusted)

    def trust(self, check: Callable[[str], bool]) -> None:
        """Also accept keys for which ``check(access_key_id)`` is true (no effect while the server is open)."""
        if self.dispatcher.trusted is not None:
            self.dispatcher.trusted.append(check)

    @property
    def locked(self) -> bool:
        """Whether the server refuses requests not signed with a trusted key."""
        return self.dispatcher.trusted is not None

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
