"""One Lambda execution environment: a Python process that imports the handler once and runs invocations.

The kernel starts it (see :mod:`lab_support.embedded.lambda_.pool`) in a session of its own (its own process
group, so that the kernel can kill it *and every process it started* at once) as::

    python -P -s .../lab_support/embedded/lambda_/worker.py LIFELINE_FD LOG_CAP_BYTES INIT_TIMEOUT_S

It is started from the file path (not ``-m``) so that nothing of ``lab_support`` or ``boto3`` is imported
before the handler: the handler's own imports are timed as ``Init Duration``, like in Lambda. This module
therefore uses only the standard library.

Protocol (the kernel side is ``pool.Environment``): binary frames, a 9-byte header ``>cII`` (kind, length of
the head, length of the body), then the head and the body.

* kernel -> worker on stdin: ``V`` (invoke): head = JSON ``{"request_id", "deadline_ms",
  "invoked_function_arn", "client_context"}``, body = the event's raw bytes.
* worker -> kernel on the *original* stdout (fd saved at start, never inherited by the handler's children):
  ``L`` (log): head = the time in ms (ASCII digits), body = one log event (UTF-8);
  ``D`` (dropped): head = bytes of log dropped so far in this phase (ASCII digits; sent while dropping);
  ``I`` (init, once): head = JSON ``{"ok", "init_ms", "error", "max_rss_kb"}``;
  ``R`` (result): head = JSON ``{"request_id", "ok", "error", "max_rss_kb"}``, body = the response's raw bytes.
  The kernel drops a result whose ``request_id`` is not the invocation it waits for.

Logs: the handler's ``print``/``sys.stdout``/``sys.stderr`` and ``logging`` output become ``L`` frames, one
per line or record. File descriptors 1 and 2 (C code, child processes) go to a pipe that a thread of this
process reads and turns into ``L`` frames too; after each invocation the main thread drains that pipe before
it sends the result, so output written during the invocation is logged with it. At most ``LOG_CAP_BYTES``
of log output are sent per phase (the init, each invocation); the rest is counted (``D`` frames) and the
kernel logs one event ``[…] N bytes dropped``, so a handler printing in a loop cannot exhaust its memory.

Hardening against careless handlers:

* the kernel's death ends this process and its whole group: ``PR_SET_PDEATHSIG`` (Linux, via ``prctl``)
  sends SIGTERM, whose handler kills the group; a watchdog thread also notices the end of the *lifeline* pipe
  (the kernel holds its only write end) or a new parent process id, and it kills the group when an invocation
  (or the init) runs past its deadline plus :data:`GRACE_SECONDS` (the kernel should have done it). When the
  kernel is gone the watchdog also removes the temporary folder holding the function's code.
* a process forked by the handler (``os.fork()``, ``multiprocessing``) never answers the kernel: an
  ``os.register_at_fork`` hook closes the protocol channels in the child; its log lines go to the output pipe
  and it exits when it gets back to the runtime instead of serving invocations.

Error shapes and messages follow the AWS Lambda Python runtime interface client (awslambdaric, used by the
managed Python runtimes): ``make_error`` gives ``{errorMessage, errorType, requestId, stackTrace}``; init
faults use ``Runtime.ImportModuleError`` "Unable to import module '<m>': <err>", ``Runtime.HandlerNotFound``
"Handler '<f>' missing on module '<m>'", ``Runtime.UserCodeSyntaxError``, and a response that ``json`` cannot
encode is ``Runtime.MarshalError`` "Unable to marshal response: <err>".
See https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html and
https://github.com/aws/aws-lambda-python-runtime-interface-client (awslambdaric/bootstrap.py).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import select
import signal
import struct
import sys
import threading
import time
import traceback
from typing import Any

HEADER = struct.Struct(">cII")  # kind, head length, body length
GRACE_SECONDS = 2.0  # past its deadline + this, an invocation is ended by the worker itself
LOG_CAP_DEFAULT = 1024 * 1024

_out_fd = -1  # the protocol's write end (the original stdout)
_out_lock = threading.Lock()
_count_lock = threading.Lock()
_request_id = ""
_forked = False  # True in a process forked by the handler
_log_cap = LOG_CAP_DEFAULT
_log_used = 0  # bytes of log sent in the current phase
_log_dropped = 0  # bytes of log dropped in the current phase
_hard_deadline = 0.0  # time.monotonic() after which the watchdog ends the process (0: no phase running)
_capture_fd = -1  # read end of the pipe behind fds 1 and 2
_capture_lock = threading.Lock()
_capture_buf = b""
_lifeline_fd = -1
_in_fd = -1

# Where the function's code is on Lambda (LAMBDA_TASK_ROOT,
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
# The worker runs the code from a temporary folder; tracebacks show it under this name instead.
AWS_TASK_ROOT = "/var/task"
_task_root = ""  # the real folder (set in main); it stays on disk and in sys.path

# awslambdaric's warning before an init error (lambda_literals.py)
_UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. However, in rare "
    "cases, a Lambda runtime update can cause unexpected function behavior. For functions using managed runtimes, "
    "runtime updates can be triggered by a function change, or can be applied automatically. To determine if the "
    "runtime has been updated, check the runtime version in the INIT_START log entry. If this error correlates with "
    "a change in the runtime version, you may be able to mitigate this error by temporarily rolling back to the "
    "previous runtime version. For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)


# -- the protocol -------------------------------------------------------------------------------------------
def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _send(kind: bytes, head: bytes, body: bytes = b"") -> None:
    if _forked:  # a forked child never answers the kernel; its log lines go to the output pipe
        if kind == b"L":
            with contextlib.suppress(OSError):
                _write_all(2, body + b"\n")
        return
    with _out_lock:
        _write_all(_out_fd, HEADER.pack(kind, len(head), len(body)) + head + body)


def _send_json(kind: bytes, head: dict[str, Any], body: bytes = b"") -> None:
    _send(kind, json.dumps(head).encode(), body)


def _log(message: str) -> None:
    """One log event, within the phase's cap (the overflow is counted and reported by :func:`_end_phase`)."""
    global _log_used, _log_dropped
    if _task_root and _task_root in message:  # tracebacks printed by the handler itself (logging.exception, ...)
        message = message.replace(_task_root, AWS_TASK_ROOT)
    data = message.encode("utf-8", "replace")
    if not _forked:
        size = len(data) + 1
        with _count_lock:
            if _log_used + size > _log_cap:
                _log_dropped += size
                dropped = _log_dropped
            else:
                _log_used += size
                dropped = 0
        if dropped:
            _report_dropped(dropped)
            return
    _send(b"L", str(int(time.time() * 1000)).encode(), data)


