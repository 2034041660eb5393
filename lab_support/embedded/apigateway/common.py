"""What every part of the local API Gateway shares: the parsed request, responses, limits."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

# Quotas from https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
# ("Payload size: 10 MB", "Integration timeout: 50 milliseconds - 29 seconds" for REST APIs) and
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html (30 seconds).
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
REST_DEFAULT_TIMEOUT_MS = 29_000
HTTP_MAX_TIMEOUT_MS = 30_000
# Lambda's synchronous invocation payload quota (6 MB, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html);
# Lambda itself checks 6291456 bytes ("Request must be smaller than 6291456 bytes for the InvokeFunction operation").
LAMBDA_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024

# Content types HTTP APIs pass as text; every other body reaches Lambda base64-encoded
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml",
               "application/x-www-form-urlencoded", "application/x-amz-json", "application/ld+json",
               "application/graphql", "application/yaml", "+json", "+xml")


def is_text_content(content_type: str | None) -> bool:
    """True when an HTTP API treats a body of ``content_type`` as text."""
    if not content_type:
        return True
    ct = content_type.split(";")[0].strip().lower()
    return any(ct.startswith(t) or ct.endswith(t) for t in _TEXT_TYPES)


def media_type_matches(content_type: str | None, patterns: list[str]) -> bool:
    """REST ``binaryMediaTypes`` matching: exact, ``type/*`` or ``*/*`` (AWS escapes ``/`` as ``~1``)."""
    if not content_type or not patterns:
        return False
    types = [c.split(";")[0].strip().lower() for c in content_type.split(",")]
    for raw in patterns:
        pat = raw.replace("~1", "/").lower()
        for ct in types:
            if pat in ("*/*", ct) or (pat.endswith("/*") and ct.startswith(pat[:-1])):
                return True
    return False


@dataclass
class Incoming:
    """One request to a deployed stage, whichever door it came through."""

    method: str
    api_id: str
    region: str
    account_id: str
    stage: str
    path: str  # after the stage, starts with "/"
    raw_query: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    extended_request_id: str = field(default_factory=lambda: secrets.token_urlsafe(12)[:16] + "=")
    epoch_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    @property
    def domain_name(self) -> str:
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"

    def header(self, name: str, default: str | None = None) -> str | None:
        """Last value of a header, case-insensitively."""
        found = default
        for key, value in self.headers:
            if key.lower() == name.lower():
                found = value
        return found

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")

    @property
    def user_agent(self) -> str | None:
        return self.header("user-agent")

    @property
    def request_time(self) -> str:
        """CLF time, as ``$context.requestTime``: ``09/Apr/2015:12:34:56 +0000``."""
        return datetime.fromtimestamp(self.epoch_ms / 1000, tz=UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")

    def query_last(self) -> dict[str, str]:
        return {k: v for k, v in self.query}

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


def json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    """A JSON response the way API Gateway writes its own errors."""
    hdrs = Headers(headers or [])
    if "Content-Type" not in hdrs:
        hdrs["Content-Type"] = "application/json"
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload, separators=(",", ":"))
    return Response(body, status=status, headers=hdrs)


def trace_id(epoch_ms: int) -> str:
    """An ``X-Amzn-Trace-Id`` value: ``Root=1-{8 hex seconds}-{24 hex}``."""
    return f"Root=1-{epoch_ms // 1000:08x}-{secrets.token_hex(12)}"


def substitute_stage_variables(text: str | None, variables: dict[str, str]) -> str | None:
    """Replace ``${stageVariables.name}`` in an integration URI or connection id."""
    if not text or "${stageVariables." not in text:
        return text
    import re

    return re.sub(r"\$\{stageVariables\.([A-Za-z0-9_.:/?#&=,-]+?)\}", lambda m: variables.get(m.group(1), ""), text)
