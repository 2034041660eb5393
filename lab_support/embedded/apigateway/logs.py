"""Execution and access logs, written to the embedded CloudWatch Logs.

* REST APIs: execution logs when the stage's ``methodSettings`` set ``loggingLevel`` to INFO or
  ERROR, in the log group ``API-Gateway-Execution-Logs_{apiId}/{stage}``
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html).
* REST and HTTP APIs: access logs when the stage has ``accessLogSettings`` (destination ARN and
  format with ``$context`` variables), one line per request
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html).
  HTTP APIs write no execution logs.

Deliberate differences: AWS needs an account-level CloudWatch role (``update_account
cloudwatchRoleArn``) before it writes REST logs; here logs are written without it. Log stream
names are one random 32-hex-digit stream per stage and session (AWS uses several).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from typing import Any

from lab_support.core import clock
from lab_support.embedded.apigateway.context import HTTP, RequestContext

_LOCK = threading.Lock()
_STREAMS: dict[str, str] = {}


def reset() -> None:
    """Forget stream names (after the account was emptied)."""
    with _LOCK:
        _STREAMS.clear()


def write(account_id: str, region: str, group: str, lines: list[str]) -> None:
    """Append ``lines`` to ``group`` (created if missing) in the embedded CloudWatch Logs."""
    if not lines:
        return
    from moto.logs.models import logs_backends

    backend = logs_backends[account_id][region]
    now = int(clock.now() * 1000)  # the course clock, like the metrics' timestamps
    with _LOCK:
        if group not in backend.groups:
            backend.create_log_group(group, {})
        stream = _STREAMS.get(group)
        if stream is None or stream not in backend.groups[group].streams:
            stream = secrets.token_hex(16)
            backend.create_log_stream(group, stream)
            _STREAMS[group] = stream
        backend.put_log_events(group, stream, [{"timestamp": now, "message": line} for line in lines])


def group_from_arn(arn: str) -> str:
    """``arn:aws:logs:{region}:{account}:log-group:{name}[:*]`` → ``name``."""
    name = arn.split(":log-group:", 1)[-1]
    return name[:-2] if name.endswith(":*") else name


_CTX_VAR = re.compile(r"\$context\.([A-Za-z0-9_.]+)")


def format_access_line(fmt: str, context: dict[str, Any]) -> str:
    """Fill an access-log ``format`` with ``$context`` values (``-`` for unknown ones, as AWS does)."""

    def lookup(match: re.Match[str]) -> str:
        value: Any = context
        for part in match.group(1).split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                return "-"
        if value is None or value == "":
            return "-"
        return json.dumps(value)[1:-1] if isinstance(value, str) else str(value)

    return _CTX_VAR.sub(lookup, fmt)


def add_response_variables(ctx: RequestContext) -> None:
    """The ``$context`` variables known once the response is built, for the access log line.

    ``$context.responseLatency`` (ms since the request arrived), ``$context.integration.*`` (HTTP APIs:
    ``latency``, ``status``, ``error``) and, for an HTTP API's own error responses, ``$context.error.message`` /
    ``messageString`` / ``responseType`` (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html;
    REST: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html).
    """
    variables = ctx.variables
    variables["responseLatency"] = int((time.monotonic() - ctx.started) * 1000)
    if ctx.kind != HTTP:
        return
    result = ctx.integration_result
    variables["integration"] = {
        "latency": variables.get("integrationLatency"),
        "status": getattr(result, "status", None),
        "error": variables.get("integrationErrorMessage"),
    }
    if ctx.error is not None and ctx.response is not None:
        try:
            message = json.loads(ctx.response.body or b"{}").get("message")
        except (ValueError, AttributeError):
            message = None
        if isinstance(message, str):
            variables["error"] = {"message": message, "messageString": json.dumps(message), "responseType": ctx.error.kind}
