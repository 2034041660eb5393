"""The %%lambda_handler cell magic: handlers live in highlighted cells, are checked, kept, and deploy."""

from __future__ import annotations

import json

import pytest

import lab_support as lab
from lab_support.course.handlers import HandlerCode, handler_code, inspect_source, lambda_handler

GOOD = "import json\n\n\ndef handler(event, context):\n    return {'statusCode': 200, 'body': json.dumps(event)}\n"


def test_cell_is_kept_in_the_notebook_namespace_and_reported(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict = {}
    code = lambda_handler("echo_code", GOOD, namespace)
    assert namespace["echo_code"] is code and handler_code("echo_code") == GOOD
    assert isinstance(code, HandlerCode) and code.function == "handler"
    assert capsys.readouterr().out == "✔ echo_code: 5 lines of Python with handler(event, context)\n"


def test_lambda_would_refuse_is_said_in_lambda_terms(capsys: pytest.CaptureFixture[str]) -> None:
    lambda_handler("broken_code", "def handler(event, context)\n    return 1\n")
    assert "line 1" in capsys.readouterr().out and "Runtime.UserCodeSyntaxError" in inspect_source("def (")
    assert "Runtime.HandlerNotFound" in (inspect_source(GOOD, "main") or "")
    with pytest.raises(ValueError, match="usage: %%lambda_handler"):
        lambda_handler("", GOOD)


def test_magic_is_registered_in_ipython_and_the_code_deploys(aws: lab.Session) -> None:
    from IPython.core.interactiveshell import InteractiveShell  # the one shell of this process, as in a kernel

    ip = InteractiveShell.instance()
    assert lab.course.handlers.register_magic()
    ip.run_cell_magic("lambda_handler", "shout_code --handler main",
                      "def main(event, context):\n    return event['text'].upper()\n")
    code = ip.user_ns["shout_code"]
    lab.create_function("shout", code)
    answer = aws.client("lambda").invoke(FunctionName="shout", Payload=json.dumps({"text": "hi"}))
    assert json.loads(answer["Payload"].read()) == "HI"


def test_a_long_handler_continues_in_the_next_cell(capsys: pytest.CaptureFixture[str]) -> None:
    lambda_handler("long_code", "def handler(event, context):\n    return helper(event)\n")
    code = lambda_handler("long_code --append", "def helper(event):\n    return event\n")
    assert "def handler" in code and "def helper" in code and code.function == "handler"
    assert capsys.readouterr().out.splitlines()[-1] == "✔ long_code: 6 lines of Python with handler(event, context)"
    with pytest.raises(ValueError, match="no %%lambda_handler nothing_code cell has run yet"):
        lambda_handler("nothing_code --append", "x = 1\n")
