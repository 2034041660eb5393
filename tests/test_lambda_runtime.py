"""The local Lambda runtime: real handlers behind plain boto3 ``create_function`` + ``invoke`` (issue 3)."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

import lab_support as lab
from lab_support.course.functions import ensure_execution_role
from lab_support.embedded import lambda_ as lr
from lab_support.embedded.lambda_ import moto_patch, pool, runtime

ECHO = """
import os, logging, time
COLD = time.time()
print("module loaded")
logger = logging.getLogger()
logger.setLevel(logging.INFO)

def handler(event, context):
    print("event", event)
    logger.info("info from handler")
    return {
        "event": event,
        "cold_at": COLD,
        "pid": os.getpid(),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "_HANDLER", "LAMBDA_", "TZ", "MY_"))},
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "aws_request_id": context.aws_request_id,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "remaining": context.get_remaining_time_in_millis(),
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
        },
    }
"""


def call(aws: lab.Session, name: str, payload: Any = None, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    """boto3 invoke; returns (response, parsed payload)."""
    body = json.dumps(payload if payload is not None else {})
    response = aws.client("lambda").invoke(FunctionName=name, Payload=body, **kwargs)
    raw = response["Payload"].read()
    return response, (json.loads(raw) if raw else None)


def make(name: str, code: Any, **kwargs: Any) -> dict[str, Any]:
    return lab.create_function(name, code, **kwargs)


# (moto's seam signatures are pinned in tests/test_patching.py, with every other patch's)


# -- item 1: processes, environment, cold/warm, concurrency, reaping, stop -------------------------------
def test_plain_boto3_runs_handler_with_lambda_env_and_context(aws: lab.Session) -> None:
    lam = aws.client("lambda")
    role = ensure_execution_role(aws)
    lam.create_function(FunctionName="echo", Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": lab.lambda_zip(ECHO)}, Timeout=5, MemorySize=256,
                        Environment={"Variables": {"MY_SETTING": "on"}})
    response, body = call(aws, "echo", {"a": 1})
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert body["event"] == {"a": 1}
    assert body["pid"] != os.getpid()  # its own process
    env, ctx = body["env"], body["context"]
    assert env["MY_SETTING"] == "on"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "echo" and env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256" and env["_HANDLER"] == "app.handler"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/echo" and env["AWS_REGION"] == aws.region
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12" and os.path.isdir(env["LAMBDA_TASK_ROOT"])
    assert env["AWS_ENDPOINT_URL"] == aws.endpoint_url
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    assert ctx["function_name"] == "echo" and ctx["function_version"] == "$LATEST"
    assert ctx["aws_request_id"] == response["ResponseMetadata"]["HTTPHeaders"].get(
        "x-amz-request-id", ctx["aws_request_id"])
    assert ctx["invoked_function_arn"] == f"arn:aws:lambda:{aws.region}:{aws.account_id}:function:echo"
    assert ctx["memory_limit_in_mb"] == "256" and 0 < ctx["remaining"] <= 5000
    assert ctx["log_group_name"] == "/aws/lambda/echo"
    stream = ctx["log_stream_name"]
    assert stream == env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert stream.split("/")[3].startswith("[$LATEST]") and len(stream.split("]")[1]) == 32


def test_boto3_inside_the_handler_reaches_the_embedded_aws(aws: lab.Session) -> None:
    aws.client("s3").create_bucket(Bucket="from-kernel")
    role = ensure_execution_role(aws)
    iam = aws.client("iam")
    iam.put_role_policy(RoleName=role.split("/")[-1], PolicyName="s3", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    make("lister", """
import boto3
def handler(event, context):
    s3 = boto3.client("s3")
    s3.put_object(Bucket="from-kernel", Key="written-by-handler", Body=b"hi")
    return sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
