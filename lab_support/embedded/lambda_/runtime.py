"""The local Lambda runtime's core: resolve the function, run it in an environment, report as Lambda does.

Everything here sits under the public Lambda API: ``lambda.invoke`` from boto3 (in the kernel or any other
process through the embedded endpoint) reaches moto, and moto's single execution point is replaced by
:func:`dispatch` (see :mod:`lab_support.embedded.lambda_.moto_patch`). Event sources and the local API Gateway
call :func:`lab_support.embedded.lambda_.invoke`, which lands here too.

AWS facts used here (each cited where it is used):

* payload quotas and their messages: :mod:`lab_support.embedded.lambda_.limits` (cited there).
* status codes: 200 RequestResponse, 202 Event, 204 DryRun (API_Invoke.html, "StatusCode").
* log lines START / END / REPORT and the stream name ``YYYY/MM/DD/[version]hex``:
  https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html (its example bills the Init phase:
  ``Duration: 15.74 ms Billed Duration: 147 ms … Init Duration: 130.49 ms``).
* timeouts: ``Sandbox.Timedout`` / "Task timed out after N.NN seconds"
  (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html#troubleshooting-timeouts).
* a runtime that exits: ``Runtime.ExitError`` "RequestId: … Error: Runtime exited with error: exit status N"
  (https://repost.aws/knowledge-center/lambda-runtime-error); killed for memory: ``Runtime.OutOfMemory``
  with "Runtime exited with error: signal: killed".
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import random
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lab_support.core import clock, idle
from lab_support.embedded.iam import credentials_for_role
from lab_support.embedded.lambda_ import pool as pool_mod
from lab_support.embedded.lambda_.limits import (
    ASYNC_REQUEST_LIMIT,
    SYNC_REQUEST_LIMIT,
    SYNC_RESPONSE_LIMIT,
    TAIL_BYTES,
    request_too_large_message,
    response_too_large_message,
)

INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


@dataclass
class Caller:
    """Who is invoking (``None`` = the kernel's own credentials)."""

    principal: str  # e.g. "apigateway.amazonaws.com", "s3.amazonaws.com", or an IAM ARN
    source_arn: str | None = None
    source_account: str | None = None


@dataclass
class Invocation:
    """The result of one Invoke, as the Invoke API reports it."""

    status_code: int  # 200 RequestResponse, 202 Event, 204 DryRun
    payload: bytes
    function_error: str | None  # "Unhandled" or None
    log_result: str | None  # base64 of the last 4 KB of the log when log_type="Tail"
    executed_version: str
    request_id: str

    def json(self) -> Any:
        """The payload parsed as JSON (``None`` for an empty payload)."""
        return json.loads(self.payload) if self.payload else None

    @property
    def log_tail(self) -> str:
        """The decoded ``log_result`` ("" without ``log_type="Tail"``)."""
        return base64.b64decode(self.log_result).decode("utf-8", "replace") if self.log_result else ""


class InvokeError(Exception):
    """An Invoke request Lambda refuses before running anything; ``code`` is AWS's error code."""

    code = "ServiceException"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ResourceNotFound(InvokeError, LookupError):
    """No such function, version or alias (``ResourceNotFoundException``, HTTP 404)."""

    code = "ResourceNotFoundException"
    status = 404


class InvokeDenied(InvokeError, PermissionError):
    """The caller is not allowed by the function's resource-based policy (``AccessDeniedException``, 403)."""

    code = "AccessDeniedException"
    status = 403


class RequestTooLarge(InvokeError):
    """The request payload is over the quota (``RequestEntityTooLargeException``, HTTP 413)."""

    code = "RequestEntityTooLargeException"
    status = 413


class InvalidRequestContent(InvokeError):
    """The request payload is not JSON (``InvalidRequestContentException``, HTTP 400)."""

    code = "InvalidRequestContentException"
    status = 400


class InvalidParameterValue(InvokeError):
    """A request parameter is not valid (``InvalidParameterValueException``, HTTP 400)."""

    code = "InvalidParameterValueException"
    status = 400


class TooManyRequests(InvokeError):
    """No execution environment is available (``TooManyRequestsException``, HTTP 429), answered at once.

    Lambda's message is "Rate Exceeded." and ``Reason`` says which limit: ``ReservedFunctionConcurrentInvocationLimitExceeded``
    (the function's reserved concurrency) or ``ConcurrentInvocationLimitExceeded`` (the account's concurrency;
    here the local caps of :mod:`.pool`). https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
    (errors, "TooManyRequestsException", HTTP 429) and the ``Reason`` enum of the API's ``TooManyRequestsException``;
    the message as Lambda returns it: https://repost.aws/knowledge-center/lambda-troubleshoot-throttling.
    """

    code = "TooManyRequestsException"
    status = 429
    MESSAGE = "Rate Exceeded."

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGE)
        self.reason = reason


