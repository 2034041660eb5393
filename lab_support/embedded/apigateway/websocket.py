"""WebSocket APIs on the embedded backend: a real ``ws://`` endpoint, routes, Lambda proxy events, and the
API Gateway Management API (``post_to_connection``, ``get_connection``, ``delete_connection``).

Define the API with plain boto3 ``apigatewayv2`` (``create_api(ProtocolType="WEBSOCKET",
RouteSelectionExpression="$request.body.action")``, ``create_integration(IntegrationType="AWS_PROXY")``,
``create_route(RouteKey="$connect" | "$disconnect" | "$default" | "sendmessage")``, a stage and a deployment),
then connect a WebSocket client to ``aws.stage_url(api_id, stage)``:

* embedded: ``ws://127.0.0.1:{port}/{api_id}/{stage}`` (also ``ws://127.0.0.1:{port}/{stage}`` with the header
  ``Host: {api_id}.execute-api.{region}.amazonaws.com``), served by the ``websockets`` package from a background
  thread with its own asyncio loop, started on first use and stopped by ``lab.stop()``;
* real account: ``wss://{api_id}.execute-api.{region}.amazonaws.com/{stage}``.

Routing (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html):
``$connect`` runs during the handshake (a function answering a non-2xx ``statusCode`` refuses the connection
with that status, as ``wscat`` shows "Unexpected server response: 400" in
https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html);
each message is routed by the API's route selection expression (``$request.body.<path>``) to a custom route,
else to ``$default``; ``$disconnect`` runs once the connection is closed. A route with a route response
(``create_route_response(RouteResponseKey="$default")``) sends the function's ``body`` back to the client.

Lambda proxy events have AWS's WebSocket shape: ``requestContext`` with ``routeKey``, ``eventType``
(``CONNECT`` / ``MESSAGE`` / ``DISCONNECT``), ``connectionId``, ``domainName``, ``stage``, ``apiId``,
``messageId``, ``connectedAt``, ``requestTimeEpoch``, ``identity.sourceIp``…, as the WebSocket mapping template
reference lists them (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html)
and as events captured on AWS show them (AWS Lambda Powertools for Python, ``tests/events/apiGatewayWebSocketApi
{Connect,Message,Disconnect}.json``). Functions are invoked through :func:`.backends.invoke_lambda`
(``lab_support.embedded.lambda_.invoke`` as ``apigateway.amazonaws.com``): a missing permission fails as on AWS.

Management API: moto's ``apigatewaymanagementapi`` backend is patched (:data:`PATCHES`) to reach the live
connections, so a boto3 client answers as on AWS (``GoneException``, HTTP 410, for a closed or unknown
connection: https://repost.aws/knowledge-center/410-gone-api-gateway):

* in the kernel: ``boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{api_id}.execute-api.{region}
  .amazonaws.com/{stage}")`` (moto's in-process mock);
* in a Lambda handler (a worker process reaching the kernel over loopback through ``AWS_ENDPOINT_URL``)::

      rc = event["requestContext"]
      endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"https://{rc['domainName']}/{rc['stage']}"
      client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)

  On AWS ``AWS_ENDPOINT_URL`` is unset and the AWS form is used; here the request goes to
  ``{AWS_ENDPOINT_URL}/@connections/{id}``, and the connection id alone names the connection. As on AWS the
  function's execution role needs ``execute-api:ManageConnections`` on
  ``arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/POST/@connections/*`` (GET, DELETE likewise).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import re
import secrets
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers as WsHeaders
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as WsRequest
from websockets.http11 import Response as WsResponse

from lab_support.core import idle, patching, urls
from lab_support.core.session import Session
from lab_support.embedded import iam
from lab_support.embedded.apigateway import v2_deployments
from lab_support.embedded.apigateway.backends import IntegrationFailure, PayloadTooLarge, Timeout, invoke_lambda
from lab_support.embedded.apigateway.common import trace_id
from lab_support.embedded.apigateway.context import CONFIG

__all__ = ["PATCHES", "Connection", "UpgradeRelayed", "connections", "install", "is_upgrade", "local_url", "relay_upgrade",
           "route_key_for", "running", "stop"]

# Quotas for WebSocket APIs
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html):
# "Message payload size: 128 KB" (also PostToConnection's Data), "Integration timeout: 50 milliseconds - 29 seconds".
MESSAGE_PAYLOAD_LIMIT = 128 * 1024
INTEGRATION_TIMEOUT_MS = 29_000
# A Lambda function that fails or cannot be invoked: 502 / 500 with {"message": "Internal server error"}
# (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html).
FUNCTION_ERROR_STATUS = 502
INVOKE_FAILED_STATUS = 500
INTERNAL_ERROR = "Internal server error"
# What API Gateway sends a client whose message matches no route (and there is no $default route): the
# "Forbidden" message with the connection and request ids, as clients observe it on AWS (not in the docs).
NO_ROUTE = "Forbidden"
# Closing a connection through DeleteConnection: a normal closure (RFC 6455, section 7.4.1).
NORMAL_CLOSURE = 1000
# The route selection expression of a WebSocket API: "$request.body.{path}" (or a constant key)
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html).
_BODY_EXPRESSION = re.compile(r"^\$\{?request\.body\.(?P<path>[A-Za-z0-9_.\-]+)\}?$")
_HOST = re.compile(r"^(?P<api>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?::\d+)?$")
_LOG = logging.getLogger("lab_support.server")  # core.server keeps this logger's lines in memory, never on stderr


# -- connections ---------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Connection:
    """One client connection to a stage of a WebSocket API."""

    id: str
    api_id: str
    stage: str
    region: str
    account_id: str
    source_ip: str
    user_agent: str | None
    headers: list[tuple[str, str]]
    connected_at: int = field(default_factory=lambda: int(time.time() * 1000))  # epoch ms, as $context.connectedAt
    last_active_at: int = 0
    query: list[tuple[str, str]] = field(default_factory=list)
    socket: ServerConnection | None = None
    open: bool = True

    @property
    def domain_name(self) -> str:
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"

    def description(self) -> dict[str, Any]:
        """``GetConnection``'s answer (https://docs.aws.amazon.com/apigatewayv2/latest/api/apigateway-connections-connectionid.html)."""
        return {"connectedAt": _iso(self.connected_at), "lastActiveAt": _iso(self.last_active_at or self.connected_at),
                "identity": {"sourceIp": self.source_ip, "userAgent": self.user_agent}}


