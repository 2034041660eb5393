"""Execution environments (worker processes) and the pool that hands them out.

Each environment is one ``worker.py`` process serving one function version with one configuration. It is
created on demand (a *cold start*), reused while warm, and stopped when idle too long, when the function's
code or configuration changes, after a fault (timeout, crash, out of memory, init error), on ``lab.reset()``
and on ``lab.stop()``. Each worker leads its own process group; stopping an environment kills the group, so
processes the handler started go with it.

Caps, chosen for a 2-core laptop (Lambda itself scales to the account's concurrency quota):

* ``MAX_PER_FUNCTION`` (8) environments per function version, ``MAX_TOTAL`` (16) in the kernel. Environments
  are added on demand up to these caps (a chain of synchronous self-invocations needs one per level). When the
  total cap is reached an idle environment (the least recently used) is stopped to make room; when none is
  idle, or the function's own cap is reached, the invocation is throttled at once (:class:`Throttled`, which
  the runtime reports as Lambda does: 429 ``TooManyRequestsException``, reason
  ``ConcurrentInvocationLimitExceeded``). A function's reserved concurrency (``PutFunctionConcurrency``) caps
  its busy environments too (reason ``ReservedFunctionConcurrentInvocationLimitExceeded``).
* ``IDLE_SECONDS`` (300): an environment unused this long is stopped (Lambda keeps idle environments for an
  unspecified while, typically minutes).
* ``LOG_CAP_BYTES`` (1 MiB): log output kept per invocation (see :mod:`.worker`).

All of them can be changed at run time, e.g. ``lab_support.embedded.lambda_.pool.IDLE_SECONDS = 60``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MAX_PER_FUNCTION = 8
MAX_TOTAL = 16
IDLE_SECONDS = 300.0
LOG_CAP_BYTES = 1024 * 1024
# The Init phase is limited to 10 seconds for on-demand functions
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html); the runtime also holds it to
# the function's timeout (see runtime._run_in).
INIT_TIMEOUT_SECONDS = 10.0

WORKER_FILE = Path(__file__).with_name("worker.py")
HEADER = struct.Struct(">cII")  # the worker protocol's frame header: kind, head length, body length
CODE_ROOT_PREFIX = "lab-lambda-code-"


@dataclass(frozen=True)
class Spec:
    """What an environment runs: one function version with one configuration (the pool key)."""

    function_name: str
    version: str  # "$LATEST" or "1", "2", …
    code_sha256: str
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: float
    role: str
    env_items: tuple[tuple[str, str], ...]
    # Which function this is: a function deleted and created again under the same name is a new function,
    # whose first invocation is a cold start (its predecessor's environments are retired).
    instance: str = ""

    @property
    def slot(self) -> tuple[str, str]:
        """Function version this spec belongs to; a new Spec for the same slot retires the old environments."""
        return (self.function_name, self.version)


class Throttled(Exception):
    """No execution environment can be had: ``reason`` is the Invoke API's throttle reason
    (``ConcurrentInvocationLimitExceeded`` or ``ReservedFunctionConcurrentInvocationLimitExceeded``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Frame = tuple[bytes, bytes, bytes]
"""(kind, head, body) as the worker sends it (see :mod:`.worker`)."""


class _Spawner:
    """Starts every worker from one long-lived thread.

    ``PR_SET_PDEATHSIG`` fires when the *thread* that started a process ends, not the process: workers started
    from a request thread of the embedded server would be killed when that request ends. Starting them all
    from this thread (alive until the interpreter exits) makes the signal mean "the kernel is gone".
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Any, dict[str, Any], list[Any], threading.Event]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def popen(self, args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="lambda-spawner", daemon=True)
                self._thread.start()
        box: list[Any] = []
        done = threading.Event()
        self._jobs.put((args, kwargs, box, done))
        done.wait()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]  # type: ignore[no-any-return]

    def _run(self) -> None:
        while True:
            args, kwargs, box, done = self._jobs.get()
            try:
                box.append(subprocess.Popen(args, **kwargs))
            except BaseException as err:  # handed to the caller
                box.append(err)
            done.set()


_SPAWNER = _Spawner()


@dataclass(eq=False)
class Environment:
    """One worker process (leader of its own process group), its log stream, and its bookkeeping.

    The invoking thread owns the environment while it is ``busy``: it writes the invoke frame and reads the
    worker's frames itself (no reader threads, no thread hop). :meth:`kill` only signals; the pipes are closed
    by whoever owns the environment, so no file is ever closed under a blocked reader.
    """

    spec: Spec
    log_stream: str
    process: subprocess.Popen[bytes] | None = None
    busy: bool = True
    last_used: float = field(default_factory=time.monotonic)
    dead: bool = False
    _lifeline: int = -1  # write end of the lifeline pipe: the worker exits when it closes (see worker.py)
    _buf: bytearray = field(default_factory=bytearray)
    _poll: Any = None
    _out_fd: int = -1
    _closed: bool = False

    # -- process ------------------------------------------------------------------------------------
    def start(self, env: dict[str, str], cwd: str) -> None:
        """Start the worker (from the spawner thread) in a new session: its own process group."""
        read_end, write_end = os.pipe()  # both non-inheritable; the read end is passed explicitly
        try:
            self.process = _SPAWNER.popen(
                [sys.executable, "-P", "-s", str(WORKER_FILE), str(read_end), str(LOG_CAP_BYTES),
                 f"{self.spec.timeout_s:g}"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=cwd,
                close_fds=True,
                pass_fds=(read_end,),
                start_new_session=True,  # own process group: killed as a whole; Ctrl-C in the kernel does not hit it
            )
        except BaseException:
            os.close(write_end)
            raise
        finally:
            os.close(read_end)
        self._lifeline = write_end
        assert self.process.stdout is not None
        self._out_fd = self.process.stdout.fileno()
        if hasattr(select, "poll"):
            self._poll = select.poll()
            self._poll.register(self._out_fd, select.POLLIN | select.POLLHUP | select.POLLERR)

    def send(self, kind: bytes, head: dict[str, Any], body: bytes = b"") -> bool:
        """Write one frame to the worker; False when it is gone."""
        raw = json.dumps(head).encode()
        try:
            assert self.process is not None and self.process.stdin is not None
            stdin = self.process.stdin
            stdin.write(HEADER.pack(kind, len(raw), len(body)) + raw + body)
            stdin.flush()
            return True
        except (OSError, ValueError, AssertionError):
            return False

    def read_frames(self, timeout: float) -> list[Frame] | None:
        """Frames that arrived within ``timeout`` seconds (``[]`` if none); ``None`` at end of file."""
        frames = self._parse()
        if frames:
            return frames
        if self._closed or self._out_fd < 0:
            return None
        try:
            if self._poll is not None:
                ready = bool(self._poll.poll(max(0, int(timeout * 1000))))
            else:
                ready = bool(select.select([self._out_fd], [], [], max(0.0, timeout))[0])
            if not ready:
                return []
            data = os.read(self._out_fd, 1 << 20)
        except (OSError, ValueError):
            return None
        if not data:
            return None
        self._buf += data
        return self._parse()

    def _parse(self) -> list[Frame]:
        frames: list[Frame] = []
        buf = self._buf
        pos = 0
        size = HEADER.size
        while len(buf) - pos >= size:
            kind, head_len, body_len = HEADER.unpack_from(buf, pos)
            end = pos + size + head_len + body_len
            if len(buf) < end:
                break
            start = pos + size
            frames.append((kind, bytes(buf[start:start + head_len]), bytes(buf[start + head_len:end])))
            pos = end
        if pos:
            del buf[:pos]
        return frames

    def startup_error(self) -> str:
        """What the worker wrote to its stderr before its own set-up (e.g. the interpreter failed to start)."""
        if self.process is None or self.process.stderr is None or self._closed:
            return ""
        fd = self.process.stderr.fileno()
        try:
            if not select.select([fd], [], [], 0)[0]:
                return ""
            return os.read(fd, 65536).decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_code(self, wait: float = 0.5) -> int | None:
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return None

    def kill(self, *, close: bool = False) -> None:
        """Kill the worker's whole process group (the handler's children too) and reap the worker.

        ``close=True`` also closes the pipes: only the environment's owner (or the pool, for an environment
        nobody uses) passes it, so no pipe is closed while a thread reads it. Returns within about 2 s.
        """
        self.dead = True
        proc = self.process
        if proc is not None:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group outlives its leader while children remain
            if proc.poll() is None:
                with contextlib.suppress(OSError):
                    proc.kill()
                with contextlib.suppress(Exception):
                    proc.wait(timeout=2)
        if self._lifeline >= 0:
            with contextlib.suppress(OSError):
                os.close(self._lifeline)
            self._lifeline = -1
        if close:
            self.close()

    def close(self) -> None:
        """Close the pipes to the worker (idempotent; call only when no thread reads them)."""
        if self._closed:
            return
        self._closed = True
        self._buf = bytearray()
        proc = self.process
        if proc is not None:
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                with contextlib.suppress(Exception):
                    if stream is not None:
                        stream.close()

    # -- memory (Linux /proc; elsewhere 0, i.e. not enforced) ----------------------------------------
    def memory_mb(self) -> tuple[float, float]:
        """(current RSS, peak RSS) of the worker in MB, from /proc/PID/status (VmRSS, VmHWM)."""
        rss = hwm = 0.0
        if self.process is None:
            return rss, hwm
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1]) / 1024
                    elif line.startswith("VmHWM:"):
                        hwm = int(line.split()[1]) / 1024
        except OSError:
            pass
        return rss, hwm


def new_log_stream_name(version: str) -> str:
    """``YYYY/MM/DD/[version]<32 hex>``, the form Lambda gives each environment's stream
    (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html)."""
    now = datetime.now(UTC)
    return f"{now:%Y/%m/%d}/[{version}]{uuid.uuid4().hex}"


class Pool:
    """Environments for every function of the session, with the caps described in the module docstring."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._envs: list[Environment] = []
        self._current: dict[tuple[str, str], Spec] = {}
        remove_stale_code_roots()
        self._code_root = Path(tempfile.mkdtemp(prefix=f"{CODE_ROOT_PREFIX}{os.getpid()}-"))
        self._code_dirs: dict[str, Path] = {}
        self._closed = False
        self._reaper = threading.Thread(target=self._reap_loop, name="lambda-env-reaper", daemon=True)
        self._reaper.start()

    # -- code ----------------------------------------------------------------------------------------
    def code_dir(self, sha256: str, zip_bytes: bytes) -> Path:
        """The function's zip unpacked once per code version (LAMBDA_TASK_ROOT)."""
        with self._cond:
            found = self._code_dirs.get(sha256)
            if found is not None and found.exists():
                return found
            target = self._code_root / (sha256.replace("/", "_").replace("+", "-")[:40] or uuid.uuid4().hex)
            tmp = Path(tempfile.mkdtemp(dir=self._code_root))
            if zip_bytes:
                with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
                    archive.extractall(tmp)
            if target.exists():
                shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
            self._code_dirs[sha256] = target
            return target

    # -- acquire / release ----------------------------------------------------------------------------
    def acquire(self, spec: Spec, *, reserved: int | None = None) -> tuple[Environment, bool]:
        """A free environment for ``spec`` (``cold=False``) or a new, not yet started one (``cold=True``).

        Never waits: raises :class:`Throttled` when the function's reserved concurrency (``reserved``) or a
        cap is reached and no environment can be freed.
        """
        to_kill: list[Environment] = []
        try:
            with self._cond:
                if self._closed:
                    raise RuntimeError("the Lambda runtime was stopped")
                old = self._current.get(spec.slot)
                if old is not None and old != spec:  # code or configuration changed: retire old environments
                    for env in self._envs:
                        if env.spec == old and not env.busy:
                            to_kill.append(env)
                    self._envs = [e for e in self._envs if e not in to_kill]
                self._current[spec.slot] = spec
                if reserved is not None:
                    running = sum(1 for e in self._envs if e.busy and e.spec.function_name == spec.function_name)
                    if running >= reserved:
                        raise Throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
                for env in self._envs:
                    if env.spec == spec and not env.busy and not env.dead:
                        env.busy = True
                        return env, False
                mine = sum(1 for e in self._envs if e.spec.slot == spec.slot)
                if mine >= MAX_PER_FUNCTION:
                    idle = [e for e in self._envs if e.spec.slot == spec.slot and not e.busy]
                    if not idle:
                        raise Throttled("ConcurrentInvocationLimitExceeded")
                    to_kill.append(idle[0])  # an idle environment of an outdated configuration
                    self._envs.remove(idle[0])
                if len(self._envs) >= MAX_TOTAL:
                    idle = sorted((e for e in self._envs if not e.busy), key=lambda e: e.last_used)
                    if not idle:
                        raise Throttled("ConcurrentInvocationLimitExceeded")
                    to_kill.append(idle[0])
                    self._envs.remove(idle[0])
                env = Environment(spec, new_log_stream_name(spec.version))
                self._envs.append(env)
                return env, True
        finally:
            for env in to_kill:
                env.kill(close=True)

    def release(self, env: Environment, *, healthy: bool) -> None:
        """Give ``env`` back (called by its owner); an unhealthy or outdated environment is stopped."""
        with self._cond:
            env.busy = False
            env.last_used = time.monotonic()
            stale = self._current.get(env.spec.slot) != env.spec
            drop = not healthy or stale or env.dead or self._closed
            if drop and env in self._envs:
                self._envs.remove(env)
            self._cond.notify_all()
        if drop:
            env.kill(close=True)

    # -- housekeeping ----------------------------------------------------------------------------------
    def _reap_loop(self) -> None:
        while not self._closed:
            time.sleep(1.0)
            now = time.monotonic()
            with self._cond:
                idle = [e for e in self._envs if not e.busy and now - e.last_used > IDLE_SECONDS]
                self._envs = [e for e in self._envs if e not in idle]
            for env in idle:
                env.kill(close=True)

    def environments(self) -> list[Environment]:
        """A snapshot of the live environments (for tests and teaching: ``len(...)``, ``.pid``, ``.busy``)."""
        with self._cond:
            return list(self._envs)

    def stop_all(self) -> None:
        """Stop every worker (busy ones too) but keep the pool usable; returns within a few seconds.

        Every process group is signalled first, then each worker is reaped (at most 2 s each, normally at
        once: SIGKILL cannot be caught). A busy environment's pipes are left to its owner, whose read ends at
        once with the worker.
        """
        with self._cond:
            envs, self._envs = self._envs, []
            self._current.clear()
            owned = {id(e) for e in envs if e.busy}
            self._cond.notify_all()
        for env in envs:
            if env.process is not None:
                with contextlib.suppress(OSError):
                    os.killpg(env.process.pid, signal.SIGKILL)
        for env in envs:
            env.kill(close=id(env) not in owned)

    def close(self) -> None:
        """Stop every worker and delete the unpacked code."""
        self._closed = True
        self.stop_all()
        shutil.rmtree(self._code_root, ignore_errors=True)


def remove_stale_code_roots() -> None:
    """Delete code folders left by kernels that died (``lab-lambda-code-<pid>-…`` whose process is gone)."""
    tmp = Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for folder in tmp.glob(f"{CODE_ROOT_PREFIX}*"):
            owner = folder.name[len(CODE_ROOT_PREFIX):].split("-", 1)[0]
            if not owner.isdigit() or int(owner) == os.getpid():
                continue
            try:
                os.kill(int(owner), 0)
            except ProcessLookupError:
                shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                pass


def rss_limit_exceeded(env: Environment, memory_mb: int) -> tuple[bool, float]:
    """True when the worker's peak RSS went over the function's MemorySize; also returns the peak (MB)."""
    _rss, hwm = env.memory_mb()
    return hwm > memory_mb, hwm


def python_runtime(runtime: str | None) -> bool:
    """Whether this local runtime can run ``runtime`` (any ``python3.x`` id)."""
    return bool(runtime) and str(runtime).startswith("python")


def clean_env(base: dict[str, str]) -> dict[str, str]:
    """Environment for a worker: only what Lambda sets plus PATH and locale, never the kernel's secrets or HOME."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")}
    return {**keep, **base}