# -- state shared by the runtime ------------------------------------------------------------------------
_POOL: pool_mod.Pool | None = None
_POOL_LOCK = threading.Lock()
_PENDING = 0
_PENDING_COND = threading.Condition()
_LOGS_LOCK = threading.Lock()
ROUTING_RANDOM = random.Random()  # weighted alias routing; seed it in tests for determinism


def get_pool() -> pool_mod.Pool:
    """The environments of this kernel (created on first use)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = pool_mod.Pool()
        return _POOL


def shutdown_pool() -> None:
    """Stop every worker and delete unpacked code (``lab.stop()``)."""
    global _POOL
    with _POOL_LOCK:
        found, _POOL = _POOL, None
    if found is not None:
        found.close()


def stop_workers() -> None:
    """Stop every worker but keep the code cache (``lab.reset()``)."""
    with _POOL_LOCK:
        found = _POOL
    if found is not None:
        found.stop_all()


@contextlib.contextmanager
def pending() -> Any:
    """Count an invocation (or any work) as pending for :func:`wait_idle`."""
    global _PENDING
    with _PENDING_COND:
        _PENDING += 1
    try:
        yield
    finally:
        with _PENDING_COND:
            _PENDING -= 1
            _PENDING_COND.notify_all()
        idle.notify()


def backend_for(account_id: str, region: str) -> Any:
    from moto.awslambda.models import lambda_backends

    return lambda_backends[account_id][region]


def split_name(function_name: str, qualifier: str | None) -> tuple[str, str | None]:
    """Name and qualifier from a name, ``name:qualifier``, a (partial) ARN, and the Qualifier parameter."""
    name = function_name
    if ":function:" in name:
        name = name.split(":function:", 1)[1]
    if ":" in name:
        name, in_name = name.split(":", 1)
        qualifier = in_name or qualifier
    return name, qualifier


def resolve(backend: Any, function_name: str, qualifier: str | None) -> tuple[Any, str, str | None]:
    """(moto LambdaFunction to run, invoked ARN, alias name or None), with weighted alias routing.

    An alias with ``RoutingConfig.AdditionalVersionWeights`` sends each extra version its weight's share
    of invocations (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html).
    """
    from moto.awslambda.exceptions import UnknownFunctionException
    from moto.core.exceptions import JsonRESTError

    name, qual = split_name(function_name, qualifier)
    target_qualifier = qual
    alias_name = None
    try:
        latest = backend.get_function(name)
        if qual and qual != "$LATEST" and not qual.isdigit():
            alias = backend._lambdas._get_function_aliases(name).get(qual)
            if alias is not None:
                alias_name = qual
                target_qualifier = alias.function_version
                weights = (alias.routing_config or {}).get("AdditionalVersionWeights") or {}
                roll = ROUTING_RANDOM.random()
                for version, weight in weights.items():
                    if roll < float(weight):
                        target_qualifier = str(version)
                        break
                    roll -= float(weight)
        fn = backend.get_function(name, target_qualifier)
    except (UnknownFunctionException, JsonRESTError) as err:
        message = getattr(err, "message", None) or str(err)
        if getattr(err, "error_type", "") == "ResourceNotFoundException" or isinstance(err, UnknownFunctionException):
            raise ResourceNotFound(message) from None
        raise
    base_arn = latest.function_arn.split(":$LATEST")[0]
    invoked = f"{base_arn}:{qual}" if qual else base_arn
    return fn, invoked, alias_name


def executed_version(fn: Any) -> str:
    return str(fn.version)


# -- dispatch: the three invocation types ---------------------------------------------------------------
def check_request(payload: bytes, invocation_type: str) -> None:
    """Lambda's checks before running anything: invocation type, size quota, JSON."""
    if invocation_type not in INVOCATION_TYPES:
        raise InvalidParameterValue(
            f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
        )
    limit = ASYNC_REQUEST_LIMIT if invocation_type == "Event" else SYNC_REQUEST_LIMIT
    if len(payload) > limit:
        raise RequestTooLarge(request_too_large_message(limit))
    if payload.strip():
        try:
            json.loads(payload)
        except ValueError as err:
            raise InvalidRequestContent(
                f"Could not parse request body into json: Could not parse payload into json: {err}"
            ) from None