_last_drop_report = 0.0


def _report_dropped(dropped: int, force: bool = False) -> None:
    """Tell the kernel how many bytes the cap dropped so far (``D`` frame, at most every 0.2 s), so that it can
    say so even when the invocation ends by a timeout or a crash."""
    global _last_drop_report
    now = time.monotonic()
    if force or now - _last_drop_report > 0.2:
        _last_drop_report = now
        _send(b"D", str(dropped).encode())


def _begin_phase(deadline: float) -> None:
    global _log_used, _log_dropped, _hard_deadline
    with _count_lock:
        _log_used = _log_dropped = 0
    _hard_deadline = deadline


def _end_phase() -> None:
    """Flush the handler's output and report what the cap dropped, before the init or result frame."""
    global _hard_deadline
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    _drain_capture(final=True)
    with _count_lock:
        dropped = _log_dropped
    if dropped:
        _report_dropped(dropped, force=True)
    _hard_deadline = 0.0


def _max_rss_kb() -> int:
    """The peak RSS of this process in KB: ``VmHWM`` of /proc/self/status on Linux (``ru_maxrss`` would include
    the kernel's own memory, inherited across fork + exec), ``ru_maxrss`` elsewhere."""
    global _status_fd
    if sys.platform.startswith("linux"):
        try:
            if _status_fd < 0:
                _status_fd = os.open("/proc/self/status", os.O_RDONLY)
            data = os.pread(_status_fd, 8192, 0)
            at = data.index(b"VmHWM:")
            return int(data[at + 6:data.index(b"kB", at)])
        except (OSError, ValueError):
            return 0
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except (ImportError, OSError):
        return 0
    return int(peak // 1024) if sys.platform == "darwin" else int(peak)  # bytes on macOS


_status_fd = -1


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = os.read(fd, size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int) -> tuple[bytes, dict[str, Any], bytes] | None:
    header = _read_exact(fd, HEADER.size)
    if header is None:
        return None
    kind, head_len, body_len = HEADER.unpack(header)
    head = _read_exact(fd, head_len) if head_len else b""
    body = _read_exact(fd, body_len) if body_len else b""
    if head is None or body is None:
        return None
    return kind, (json.loads(head) if head else {}), body


# -- fds 1 and 2: C-level output and child processes ----------------------------------------------------------
def _capture_loop() -> None:
    while True:
        try:
            select.select([_capture_fd], [], [])
        except (OSError, ValueError):
            return
        if not _drain_capture(final=False):
            return


def _drain_capture(final: bool) -> bool:
    """Log what is in the output pipe now (non-blocking); ``final`` also logs an unfinished last line.
    Returns False when the pipe is closed."""
    global _capture_buf, _log_dropped
    if _forked or _capture_fd < 0:
        return True
    with _capture_lock:
        open_ = True
        while True:
            try:
                chunk = os.read(_capture_fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                open_ = False
                break
            if not chunk:
                open_ = False
                break
            if _log_used >= _log_cap:  # over the cap: count, don't split
                with _count_lock:
                    _log_dropped += len(chunk)
                    dropped = _log_dropped
                _report_dropped(dropped)
                continue
            _capture_buf += chunk
            *lines, _capture_buf = _capture_buf.split(b"\n")
            for line in lines:
                _log(line.decode("utf-8", "replace"))
            if len(_capture_buf) > 256 * 1024:
                _log(_capture_buf.decode("utf-8", "replace"))
                _capture_buf = b""
        if final and _capture_buf:
            _log(_capture_buf.decode("utf-8", "replace"))
            _capture_buf = b""
        return open_


# -- watchdog: the kernel's death, runaway invocations ------------------------------------------------------
def _die(kernel_gone: bool) -> None:
    """End this environment: remove the code folder when the kernel is gone, then kill the process group."""
    if kernel_gone and _task_root:
        parent = os.path.dirname(_task_root)
        if os.path.basename(parent).startswith("lab-lambda-code-"):
            import shutil

            shutil.rmtree(parent, ignore_errors=True)
    try:
        if os.getpgrp() == os.getpid():  # the group is ours (start_new_session): take the children along
            os.killpg(os.getpid(), signal.SIGKILL)
    except OSError:
        pass
    os._exit(137)


def _on_sigterm(signum: int, frame: Any) -> None:
    # PR_SET_PDEATHSIG's signal may come before getppid() shows the new parent, and (a killed kernel being torn
    # down thread by thread) before its last thread closes the lifeline; the lifeline's end is certain, so wait
    # for it a while. The kernel itself never sends SIGTERM (it kills with SIGKILL), so waiting costs nothing.
    _die(kernel_gone=_lifeline_closed(2.0) or os.getppid() != _parent_pid)


def _lifeline_closed(timeout: float) -> bool:
    if _lifeline_fd < 0:
        return False
    try:
        return bool(select.select([_lifeline_fd], [], [], timeout)[0]) and not os.read(_lifeline_fd, 1)
    except OSError:
        return True


_parent_pid = 0


def _watchdog() -> None:
    while True:
        if _lifeline_fd >= 0:
            try:
                ready, _, _ = select.select([_lifeline_fd], [], [], 0.25)
                if ready and not os.read(_lifeline_fd, 1):
                    _die(kernel_gone=True)
            except OSError:
                _die(kernel_gone=True)
        else:
            time.sleep(0.25)
        if os.getppid() != _parent_pid:
            _die(kernel_gone=True)
        deadline = _hard_deadline
        if deadline and time.monotonic() > deadline:
            _die(kernel_gone=False)


def _set_parent_death_signal() -> None:
    """Linux: SIGTERM when the kernel thread that started this process ends (prctl(2), PR_SET_PDEATHSIG = 1)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _after_fork_in_child() -> None:
    """A process forked by the handler: never answer the kernel, never read its invocations."""
    global _forked, _out_lock, _count_lock, _capture_lock
    _forked = True
    _out_lock = threading.Lock()
    _count_lock = threading.Lock()
    _capture_lock = threading.Lock()
    for fd in (_out_fd, _in_fd, _lifeline_fd, _capture_fd):
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, _LineWriter):
            stream._lock = threading.Lock()


class _LineWriter:
    """sys.stdout / sys.stderr: each complete line becomes one log event (as Lambda does for plain text)."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, fd: int) -> None:
        self._buf = ""
        self._lock = threading.Lock()
        self._fd = fd

    def write(self, text: str) -> int:
        with self._lock:
            self._buf += text
            if "\n" in self._buf:
                *lines, self._buf = self._buf.split("\n")
                for line in lines:
                    _log(line)
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        with self._lock:
            if self._buf:
                _log(self._buf)
                self._buf = ""

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self._fd

    def readable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


class _LambdaLogHandler(logging.Handler):
    """The Python runtime's root handler: ``[LEVEL]\\t<time>Z\\t<request id>\\t<message>``, one event per record."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            record.aws_request_id = _request_id
            _log(self.format(record).rstrip("\n"))
        except Exception:  # never let logging break the handler
            pass


def _setup_logging() -> None:
    # awslambdaric bootstrap._setup_logging: UTC times, this format, handler on the root logger
    # (the root logger keeps Python's default WARNING level unless the function sets another).
    logging.Formatter.converter = time.gmtime
    handler = _LambdaLogHandler()
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"
        )
    )
    logging.getLogger().addHandler(handler)


def make_error(message: str, error_type: str, stack: list[str] | None, request_id: str | None) -> dict[str, Any]:
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack or [],
    }


def _log_error(error: dict[str, Any]) -> None:
    """awslambdaric log_error: '[ERROR] Type: message' + 'Traceback (most recent call last):' + frames, one event."""
    text = "[ERROR]"
    if error.get("errorType"):
        text += " " + error["errorType"]
    if error.get("errorMessage"):
        text += (":" if error.get("errorType") else "") + " " + error["errorMessage"]
    lines = [text]
    if error.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        for element in error["stackTrace"]:
            lines.extend(element.splitlines() or [""])
    _log("\n".join(lines))


def _present_path(filename: str) -> str:
    """``filename`` as Lambda shows it: the real task root replaced by ``/var/task``."""
    if _task_root and (filename == _task_root or filename.startswith(_task_root + os.sep)):
        return AWS_TASK_ROOT + filename[len(_task_root):]
    return filename


def _user_frames(tb: Any) -> list[str]:
    """awslambdaric ``build_fault_result``: the frames as ``(file, line, name, code)`` tuples (so Python 3.11+
    adds no ``^^^`` markers), formatted by ``traceback.format_list``, e.g.
    ``'  File "/var/task/app.py", line 3, in handler\\n    raise ValueError("boom")\\n'``; the runtime's own
    frames are left out, as awslambdaric leaves out bootstrap.py's."""
    here = os.path.abspath(__file__)
    tuples = [(_present_path(f.filename), f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)
              if os.path.abspath(f.filename) != here]
    return traceback.format_list(tuples)  # type: ignore[arg-type]


class _Fault(Exception):
    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def _load_handler(handler: str) -> Any:
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as err:
        raise _Fault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {err}") from None
    if modname.split(".")[0] in sys.builtin_module_names:
        raise _Fault("Runtime.BuiltInModuleConflict", f"Cannot use built-in module {modname} as a handler module")
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as err:
        raise _Fault("Runtime.ImportModuleError", f"Unable to import module '{modname}': {err}") from None
    except SyntaxError as err:
        trace = [f'  File "{_present_path(err.filename or "")}" Line {err.lineno}\n    {err.text}']
        raise _Fault("Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {err}", trace) from None
    try:
        return getattr(module, fname)
    except AttributeError:
        raise _Fault("Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'") from None


class _Context:
    """The context object of the Python runtime (awslambdaric lambda_context.LambdaContext)."""

    def __init__(self, frame: dict[str, Any]) -> None:
        self.aws_request_id: str = frame["request_id"]
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn: str = frame.get("invoked_function_arn", "")
        self.client_context = frame.get("client_context")
        self.identity = None
        self.tenant_id = None
        self._deadline_ms: int = frame["deadline_ms"]

    def get_remaining_time_in_millis(self) -> int:
        delta = self._deadline_ms - int(time.time() * 1000)
        return delta if delta > 0 else 0

    def log(self, msg: Any) -> None:
        _log(str(msg))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},"
            f"identity={self.identity},tenant_id={self.tenant_id}])"
        )


