"""Careless handlers cannot break the local Lambda runtime: log floods, child processes, fork, the kernel's
death, deep self-invocation, throttling, refused runtimes, a stuck init.

Every test ends by checking that nothing it started is still running (workers and the handlers' children).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import lab_support as lab
from lab_support.course.functions import ensure_execution_role
from lab_support.embedded import lambda_ as lr
from lab_support.embedded.lambda_ import pool, runtime

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process checks read /proc")

ROOT = Path(__file__).resolve().parents[1]


def running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids: list[int], timeout: float = 5.0) -> float:
    """Seconds until every pid is gone; fails after ``timeout``."""
    start = time.monotonic()
    while any(running(p) for p in pids):
        if time.monotonic() - start > timeout:
            pytest.fail(f"still running after {timeout} s: {[p for p in pids if running(p)]}")
        time.sleep(0.02)
    return time.monotonic() - start


def worker_pids() -> list[int]:
    """Worker processes whose parent is this test process."""
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmd:
                cmdline = cmd.read()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z" and b"worker.py" in cmdline:
            found.append(int(entry))
    return found


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@pytest.fixture
def hostile(aws: lab.Session) -> Iterator[lab.Session]:
    """The embedded session; afterwards ``reset()`` must leave no worker of this process running."""
    yield aws
    started = time.monotonic()
    lab.reset()
    assert time.monotonic() - started < 5
    wait_gone(worker_pids(), 5)


def call(aws: lab.Session, name: str, payload: Any = None, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    response = aws.client("lambda").invoke(FunctionName=name, Payload=json.dumps(payload or {}), **kwargs)
    raw = response["Payload"].read()
    return response, (json.loads(raw) if raw else None)


def no_retries(aws: lab.Session) -> Any:
    """A Lambda client that shows a 429 as it comes (botocore retries throttles by default)."""
    return aws.client("lambda", config=Config(retries={"total_max_attempts": 1}))


# -- 1. log floods ------------------------------------------------------------------------------------------
def test_log_flood_is_capped_and_times_out_on_time(hostile: lab.Session) -> None:
    lab.create_function("flood", "def handler(e, c):\n    while True:\n        print('x' * 100)\n", Timeout=3)
    before = rss_mb()
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    try:
        response, body = call(hostile, "flood", LogType="Tail")
    finally:
        done.set()
        sampler.join()
    elapsed = time.monotonic() - started
    assert body["errorType"] == "Sandbox.Timedout" and elapsed < 3 + 1, elapsed
    assert peak[0] - before < 300, (before, peak[0])
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "bytes dropped" in tail and "Task timed out after 3.00 seconds" in tail
    logs = hostile.client("logs")
    stream = logs.describe_log_streams(logGroupName="/aws/lambda/flood")["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName="/aws/lambda/flood", logStreamName=stream, limit=10000)["events"]
    kept = sum(len(e["message"]) + 1 for e in events)
    assert kept < 2 * pool.LOG_CAP_BYTES + 64 * 1024
    dropped = [e["message"] for e in events if e["message"].startswith("[…] ")]
    assert len(dropped) == 1 and dropped[0].split()[1].isdigit()


def test_long_line_is_cut_at_cloudwatch_event_size(hostile: lab.Session) -> None:
    lab.create_function("longline", "def handler(e, c):\n    print('y' * 300_000)\n    return 'ok'\n")
    assert call(hostile, "longline")[1] == "ok"
    events = hostile.client("logs").filter_log_events(logGroupName="/aws/lambda/longline")["events"]
    longest = max(len(e["message"].encode()) for e in events)
    assert longest == runtime.CLOUDWATCH_EVENT_BYTES - runtime.CLOUDWATCH_EVENT_OVERHEAD


# -- 2. child processes ---------------------------------------------------------------------------------------
def test_child_process_does_not_hang_invoke_or_reset(hostile: lab.Session) -> None:
    lab.create_function("spawner", textwrap.dedent("""
        import subprocess
        def handler(e, c):
            child = subprocess.Popen(['sleep', '3600'])
            if e.get('spin'):
                while True:
                    pass
            return child.pid
    """), Timeout=2)
    started = time.monotonic()
    child = call(hostile, "spawner")[1]
    assert time.monotonic() - started < 5 and running(child)
    started = time.monotonic()
    lab.reset()
    took = time.monotonic() - started
    assert took < 5, took
    wait_gone([child], 2)

    lab.create_function("spawner2", textwrap.dedent("""
        import subprocess
        def handler(e, c):
            print(subprocess.Popen(['sleep', '3600']).pid, flush=True)
            while True:
                pass
    """), Timeout=2)
    started = time.monotonic()
    response, body = call(hostile, "spawner2", LogType="Tail")
    assert body["errorType"] == "Sandbox.Timedout" and time.monotonic() - started < 3 + 1
    tail = base64.b64decode(response["LogResult"]).decode()
    pid = int(tail.split("\n")[1])
    wait_gone([pid], 2)  # the timeout killed the worker's whole process group


# -- 4. fork ------------------------------------------------------------------------------------------------
def test_forking_handler_gets_its_own_results(hostile: lab.Session) -> None:
    lab.create_function("forker", "import os\ndef handler(e, c):\n    os.fork()\n    return e['n']\n")
    assert [call(hostile, "forker", {"n": n})[1] for n in range(5)] == [0, 1, 2, 3, 4]


# -- 3. the kernel dies -------------------------------------------------------------------------------------
KERNEL = """
import sys, threading, time
import lab_support as lab
from lab_support.embedded import lambda_ as lr
aws = lab.start()
lab.create_function("busy", "def handler(e, c):\\n    while True:\\n        pass\\n", Timeout=60)
threading.Thread(target=lambda: aws.client("lambda").invoke(FunctionName="busy"), daemon=True).start()
while not [e for e in lr.environments() if e.pid]:
    time.sleep(0.02)
