"""Reading what Lambda answers: Invoke responses, ``LogType="Tail"`` and CloudWatch Logs, printed stably.

Pure formatting on top of plain boto3 responses, so the same notebook cells work on a real account.
Lambda's log lines carry numbers that change every run (durations, memory); :func:`tidy` masks them so a
stored notebook output stays comparable, keeping *which* fields are present (``Init Duration`` only on a
cold start is the point). Request ids (UUIDs) are left as they are: the notebook tests mask them.

Log line formats: https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html (START / END / REPORT);
Invoke response fields: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Collection
from typing import Any

__all__ = ["handler_output", "log_tail", "masked", "now_ms", "read_payload", "show_invocation", "tidy", "wait_for_log_events"]

# REPORT fields whose values vary from run to run.
_VARYING = re.compile(r"(Duration|Billed Duration|Init Duration|Max Memory Used|Restore Duration): [\d.]+ (ms|MB)")
# The local runtime unpacks code under a temporary folder; Lambda's task root is /var/task
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html, LAMBDA_TASK_ROOT).
_TASK_ROOT = re.compile(r"/[^\s\"']*?lab-lambda-code-[^/\s\"']+/[^/\s\"']+/")
# Frames inside the Python installation (boto3, botocore) differ between machines.
_SITE_PACKAGES = re.compile(r"/[^\s\"']*?/(site-packages|dist-packages)/")
# Log stream names start with the date: YYYY/MM/DD/[$LATEST]…
_STREAM_DATE = re.compile(r"\b\d{4}/\d{2}/\d{2}/\[")


def tidy(text: str) -> str:
    """``text`` with varying numbers masked (``Duration: … ms``), tabs as two spaces and paths as on Lambda."""
    text = _VARYING.sub(lambda m: f"{m.group(1)}: … {m.group(2)}", text)
    text = _TASK_ROOT.sub("/var/task/", text)
    text = _SITE_PACKAGES.sub(r"/var/lang/lib/python3.x/\1/", text)
    text = _STREAM_DATE.sub("YYYY/MM/DD/[", text)
    return text.replace("\t", "  ").rstrip()


def read_payload(response: dict[str, Any]) -> Any:
    """The response payload of ``lambda.invoke``, parsed as JSON when it is JSON (read once, then cached)."""
    if "_payload" not in response:
        stream = response.get("Payload")
        raw = stream.read() if hasattr(stream, "read") else (stream or b"")
        try:
            response["_payload"] = json.loads(raw) if raw else None
        except ValueError:
            response["_payload"] = raw.decode("utf-8", "replace")
    return response["_payload"]


def log_tail(response: dict[str, Any]) -> str:
    """The decoded ``LogResult`` of an invoke made with ``LogType="Tail"`` (the last 4 KB of the log), tidied."""
    encoded = response.get("LogResult")
    return tidy(base64.b64decode(encoded).decode("utf-8", "replace")) if encoded else ""


def show_invocation(response: dict[str, Any], *, stack: bool = False) -> None:
    """Print an Invoke response as a student reads it: status, function error, version, payload (and log tail).

    Error payloads are shown field by field (``errorType``, ``errorMessage``; ``stackTrace`` when ``stack``).
    Returns nothing (so a notebook cell ending with it shows no ``Out``); :func:`read_payload` gives the payload.
    """
    payload = read_payload(response)
    parts = [f"StatusCode: {response['StatusCode']}"]
    if response.get("FunctionError"):
        parts.append(f"FunctionError: {response['FunctionError']}")
    if response.get("ExecutedVersion"):
        parts.append(f"ExecutedVersion: {response['ExecutedVersion']}")
    print("   ".join(parts))
    if response.get("FunctionError") and isinstance(payload, dict):
        print(f"errorType:    {payload.get('errorType')}")
        print(f"errorMessage: {tidy(str(payload.get('errorMessage')))}")
        if stack and payload.get("stackTrace"):
            print("stackTrace:")
            for frame in payload["stackTrace"]:
                print(tidy(str(frame)))
    elif payload is not None:
        print("Payload:", json.dumps(payload) if not isinstance(payload, str) else payload)
    else:
        print("Payload: (empty)")
    tail = log_tail(response)
    if tail:
        print("--- log tail ---")
        print(tail)


def wait_for_log_events(
    function_name: str,
    *,
    since_ms: int,
    pattern: str | None = None,
    count: int = 1,
    timeout: float = 30.0,
    client: Any = None,
) -> list[str]:
    """Messages of ``/aws/lambda/<function_name>`` since ``since_ms`` (epoch ms), waiting for ``count`` of them.

    Uses ``logs.filter_log_events`` (with ``filterPattern=pattern``), polling until ``count`` events match
    or ``timeout`` seconds pass: log delivery is asynchronous on AWS, and asynchronous invocations run
    later. Returns the messages, oldest first.
    """
    import boto3

    logs = client or boto3.client("logs")
    deadline = time.monotonic() + timeout
    group = f"/aws/lambda/{function_name}"
    messages: list[str] = []
    while True:
        kwargs: dict[str, Any] = {"logGroupName": group, "startTime": since_ms}
        if pattern:
            kwargs["filterPattern"] = pattern
        try:
            events: list[dict[str, Any]] = []
            while True:
                page = logs.filter_log_events(**kwargs)
                events += page.get("events", [])
                if not page.get("nextToken"):
                    break
                kwargs["nextToken"] = page["nextToken"]
            messages = [e["message"].rstrip("\n") for e in sorted(events, key=lambda e: (e["timestamp"],))]
        except logs.exceptions.ResourceNotFoundException:
            messages = []
        if len(messages) >= count or time.monotonic() > deadline:
            return messages
        time.sleep(0.1)


def now_ms() -> int:
    """Now, in epoch milliseconds: CloudWatch Logs' clock. Pass it as ``since`` to read only later log events."""
    return int(time.time() * 1000)


# The lines the Lambda service writes around every invocation, and on AWS around a cold start (INIT_START;
# INIT_REPORT when the init phase fails) (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html).
_SERVICE_LINES = ("START RequestId", "END RequestId", "REPORT RequestId", "INIT_START", "INIT_REPORT")


def handler_output(
    function_name: str,
    since: int,
    *,
    count: int = 0,
    timeout: float = 0.0,
    client: Any = None,
) -> list[str]:
    """What the function printed since ``since`` (epoch ms), oldest first, one line per log event.

    Reads ``/aws/lambda/<function_name>`` with :func:`wait_for_log_events`, leaves out the service's
    START / END / REPORT lines and keeps the first line of each event (a traceback becomes its first line).
    Waits up to ``timeout`` seconds for at least ``count`` such lines (by default it reads once: after
    ``lab.wait_idle()`` the embedded backend's logs are complete; on AWS log delivery takes a few seconds).
    An empty list when the function has not logged anything yet.
    """
    deadline = time.monotonic() + timeout
    while True:
        messages = wait_for_log_events(function_name, since_ms=since, count=0, timeout=0, client=client)
        lines = [m.splitlines()[0] for m in messages if m.strip() and not m.startswith(_SERVICE_LINES)]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def masked(value: Any, keys: Collection[str], mask: str = "…") -> Any:
    """``value`` (an event, a response: dicts and lists) with the values of ``keys`` replaced by ``mask``, at any depth.

    For printing an event stably when a few of its fields (request ids, sequencers) change every run.
    """
    if isinstance(value, dict):
        return {k: mask if k in keys else masked(v, keys, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, keys, mask) for v in value]
    return value