_CONNECTIONS: dict[str, Connection] = {}
_LOCK = threading.RLock()
_PENDING = [0]  # route invocations in flight ($disconnect included), for lab.wait_idle()


def connections(api_id: str | None = None) -> list[Connection]:
    """The open connections (of one API, or of all)."""
    with _LOCK:
        return [c for c in _CONNECTIONS.values() if c.open and (api_id is None or c.api_id == api_id)]


def _new_connection_id() -> str:
    """16 characters ending in ``=`` like AWS's (``BFHPhfCWIAMCKlQ=``): 11 random bytes, URL-safe base64."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


def _request_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _clf(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


# -- the API definition ----------------------------------------------------------------------------------------
def _find_api(api_id: str, region: str) -> Any:
    """moto's apigatewayv2 API ``api_id`` when it is a WebSocket API, else ``None``."""
    if "moto.apigatewayv2.models" not in sys.modules:
        return None  # nothing made an apigatewayv2 call yet: there is no WebSocket API (and no import to pay for)
    from moto.apigatewayv2.models import apigatewayv2_backends

    try:
        api = apigatewayv2_backends[CONFIG.account_id][region].apis.get(api_id)
    except KeyError:
        return None
    return api if api is not None and api.protocol_type == "WEBSOCKET" else None


def _serving(api: Any, stage_name: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    stage = api.stages.get(stage_name)
    return None if stage is None else v2_deployments.serving(api, stage)


def route_key_for(expression: str, body: str | bytes, route_keys: set[str]) -> str | None:
    """The route a message goes to: the value the route selection expression selects when a route has that
    key, else ``$default`` when the API has it, else ``None`` (no route)."""
    match = _BODY_EXPRESSION.match(expression or "")
    selected: Any = None
    if match:
        try:
            value: Any = json.loads(body)
            for part in match.group("path").split("."):
                value = value.get(part) if isinstance(value, dict) else None
            selected = value
        except ValueError:
            selected = None
    elif expression and not expression.startswith("$"):
        selected = expression  # a constant selection expression
    if isinstance(selected, str) and selected in route_keys and not selected.startswith("$"):
        return selected
    return "$default" if "$default" in route_keys else None


def _integration_of(route: Any, integrations: dict[str, Any]) -> Any:
    target = route.target or ""
    return integrations.get(target.split("/", 1)[1]) if target.startswith("integrations/") else None


# -- events ----------------------------------------------------------------------------------------------------
def _event(conn: Connection, route_key: str, event_type: str, *, body: str | bytes | None = None,
           message_id: str | None = None, close: tuple[int, str] | None = None) -> dict[str, Any]:
    """The Lambda proxy event of a WebSocket route (shapes in the module docstring)."""
    now = int(time.time() * 1000)
    request_id = _request_id()
    context: dict[str, Any] = {"routeKey": route_key}
    if event_type == "DISCONNECT" and close is not None:
        context["disconnectStatusCode"] = close[0]
    if event_type == "MESSAGE":
        context["messageId"] = message_id
    context.update({"eventType": event_type, "extendedRequestId": request_id, "requestTime": _clf(now),
                    "messageDirection": "IN"})
    if event_type == "DISCONNECT" and close is not None:
        context["disconnectReason"] = close[1]
    context.update({"stage": conn.stage, "connectedAt": conn.connected_at, "requestTimeEpoch": now,
                    "identity": {"sourceIp": conn.source_ip}, "requestId": request_id,
                    "domainName": conn.domain_name, "connectionId": conn.id, "apiId": conn.api_id})
    event: dict[str, Any] = {}
    if event_type == "CONNECT":
        headers = dict(conn.headers)
        event["headers"] = headers
        event["multiValueHeaders"] = {k: [v for kk, v in conn.headers if kk == k] for k in headers}
        if conn.query:
            event["queryStringParameters"] = dict(conn.query)
            event["multiValueQueryStringParameters"] = {k: [v for kk, v in conn.query if kk == k] for k in dict(conn.query)}
    elif event_type == "DISCONNECT":
        headers = {"Host": conn.domain_name, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
        event["headers"] = headers
        event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    event["requestContext"] = context
    if event_type == "MESSAGE":
        binary = isinstance(body, bytes)
        event["body"] = base64.b64encode(body).decode() if isinstance(body, bytes) else body
        event["isBase64Encoded"] = binary
    else:
        event["isBase64Encoded"] = False
    return event


@dataclass
class _Outcome:
    status: int
    headers: dict[str, str]
    body: str | None
    error: bool = False


def _run_route(conn: Connection, routes: dict[str, Any], integrations: dict[str, Any], route_key: str,
               event: dict[str, Any]) -> _Outcome | None:
    """Invoke the route's integration (AWS_PROXY Lambda); ``None`` when the route does not exist."""
    route = next((r for r in routes.values() if r.route_key == route_key), None)
    if route is None:
        return None
    integration = _integration_of(route, integrations)
    if integration is None or integration.integration_type != "AWS_PROXY":
        _LOG.info("WebSocket route %s of %s: no AWS_PROXY integration", route_key, conn.api_id)
        return _Outcome(INVOKE_FAILED_STATUS, {}, None, error=True)
    source_arn = f"arn:aws:execute-api:{conn.region}:{conn.account_id}:{conn.api_id}/{conn.stage}/{route_key}"
    timeout_ms = min(int(integration.timeout_in_millis or INTEGRATION_TIMEOUT_MS), INTEGRATION_TIMEOUT_MS)
    with _LOCK:
        _PENDING[0] += 1
    try:
        result = invoke_lambda(integration.integration_uri, json.dumps(event).encode(), source_arn=source_arn,
                               account_id=conn.account_id, timeout_ms=timeout_ms)
    except (IntegrationFailure, PayloadTooLarge, Timeout) as err:
        _LOG.info("WebSocket route %s of %s failed: %s", route_key, conn.api_id, err)
        return _Outcome(INVOKE_FAILED_STATUS, {}, None, error=True)
    finally:
        with _LOCK:
            _PENDING[0] -= 1
        idle.notify()
    if result.function_error:
        return _Outcome(FUNCTION_ERROR_STATUS, {}, None, error=True)
    try:
        answer = json.loads(result.payload or b"null")
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or "statusCode" not in answer:
        # Lambda proxy: anything but {"statusCode": ...} is taken as 200 with the payload as the body.
        text = result.payload.decode("utf-8", "replace") if result.payload else None
        return _Outcome(200, {}, text)
    body = answer.get("body")
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    if body is not None and answer.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    headers = {str(k): str(v) for k, v in (answer.get("headers") or {}).items()}
    try:
        status = int(answer["statusCode"])
    except (TypeError, ValueError):
        return _Outcome(FUNCTION_ERROR_STATUS, {}, None, error=True)
    return _Outcome(status, headers, body)


def _has_route_response(routes: dict[str, Any], route_key: str) -> bool:
    route = next((r for r in routes.values() if r.route_key == route_key), None)
    return route is not None and bool(route.route_responses)


# -- the server ---------------------------------------------------------------------------------------------------
class _Server:
    """The WebSocket endpoint: a ``websockets`` server on loopback, in a thread running its own asyncio loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="lab-support-websocket", daemon=True)
        self.server: Server | None = None
        self.port = 0

    def start(self) -> None:
        # What the loop itself reports (a callback that failed…) goes to the server's in-memory log, never stderr.
        self.loop.set_exception_handler(lambda _loop, context: _LOG.info("websocket loop: %s", context.get("message")))
        self.thread.start()
        future = asyncio.run_coroutine_threadsafe(self._serve(), self.loop)
        self.server = future.result(timeout=10)
        self.port = int(self.server.sockets[0].getsockname()[1])

    async def _serve(self) -> Server:
        return await serve(_handler, "127.0.0.1", 0, process_request=_process_request,
                           process_response=_process_response, max_size=MESSAGE_PAYLOAD_LIMIT, logger=_LOG,
                           server_header=None, ping_interval=None)

    def call(self, coroutine: Any, timeout: float = 10) -> Any:
        """Run ``coroutine`` on the server's loop from another thread and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=timeout)

    def stop(self) -> None:
        if self.server is not None:
            server = self.server

            async def close() -> None:
                server.close(close_connections=True)
                await server.wait_closed()
                await self.loop.shutdown_default_executor()  # the threads that ran route integrations

            with contextlib.suppress(Exception):
                self.call(close(), timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()
        self.server = None


_SERVER: list[_Server] = []
_OUTCOMES: dict[Any, tuple[Connection, dict[str, str]]] = {}  # websockets connection id -> accepted connection


def running() -> bool:
    """Whether the WebSocket endpoint is serving."""
    return bool(_SERVER)


def _server() -> _Server:
    with _LOCK:
        if not _SERVER:
            server = _Server()
            server.start()
            _SERVER.append(server)
        return _SERVER[0]


def local_url(api_id: str, stage: str, path: str = "") -> str:
    """``ws://127.0.0.1:{port}/{api_id}/{stage}``: the stage's WebSocket URL here (starts the endpoint)."""
    url = f"ws://127.0.0.1:{_server().port}/{api_id}/{stage}"
    return f"{url}/{path.lstrip('/')}" if path else url


# -- the gateway's HTTP door: WebSocket upgrades at the loopback path ---------------------------------------------
# ``/restapis/{api}/{stage}/_user_request_[/…]``: the path an AWS-compatible endpoint gives a stage
# (``aws.stage_url(api_id, stage, websocket=True)`` on ``python -m lab_support serve``, as on LocalStack).
_LOCAL_PATH = re.compile(r"^/restapis/(?P<api>[^/]+)/(?P<stage>[^/]+)/_user_request_(?:/.*)?$")
_RELAY_CHUNK = 64 * 1024


class UpgradeRelayed(ConnectionAbortedError):
    """Raised by :func:`relay_upgrade` once the upgraded connection is over: the HTTP server must not answer it
    (werkzeug treats a ``ConnectionError`` from the application as a dropped connection and writes nothing)."""


def is_upgrade(environ: dict[str, Any]) -> bool:
    """A WebSocket handshake (``Upgrade: websocket``, RFC 6455 section 4.1) on a server that hands its socket over."""
    return (environ.get("HTTP_UPGRADE", "").lower() == "websocket" and environ.get("REQUEST_METHOD") == "GET"
            and environ.get("werkzeug.socket") is not None)


def _header_name(key: str) -> str:
    """``HTTP_SEC_WEBSOCKET_KEY`` → ``Sec-WebSocket-Key`` (the WSGI environ lost the spelling; RFC 6455's is kept)."""
    name = key[5:].replace("_", "-").title()
    return "Sec-WebSocket-" + name[len("Sec-Websocket-"):] if name.startswith("Sec-Websocket-") else name


def _handshake(environ: dict[str, Any], port: int) -> bytes:
    """The client's handshake as the WebSocket endpoint reads it: ``/{api}/{stage}?{query}`` for the loopback
    path (the ``Host: {api}.execute-api…`` form passes as it came)."""
    path = environ.get("PATH_INFO", "")
    local = _LOCAL_PATH.match(path)
    if local:
        path = f"/{local.group('api')}/{local.group('stage')}"
    query = environ.get("QUERY_STRING", "")
    lines = [f"GET {path}{'?' + query if query else ''} HTTP/1.1"]
    host = environ.get("HTTP_HOST", "")
    lines.append(f"Host: {host if not local and _HOST.match(host) else f'127.0.0.1:{port}'}")
    for key, value in environ.items():
        if key.startswith("HTTP_") and key != "HTTP_HOST":
            lines.append(f"{_header_name(key)}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def relay_upgrade(environ: dict[str, Any]) -> None:
    """Serve a WebSocket handshake that reached the gateway's HTTP door (``python -m lab_support serve``, where
    clients use ``ws://{host}/restapis/{api}/{stage}/_user_request_``): hand the connection to the WebSocket
    endpoint and carry bytes both ways until either side closes, then raise :class:`UpgradeRelayed`.

    The endpoint answers the handshake itself (101, or ``$connect``'s refusal, or 403 for an unknown API or
    stage), so the stage behaves the same through either door.
    """
    client = environ["werkzeug.socket"]
    reader = environ["wsgi.input"]  # the server's buffered reader: bytes it read past the headers come first
    upstream = socket.create_connection(("127.0.0.1", _server().port), timeout=10)
    upstream.settimeout(None)

    def downstream() -> None:  # endpoint → client
        try:
            while data := upstream.recv(_RELAY_CHUNK):
                client.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)  # also ends the loop below

    try:
        upstream.sendall(_handshake(environ, _server().port))
        pump = threading.Thread(target=downstream, name="lab-support-websocket-relay", daemon=True)
        pump.start()
        try:
            while data := reader.read1(_RELAY_CHUNK):  # client → endpoint
                upstream.sendall(data)
        except (OSError, ValueError):
            pass
        with contextlib.suppress(OSError):
            upstream.shutdown(socket.SHUT_WR)
        pump.join(timeout=10)
    finally:
        upstream.close()
    raise UpgradeRelayed("the WebSocket connection was relayed and is closed")


def _target(request: WsRequest) -> tuple[str, str, str] | None:
    """(api id, stage, region) from ``/{api}/{stage}`` or from ``Host: {api}.execute-api…`` and ``/{stage}``."""
    path = request.path.split("?", 1)[0].strip("/")
    host = _HOST.match(request.headers.get("Host", ""))
    parts = path.split("/") if path else []
    if host and len(parts) >= 1:
        return host.group("api"), parts[0], host.group("region")
    if len(parts) >= 2:
        return parts[0], parts[1], CONFIG.region
    return None


async def _process_request(ws: ServerConnection, request: WsRequest) -> WsResponse | None:
    """The handshake: find the API and stage, then run ``$connect``; a refusal answers the handshake."""
    target = _target(request)
    api = _find_api(target[0], target[2]) if target else None
    serving = _serving(api, target[1]) if api is not None and target else None
    if target is None or api is None or serving is None:
        # An unknown API, stage or undeployed stage: API Gateway answers 403 {"message":"Forbidden"}.
        return _json_response(ws, 403, {"message": "Forbidden"})
    api_id, stage, region = target
    routes, integrations = serving
    headers = [(k, v) for k, v in request.headers.raw_items() if k.lower() != "host"]
    remote = ws.remote_address[0] if ws.remote_address else "127.0.0.1"
    epoch = int(time.time() * 1000)
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    forwarded = [("Host", domain), *headers, ("X-Amzn-Trace-Id", trace_id(epoch)), ("X-Forwarded-For", remote),
                 ("X-Forwarded-Port", "443"), ("X-Forwarded-Proto", "https")]
    conn = Connection(_new_connection_id(), api_id, stage, region, CONFIG.account_id, remote,
                      request.headers.get("User-Agent"), forwarded, connected_at=epoch,
                      query=parse_qsl(request.path.partition("?")[2], keep_blank_values=True))
    outcome = await asyncio.to_thread(_run_route, conn, routes, integrations, "$connect",
                                      _event(conn, "$connect", "CONNECT"))
    if outcome is not None and not 200 <= outcome.status < 300:
        if outcome.error:
            return _json_response(ws, outcome.status, {"message": INTERNAL_ERROR})
        return ws.respond(outcome.status, outcome.body or "")
    with _LOCK:
        _CONNECTIONS[conn.id] = conn
    conn.socket = ws
    _OUTCOMES[ws.id] = (conn, outcome.headers if outcome is not None else {})
    return None


def _json_response(ws: ServerConnection, status: int, payload: Any) -> WsResponse:
    response = ws.respond(status, json.dumps(payload, separators=(",", ":")))
    response.headers["Content-Type"] = "application/json"
    return response


def _process_response(ws: ServerConnection, _request: WsRequest, response: WsResponse) -> WsResponse | None:
    """Pass the ``$connect`` function's headers (e.g. ``Sec-WebSocket-Protocol``) on to the handshake's answer."""
    accepted = _OUTCOMES.get(ws.id)
    if accepted is not None and response.status_code != 101:  # the handshake failed after $connect accepted it
        _OUTCOMES.pop(ws.id, None)
        with _LOCK:
            accepted[0].open = False
            _CONNECTIONS.pop(accepted[0].id, None)
        return None
    if accepted is not None:
        headers: WsHeaders = response.headers
        for key, value in accepted[1].items():
            if key.lower() not in ("connection", "upgrade", "sec-websocket-accept", "content-length"):
                headers[key] = value
    return None


async def _handler(ws: ServerConnection) -> None:
    """One accepted connection: route each message, then run ``$disconnect``."""
    conn, _headers = _OUTCOMES.pop(ws.id)
    try:
        async for message in ws:
            conn.last_active_at = int(time.time() * 1000)
            await _on_message(ws, conn, message)
    except ConnectionClosed:
        pass
    finally:
        with _LOCK:
            conn.open = False
            _CONNECTIONS.pop(conn.id, None)
        close = (ws.close_code or 1005, ws.close_reason or "")
        if close[0] == 1005 and not close[1]:
            close = (1005, "Client-side close frame status not set")  # as in the captured DISCONNECT event
        api = _find_api(conn.api_id, conn.region)
        serving = _serving(api, conn.stage) if api is not None else None
        if serving is not None and running():
            routes, integrations = serving
            event = _event(conn, "$disconnect", "DISCONNECT", close=close)
            with contextlib.suppress(Exception):  # $disconnect is best effort on AWS too
                await asyncio.to_thread(_run_route, conn, routes, integrations, "$disconnect", event)


async def _on_message(ws: ServerConnection, conn: Connection, message: str | bytes) -> None:
    api = _find_api(conn.api_id, conn.region)
    serving = _serving(api, conn.stage) if api is not None else None
    if serving is None:
        return
    routes, integrations = serving
    keys = {r.route_key for r in routes.values()}
    route_key = route_key_for(api.route_selection_expression, message, keys)
    request_id = _request_id()
    if route_key is None:
        await _send_quietly(ws, json.dumps({"message": NO_ROUTE, "connectionId": conn.id, "requestId": request_id}))
        return
    event = _event(conn, route_key, "MESSAGE", body=message, message_id=_request_id())
    outcome = await asyncio.to_thread(_run_route, conn, routes, integrations, route_key, event)
    if outcome is None:
        return
    if outcome.error:
        await _send_quietly(ws, json.dumps({"message": INTERNAL_ERROR, "connectionId": conn.id,
                                            "requestId": event["requestContext"]["requestId"]}))
        return
    if _has_route_response(routes, route_key) and outcome.body is not None:
        await _send_quietly(ws, outcome.body)


async def _send_quietly(ws: ServerConnection, data: str | bytes) -> None:
    with contextlib.suppress(ConnectionClosed):
        await ws.send(data)


# -- the Management API (moto's apigatewaymanagementapi backend, patched) ------------------------------------------
def _error(kind: str, status: int, message: str = "") -> Exception:
    """A moto error botocore reads as ``kind`` (``x-amzn-ErrorType``) with ``status``."""
    from moto.core.exceptions import JsonRESTError

    err = JsonRESTError(kind, message)
    err.code = status
    return err


def _live(connection_id: str) -> Connection:
    """The open connection, else ``GoneException`` (410), as API Gateway answers for a closed or unknown id
    (https://docs.aws.amazon.com/apigatewayv2/latest/api/apigateway-connections-connectionid.html)."""
    with _LOCK:
        conn = _CONNECTIONS.get(unquote(connection_id))
    if conn is None or not conn.open or conn.socket is None or not _SERVER:
        raise _error("GoneException", 410)
    return conn


def _post_to_connection(self: Any, data: bytes, connection_id: str) -> None:
    conn = _live(connection_id)
    if len(data) > MESSAGE_PAYLOAD_LIMIT:
        # PayloadTooLargeException, 413 (https://docs.aws.amazon.com/apigatewayv2/latest/api/apigateway-connections-connectionid.html)
        raise _error("PayloadTooLargeException", 413, f"Message size exceeds the {MESSAGE_PAYLOAD_LIMIT} byte limit")
    try:
        text: str | bytes = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data
    socket = conn.socket
    assert socket is not None
    try:
        _server().call(socket.send(text))
    except ConnectionClosed:
        raise _error("GoneException", 410) from None


def _get_connection(self: Any, connection_id: str) -> Any:
    return _Description(_live(connection_id).description())


@dataclass
class _Description:
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.data


def _delete_connection(self: Any, connection_id: str) -> None:
    """Close the connection (the client sees a normal closure; ``$disconnect`` then runs)."""
    conn = _live(connection_id)
    socket = conn.socket
    assert socket is not None
    with _LOCK:
        conn.open = False
    with contextlib.suppress(Exception):
        _server().call(socket.close(NORMAL_CLOSURE, ""))


# ``Credential=KEY/DATE/REGION/SERVICE/aws4_request`` in a SigV4 Authorization header.
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
# The IAM action and resource of the @connections API
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html):
# execute-api:ManageConnections on arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}/@connections/{id}.
MANAGE_CONNECTIONS = "execute-api:ManageConnections"


def _authorize(response: Any, method: str) -> None:
    """A request signed with an execution role's key needs ``execute-api:ManageConnections`` in the role's
    policies, as on AWS; otherwise 403 ``AccessDeniedException`` with IAM's message (:func:`iam.denial_message`).
    The kernel's own keys act as the account's administrator. Unknown connections are left to the operation
    (``GoneException``)."""
    match = _CREDENTIAL.search(response.headers.get("Authorization", "") or "")
    grant = iam.grant_for_key(match.group(1)) if match else None
    connection_id = unquote(response.path.split("/@connections/")[-1])
    with _LOCK:
        conn = _CONNECTIONS.get(connection_id)
    if grant is None or conn is None:
        return
    resource = (f"arn:aws:execute-api:{conn.region}:{conn.account_id}:{conn.api_id}/{conn.stage}/{method}/"
                f"@connections/{conn.id}")
    decision = iam.evaluate(iam.identity_policies(grant.role_arn), MANAGE_CONNECTIONS, resource,
                            {"aws:PrincipalArn": grant.role_arn, "aws:RequestedRegion": conn.region})
    if decision is not iam.Decision.ALLOW:
        raise _error("AccessDeniedException", 403,
                     iam.denial_message(grant.assumed_role_arn, MANAGE_CONNECTIONS, resource, decision))


def _wrap_operation(method: str) -> Any:
    def wrap(original: Any) -> Any:
        def operation(self: Any) -> Any:
            _authorize(self, method)
            return original(self)

        return operation

    return wrap


def _wrap_api_init(original: Any) -> Any:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.protocol_type == "WEBSOCKET":
            # A WebSocket API's ApiEndpoint is its wss:// URI (moto writes https://)
            # (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-wscat.html).
            self.api_endpoint = "wss://" + self.api_endpoint.split("://", 1)[1]

    return __init__


_BACKEND = "moto.apigatewaymanagementapi.models:ApiGatewayManagementApiBackend"
_RESPONSE = "moto.apigatewaymanagementapi.responses:ApiGatewayManagementApiResponse"
PATCHES = [
    *(patching.Patch(f"{_RESPONSE}.{name}", wrap=_wrap_operation(method), signature=["self"],
                     why=f"role-signed requests need {MANAGE_CONNECTIONS} (403 AccessDeniedException)")
      for name, method in (("post_to_connection", "POST"), ("get_connection", "GET"), ("delete_connection", "DELETE"))),
    patching.Patch("moto.apigatewayv2.models:Api.__init__", wrap=_wrap_api_init,
                   signature=["self", "region", "name", "api_key_selection_expression", "cors_configuration",
                              "description", "disable_execute_api_endpoint", "disable_schema_validation",
                              "protocol_type", "route_selection_expression", "tags", "version", "backend"],
                   why="a WebSocket API's ApiEndpoint is `wss://{api-id}.execute-api.{region}.amazonaws.com`"),
    patching.Patch(f"{_BACKEND}.post_to_connection", replacement=_post_to_connection,
                   signature=["self", "data", "connection_id"],
                   why="sends to the live WebSocket connection; GoneException (410) when it is closed or unknown"),
    patching.Patch(f"{_BACKEND}.get_connection", replacement=_get_connection, signature=["self", "connection_id"],
                   why="the live connection's connectedAt, lastActiveAt and identity; GoneException (410) when closed"),
    patching.Patch(f"{_BACKEND}.delete_connection", replacement=_delete_connection, signature=["self", "connection_id"],
                   why="closes the live connection ($disconnect runs); GoneException (410) when closed"),
]
"""``ApiEndpoint`` and the Management API's three operations, in the ``gateway`` group
(:mod:`lab_support.embedded.apigateway`)."""


# -- attach to a session ----------------------------------------------------------------------------------------
def _resolve(api_id: str, stage: str, path: str, websocket: bool | None) -> str | None:
    """:func:`lab_support.core.urls.register_websocket_resolver`'s hook: the local URL of a WebSocket API."""
    if websocket is False:
        return None
    if websocket is None and _find_api(api_id, CONFIG.region) is None:
        return None
    return local_url(api_id, stage, path)


def _forget_connections() -> None:
    with _LOCK:
        for conn in _CONNECTIONS.values():
            conn.open = False
        _CONNECTIONS.clear()


def stop() -> None:
    """Close every connection (without ``$disconnect``: the runtime stops too) and stop the endpoint."""
    _forget_connections()
    with _LOCK:
        servers = list(_SERVER)
        _SERVER.clear()
    for server in servers:
        server.stop()
    _OUTCOMES.clear()


def _after_reset() -> None:
    """``lab.reset()``: the APIs are gone; drop their connections (the endpoint keeps running)."""
    sockets = [c.socket for c in connections() if c.socket is not None]
    _forget_connections()
    if _SERVER:
        for socket in sockets:
            with contextlib.suppress(Exception):
                _SERVER[0].call(socket.close(NORMAL_CLOSURE, ""), timeout=2)


def install(session: Session) -> None:
    """Attach WebSocket APIs to an embedded session (called by :func:`lab_support.embedded.apigateway.install`).

    The endpoint itself starts on first use (``aws.stage_url`` of a WebSocket API, or :func:`local_url`).
    """
    if session.backend != "moto":
        return
    urls.register_websocket_resolver("embedded-apigateway", _resolve)
    idle.register_pending("websocket routes", lambda: _PENDING[0])
    session.on_reset(_after_reset)
    session.on_stop(stop)