""", role=role, Timeout=20)
    response, body = call(aws, "lister")
    assert "FunctionError" not in response, body
    assert body == ["from-kernel"]
    assert aws.client("s3").get_object(Bucket="from-kernel", Key="written-by-handler")["Body"].read() == b"hi"


def test_cold_start_once_then_warm_reuse(aws: lab.Session) -> None:
    make("warm", ECHO)
    _, first = call(aws, "warm")
    _, second = call(aws, "warm")
    assert first["pid"] == second["pid"] and first["cold_at"] == second["cold_at"]  # module code ran once
    streams = aws.client("logs").describe_log_streams(logGroupName="/aws/lambda/warm")["logStreams"]
    assert len(streams) == 1
    events = [e["message"] for e in aws.client("logs").get_log_events(
        logGroupName="/aws/lambda/warm", logStreamName=streams[0]["logStreamName"])["events"]]
    reports = [e for e in events if e.startswith("REPORT")]
    assert len(reports) == 2 and "Init Duration" in reports[0] and "Init Duration" not in reports[1]
    assert events.count("module loaded") == 1


def test_concurrent_invocations_get_more_environments_up_to_the_cap(aws: lab.Session) -> None:
    make("slow", "import os, time\ndef handler(event, context):\n    time.sleep(0.4)\n    return os.getpid()\n")
    pids: list[int] = []

    def worker() -> None:
        pids.append(call(aws, "slow")[1])

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(pids) == 6
    assert 2 <= len(set(pids)) <= pool.MAX_PER_FUNCTION
    assert len([e for e in lr.environments() if e.spec.function_name == "slow"]) <= pool.MAX_PER_FUNCTION
    streams = aws.client("logs").describe_log_streams(logGroupName="/aws/lambda/slow")["logStreams"]
    assert len(streams) == len(set(pids))  # one stream per execution environment


def test_idle_environments_are_reaped_and_reset_kills_workers(aws: lab.Session, monkeypatch: Any) -> None:
    make("idle", ECHO)
    _, first = call(aws, "idle")
    monkeypatch.setattr(pool, "IDLE_SECONDS", 0.0)
    deadline = time.time() + 5
    while any(e.spec.function_name == "idle" for e in lr.environments()) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(e.spec.function_name == "idle" for e in lr.environments())
    monkeypatch.setattr(pool, "IDLE_SECONDS", 300.0)
    _, second = call(aws, "idle")
    assert second["pid"] != first["pid"]  # a new cold start
    env = lr.environments()[0]
    lab.reset()
    assert lr.environments() == []
    assert env.process is not None and env.process.poll() is not None  # the worker process is gone


def test_code_update_retires_old_environments(aws: lab.Session) -> None:
    make("changing", "def handler(event, context):\n    return 1\n")
    assert call(aws, "changing")[1] == 1
    make("changing", "def handler(event, context):\n    return 2\n")  # update path of create_function
    assert call(aws, "changing")[1] == 2
    assert len([e for e in lr.environments() if e.spec.function_name == "changing"]) == 1


# -- item 2: invocation types, tail, quotas, versions and aliases -------------------------------------
def test_invocation_types_status_codes_and_tail(aws: lab.Session) -> None:
    make("types", ECHO)
    lam = aws.client("lambda")
    dry = lam.invoke(FunctionName="types", InvocationType="DryRun")
    assert dry["StatusCode"] == 204
    event = lam.invoke(FunctionName="types", InvocationType="Event", Payload=b'{"async": true}')
    assert event["StatusCode"] == 202
    lab.wait_idle(10)
    lab.wait_idle(10)
    messages = [e["message"] for e in aws.client("logs").filter_log_events(logGroupName="/aws/lambda/types")["events"]]
    assert "event {'async': True}" in messages
    response, _ = call(aws, "types", {"x": 1}, LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert tail.startswith("START RequestId: ") and "event {'x': 1}" in tail and "\nREPORT RequestId: " in tail
    assert "LogResult" not in call(aws, "types")[0]


def test_tail_is_the_last_4_kb(aws: lab.Session) -> None:
    make("chatty", "def handler(event, context):\n    for i in range(500):\n        print('line', i)\n")
    response, _ = call(aws, "chatty", LogType="Tail")
    tail = base64.b64decode(response["LogResult"])
    assert len(tail) == 4096 and tail.rstrip().split(b"\n")[-1].startswith(b"REPORT RequestId:")


def test_payload_quotas(aws: lab.Session) -> None:
    make("big", "def handler(event, context):\n    return 'x' * (7 * 1024 * 1024)\n", MemorySize=512)
    lam = aws.client("lambda")
    # What Lambda answers (error code as observed on AWS, https://zaccharles.medium.com/deep-dive-lambdas-
    # request-payload-size-limit-2-2-6350c1ae5577; the API reference models it as RequestTooLargeException, 413)
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName="big", Payload=b'"' + b"a" * (6 * 1024 * 1024) + b'"')
    assert err.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "Request must be smaller than 6291456 bytes for the InvokeFunction operation" in str(err.value)
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName="big", InvocationType="Event", Payload=b'"' + b"a" * (1024 * 1024) + b'"')
    assert "1048576 bytes" in str(err.value)
    response, body = call(aws, "big")
    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
                    "errorType": "Function.ResponseSizeTooLarge"}
    with pytest.raises(lam.exceptions.InvalidRequestContentException):
        lam.invoke(FunctionName="big", Payload=b"{not json")


def test_versions_aliases_weighted_routing_and_executed_version(aws: lab.Session) -> None:
    lam = aws.client("lambda")
    make("versions", "def handler(event, context):\n    return ['v1', context.function_version, "
                     "context.invoked_function_arn]\n")
    v1 = lam.publish_version(FunctionName="versions")["Version"]
    make("versions", "def handler(event, context):\n    return ['v2', context.function_version, "
                     "context.invoked_function_arn]\n")
    v2 = lam.publish_version(FunctionName="versions")["Version"]
    assert (v1, v2) == ("1", "2")
    response, body = call(aws, "versions", Qualifier="1")
    assert body[:2] == ["v1", "1"] and response["ExecutedVersion"] == "1"
    assert body[2].endswith(":function:versions:1")
    response, body = call(aws, "versions")
    assert body[0] == "v2" and response["ExecutedVersion"] == "$LATEST"
    lam.create_alias(FunctionName="versions", Name="live", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    runtime.ROUTING_RANDOM.seed(7)
    seen = [call(aws, "versions:live")[0]["ExecutedVersion"] for _ in range(20)]
    assert set(seen) == {"1", "2"}
    _, body = call(aws, "versions", Qualifier="live")
    assert body[2].endswith(":function:versions:live")


# -- item 3: failures as AWS reports them ------------------------------------------------------------------
def test_unhandled_exception(aws: lab.Session) -> None:
    make("boom", "def handler(event, context):\n    raise ValueError('bad input')\n")
    response, body = call(aws, "boom", LogType="Tail")
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert body["errorMessage"] == "bad input" and body["errorType"] == "ValueError"
    assert body["requestId"] and any("raise ValueError('bad input')" in line for line in body["stackTrace"])
    assert "[ERROR] ValueError: bad input\nTraceback (most recent call last):" in \
        base64.b64decode(response["LogResult"]).decode()
    assert call(aws, "boom")[1]["errorType"] == "ValueError"  # the environment keeps serving


def test_timeout_kills_the_worker_and_next_call_cold_starts(aws: lab.Session) -> None:
    make("sleepy", "import os, time\ndef handler(event, context):\n    if event.get('sleep'):\n"
                   "        time.sleep(30)\n    return os.getpid()\n", Timeout=1)
    pid = call(aws, "sleepy")[1]
    started = time.time()
    response, body = call(aws, "sleepy", {"sleep": True}, LogType="Tail")
    assert time.time() - started < 5
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in base64.b64decode(response["LogResult"]).decode()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert call(aws, "sleepy")[1] != pid


@pytest.mark.parametrize(
    ("code", "handler", "error_type", "message"),
    [
        ("import not_a_module\ndef handler(e, c):\n    return 1\n", "app.handler", "Runtime.ImportModuleError",
         "Unable to import module 'app': No module named 'not_a_module'"),
        ("def handler(e, c):\n    return 1\n", "app.missing", "Runtime.HandlerNotFound",
         "Handler 'missing' missing on module 'app'"),
        ("def handler(e, c):\n    return {1, 2}\n", "app.handler", "Runtime.MarshalError",
         "Unable to marshal response: Object of type set is not JSON serializable"),
        ("def handler(e, c)\n    return 1\n", "app.handler", "Runtime.UserCodeSyntaxError", None),
    ],
)
def test_runtime_faults(aws: lab.Session, code: str, handler: str, error_type: str, message: str | None) -> None:
    make("faulty", code, handler=handler)
    response, body = call(aws, "faulty")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == error_type
    if message:
        assert body["errorMessage"] == message
    make("faulty", "def handler(e, c):\n    return 'fixed'\n")
    assert call(aws, "faulty")[1] == "fixed"


@pytest.mark.parametrize("exit_call", ["sys.exit(3)", "os._exit(4)"])
def test_exit_error(aws: lab.Session, exit_call: str) -> None:
    make("quitter", f"import os, sys\ndef handler(e, c):\n    if e.get('quit'):\n        {exit_call}\n"
                    "    return 'ok'\n")
    response, body = call(aws, "quitter", {"quit": True})
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.ExitError"
    status = exit_call[-2]
    assert body["errorMessage"].endswith(f"Error: Runtime exited with error: exit status {status}")
    assert call(aws, "quitter")[1] == "ok"


def test_out_of_memory(aws: lab.Session) -> None:
    make("hungry", "def handler(e, c):\n    if e.get('eat'):\n        blob = bytearray(300 * 1024 * 1024)\n"
                   "        return len(blob)\n    return 'ok'\n", MemorySize=128)
    response, body = call(aws, "hungry", {"eat": True}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.OutOfMemory"
    assert "Runtime exited with error: signal: killed" in body["errorMessage"]
    report = base64.b64decode(response["LogResult"]).decode().strip().split("\n")[-1]
    assert "Memory Size: 128 MB" in report and "Error Type: Runtime.OutOfMemory" in report
    assert call(aws, "hungry")[1] == "ok"


def test_role_lambda_cannot_assume(aws: lab.Session) -> None:
    lam, iam = aws.client("lambda"), aws.client("iam")
    untrusting = iam.create_role(RoleName="ec2-only", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    for role in (untrusting, f"arn:aws:iam::{aws.account_id}:role/does-not-exist"):
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as err:
            lam.create_function(FunctionName="no-role", Runtime="python3.12", Role=role, Handler="app.handler",
                                Code={"ZipFile": lab.lambda_zip("def handler(e, c):\n    return 1\n")})
        assert "The role defined for the function cannot be assumed by Lambda." in str(err.value)


# -- item 4: logs -------------------------------------------------------------------------------------------
def test_logs_in_cloudwatch_in_lambda_format(aws: lab.Session) -> None:
    make("logged", ECHO)
    _, body = call(aws, "logged", {"k": "v"})
    rid = body["context"]["aws_request_id"]
    logs = aws.client("logs")
    stream = body["context"]["log_stream_name"]
    events = [e["message"] for e in logs.get_log_events(logGroupName="/aws/lambda/logged",
                                                         logStreamName=stream)["events"]]
    assert events[0] == "module loaded"
    assert events[1] == f"START RequestId: {rid} Version: $LATEST"
    assert events[2] == "event {'k': 'v'}"
    assert events[3].startswith("[INFO]\t") and events[3].endswith(f"Z\t{rid}\tinfo from handler")
    assert events[4] == f"END RequestId: {rid}"
    report = events[5]
    import re

    assert re.fullmatch(
        rf"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\t"
        r"Max Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t", report), report


# -- item 5: helpers ---------------------------------------------------------------------------------------
def test_lambda_zip_forms_and_stability(tmp_path: Any) -> None:
    import io
    import zipfile

    def greet(event, context):
        return {"hello": event.get("name", "world")}

    assert lab.lambda_zip("def handler(e, c):\n    return 1\n") == lab.lambda_zip("def handler(e, c):\n    return 1\n")
    names = zipfile.ZipFile(io.BytesIO(lab.lambda_zip(greet))).namelist()
    assert names == ["app.py"]
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "orders.py").write_text("def handler(e, c):\n    return 1\n")
    (tmp_path / "pkg" / "util.py").write_text("X = 1\n")
    assert sorted(zipfile.ZipFile(io.BytesIO(lab.lambda_zip(tmp_path / "pkg"))).namelist()) == ["orders.py", "util.py"]
    assert zipfile.ZipFile(io.BytesIO(lab.lambda_zip(tmp_path / "pkg" / "orders.py"))).namelist() == ["orders.py"]
    with pytest.raises(lab.LabError):
        lab.lambda_zip("no_such_file.py")


def test_create_function_helper_is_rerunnable_tagged_tracked(aws: lab.Session) -> None:
    def greet(event, context):
        return {"hello": event.get("name", "world")}

    config = lab.create_function("greeter", greet)
    assert config["State"] == "Active" and config["Handler"] == "app.greet"
    assert config["Runtime"].startswith("python3")
    again = lab.create_function("greeter", greet, Timeout=7)
    assert again["Timeout"] == 7
    lam = aws.client("lambda")
    assert lam.list_tags(Resource=config["FunctionArn"])["Tags"] == aws.tags
    role = aws.client("iam").get_role(RoleName="lab-lambda-basic-execution")["Role"]
    assert "lambda.amazonaws.com" in json.dumps(role["AssumeRolePolicyDocument"])
    assert call(aws, "greeter", {"name": "Ada"})[1] == {"hello": "Ada"}
    summary = aws.cleanup()
    assert "removed 2 resources" in summary
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="greeter")


# -- the Python seam (docs/SEAMS.md) -----------------------------------------------------------------------
def test_python_invoke_seam(aws: lab.Session) -> None:
    make("seam", "def handler(e, c):\n    return {'got': e}\n")
    result = lr.invoke("seam", b'{"a": 2}', log_type="Tail")
    assert isinstance(result, lr.Invocation)
    assert (result.status_code, result.function_error, result.executed_version) == (200, None, "$LATEST")
    assert result.json() == {"got": {"a": 2}} and "START RequestId: " + result.request_id in result.log_tail
    assert lr.invoke("seam", invocation_type="DryRun").status_code == 204
    with pytest.raises(lr.ResourceNotFound):
        lr.invoke("nope")
    with pytest.raises(lr.InvokeDenied) as err:
        lr.invoke("seam", caller=lr.Caller("apigateway.amazonaws.com"))
    assert "is not authorized to perform: lambda:InvokeFunction" in str(err.value)
    aws.client("lambda").add_permission(FunctionName="seam", StatementId="apigw", Action="lambda:InvokeFunction",
                                        Principal="apigateway.amazonaws.com")
    allowed = lr.invoke("seam", caller=lr.Caller("apigateway.amazonaws.com"))
    assert allowed.json() == {"got": {}}
    lab.wait_idle(5)


def test_tracebacks_show_var_task_like_lambda(aws: lab.Session) -> None:
    """stackTrace entries and logged tracebacks name /var/task (LAMBDA_TASK_ROOT on AWS), not the temp folder,
    in awslambdaric's format (traceback.format_list of (file, line, name, code) tuples: no ^^^ markers)."""
    code = ("import logging\n"
            "def handler(event, context):\n"
            "    if event.get('log'):\n"
            "        try:\n"
            "            1 / 0\n"
            "        except ZeroDivisionError:\n"
            "            logging.exception('caught')\n"
            "        return 'ok'\n"
            "    return helper(event)\n"
            "def helper(event):\n"
            "    return event['missing'] + 1\n")
    make("trace", code)
    response, body = call(aws, "trace", LogType="Tail")
    assert body["stackTrace"] == [
        '  File "/var/task/app.py", line 9, in handler\n    return helper(event)\n',
        '  File "/var/task/app.py", line 11, in helper\n    return event[\'missing\'] + 1\n',
    ]
    tail = base64.b64decode(response["LogResult"]).decode()
    assert '  File "/var/task/app.py", line 11, in helper' in tail and "lab-lambda-code" not in tail
    response, _ = call(aws, "trace", {"log": True}, LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert 'File "/var/task/app.py", line 5, in handler' in tail and "lab-lambda-code" not in tail


def test_init_error_traceback_shows_var_task(aws: lab.Session) -> None:
    make("initboom", "import json\nraise RuntimeError('no config')\ndef handler(e, c):\n    return 1\n")
    _, body = call(aws, "initboom")
    assert body["errorType"] == "RuntimeError"
    assert body["stackTrace"][-1] == '  File "/var/task/app.py", line 2, in <module>\n    raise RuntimeError(\'no config\')\n'


@pytest.mark.parametrize("invocation_type", ["RequestResponse", "Event"])
def test_response_request_id_is_the_invocation_request_id(aws: lab.Session, invocation_type: str) -> None:
    """ResponseMetadata.RequestId (x-amzn-RequestId) equals the START line's RequestId, as on AWS."""
    make("rid", ECHO)
    lam = aws.client("lambda")
    response = lam.invoke(FunctionName="rid", InvocationType=invocation_type, Payload=b"{}")
    rid = response["ResponseMetadata"]["RequestId"]
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == rid
    if invocation_type == "RequestResponse":
        assert json.loads(response["Payload"].read())["context"]["aws_request_id"] == rid
    lab.wait_idle(10)
    lab.wait_idle(10)
    messages = [e["message"] for e in aws.client("logs").filter_log_events(logGroupName="/aws/lambda/rid")["events"]]
    starts = [m for m in messages if m.startswith("START RequestId: ")]
    assert any(m.startswith(f"START RequestId: {rid} ") for m in starts), (rid, starts)
    # other Lambda calls keep moto's request ids
    other = lam.get_function(FunctionName="rid")["ResponseMetadata"]["RequestId"]
    assert other and other != rid


def test_request_id_over_http(aws: lab.Session) -> None:
    """The same through the embedded endpoint (another process, curl, ...)."""
    import boto3

    make("rid-http", ECHO)
    keys = aws.child_env()  # the embedded endpoint serves only the session's own keys
    lam = boto3.client("lambda", endpoint_url=aws.endpoint_url, region_name="us-east-1",
                       aws_access_key_id=keys["AWS_ACCESS_KEY_ID"], aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"])
    response = lam.invoke(FunctionName="rid-http", Payload=b"{}")
    body = json.loads(response["Payload"].read())
    assert response["ResponseMetadata"]["RequestId"] == body["context"]["aws_request_id"]


def test_stop_kills_workers_and_gives_moto_its_methods_back(aws: lab.Session) -> None:
    from moto.awslambda.models import LambdaFunction

    make("stopper", ECHO)
    pid = call(aws, "stopper")[1]["pid"]
    lab.stop()
    assert not moto_patch.patched()
    assert LambdaFunction._invoke_lambda.__module__ == "moto.awslambda.models"
    deadline = time.time() + 3
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("worker still alive after lab.stop()")
    lab.start()
    assert moto_patch.patched()