def _invoke(request_handler: Any, head: dict[str, Any], body: bytes) -> None:
    global _request_id
    _request_id = head["request_id"]
    os.environ["_X_AMZN_TRACE_ID"] = head.get("trace_id") or ""  # Lambda sets it for every invocation
    deadline_ms = int(head["deadline_ms"])
    _begin_phase(time.monotonic() + (deadline_ms - time.time() * 1000) / 1000 + GRACE_SECONDS)
    error: dict[str, Any] | None = None
    payload = b""
    try:
        context = _Context(head)
        try:
            event = json.loads(body) if body else {}
        except Exception as err:
            raise _Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {err}") from None
        response = request_handler(event, context)
        if isinstance(response, bytes):
            payload = response
        else:
            try:
                payload = json.dumps(response).encode()
            except Exception as err:
                raise _Fault("Runtime.MarshalError", f"Unable to marshal response: {err}") from None
    except _Fault as fault:
        error = make_error(fault.message, fault.error_type, fault.trace, _request_id)
    except Exception:
        etype, value, tb = sys.exc_info()
        assert etype is not None
        error = make_error(str(value), etype.__name__, _user_frames(tb), _request_id)
    if _forked:  # the handler forked and this is the child: it never answers (see _after_fork_in_child)
        _end_phase()
        os._exit(0)
    if error is not None:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        _log_error(error)
    _end_phase()
    result: dict[str, Any] = {"request_id": _request_id, "ok": error is None, "max_rss_kb": _max_rss_kb()}
    if error is not None:
        result["error"] = error
    _send_json(b"R", result, payload if error is None else b"")