def invocations_in_flight() -> int:
    """Invocations running or handed to async invocation and not yet accepted (for ``wait_idle``)."""
    return _PENDING


idle.register_pending("lambda invocations", invocations_in_flight)


# -- execute: one synchronous run in an environment ------------------------------------------------------
def spec_for(fn: Any) -> pool_mod.Spec:
    return pool_mod.Spec(
        function_name=fn.function_name,
        version=executed_version(fn),
        code_sha256=str(getattr(fn, "code_sha_256", "") or ""),
        handler=str(fn.handler or ""),
        runtime=str(fn.run_time or ""),
        memory_mb=int(fn.memory_size or 128),
        timeout_s=float(fn.timeout or 3),
        role=str(fn.role or ""),
        env_items=tuple(sorted((str(k), str(v)) for k, v in (fn.environment_vars or {}).items())),
        instance=_instance_token(fn),
    )


def _instance_token(fn: Any) -> str:
    """A token stamped on the moto function object at first use: a re-created function gets a new one."""
    token = getattr(fn, "_lab_instance", None)
    if not token:
        token = uuid.uuid4().hex
        fn._lab_instance = token
    return str(token)


def _role_credentials(role_arn: str, function_name: str) -> dict[str, str]:
    """Credentials for the execution role (:func:`lab_support.embedded.iam.credentials_for_role`).

    Lambda names the role session after the function
    (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html). Any failure here is
    raised: a handler must never run without its role's permissions being enforced."""
    return dict(credentials_for_role(role_arn, session_name=function_name))


# Set to "1" in the kernel's environment (before lab.start()) to let handlers reach the internet.
HANDLER_INTERNET_SWITCH = "LAB_HANDLER_INTERNET"


def worker_env(session: Any, fn: Any, spec: pool_mod.Spec, log_stream: str, task_root: str) -> dict[str, str]:
    """Environment variables of an execution environment.

    Defined runtime variables per https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
    ("Defined runtime environment variables"), plus the session's ``child_env()`` so that boto3 in the handler
    reaches the kernel's embedded AWS over HTTP.
    """
    env = dict(session.child_env())
    env.update(dict(spec.env_items))  # the function's Environment.Variables
    creds = _role_credentials(spec.role, spec.function_name)
    env.update(creds)
    env.update(
        {
            "_HANDLER": spec.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_REGION": session.region,
            "AWS_DEFAULT_REGION": session.region,
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": str(pool_mod.WORKER_FILE.parent),
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            # The task folder is the handler's home: ~/.aws/credentials and the rest of the student's home
            # stay out of reach. Handlers reach only loopback unless LAB_HANDLER_INTERNET=1 (worker.py).
            "HOME": task_root,
            "_LAB_NETWORK": "any" if os.environ.get(HANDLER_INTERNET_SWITCH) == "1" else "loopback",
        }
    )
    if "AWS_ACCESS_KEY_ID" in env:
        env["AWS_ACCESS_KEY"] = env["AWS_ACCESS_KEY_ID"]
    return pool_mod.clean_env(env)


def _timed_out(spec: pool_mod.Spec, rid: str, logs: Any) -> dict[str, str]:
    """Lambda's timeout: the log line and the error ("Task timed out after 3.00 seconds", ``Sandbox.Timedout``)
    (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html)."""
    message = f"Task timed out after {spec.timeout_s:.2f} seconds"
    logs.runtime(f"{_iso(_now_ms())} {rid} {message}")
    return {"errorType": "Sandbox.Timedout", "errorMessage": f"RequestId: {rid} Error: {message}"}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "Runtime exited without providing a reason"
    if code < 0:
        import signal

        try:
            name = signal.Signals(-code).name.replace("SIG", "").lower()
        except ValueError:
            name = str(-code)
        names = {"kill": "killed", "term": "terminated", "segv": "segmentation fault", "abrt": "aborted"}
        return f"Runtime exited with error: signal: {names.get(name, name)}"
    return f"Runtime exited with error: exit status {code}"


def new_trace_header() -> str:
    """An ``X-Amzn-Trace-Id`` for an invocation nobody traced: Lambda sets ``_X_AMZN_TRACE_ID`` for every
    invocation (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html); the root's first part
    is the epoch second in hex (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html)."""
    return (f"Root=1-{int(clock.now()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};"
            "Sampled=0;Lineage=1:00000000:0")


