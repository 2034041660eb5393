"""Notebook 02's support code, and the two runtime fixes it needed.

* a function deleted and created again under the same name starts cold (it used to reuse its predecessor's
  warm environment, module-level state included);
* a memory spike shorter than one poll still ends in ``Runtime.OutOfMemory`` (it used to return normally);
* ``lab_support.course.lambda_output`` masks what varies and reads Invoke responses.
"""

from __future__ import annotations

import base64
import io
import json
import time

import boto3

import lab_support as lab
from lab_support.course.lambda_output import log_tail, read_payload, show_invocation, tidy, wait_for_log_events

COUNTER = "count = 0\n\ndef handler(event, context):\n    global count\n    count += 1\n    return count\n"


def test_recreated_function_starts_cold(aws: lab.Session) -> None:
    lam = boto3.client("lambda")
    lab.create_function("t02-counter", COUNTER)
    assert [json.loads(lam.invoke(FunctionName="t02-counter")["Payload"].read()) for _ in range(2)] == [1, 2]
    lam.delete_function(FunctionName="t02-counter")
    lab.create_function("t02-counter", COUNTER)
    response = lam.invoke(FunctionName="t02-counter", LogType="Tail")
    assert json.loads(response["Payload"].read()) == 1
    assert "Init Duration" in base64.b64decode(response["LogResult"]).decode()


def test_short_memory_spike_is_out_of_memory(aws: lab.Session) -> None:
    lam = boto3.client("lambda")
    spike = "def handler(event, context):\n    s = 'x' * (200 * 1024 * 1024)\n    n = len(s)\n    del s\n    return n\n"
    lab.create_function("t02-spike", spike, MemorySize=128)
    response = lam.invoke(FunctionName="t02-spike")
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "Runtime.OutOfMemory"


def test_tidy_masks_what_varies() -> None:
    report = ("REPORT RequestId: 1\tDuration: 7.65 ms\tBilled Duration: 234 ms\tMemory Size: 128 MB\t"
              "Max Memory Used: 36 MB\tInit Duration: 225.46 ms\t")
    assert tidy(report) == ("REPORT RequestId: 1  Duration: … ms  Billed Duration: … ms  Memory Size: 128 MB  "
                            "Max Memory Used: … MB  Init Duration: … ms")
    frame = '  File "/tmp/lab-lambda-code-6yr6zq58/mCfK-wBkSL/app.py", line 8, in handler'
    assert tidy(frame) == '  File "/var/task/app.py", line 8, in handler'


def test_show_invocation_and_logs(aws: lab.Session, capsys) -> None:
    lam = boto3.client("lambda")
    lab.create_function("t02-hello", "def handler(event, context):\n    print('hi there')\n    return {'ok': 1}\n")
    since = int(time.time() * 1000)
    response = lam.invoke(FunctionName="t02-hello", LogType="Tail")
    assert show_invocation(response) is None
    out = capsys.readouterr().out
    assert 'StatusCode: 200   ExecutedVersion: $LATEST\nPayload: {"ok": 1}' in out and "Init Duration: … ms" in out
    assert read_payload(response) == {"ok": 1}  # cached after the stream was read
    assert "hi there" in log_tail(response)
    assert wait_for_log_events("t02-hello", since_ms=since, pattern='"hi there"') == ["hi there"]
    assert wait_for_log_events("t02-nothing", since_ms=since, timeout=0) == []
    error = {"StatusCode": 200, "FunctionError": "Unhandled",
             "Payload": io.BytesIO(b'{"errorType": "ValueError", "errorMessage": "bad"}')}
    show_invocation(error)
    assert "errorType:    ValueError\nerrorMessage: bad" in capsys.readouterr().out
