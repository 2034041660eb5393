"""Execution environments (worker processes) and the pool that hands them out.

Each environment is one ``worker.py`` process serving one function version with one configuration. It is
created on demand (a *cold start*), reused while warm, and stopped when idle too long, when the function's
code or configuration changes, after a fault (timeout, crash, out of memory, init error), on ``lab.reset()``
and on ``lab.stop()``.

Caps, chosen for a 2-core laptop (Lambda itself scales to the account's concurrency quota):

* ``MAX_PER_FUNCTION`` (4) environments per function version, ``MAX_TOTAL`` (8) in the kernel. An invocation
  that finds no free environment waits for one (Lambda would add environments instead); when the total cap
  is reached an idle environment of another function is stopped to make room.
* ``IDLE_SECONDS`` (300): an environment unused this long is stopped (Lambda keeps idle environments for an
  unspecified while, typically minutes).

All three can be changed at run time, e.g. ``lab_support.embedded.lambda_.pool.IDLE_SECONDS = 60``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import shutil
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

MAX_PER_FUNCTION = 4
MAX_TOTAL = 8
IDLE_SECONDS = 300.0
# The Init phase is limited to 10 seconds for on-demand functions
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
INIT_TIMEOUT_SECONDS = 10.0

WORKER_FILE = Path(__file__).with_name("worker.py")


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


@dataclass(eq=False)
class Environment:
    """One worker process, its log stream, and its bookkeeping."""

    spec: Spec
    log_stream: str
    process: subprocess.Popen[bytes] | None = None
    frames: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    logs: list[tuple[int, str]] = field(default_factory=list)  # (ms, line) since the last take_logs()
    logs_lock: threading.Lock = field(default_factory=threading.Lock)
    busy: bool = True
    last_used: float = field(default_factory=time.monotonic)
    init_ms: float | None = None  # set on a cold start, consumed by the first invocation
    init_error: dict[str, Any] | None = None
    dead: bool = False

    # -- process ------------------------------------------------------------------------------------
    def start(self, env: dict[str, str], cwd: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-s", str(WORKER_FILE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            close_fds=True,
            start_new_session=True,  # Ctrl-C / SIGINT in the kernel does not hit the workers
        )
        threading.Thread(target=self._read_frames, name="lambda-env-frames", daemon=True).start()
        threading.Thread(target=self._read_stderr, name="lambda-env-stderr", daemon=True).start()

    def _read_frames(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        stream = self.process.stdout
        while True:
            head = stream.read(4)
            if len(head) < 4:
                break
            (size,) = struct.unpack(">I", head)
            data = stream.read(size)
            if len(data) < size:
                break
            frame = json.loads(data)
            if frame.get("type") == "log":
                with self.logs_lock:
                    self.logs.append((int(frame["ts"]), str(frame["message"])))
            else:
                self.frames.put(frame)
        self.frames.put({"type": "eof"})

    def _read_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for raw in self.process.stderr:
            with self.logs_lock:
                self.logs.append((int(time.time() * 1000), raw.decode("utf-8", "replace").rstrip("\n")))

    def take_logs(self) -> list[tuple[int, str]]:
        with self.logs_lock:
            out, self.logs = self.logs, []
        return out

    def send(self, frame: dict[str, Any]) -> bool:
        data = json.dumps(frame).encode()
        try:
            assert self.process is not None and self.process.stdin is not None
            self.process.stdin.write(struct.pack(">I", len(data)) + data)
            self.process.stdin.flush()
            return True
        except (OSError, ValueError):
            return False

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

    def kill(self) -> None:
        self.dead = True
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.process.kill()
            with contextlib.suppress(Exception):
                self.process.wait(timeout=2)
        if self.process is not None:
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
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
        self._code_root = Path(tempfile.mkdtemp(prefix="lab-lambda-code-"))
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
    def acquire(self, spec: Spec) -> tuple[Environment, bool]:
        """A free environment for ``spec`` (``cold=False``) or a new, not yet started one (``cold=True``)."""
        to_kill: list[Environment] = []
        try:
            with self._cond:
                old = self._current.get(spec.slot)
                if old is not None and old != spec:  # code or configuration changed: retire old environments
                    for env in self._envs:
                        if env.spec == old and not env.busy:
                            to_kill.append(env)
                    self._envs = [e for e in self._envs if e not in to_kill]
                self._current[spec.slot] = spec
                while True:
                    if self._closed:
                        raise RuntimeError("the Lambda runtime was stopped")
                    for env in self._envs:
                        if env.spec == spec and not env.busy and not env.dead:
                            env.busy = True
                            return env, False
                    mine = sum(1 for e in self._envs if e.spec.slot == spec.slot)
                    if mine < MAX_PER_FUNCTION:
                        if len(self._envs) >= MAX_TOTAL:
                            idle = sorted((e for e in self._envs if not e.busy), key=lambda e: e.last_used)
                            if idle:
                                to_kill.append(idle[0])
                                self._envs.remove(idle[0])
                        if len(self._envs) < MAX_TOTAL:
                            env = Environment(spec, new_log_stream_name(spec.version))
                            self._envs.append(env)
                            return env, True
                    self._cond.wait(0.1)
        finally:
            for env in to_kill:
                env.kill()

    def release(self, env: Environment, *, healthy: bool) -> None:
        """Give ``env`` back; an unhealthy or outdated environment is stopped."""
        with self._cond:
            env.busy = False
            env.last_used = time.monotonic()
            stale = self._current.get(env.spec.slot) != env.spec
            drop = not healthy or stale or env.dead or self._closed
            if drop and env in self._envs:
                self._envs.remove(env)
            self._cond.notify_all()
        if drop:
            env.kill()

    # -- housekeeping ----------------------------------------------------------------------------------
    def _reap_loop(self) -> None:
        while not self._closed:
            time.sleep(1.0)
            now = time.monotonic()
            with self._cond:
                idle = [e for e in self._envs if not e.busy and now - e.last_used > IDLE_SECONDS]
                self._envs = [e for e in self._envs if e not in idle]
            for env in idle:
                env.kill()

    def environments(self) -> list[Environment]:
        """A snapshot of the live environments (for tests and teaching: ``len(...)``, ``.pid``, ``.busy``)."""
        with self._cond:
            return list(self._envs)

    def stop_all(self) -> None:
        """Stop every worker (busy ones too) but keep the pool usable."""
        with self._cond:
            envs, self._envs = self._envs, []
            self._current.clear()
            self._cond.notify_all()
        for env in envs:
            env.kill()

    def close(self) -> None:
        """Stop every worker and delete the unpacked code."""
        self._closed = True
        self.stop_all()
        shutil.rmtree(self._code_root, ignore_errors=True)


def rss_limit_exceeded(env: Environment, memory_mb: int) -> tuple[bool, float]:
    """True when the worker's peak RSS went over the function's MemorySize; also returns the peak (MB)."""
    _rss, hwm = env.memory_mb()
    return hwm > memory_mb, hwm


def python_runtime(runtime: str | None) -> bool:
    """Whether this local runtime can run ``runtime`` (any ``python3.x`` id)."""
    return bool(runtime) and str(runtime).startswith("python")


def clean_env(base: dict[str, str]) -> dict[str, str]:
    """Environment for a worker: only what Lambda sets plus PATH/HOME/locale, never the kernel's secrets."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")}
    return {**keep, **base}
