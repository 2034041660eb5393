"""The one object a request carries through the gateway's handler chain (:mod:`.chain`).

A door (:mod:`.doors`) fills the request half of a :class:`RequestContext`; each handler of the
chain reads what earlier handlers found and adds its own part (the API, the stage and its deployment,
the matched resource or route, the integration's request and result, the response being built, log
fields). Handlers stop the request phase by raising :class:`GatewayError` (an error response the
API answers with) or by setting :attr:`RequestContext.response`.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.http import HTTP_STATUS_CODES

from lab_support.core import clock
from lab_support.embedded.apigateway.common import REST_DEFAULT_TIMEOUT_MS

REST = "REST"
HTTP = "HTTP"


@dataclass
class Config:
    """Where the gateway runs: set by :func:`lab_support.embedded.apigateway.install`."""

    account_id: str = "123456789012"
    region: str = "us-east-1"
    endpoint_url: str = ""


CONFIG = Config()


class GatewayError(Exception):
    """The request ends in one of the API's own error responses.

    ``kind`` is a REST gateway response type (``MISSING_AUTHENTICATION_TOKEN``, ``INTEGRATION_TIMEOUT`` ...,
    see :data:`.rest.GATEWAY_RESPONSES`); HTTP APIs map it to their fixed error bodies
    (:data:`.http_api.ERRORS`). ``integration_error`` is the ``$context.integrationErrorMessage`` it
    leaves. The handler that raises it writes the execution-log line.
    """

    def __init__(self, kind: str, *, integration_error: str | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.integration_error = integration_error


# Reason phrases as werkzeug writes them ("502 BAD GATEWAY"), so the loopback doors answer as they always did.
_REASONS = {code: phrase.upper() for code, phrase in HTTP_STATUS_CODES.items()}


@dataclass(eq=False)
class HttpResponse:
    """The response being built: status, headers (repeatable, case-insensitive) and body bytes."""

    status: int
    headers: Headers
    body: bytes = b""

    @classmethod
    def json(cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
        """A JSON response the way API Gateway writes its own errors (compact separators)."""
        hdrs = Headers(headers or [])
        if "Content-Type" not in hdrs:
            hdrs["Content-Type"] = "application/json"
        body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload, separators=(",", ":"))
        return cls(status, hdrs, body.encode() if isinstance(body, str) else body)

    @property
    def status_line(self) -> str:
        """``"200 OK"``, for WSGI's ``start_response``."""
        return f"{self.status} {_REASONS.get(self.status, 'UNKNOWN')}"

    def header_list(self) -> list[tuple[str, str]]:
        """The headers to send, with ``Content-Length`` for the body (none for 1xx, 204, 304)."""
        out = [(k, v) for k, v in self.headers.items() if k.lower() != "content-length"]
        if self.status >= 200 and self.status not in (204, 304):
            out.append(("Content-Length", str(len(self.body))))
        return out


class ExecLog:
    """Execution-log lines of one request, with their level (written by the chain's last handlers).

    ``detailed`` says whether the stage logs at INFO for the matched method: handlers check it before
    building the long lines (request headers, bodies), which cost more than the request itself.
    """

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.lines: list[tuple[str, str]] = []
        self.level = "OFF"

    @property
    def detailed(self) -> bool:
        return self.level == "INFO"

    def info(self, text: str) -> None:
        self.lines.append(("INFO", f"({self.request_id}) {text}"))

    def error(self, text: str) -> None:
        self.lines.append(("ERROR", f"({self.request_id}) {text}"))

    def for_level(self, level: str) -> list[str]:
        if level == "INFO":
            return [t for _lvl, t in self.lines]
        if level == "ERROR":
            return [t for lvl, t in self.lines if lvl == "ERROR"]
        return []


