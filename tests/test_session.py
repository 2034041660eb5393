"""The embedded backend: start/stop/reset, one state behind two doors, credentials, guard."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

import lab_support as lab
from lab_support.core import guard, sweep
from lab_support.core.errors import CredentialsMissing, LabError, NetworkGuardError, NotStarted, PortInUse
from lab_support.core.printed import PrintedList, PrintedText


def test_start_reports_backend_region_account(aws: lab.Session) -> None:
    assert aws.backend == "moto"
    assert aws.region == "us-east-1"
    assert aws.account_id == "123456789012"
    assert aws.endpoint_url is not None and aws.endpoint_url.startswith("http://127.0.0.1:")
    assert aws.gateway_url == aws.endpoint_url
    assert repr(aws).startswith("<lab_support.Session backend=moto region=us-east-1 account=123456789012")


def test_plain_boto3_sees_embedded_aws(aws: lab.Session) -> None:
    boto3.client("s3").create_bucket(Bucket="plain-boto3")
    names = [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]]
    assert names == ["plain-boto3"]
    assert boto3.client("sts").get_caller_identity()["Account"] == aws.account_id


def test_start_again_keeps_state(aws: lab.Session) -> None:
    aws.client("sqs").create_queue(QueueName="kept")
    again = lab.start()
    assert again is aws
    assert len(again.client("sqs").list_queues()["QueueUrls"]) == 1


def test_reset_empties_the_account_and_runs_hooks(aws: lab.Session) -> None:
    aws.client("s3").create_bucket(Bucket="gone-after-reset")
    calls: list[str] = []
    aws.on_reset(lambda: calls.append("reset"))
    lab.reset()
    assert aws.client("s3").list_buckets()["Buckets"] == []
    assert calls == ["reset"]
    aws._on_reset.clear()


def test_second_process_reaches_the_same_account(aws: lab.Session) -> None:
    aws.client("s3").create_bucket(Bucket="made-in-kernel")
    code = (
        "import boto3; s3 = boto3.client('s3'); s3.create_bucket(Bucket='made-in-child');"
        "print(sorted(b['Name'] for b in s3.list_buckets()['Buckets']))"
    )
    env = {**os.environ, **aws.child_env()}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['made-in-child', 'made-in-kernel']"
    names = sorted(b["Name"] for b in aws.client("s3").list_buckets()["Buckets"])
    assert names == ["made-in-child", "made-in-kernel"]


def test_served_endpoint_answers_over_http(aws: lab.Session) -> None:
    aws.client("sqs").create_queue(QueueName="over-http")
    client = boto3.client("sqs", endpoint_url=aws.endpoint_url, region_name=aws.region)
    urls = client.list_queues()["QueueUrls"]
    assert len(urls) == 1 and urls[0].endswith("/over-http")


def test_mount_routes_before_moto(aws: lab.Session) -> None:
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"mounted"]

    aws.server.mount("probe", lambda env: env["PATH_INFO"] == "/probe", app, public=True)
    try:
        assert requests.get(f"{aws.endpoint_url}/probe", timeout=5).text == "mounted"
    finally:
        aws.server.unmount("probe")
    assert requests.get(f"{aws.endpoint_url}/probe", timeout=5).text != "mounted"


def test_guard_refuses_requests_that_would_leave_the_machine(aws: lab.Session) -> None:
    assert guard.active()
    with pytest.raises(NetworkGuardError, match=r"network guard refused a connection to 203\.0\.113\.5:443"):
        socket.create_connection(("203.0.113.5", 443), timeout=2)
    with pytest.raises(NetworkGuardError, match=r"example\.org"):
        socket.getaddrinfo("example.org", 80)
    with pytest.raises(requests.ConnectionError) as wrapped:
        requests.get("http://example.org/", timeout=2)
    assert lab.explain(wrapped.value).startswith("lab_support's network guard refused a connection to example.org:80")
    # A service moto does not emulate would go out over the network: refused too.
    from botocore.exceptions import EndpointConnectionError

    with pytest.raises(EndpointConnectionError) as info:
        boto3.client("s3", endpoint_url="https://s3.example.net", region_name="us-east-1").list_buckets()
    assert "network guard refused" in lab.explain(info.value)
    # Loopback stays allowed: the embedded endpoint answers (and, unsigned, refuses as AWS would).
    assert requests.get(f"{aws.endpoint_url}/moto-api/", timeout=5).status_code == 403


def test_guard_is_removed_by_stop() -> None:
    lab.start("moto")
    lab.stop()
    assert not guard.active()
    assert "AWS_ENDPOINT_URL" not in os.environ
    lab.start("moto")  # leave one running for the other tests


def test_context_manager_stops() -> None:
    lab.stop()
    with lab.start("moto") as session:
        assert lab.current() is session
    with pytest.raises(NotStarted, match="Fix: run `import lab_support as lab"):
        lab.current()


def test_busy_port_is_a_clear_error() -> None:
    lab.stop()
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        with pytest.raises(PortInUse, match=f"Port {port} on 127.0.0.1 is already in use") as info:
            lab.start("moto", port=port)
        assert "Fix: pick another port" in str(info.value)
        # Nothing was left half-started: the next start works.
        session = lab.start("moto")
        assert session.endpoint_url
    finally:
        holder.close()


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(LabError, match="Unknown backend 'moot'"):
        lab.start("moot")


def test_real_backend_without_credentials_refuses_clearly(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lab.stop()
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("LAB_BACKEND", "aws")
    with pytest.raises(CredentialsMissing, match="boto3 found no credentials") as info:
        lab.start()
    assert "aws configure" in str(info.value)
    monkeypatch.delenv("LAB_BACKEND")
    assert lab.start().backend == "moto"
    # Stop before monkeypatch puts the environment back: a session must not outlive the settings it started
    # with (the next test's `aws` starts a fresh one, with its own keys).
    lab.stop()


def test_switching_backend_while_running_is_refused(aws: lab.Session) -> None:
    with pytest.raises(LabError, match="already running"):
        lab.start("aws")


def test_stage_url_forms(aws: lab.Session) -> None:
    assert aws.stage_url("a1b2c3", "dev", "/notes/1") == f"{aws.gateway_url}/restapis/a1b2c3/dev/_user_request_/notes/1"
    from lab_support.core.urls import aws_stage_url

    assert aws_stage_url("a1b2c3", "eu-west-1", "prod", "x") == "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/prod/x"
    assert aws_stage_url("a1b2c3", "eu-west-1", "$default", "x") == "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/x"


def test_track_and_cleanup(aws: lab.Session, capsys) -> None:  # type: ignore[no-untyped-def]
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="tracked-bucket")
    aws.track("bucket tracked-bucket", lambda: s3.delete_bucket(Bucket="tracked-bucket"))
    aws.track("something broken", lambda: s3.delete_bucket(Bucket="never-existed"))
    summary = aws.cleanup()
    assert summary.startswith("Cleanup: removed 1 resource created by this notebook.")
    assert "something broken: An error occurred (NoSuchBucket)" in summary
    assert s3.list_buckets()["Buckets"] == []


def test_tags() -> None:
    assert lab.tags() == {"course": "apigw-lambda-lab"}
    assert lab.tag_list(notebook="01") == [
        {"Key": "course", "Value": "apigw-lambda-lab"},
        {"Key": "notebook", "Value": "01"},
    ]


def test_track_once_registers_a_resource_a_single_time(aws: lab.Session, capsys) -> None:  # type: ignore[no-untyped-def]
    deleted: list[str] = []
    for _ in range(3):  # a cell run three times
        aws.track("queue q", lambda: deleted.append("q"), once=True)
    aws.track("queue q", lambda: deleted.append("again"))  # without once: a second entry
    assert aws.cleanup().startswith("Cleanup: removed 2 resources")
    assert deleted == ["again", "q"]


# -- real-account mode (LAB_BACKEND=aws) -------------------------------------------------------------------------


def _fake_aws(account: str = "111122223333") -> lab.Session:
    from lab_support.core.session import Session

    return Session("aws", "eu-west-1", account, caller_arn=f"arn:aws:sts::{account}:assumed-role/Student/alice",
                   run_id="a1b2c3")


def test_aws_repr_and_banner_mask_the_account_id() -> None:
    from lab_support.core.session import _banner

    fake = _fake_aws()
    for text in (repr(fake), _banner(fake)):
        assert "111122223333" not in text
        assert "••••••••3333" in text
        assert "arn:aws:sts::••••••••3333:assumed-role/Student/alice" in text
    assert "course=apigw-lambda-lab and lab-run=a1b2c3" in _banner(fake)


def test_unsupported_region_is_refused_with_the_list(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lab.stop()
    monkeypatch.setenv("LAB_REGION", "me-central-1")
    with pytest.raises(LabError, match="does not support the Region 'me-central-1'") as info:
        lab.start("aws")
    assert "us-east-1" in info.value.fix and "eu-west-1" in info.value.fix
    assert lab.SUPPORTED_REGIONS[0] == "us-east-1"


def test_endpoint_overrides_that_split_calls_are_refused(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lab.stop()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.amazonaws.com")
    with pytest.raises(LabError, match="AWS_ENDPOINT_URL_S3 send some services elsewhere"):
        lab.start("aws")


def test_expired_credentials_are_refused_with_guidance(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import boto3
    from botocore.stub import Stubber

    lab.stop()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    real_client = boto3.client

    def stubbed(service: str, **kwargs):  # type: ignore[no-untyped-def]
        client = real_client(service, **kwargs)
        stub = Stubber(client)
        stub.add_client_error("get_caller_identity", service_error_code="ExpiredToken",
                              service_message="The security token included in the request is expired")
        stub.activate()
        return client

    monkeypatch.setattr("lab_support.core.session.boto3.client", stubbed)
    with pytest.raises(CredentialsMissing, match="ExpiredToken") as info:
        lab.start("aws")
    assert "aws sso login" in info.value.fix
    assert lab.start("moto").backend == "moto"  # never a fallback: only when asked for
    lab.stop()


def test_unique_name_per_backend() -> None:
    fake = _fake_aws()
    name = fake.unique_name("nb02-uploads")
    assert name.startswith("nb02-uploads-") and len(name) == len("nb02-uploads-") + 8
    assert "111122223333" not in name
    assert name == _fake_aws().unique_name("nb02-uploads")  # the same on a re-run
    assert name != _fake_aws("444455556666").unique_name("nb02-uploads")
    with pytest.raises(LabError, match="not a valid bucket"):
        fake.unique_name("x" * 60)


def test_unique_name_on_moto_keeps_the_account_id(aws: lab.Session) -> None:
    assert aws.unique_name("nb02-uploads") == "nb02-uploads-123456789012"


def test_run_tag_is_part_of_the_session_tags(aws: lab.Session) -> None:
    assert aws.tags == {"course": "apigw-lambda-lab", "lab-run": aws.run_id}
    assert {"Key": "lab-run", "Value": aws.run_id} in aws.tag_list
    assert len(aws.run_id) == 6


def test_costs_and_skip_on_moto_are_one_quiet_line(aws: lab.Session, capsys) -> None:  # type: ignore[no-untyped-def]
    lab.costs("06")
    lab.cost_notice(["waf", "nlb"])
    lab.skip_on_aws("creates a load balancer, ~$0.0225/h")  # nothing on the embedded backend
    assert capsys.readouterr().out.splitlines() == [
        "Costs: local, costs nothing (the embedded AWS runs on this machine).",
    ] * 2


def test_cost_notice_on_aws_lists_prices_free_tier_and_sources(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from lab_support.core import costs

    monkeypatch.setattr(costs, "current", _fake_aws)
    text = lab.costs("06")
    assert "AWS WAF web ACLs" in text and "⚠ never free" in text
    assert "15 July 2025" in text and "prices read 2026-11-29" in text
    assert "https://aws.amazon.com/api-gateway/pricing/" in text
    with pytest.raises(costs.SkippedOnAWS, match="Skipped on a real account: creates a load balancer"):
        lab.skip_on_aws("creates a load balancer, ~$0.0225/h")
    table = costs.pricing()
    for key, item in table["items"].items():
        assert item["aws_page"].startswith("https://"), key
    for keys in table["notebooks"].values():
        assert set(keys) <= set(table["items"])


SKIP_IN_IPYTHON = """
from IPython.testing.globalipapp import start_ipython
ip = start_ipython()
ip.run_cell("from lab_support.core import costs")
ip.run_cell("costs._install_ipython_handler()")
result = ip.run_cell("print('before')\\nraise costs.SkippedOnAWS('needs a load balancer')\\nprint('after')")
print("error_in_exec:", result.error_in_exec)
ip.run_cell("print('next cell')")
"""


def test_skip_on_aws_shows_its_one_line_in_ipython_and_the_cell_counts_as_run() -> None:
    # IPython calls a custom exception handler and shows nothing itself: the handler must print the line.
    done = subprocess.run([sys.executable, "-c", SKIP_IN_IPYTHON], capture_output=True, text=True, timeout=120,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "before"
    assert lines[1].startswith("⏭ Skipped on a real account: needs a load balancer. The embedded backend runs")
    assert lines[2:] == ["error_in_exec: None", "next cell"]
    assert "Traceback" not in done.stdout + done.stderr


def test_retries_never_wait_on_moto_and_wait_once_visibly_on_aws(aws: lab.Session, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from lab_support.core import retry

    slept: list[float] = []
    monkeypatch.setattr(retry, "_sleep", slept.append)
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ValueError("not yet")
        return "done"

    with pytest.raises(ValueError):  # moto: one attempt
        lab.retrying(flaky, retry_on=lambda e: True, what="x")
    with pytest.raises(lab.StillWaiting):
        lab.until(lambda: False, what="never")
    assert slept == []
    calls.clear()
    assert lab.retrying(flaky, retry_on=lambda e: True, what="the role", patient=True) == "done"
    assert capsys.readouterr().out == "⏳ waiting for AWS: the role…\n"
    assert len(slept) == 2
    with pytest.raises(lab.StillWaiting, match="never"):
        lab.until(lambda: False, what="never", patient=True, max_wait=5)
    assert sum(slept[2:]) == pytest.approx(5)


def test_aws_mode_against_the_stand_in(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from aws_mode_support import aws_session, stand_in

    with stand_in() as endpoint, aws_session(endpoint, monkeypatch) as aws:
        out = capsys.readouterr().out
        assert out.startswith(f"LAB_BACKEND=aws: AWS-compatible endpoint {endpoint}, Region us-east-1")
        assert aws.backend == "aws" and aws.endpoint_url == endpoint
        assert aws.stage_url("a1b2c3", "dev", "x") == f"{endpoint}/restapis/a1b2c3/dev/_user_request_/x"
        assert aws.stage_url("a1b2c3", "dev", websocket=True).startswith(
            f"ws://{endpoint.removeprefix('http://')}/restapis/a1b2c3/dev/")
        assert aws.child_env()["AWS_ENDPOINT_URL"] == endpoint
        assert aws.client("s3").meta.endpoint_url == endpoint
        assert aws.unique_name("b") != "b-123456789012"


def test_printed_values_are_not_displayed_twice_in_a_notebook() -> None:
    from IPython.core.interactiveshell import InteractiveShell  # IPython's formatter decides what a cell shows

    formatter = InteractiveShell.instance().display_formatter
    assert formatter.format(PrintedText("shown once")) == ({}, {})
    assert formatter.format(PrintedList(["a"])) == ({}, {})
    assert formatter.format("a plain str")[0] == {"text/plain": "'a plain str'"}


def test_the_sweep_skips_an_item_it_may_not_read_and_goes_on() -> None:
    refused = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetBucketTagging")
    assert sweep.denied(refused) and not sweep.gone(refused)
    assert not sweep.denied(ClientError({"Error": {"Code": "Throttling", "Message": "slow"}}, "ListRoles"))


def test_a_tagged_mapping_whose_function_is_gone_is_still_cleaned_up(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """AWS keeps an event source mapping when its function is deleted: the sweep finds it by its own tags."""
    from aws_mode_support import aws_session, stand_in

    with stand_in() as endpoint, aws_session(endpoint, monkeypatch) as aws:
        lam = aws.client("lambda")
        role = lab.resources.execution_role("esm-role", managed=["AWSLambdaSQSQueueExecutionRole"])
        lab.create_function("nb03-orphan", "def handler(event, context):\n    return 1\n", role=role)
        _url, queue_arn = lab.resources.queue("nb03-orphan-q")
        lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="nb03-orphan", Tags=aws.tags)
        lam.delete_function(FunctionName="nb03-orphan")
        assert "event source mapping nb03-orphan-q -> nb03-orphan" in aws.leftovers(quiet=True)
        lab.cleanup()
        assert aws.leftovers(quiet=True) == []
        assert lam.list_event_source_mappings()["EventSourceMappings"] == []