def execute(
    session: Any,
    fn: Any,
    payload: bytes,
    *,
    invoked_arn: str,
    log_type: str = "None",
    client_context: Any = None,
    request_id: str | None = None,
    trace_header: str | None = None,
) -> Invocation:
    """Run one synchronous invocation of ``fn`` (a moto LambdaFunction version) in an execution environment.

    Raises :class:`TooManyRequests` at once when no environment can be had (reserved concurrency or the
    pool's caps), as Lambda answers a synchronous invocation it cannot run. ``trace_header`` (an
    ``X-Amzn-Trace-Id`` value) becomes the handler's ``_X_AMZN_TRACE_ID``; without one, a new unsampled trace.
    """
    rid = request_id or str(uuid.uuid4())
    version = executed_version(fn)
    if not pool_mod.python_runtime(fn.run_time) or getattr(fn, "package_type", "Zip") != "Zip":
        error = {
            "errorMessage": f"The course's local Lambda runtime runs Python .zip functions only, not "
            f"{fn.run_time or fn.package_type}. Use a python3.x runtime (or a real account: LAB_BACKEND=aws).",
            "errorType": "Runtime.InvalidRuntime",
        }
        return Invocation(200, json.dumps(error).encode(), "Unhandled", None, version, rid)

    with pending():
        spec = spec_for(fn)
        runtime_pool = get_pool()
        try:
            env, cold = runtime_pool.acquire(spec, reserved=reserved_concurrency(fn))
        except pool_mod.Throttled as err:
            raise TooManyRequests(err.reason) from None
        healthy = False
        try:
            result = _run_in(session, fn, spec, env, cold, payload, invoked_arn, client_context, rid,
                             trace_header or new_trace_header())
            healthy = result.pop("healthy")
        finally:
            runtime_pool.release(env, healthy=healthy)
        events: list[tuple[int, str]] = result["events"]
        _write_logs(fn, env.log_stream, events, new_stream=cold)
        log_result = None
        if log_type == "Tail":
            text = "".join(message + "\n" for _ts, message in events).encode()
            log_result = base64.b64encode(text[-TAIL_BYTES:]).decode()
        return Invocation(200, result["payload"], result["function_error"], log_result, version, rid)


def reserved_concurrency(fn: Any) -> int | None:
    """The function's reserved concurrency (``PutFunctionConcurrency``), shared by all its versions; None if unset.

    moto keeps it on the ``$LATEST`` object (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
    """
    latest = fn
    if str(fn.version) != "$LATEST":
        with contextlib.suppress(Exception):
            latest = backend_for(fn.account_id, fn.region).get_function(fn.function_name)
    value = getattr(latest, "reserved_concurrency", None)
    return None if value is None or value == "" else int(value)


class _Logs:
    """One invocation's log events, at most ``cap`` bytes (the worker caps its own output too; this bounds
    what the kernel keeps whatever the worker sends)."""

    def __init__(self, cap: int) -> None:
        self.events: list[tuple[int, str]] = []
        self.cap = cap
        self.used = 0
        self.dropped = 0
        self.worker_dropped = 0  # reported by the worker (its own cap), per phase
        self._phase_dropped = 0

    def add(self, ts: int, message: str) -> None:
        size = len(message) + 1
        if self.used + size > self.cap:
            self.dropped += size
            return
        self.used += size
        self.events.append((ts, message))

    def runtime(self, message: str) -> None:
        """A line of the runtime itself (START, END, REPORT, errors): never dropped."""
        self.events.append((_now_ms(), message))

    def worker_reports(self, dropped: int) -> None:
        """The worker's running count of dropped bytes in its current phase."""
        self._phase_dropped = dropped

    def next_phase(self) -> None:
        self.worker_dropped += self._phase_dropped
        self._phase_dropped = 0

    def close(self) -> None:
        self.next_phase()
        total = self.dropped + self.worker_dropped
        if total:
            self.runtime(f"[…] {total} bytes dropped (the local runtime keeps {pool_mod.LOG_CAP_BYTES} bytes of "
                         "log output per invocation)")
            self.dropped = self.worker_dropped = 0


# Every MEMORY_POLL_SECONDS while waiting for a frame the worker's peak RSS is compared with MemorySize.
MEMORY_POLL_SECONDS = 0.02


