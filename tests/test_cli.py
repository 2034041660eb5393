"""``python -m lab_support serve`` runs the embedded AWS standalone; ``check`` reports the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import boto3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_boto3_from_another_process() -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab_support", "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith(f"Embedded AWS (us-east-1, account 123456789012) at http://127.0.0.1:{port}")
        sqs = boto3.client(
            "sqs", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
            aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret",
        )
        sqs.create_queue(QueueName="from-cli-test")
        assert sqs.list_queues()["QueueUrls"][0].endswith("/from-cli-test")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_on_a_busy_port_says_what_to_do() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        t0 = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-m", "lab_support", "serve", "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )
    assert out.returncode == 2
    assert f"Port {port} on 127.0.0.1 is already in use" in out.stderr
    assert "Fix: pick another port" in out.stderr
    assert time.monotonic() - t0 < 30


def test_check_reports_all_set() -> None:
    out = subprocess.run([sys.executable, "-m", "lab_support", "check"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "All set" in out.stdout
    assert "moto" in out.stdout and "boto3" in out.stdout


def test_missing_package_is_explained(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A kernel whose Python lacks moto: importing lab_support says what is missing and how to fix it.
    (tmp_path / "moto.py").write_text("raise ImportError('hidden for the test')\n")
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(
        "import importlib.util, sys\n"
        "_orig = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == 'moto' else _orig(name, *a)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", "import lab_support"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 1
    assert "lab_support needs moto, which is not installed" in out.stderr
    assert "Fix: run `make lab`" in out.stderr
