"""A clean kernel: settings from other work don't leak into the embedded backend, aws-mode problems arrive as
LabErrors with a fix, and the embedded server never prints to the notebook (no tracebacks, no HTML pages)."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
import textwrap

import requests

import lab_support as lab
from lab_support.core import server


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh Python (a fresh kernel) with ``env`` added; LAB_* settings of this run removed."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LAB_", "AWS_"))}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_foreign_aws_settings_are_neutralised_and_restored() -> None:
    result = _run(
        """
        import os, boto3
        import lab_support as lab
        before = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE",
                                                  "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE")}
        try:
            boto3.client("sts")  # makes boto3's default session, with the foreign profile in it
        except Exception:
            pass
        aws = lab.start()
        boto3.client("s3").create_bucket(Bucket="still-here")  # would fail: unknown profile, dead endpoint
        print("buckets", [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]])
        print("inside", os.environ.get("AWS_PROFILE"), os.environ.get("AWS_ENDPOINT_URL"))
        lab.stop()
        after = {k: os.environ.get(k) for k in before}
        print("restored", before == after)
        """,
        AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ENDPOINT_URL_S3="http://127.0.0.1:9",
        AWS_PROFILE="course-does-not-have-this", AWS_SESSION_TOKEN="not-for-these-keys",
        AWS_CONFIG_FILE="/nonexistent/config",
    )
    assert result.returncode == 0, result.stderr
    assert "buckets ['still-here']" in result.stdout
    assert "inside None None" in result.stdout
    assert "restored True" in result.stdout


def test_aws_mode_problems_are_lab_errors_with_a_fix() -> None:
    probe = """
        import lab_support as lab
        try:
            lab.start("aws")
        except lab.LabError as err:
            print(type(err).__name__, "|", err)
        """
    unknown_profile = _run(probe, AWS_PROFILE="course-does-not-have-this")
    assert "CredentialsMissing | LAB_BACKEND=aws: The config profile (course-does-not-have-this)" in unknown_profile.stdout
    assert "Fix: check AWS_PROFILE" in unknown_profile.stdout
    no_credentials = _run(probe, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                          AWS_EC2_METADATA_DISABLED="true")
    assert "CredentialsMissing | LAB_BACKEND=aws chose a real AWS account, but boto3 found no credentials." in (
        no_credentials.stdout)
    # Offline (as here): STS cannot be reached; the student gets the cause and the way to work offline.
    offline = _run(probe, AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY="x" * 40,
                   AWS_ENDPOINT_URL_STS="http://127.0.0.1:9")
    assert "LabError | LAB_BACKEND=aws could not reach AWS STS in us-east-1" in offline.stdout
    assert "Traceback" not in offline.stdout + offline.stderr


def test_server_answers_protocol_errors_in_json_and_prints_nothing(aws: lab.Session) -> None:
    captured = io.StringIO()
    with contextlib.redirect_stderr(captured):
        big = requests.get(f"{aws.endpoint_url}/", headers={"X-Big": "a" * 70_000}, timeout=10)
        with socket.create_connection(("127.0.0.1", aws.server.port), timeout=10) as raw:
            raw.sendall(b"\x16\x03\x01 not http\r\n\r\n")  # what a TLS client or a stray tool sends
            garbage = raw.recv(1000)
    assert big.status_code == 431
    assert big.json() == {"message": "Request Header Fields Too Large"}
    assert b'{"message": "Bad Request"}' in garbage and b"<html" not in garbage.lower()
    assert captured.getvalue() == ""
    assert any("431" in line for line in server.recent_problems())


def test_a_crash_behind_the_server_is_a_json_500_and_stays_quiet(aws: lab.Session) -> None:
    def broken(environ, start_response):  # a mounted app with a bug
        raise RuntimeError("bug in a mounted app")

    aws.server.mount("broken-for-test", lambda environ: environ.get("PATH_INFO") == "/broken-for-test", broken, public=True)
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            answer = requests.get(f"{aws.endpoint_url}/broken-for-test", timeout=10)
    finally:
        aws.server.unmount("broken-for-test")
    assert answer.status_code == 500 and answer.json() == {"message": "Internal server error"}
    assert captured.getvalue() == ""
    assert any("bug in a mounted app" in line for line in server.recent_problems())


def test_the_course_services_print_nothing_either() -> None:
    """Notebook 01's notes service (and 05's inventory server) answer protocol errors in JSON, quietly, even with
    no embedded session running (e.g. on a real account)."""
    result = _run(
        """
        import contextlib, io, socket, requests
        from lab_support.course.services.notes import NotesService
        from lab_support.course.services.inventory import start_inventory_service, stop_inventory_service
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            notes = NotesService()  # no session: as on a real account
            urls = [notes.url]
            import lab_support as lab
            lab.start()
            urls.append(start_inventory_service())
            for url in urls:
                big = requests.get(url + "/notes", headers={"X-Big": "a" * 70_000}, timeout=10)
                print(big.status_code, big.text)
                host, port = url.rsplit("/", 1)[1].split(":")
                with socket.create_connection((host, int(port)), timeout=10) as raw:
                    raw.sendall(b"\\x16\\x03\\x01 not http\\r\\n\\r\\n")
                    print(b"<html" in raw.recv(1000).lower())
            notes.stop()
            stop_inventory_service()
        print("stderr:", repr(err.getvalue()))
        """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines.count('431 {"message": "Request Header Fields Too Large"}') == 2
    assert lines.count("False") == 2  # no HTML page
    assert lines[-1] == "stderr: ''"