env = lr.environments()[0]
time.sleep(0.3)
print(env.pid, lr.runtime.get_pool()._code_root, flush=True)
if sys.argv[1] == "exit":
    time.sleep(0.5)  # long enough for the test to see the worker running first
    sys.exit(0)
time.sleep(600)
"""


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "exit"])
def test_workers_end_with_the_kernel(tmp_path: Path, how: str) -> None:
    script = tmp_path / "kernel.py"
    script.write_text(KERNEL)
    kernel = subprocess.Popen([sys.executable, str(script), how], stdout=subprocess.PIPE, cwd=ROOT, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert kernel.stdout is not None
        pid_text, code_root = kernel.stdout.readline().split()
        worker = int(pid_text)
        assert running(worker)
        if how != "exit":
            kernel.send_signal(getattr(signal, how))
        kernel.wait(10)
        took = wait_gone([worker], 5)
        assert took < 3, took
        deadline = time.monotonic() + 3
        while Path(code_root).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not Path(code_root).exists()
    finally:
        if kernel.poll() is None:
            kernel.kill()
            kernel.wait()


# -- 5. AWS's answers at the edges -------------------------------------------------------------------------------
def test_synchronous_self_invocation_chain(hostile: lab.Session) -> None:
    role = ensure_execution_role(hostile)
    hostile.client("iam").put_role_policy(RoleName=role.split("/")[-1], PolicyName="invoke", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}]}))
    lab.create_function("chain", textwrap.dedent("""
        import json, os, boto3
        def handler(e, c):
            depth = e["depth"]
            if depth == 0:
                return [os.getpid()]
            lam = boto3.client("lambda")
            below = lam.invoke(FunctionName=c.function_name, Payload=json.dumps({"depth": depth - 1}))
            return [os.getpid()] + json.loads(below["Payload"].read())
    """), role=role, Timeout=30)
    pids = call(hostile, "chain", {"depth": 4})[1]
    assert isinstance(pids, list) and len(set(pids)) == 5, pids  # five levels, five environments


def test_throttling_reserved_concurrency_and_caps(hostile: lab.Session, monkeypatch: Any) -> None:
    lab.create_function("narrow", "import time\ndef handler(e, c):\n    time.sleep(e.get('sleep', 0))\n    return 'ok'\n",
                        Timeout=10)
    lam = no_retries(hostile)
    lam.put_function_concurrency(FunctionName="narrow", ReservedConcurrentExecutions=1)
    slow = threading.Thread(target=lambda: call(hostile, "narrow", {"sleep": 1.5}))
    slow.start()
    while not any(e.busy for e in lr.environments()):
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName="narrow", Payload=b"{}")
    assert time.monotonic() - started < 0.5
    response = err.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["Error"] == {"Code": "TooManyRequestsException", "Message": "Rate Exceeded."}
    assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    slow.join()

    # Asynchronous: the throttled event goes back to the queue and runs once there is room.
    lam.put_function_concurrency(FunctionName="narrow", ReservedConcurrentExecutions=0)
    assert lam.invoke(FunctionName="narrow", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    with pytest.raises(ClientError):
        lam.invoke(FunctionName="narrow", Payload=b"{}")
    time.sleep(0.3)
    from lab_support.core import timeline

    assert timeline.entries("async.throttled", "narrow")
    lam.delete_function_concurrency(FunctionName="narrow")
    lab.wait_idle(10)
    reports = [e["message"] for e in hostile.client("logs").filter_log_events(
        logGroupName="/aws/lambda/narrow")["events"] if e["message"].startswith("REPORT")]
    assert len(reports) == 2  # the slow call, then the async event

    # The pool's own cap: no environment to be had -> 429 at once, never a wait.
    monkeypatch.setattr(pool, "MAX_PER_FUNCTION", 1)
    slow = threading.Thread(target=lambda: call(hostile, "narrow", {"sleep": 1}))
    slow.start()
    while not any(e.busy for e in lr.environments()):
        time.sleep(0.01)
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName="narrow", Payload=b"{}")
    assert err.value.response["Reason"] == "ConcurrentInvocationLimitExceeded"
    slow.join()


@pytest.mark.parametrize(("runtime_id", "message"), [
    ("python2.7", "The runtime parameter of python2.7 is no longer supported for creating or updating AWS Lambda "
                  "functions. We recommend you use a supported runtime while creating or updating functions."),
    ("python3.99", "Value python3.99 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "),
    ("pythonfoo", "Value pythonfoo at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "),
    ("nodejs22.x", "The course's local Lambda runtime runs Python .zip functions only, not nodejs22.x."),
])
def test_refused_runtimes(hostile: lab.Session, runtime_id: str, message: str) -> None:
    lam = hostile.client("lambda")
    role = ensure_execution_role(hostile)
    code = {"ZipFile": lab.lambda_zip("def handler(e, c):\n    return 1\n")}
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as err:
        lam.create_function(FunctionName="old", Runtime=runtime_id, Role=role, Handler="app.handler", Code=code)
    assert message in err.value.response["Error"]["Message"]
    lam.create_function(FunctionName="old", Runtime="python3.13", Role=role, Handler="app.handler", Code=code)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as err:
        lam.update_function_configuration(FunctionName="old", Runtime=runtime_id)
    assert message in err.value.response["Error"]["Message"]
    assert lam.get_function_configuration(FunctionName="old")["Runtime"] == "python3.13"


def test_stuck_init_honours_the_function_timeout(hostile: lab.Session) -> None:
    lab.create_function("stuck", "while True:\n    pass\ndef handler(e, c):\n    return 1\n", Timeout=2)
    started = time.monotonic()
    response, body = call(hostile, "stuck", LogType="Tail")
    assert time.monotonic() - started < 2 + 1
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Error: Task timed out after 2.00 seconds")
    report = base64.b64decode(response["LogResult"]).decode().strip().split("\n")[-1]
    assert "\tDuration: 2000.00 ms\t" in report and "Status: timeout" in report


# -- 7. a handler's reach: loopback only, its own home, a minimal environment -----------------------------
REACH = '''
import os, socket, urllib.request

def handler(event, context):
    out = {"home": os.environ.get("HOME"), "task": os.environ.get("LAMBDA_TASK_ROOT"),
           "jupyter": sorted(k for k in os.environ if k.startswith(("JPY", "JUPYTER", "LAB_")))}
    try:
        socket.create_connection(("203.0.113.7", 443), timeout=2)  # TEST-NET-3: never a real host
        out["internet"] = "connected"
    except OSError as err:
        out["internet"] = f"{type(err).__name__}: {err}"
    try:
        urllib.request.urlopen("http://example.com/", timeout=2)
        out["dns"] = "resolved"
    except OSError as err:
        out["dns"] = str(err)
    with socket.create_connection(("127.0.0.1", int(event["port"])), timeout=2):
        out["loopback"] = "ok"
    return out
'''


def test_handlers_reach_only_loopback_from_their_own_home(hostile: lab.Session, monkeypatch: Any) -> None:
    monkeypatch.setenv("JUPYTER_TOKEN", "not-for-handlers")
    lab.create_function("reach", REACH)
    _response, out = call(hostile, "reach", {"port": hostile.server.port})
    assert out["home"] == out["task"]  # ~/.aws/credentials of the student is out of reach
    assert out["jupyter"] == []
    assert out["internet"].startswith("NetworkGuardError: lab_support network guard: this handler may only reach")
    assert "LAB_HANDLER_INTERNET=1" in out["internet"]
    assert "network guard" in out["dns"]
    assert out["loopback"] == "ok"


def test_stop_returns_quickly_whatever_the_handlers_did(hostile: lab.Session) -> None:
    """`lab.stop()` (not only `reset()`) within 5 s with a handler's child still running, nothing left behind."""
    lab.create_function("stop-child", "import subprocess\n"
                        "def handler(e, c):\n    p = subprocess.Popen(['sleep', '3600'])\n    return p.pid\n")
    _response, child = call(hostile, "stop-child")
    workers = worker_pids()
    started = time.monotonic()
    lab.stop()
    assert time.monotonic() - started < 5
    wait_gone([*workers, int(child)], 5)
    lab.start()  # the fixture's reset() needs a session


def test_reset_frees_the_log_buffers(hostile: lab.Session) -> None:
    """Log lines kept for an invocation do not outlive it, and reset() leaves no environment holding any."""
    lab.create_function("chatty", "def handler(e, c):\n    print('x' * 1000)\n    return 1\n")
    for _ in range(5):
        call(hostile, "chatty")
    assert all(not getattr(env, "log_buffer", None) for env in lr.environments())
    lab.reset()
    assert lr.environments() == []
