"""One Lambda execution environment: a Python process that imports the handler once and runs invocations.

The kernel starts it (see :mod:`lab_support.embedded.lambda_.pool`) as::

    python -P -s .../lab_support/lambda_runtime/worker.py      # same code as `python -m lab_support.embedded.lambda_.worker`

It is started from the file path (not ``-m``) so that nothing of ``lab_support`` or ``boto3`` is imported
before the handler: the handler's own imports are timed as ``Init Duration``, like in Lambda. This module
therefore uses only the standard library.

Protocol (the kernel side is ``pool.Environment``): frames of a 4-byte big-endian length + UTF-8 JSON.

* kernel -> worker on stdin: ``{"type": "invoke", "request_id", "payload", "deadline_ms", "invoked_function_arn",
  "client_context"}``
* worker -> kernel on the *original* stdout (fd saved at start):
  ``{"type": "log", "ts": ms, "message": str}`` for each log line/record,
  ``{"type": "init", "ok": bool, "init_ms": float, "error": {...}}`` once after importing the handler,
  ``{"type": "result", "ok": bool, "payload": str, "error": {...}}`` per invocation.

The handler's ``print``/``sys.stdout``/``sys.stderr`` and ``logging`` output become ``log`` frames; file
descriptors 1 and 2 are redirected to the worker's stderr pipe, which the kernel also collects (output from C
code or child processes).

Error shapes and messages follow the AWS Lambda Python runtime interface client (awslambdaric, used by the
managed Python runtimes): ``make_error`` gives ``{errorMessage, errorType, requestId, stackTrace}``; init
faults use ``Runtime.ImportModuleError`` "Unable to import module '<m>': <err>", ``Runtime.HandlerNotFound``
"Handler '<f>' missing on module '<m>'", ``Runtime.UserCodeSyntaxError``, and a response that ``json`` cannot
encode is ``Runtime.MarshalError`` "Unable to marshal response: <err>".
See https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html and
https://github.com/aws/aws-lambda-python-runtime-interface-client (awslambdaric/bootstrap.py).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import struct
import sys
import threading
import time
import traceback
from typing import Any, BinaryIO

_out: BinaryIO
_out_lock = threading.Lock()
_request_id = ""

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


def _send(frame: dict[str, Any]) -> None:
    data = json.dumps(frame).encode()
    with _out_lock:
        _out.write(struct.pack(">I", len(data)) + data)
        _out.flush()


def _log(message: str) -> None:
    if _task_root and _task_root in message:  # tracebacks printed by the handler itself (logging.exception, ...)
        message = message.replace(_task_root, AWS_TASK_ROOT)
    _send({"type": "log", "ts": int(time.time() * 1000), "message": message})


def _read_frame(stream: BinaryIO) -> dict[str, Any] | None:
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return json.loads(data)  # type: ignore[no-any-return]


class _LineWriter:
    """sys.stdout / sys.stderr: each complete line becomes one log event (as Lambda does for plain text)."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self) -> None:
        self._buf = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._buf += text
            while "\n" in self._buf:
                line, self._buf = self._buf.split("\n", 1)
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
        return 1

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


def _invoke(request_handler: Any, frame: dict[str, Any]) -> None:
    global _request_id
    _request_id = frame["request_id"]
    error: dict[str, Any] | None = None
    payload = ""
    try:
        context = _Context(frame)
        try:
            event = json.loads(frame["payload"]) if frame["payload"] else {}
        except Exception as err:
            raise _Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {err}") from None
        response = request_handler(event, context)
        if isinstance(response, bytes):
            payload = response.decode("utf-8", "replace")
        else:
            try:
                payload = json.dumps(response)
            except Exception as err:
                raise _Fault("Runtime.MarshalError", f"Unable to marshal response: {err}") from None
    except _Fault as fault:
        error = make_error(fault.message, fault.error_type, fault.trace, _request_id)
    except Exception:
        etype, value, tb = sys.exc_info()
        assert etype is not None
        error = make_error(str(value), etype.__name__, _user_frames(tb), _request_id)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    if error is not None:
        _log_error(error)
        _send({"type": "result", "ok": False, "error": error})
    else:
        _send({"type": "result", "ok": True, "payload": payload})


def main() -> None:
    global _out
    # The protocol keeps the original stdout; fds 1 and 2 now both go to the stderr pipe.
    _out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    stdin = os.fdopen(os.dup(0), "rb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # the handler must not read the protocol
    sys.stdout = _LineWriter()  # type: ignore[assignment]
    sys.stderr = _LineWriter()  # type: ignore[assignment]
    _setup_logging()

    global _task_root
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    _task_root = os.path.abspath(task_root).rstrip(os.sep)
    sys.path.insert(0, task_root)
    os.chdir(task_root)

    start = time.perf_counter()
    try:
        request_handler = _load_handler(os.environ["_HANDLER"])
    except Exception as err:
        if isinstance(err, _Fault):
            error = make_error(err.message, err.error_type, err.trace, None)
        else:  # an exception raised by module-level code: reported with its own type
            etype, value, tb = sys.exc_info()
            assert etype is not None
            error = make_error(str(value), etype.__name__, _user_frames(tb), None)
        sys.stdout.flush()
        sys.stderr.flush()
        logging.warning(_UNHANDLED_WARNING)
        _log_error(error)
        _send({"type": "init", "ok": False, "init_ms": (time.perf_counter() - start) * 1000, "error": error})
        return
    sys.stdout.flush()
    sys.stderr.flush()
    _send({"type": "init", "ok": True, "init_ms": (time.perf_counter() - start) * 1000})

    while True:
        frame = _read_frame(stdin)
        if frame is None:  # the kernel went away
            return
        if frame.get("type") == "invoke":
            _invoke(request_handler, frame)


if __name__ == "__main__":
    main()