@dataclass(eq=False)
class RequestContext:
    """One request to a deployed stage, and everything the chain learns while answering it."""

    # -- the request, as the door parsed it ---------------------------------------------------------
    method: str
    host: str  # the Host header as sent (an execute-api name, or 127.0.0.1:PORT)
    request_path: str  # the URL path as sent (decoded), before the door's prefix and the stage are taken off
    raw_query: str
    headers: list[tuple[str, str]]  # as API Gateway forwards them (see doors._forwarded_headers)
    body: bytes
    account_id: str
    region: str
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    door: str = "kernel"  # "kernel", "loopback" (/restapis/...) or "host" (Host: {api}.execute-api...)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    extended_request_id: str = field(default_factory=lambda: secrets.token_urlsafe(12)[:16] + "=")
    epoch_ms: int = field(default_factory=lambda: int(clock.now() * 1000))  # the course clock
    started: float = field(default_factory=time.monotonic)  # for Latency / $context.responseLatency

    # -- parse and route ----------------------------------------------------------------------------
    api_id: str = ""
    stage_name: str = ""
    path: str = "/"  # after the stage, starts with "/"
    kind: str = ""  # REST or HTTP
    api: Any = None  # moto's RestAPI or apigatewayv2 Api
    # -- stage and deployment -----------------------------------------------------------------------
    stage: Any = None
    deployment: Any = None  # rest.Deployment or http_api.Deployment: what the stage serves
    stage_variables: dict[str, str] = field(default_factory=dict)
    # -- method request -----------------------------------------------------------------------------
    resource: Any = None  # REST: the matched resource
    method_def: Any = None  # REST: the matched method
    route: Any = None  # HTTP: the matched route
    path_params: dict[str, str] = field(default_factory=dict)
    # What the authorizer decided (authorizers.py): principalId, context, usageIdentifierKey (read by usage_plans.py)
    authorizer: dict[str, Any] | None = None
    # -- integration ----------------------------------------------------------------------------------
    integration: Any = None  # moto's integration object
    invoker: Any = None  # integrations.Integration: the implementation of the integration's type
    integration_request: Any = None  # integrations.IntegrationRequest (REST non-proxy: the mapped body)
    integration_result: Any = None  # integrations.IntegrationResult
    timeout_ms: int = REST_DEFAULT_TIMEOUT_MS
    timings: dict[str, float] = field(default_factory=dict)  # monotonic seconds: "integration_start", ...
    # -- the answer ---------------------------------------------------------------------------------
    response: HttpResponse | None = None
    error: GatewayError | None = None
    variables: dict[str, Any] = field(default_factory=dict)  # $context: templates, gateway responses, access logs
    exec_log: ExecLog = field(init=False)

    def __post_init__(self) -> None:
        self.exec_log = ExecLog(self.request_id)

    # -- derived values ---------------------------------------------------------------------------
    @property
    def domain_name(self) -> str:
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"

    def header(self, name: str, default: str | None = None) -> str | None:
        """Last value of a request header, case-insensitively."""
        found = default
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                found = value
        return found

    @cached_property
    def content_type(self) -> str | None:
        return self.header("content-type")

    @cached_property
    def user_agent(self) -> str | None:
        return self.header("user-agent")

    @cached_property
    def request_time(self) -> str:
        """CLF time, as ``$context.requestTime``: ``09/Apr/2015:12:34:56 +0000``."""
        return datetime.fromtimestamp(self.epoch_ms / 1000, tz=UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")

    @cached_property
    def query(self) -> list[tuple[str, str]]:
        from urllib.parse import parse_qsl

        return parse_qsl(self.raw_query, keep_blank_values=True)

    def query_last(self) -> dict[str, str]:
        return dict(self.query)

    def query_multi(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for k, v in self.query:
            out.setdefault(k, []).append(v)
        return out

    def headers_multi(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for k, v in self.headers:
            out.setdefault(k, []).append(v)
        return out

    @cached_property
    def method_params(self) -> dict[str, dict[str, str]]:
        """``method.request.*`` values: path, querystring (last value) and header (REST mapping templates)."""
        return {"path": self.path_params, "querystring": self.query_last(), "header": dict(self.headers)}

    def integration_latency(self) -> None:
        """Record ``$context.integrationLatency`` (ms since the integration request began)."""
        started = self.timings.get("integration_start")
        if started is not None:
            self.variables["integrationLatency"] = int((time.monotonic() - started) * 1000)