def _run_in(
    session: Any,
    fn: Any,
    spec: pool_mod.Spec,
    env: pool_mod.Environment,
    cold: bool,
    payload: bytes,
    invoked_arn: str,
    client_context: Any,
    rid: str,
    trace_header: str = "",
) -> dict[str, Any]:
    """Cold start if needed, then the invocation; returns payload, function_error, log events, healthy.

    Everything, including collecting the logs, happens before the invocation's wall-clock deadline: a
    handler that runs past its timeout is answered ``Sandbox.Timedout`` right at the deadline.

    Init phase: Lambda gives a regular Init 10 s whatever the function's timeout and, when it takes longer,
    retries it inside the first invocation under the function's timeout
    (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html). Here the init runs once,
    under the function's timeout, and a stuck init is reported as that timeout ("Task timed out after
    <Timeout> seconds", REPORT ``Duration`` = Timeout, ``Status: timeout``), as Lambda reports it in the end.
    """
    logs = _Logs(2 * pool_mod.LOG_CAP_BYTES + 64 * 1024)
    init_ms: float | None = None
    killed_for_memory = False
    peak = 0.0
    status: str | None = None
    error_type: str | None = None

    def fail(error: dict[str, Any], healthy: bool = False) -> dict[str, Any]:
        return {"payload": json.dumps(error).encode(), "function_error": "Unhandled", "healthy": healthy}

    outcome: dict[str, Any] | None = None
    t0 = time.perf_counter()
    if cold:
        task_root = str(get_pool().code_dir(spec.code_sha256, getattr(fn, "code_bytes", b"") or b""))
        env.start(worker_env(session, fn, spec, env.log_stream, task_root), task_root)
        how, init, _body, killed_for_memory, peak = _wait_frame(env, time.monotonic() + spec.timeout_s, spec,
                                                                b"I", rid, logs)
        start_ms = _now_ms()
        logs.runtime(f"START RequestId: {rid} Version: {spec.version}")
        if how == "timeout":
            env.kill()
            outcome = fail(_timed_out(spec, rid, logs))
            status = "timeout"
        elif how == "eof":
            error_type, reason = _ended(env, killed_for_memory)
            logs.runtime(f"RequestId: {rid} Error: {reason}\n{error_type}")
            outcome = fail({"errorType": error_type, "errorMessage": f"RequestId: {rid} Error: {reason}"})
            status = "error"
        else:
            assert init is not None
            init_ms = float(init.get("init_ms", 0.0))
            logs.next_phase()
            if not init.get("ok"):
                error = dict(init.get("error") or {})
                error_type, status = str(error.get("errorType", "")), "error"
                outcome = fail(error)
        t0 = time.perf_counter()
    else:
        start_ms = _now_ms()
        logs.runtime(f"START RequestId: {rid} Version: {spec.version}")

    if outcome is None:
        deadline_ms = start_ms + int(spec.timeout_s * 1000)
        deadline = time.monotonic() + spec.timeout_s
        sent = env.send(b"V", {"request_id": rid, "deadline_ms": deadline_ms, "invoked_function_arn": invoked_arn,
                               "client_context": client_context, "trace_id": trace_header}, payload)
        how, result, body, oom, mem = _wait_frame(env, deadline, spec, b"R", rid, logs) if sent else \
            ("eof", None, b"", False, 0.0)
        killed_for_memory, peak = oom, max(peak, mem)
        if how == "frame" and result is not None and result.get("ok"):
            if len(body) > SYNC_RESPONSE_LIMIT:
                error_type, status = "Function.ResponseSizeTooLarge", "error"
                outcome = fail({"errorMessage": response_too_large_message(SYNC_RESPONSE_LIMIT),
                                "errorType": error_type}, healthy=True)
            else:
                outcome = {"payload": body, "function_error": None, "healthy": True}
        elif how == "frame" and result is not None:
            outcome = fail(dict(result.get("error") or {}), healthy=True)
        elif how == "timeout":
            env.kill()
            outcome = fail(_timed_out(spec, rid, logs))
            status = "timeout"
        else:  # the process ended: sys.exit / os._exit / crash / killed for memory
            error_type, reason = _ended(env, killed_for_memory)
            logs.runtime(f"RequestId: {rid} Error: {reason}\n{error_type}")
            outcome = fail({"errorType": error_type, "errorMessage": f"RequestId: {rid} Error: {reason}"})
            status = "error"

    duration = (time.perf_counter() - t0) * 1000
    if status == "timeout":
        duration = spec.timeout_s * 1000
    logs.close()
    end_ms = _now_ms()
    logs.runtime(f"END RequestId: {rid}")
    # Billed Duration includes the Init phase (python-logging.html example: 15.74 + 130.49 ms -> 147 ms)
    billed = math.ceil(duration + (init_ms or 0.0))
    report = (f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {billed} ms\t"
              f"Memory Size: {spec.memory_mb} MB\tMax Memory Used: {math.ceil(peak)} MB\t")
    if init_ms is not None:
        report += f"Init Duration: {init_ms:.2f} ms\t"
    if status is not None:
        report += f"Status: {status}\t"
        if error_type:
            report += f"Error Type: {error_type}\t"
    logs.events.append((end_ms, report))
    outcome["events"] = logs.events
    return outcome


