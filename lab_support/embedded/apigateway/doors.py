"""Three doors, one chain: each door turns its request into a :class:`.context.RequestContext` for :func:`.chain.run`.

1. in the kernel, through ``requests`` to ``https://{api}.execute-api.{region}.amazonaws.com/...``
   (moto's ``responses`` mock hands it to :func:`responses_callback`),
2. over loopback HTTP as ``{gateway_url}/restapis/{api}/{stage}/_user_request_/{path}`` (:func:`wsgi_app`; a
   WebSocket handshake there is relayed to the WebSocket endpoint, :func:`.websocket.relay_upgrade`), or
3. over loopback HTTP with ``Host: {api}.execute-api.{region}.amazonaws.com`` (:func:`wsgi_app`).

The doors read the WSGI environ (or the prepared request) directly: header names come out as werkzeug's
``EnvironHeaders`` spells them (``X-Custom``), whichever door was used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from werkzeug.wrappers import Request, Response

from lab_support.embedded.apigateway import chain, websocket
from lab_support.embedded.apigateway.chain import HOST_RE, LOCAL_RE
from lab_support.embedded.apigateway.context import CONFIG, RequestContext

# What the kernel's `requests` calls look like (any method; the query string may follow).
URL_RE = re.compile(r"^https?://[A-Za-z0-9]+(?:-vpce-[0-9a-z]+)?\.execute-api\.[a-z0-9-]+\.amazonaws\.com(:\d+)?(/.*)?$")
_BODY_HEADERS = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}


def is_gateway_environ(environ: dict[str, Any]) -> bool:
    """The embedded server's predicate: doors 2 and 3."""
    return bool(HOST_RE.match(environ.get("HTTP_HOST", "")) or LOCAL_RE.match(environ.get("PATH_INFO", "")))


# -- doors 2 and 3: loopback HTTP (WSGI) -----------------------------------------------------------
def wsgi_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """WSGI app for the embedded server (doors 2 and 3). A WebSocket handshake is handed to the WebSocket
    endpoint (:func:`.websocket.relay_upgrade`), so a WebSocket stage answers at the loopback path too."""
    if websocket.is_upgrade(environ):
        websocket.relay_upgrade(environ)  # raises UpgradeRelayed when the connection is over
    response = chain.run(context_from_environ(environ))
    start_response(response.status_line, response.header_list())
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [response.body]


def context_from_environ(environ: dict[str, Any], door: str | None = None) -> RequestContext:
    """A request context from a WSGI environ (what werkzeug's ``Request`` would read, without building one)."""
    headers: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                headers.append((key[5:].replace("_", "-").title(), value))
        elif key in _BODY_HEADERS and value:
            headers.append((_BODY_HEADERS[key], value))
    path = "/" + environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace").lstrip("/")
    if door is None:
        door = "loopback" if LOCAL_RE.match(path) else "host"
    return RequestContext(
        method=environ.get("REQUEST_METHOD", "GET").upper(), host=environ.get("HTTP_HOST", ""), request_path=path,
        raw_query=environ.get("QUERY_STRING", ""), headers=headers, body=_read_body(environ),
        account_id=CONFIG.account_id, region=CONFIG.region, source_ip=environ.get("REMOTE_ADDR") or "127.0.0.1",
        door=door,
    )


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body: ``Content-Length`` bytes, or all of a chunked (server-terminated) stream."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        length = -1
    if length >= 0:
        return stream.read(length) if length else b""
    return stream.read() if environ.get("wsgi.input_terminated") else b""


def handle(request: Request) -> Response:
    """Serve one werkzeug ``Request`` (any door) and return a werkzeug ``Response``."""
    response = chain.run(context_from_environ(request.environ))
    return Response(response.body, status=response.status, headers=response.header_list())


# -- door 1: in the kernel (moto's ``responses`` mock) ---------------------------------------------
def responses_callback(prepared: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """``responses`` callback for door 1: a ``requests.PreparedRequest`` → (status, headers, body)."""
    response = chain.run(context_from_prepared(prepared))
    return response.status, response.header_list(), response.body


def context_from_prepared(prepared: Any) -> RequestContext:
    """A request context from a ``requests.PreparedRequest``, with headers named as the WSGI doors name them."""
    parts = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):  # a generator or file: read it
        body = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in body)
    content_type = content_length = None
    others: list[tuple[str, str]] = []
    for key, value in prepared.headers.items():
        text = value if isinstance(value, str) else value.decode("latin-1")
        low = key.lower()
        if low == "content-type":
            content_type = text
        elif low == "content-length":
            content_length = text
        elif low != "host":
            others.append((key.replace("_", "-").title(), text))
    headers: list[tuple[str, str]] = []
    if content_type:
        headers.append(("Content-Type", content_type))
    headers.append(("Content-Length", content_length or str(len(body))))
    headers += others
    return RequestContext(
        method=(prepared.method or "GET").upper(), host=parts.netloc, request_path="/" + unquote(parts.path).lstrip("/"),
        raw_query=parts.query, headers=headers, body=body, account_id=CONFIG.account_id, region=CONFIG.region,
        door="kernel",
    )


__all__ = ["URL_RE", "context_from_environ", "context_from_prepared", "handle", "is_gateway_environ",
           "responses_callback", "wsgi_app"]