class NetworkGuardError(ConnectionRefusedError):
    """A handler reached for an address off this machine while the course promises to stay offline."""


_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def _is_loopback(host: Any) -> bool:
    import ipaddress

    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host).strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guard_network() -> None:
    """Loopback only, as in the kernel (``lab_support/core/guard.py``): a handler that reaches for another
    address gets a clear :class:`NetworkGuardError` at once, instead of a hang or a silent trip to the internet.
    The kernel's ``LAB_HANDLER_INTERNET=1`` (set before ``lab.start()``) turns this off for a course that wants
    handlers online."""
    import socket

    def refuse(host: Any, port: Any) -> NetworkGuardError:
        return NetworkGuardError(
            f"lab_support network guard: this handler may only reach this machine (loopback), not {host}:{port}. "
            "The course runs offline; set LAB_HANDLER_INTERNET=1 before lab.start() to let handlers go online.")

    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def check(sock: Any, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise refuse(address[0], address[1])

    def connect(sock: Any, address: Any) -> Any:
        check(sock, address)
        return original_connect(sock, address)

    def connect_ex(sock: Any, address: Any) -> Any:
        check(sock, address)
        return original_connect_ex(sock, address)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            raise refuse(host, port)
        return original_getaddrinfo(host, port, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo


def _harden(lifeline_fd: int) -> None:
    """Parent-death signal, SIGTERM handler, watchdog thread, fork hook (see the module docstring)."""
    global _parent_pid, _lifeline_fd
    _parent_pid = os.getppid()
    _lifeline_fd = lifeline_fd
    if lifeline_fd >= 0:
        os.set_inheritable(lifeline_fd, False)
    _set_parent_death_signal()
    signal.signal(signal.SIGTERM, _on_sigterm)
    if os.getppid() != _parent_pid:  # the kernel died before prctl took effect
        _die(kernel_gone=True)
    threading.Thread(target=_watchdog, name="lambda-watchdog", daemon=True).start()
    os.register_at_fork(after_in_child=_after_fork_in_child)


def main() -> None:
    global _out_fd, _in_fd, _capture_fd, _log_cap
    args = sys.argv[1:]
    lifeline_fd = int(args[0]) if args else -1
    _log_cap = int(args[1]) if len(args) > 1 else LOG_CAP_DEFAULT
    init_timeout = float(args[2]) if len(args) > 2 else 10.0
    del sys.argv[1:]
    _harden(lifeline_fd)
    if os.environ.pop("_LAB_NETWORK", "loopback") != "any":
        _guard_network()

    # The protocol keeps the original stdin/stdout (as non-inheritable duplicates); fds 1 and 2 now go to a
    # pipe read by this process (C-level output, child processes), fd 0 is /dev/null.
    _out_fd = os.dup(1)
    _in_fd = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)
    os.set_blocking(read_end, False)
    _capture_fd = read_end
    threading.Thread(target=_capture_loop, name="lambda-output", daemon=True).start()
    sys.stdout = _LineWriter(1)  # type: ignore[assignment]
    sys.stderr = _LineWriter(2)  # type: ignore[assignment]
    _setup_logging()

    global _task_root
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    _task_root = os.path.abspath(task_root).rstrip(os.sep)
    sys.path.insert(0, task_root)
    os.chdir(task_root)

    start = time.perf_counter()
    _begin_phase(time.monotonic() + init_timeout + GRACE_SECONDS)
    try:
        request_handler = _load_handler(os.environ["_HANDLER"])
    except Exception as err:
        if isinstance(err, _Fault):
            error = make_error(err.message, err.error_type, err.trace, None)
        else:  # an exception raised by module-level code: reported with its own type
            etype, value, tb = sys.exc_info()
            assert etype is not None
            error = make_error(str(value), etype.__name__, _user_frames(tb), None)
        if _forked:
            os._exit(0)
        sys.stdout.flush()
        sys.stderr.flush()
        logging.warning(_UNHANDLED_WARNING)
        _log_error(error)
        _end_phase()
        _send_json(b"I", {"ok": False, "init_ms": (time.perf_counter() - start) * 1000, "error": error,
                          "max_rss_kb": _max_rss_kb()})
        return
    if _forked:
        os._exit(0)
    _end_phase()
    _send_json(b"I", {"ok": True, "init_ms": (time.perf_counter() - start) * 1000, "max_rss_kb": _max_rss_kb()})

    while True:
        frame = _read_frame(_in_fd)
        if frame is None:  # the kernel went away
            return
        kind, head, body = frame
        if kind == b"V":
            _invoke(request_handler, head, body)


if __name__ == "__main__":
    main()