def _ended(env: pool_mod.Environment, killed_for_memory: bool) -> tuple[str, str]:
    """(errorType, reason) for a worker that ended: killed for memory, or exited / crashed."""
    if killed_for_memory:
        return "Runtime.OutOfMemory", "Runtime exited with error: signal: killed"
    code = env.exit_code()
    return "Runtime.ExitError", _exit_reason(code)


def _wait_frame(
    env: pool_mod.Environment, deadline: float, spec: pool_mod.Spec, want: bytes, rid: str, logs: _Logs
) -> tuple[str, dict[str, Any] | None, bytes, bool, float]:
    """Collect log frames until the init (``want=b"I"``) or the result (``b"R"`` for ``rid``) frame.

    Returns ``(how, head, body, killed_for_memory, peak MB)`` with ``how`` = "frame", "timeout" (the
    deadline passed) or "eof" (the worker ended, or was killed here for going over MemorySize). A result
    frame of another request id (e.g. written by a process the handler forked) is dropped.
    """
    peak = 0.0
    next_poll = time.monotonic() + MEMORY_POLL_SECONDS
    while True:
        now = time.monotonic()
        if now >= deadline:
            return "timeout", None, b"", False, peak
        frames = env.read_frames(min(deadline, next_poll) - now)
        if frames is None:
            return "eof", None, b"", False, peak
        found: tuple[dict[str, Any], bytes] | None = None
        for kind, head, body in frames:
            if kind == b"L":
                logs.add(int(head or 0), body.decode("utf-8", "replace"))
            elif kind == b"D":
                logs.worker_reports(int(head or 0))
            elif kind == want and found is None:
                info = json.loads(head)
                if want == b"R" and info.get("request_id") != rid:
                    continue  # stale: not this invocation's answer
                found = info, body
        if found is not None:
            # A spike shorter than one poll still went over MemorySize (the peak RSS says so): Lambda would
            # have killed the process, so the result does not count.
            peak = max(peak, float(found[0].get("max_rss_kb", 0)) / 1024)
            if peak > spec.memory_mb:
                env.kill()
                return "eof", None, b"", True, peak
            return "frame", found[0], found[1], False, peak
        if time.monotonic() >= next_poll:
            over, hwm = pool_mod.rss_limit_exceeded(env, spec.memory_mb)
            peak = max(peak, hwm)
            if over:
                env.kill()
                return "eof", None, b"", True, peak
            next_poll = time.monotonic() + MEMORY_POLL_SECONDS


# CloudWatch Logs' event size quota: 256 KB at most, counted as the message's UTF-8 bytes plus 26 bytes
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html; PutLogEvents: "Each log
# event can be no larger than 256 KB"). Longer lines are cut to fit.
CLOUDWATCH_EVENT_BYTES = 256 * 1024
CLOUDWATCH_EVENT_OVERHEAD = 26


def _fit_event(message: str) -> str:
    limit = CLOUDWATCH_EVENT_BYTES - CLOUDWATCH_EVENT_OVERHEAD
    if len(message) * 4 <= limit:  # cannot be over the limit: skip encoding
        return message
    data = message.encode("utf-8")
    if len(data) <= limit:
        return message
    return data[:limit].decode("utf-8", "ignore")


def _write_logs(fn: Any, stream: str, events: list[tuple[int, str]], *, new_stream: bool) -> None:
    """Put the invocation's log events into /aws/lambda/<name>, in the environment's stream (moto logs)."""
    group = f"/aws/lambda/{fn.function_name}"
    ordered = sorted(events, key=lambda e: e[0])  # PutLogEvents needs chronological order
    with _LOGS_LOCK:
        try:
            backend = fn.logs_backend
            backend.ensure_log_group(group)
            if stream not in backend.groups[group].streams:
                backend.create_log_stream(group, stream)
            backend.put_log_events(group, stream, [{"timestamp": ts, "message": _fit_event(msg)} for ts, msg in ordered])
        except Exception:  # logs must never break an invocation (e.g. the group was deleted meanwhile)
            pass
