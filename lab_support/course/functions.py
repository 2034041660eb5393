"""Notebook helpers: package a handler written in a cell, create (or update) the function, through public APIs.

Both work unchanged on a real account (``LAB_BACKEND=aws``): they only call IAM, Lambda and CloudWatch Logs APIs.
A role Lambda cannot assume yet (IAM is eventually consistent) is waited for inside :func:`create_function`
(:func:`lab_support.core.retry.retrying`, one ``⏳ waiting for AWS…`` line), never by a sleep in a cell.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import os
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lab_support.core import retry, sweep
from lab_support.core.errors import LabError
from lab_support.core.session import current

DEFAULT_RUNTIME = "python3.13"
DEFAULT_ROLE_NAME = "lab-lambda-basic-execution"
# Trust policy for an execution role: Lambda assumes it
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html).
LAMBDA_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
# The permissions of the AWS managed policy AWSLambdaBasicExecutionRole, as an inline policy
# (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html).
BASIC_EXECUTION_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
}
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # stable zip bytes -> stable CodeSha256 run after run


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def lambda_zip(code: str | bytes | os.PathLike[str] | Callable[..., Any], module: str = "app") -> bytes:
    """A deployment package (.zip bytes) for a Python handler.

    ``code`` is one of:

    * source text (a string containing a newline or ``def``): written as ``{module}.py``;
    * a function defined in a notebook cell: its source (``inspect.getsource``) as ``{module}.py``; put the
      imports it needs inside the function, or pass source text instead;
    * a path to a ``.py`` file (kept under its own name) or to a directory (zipped recursively);
    * ``bytes`` that already are a .zip (returned unchanged).

    The zip is byte-for-byte stable for the same input, so ``CodeSha256`` does not change between runs.
    """
    if isinstance(code, bytes | bytearray):
        return bytes(code)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if callable(code):
            source = textwrap.dedent(inspect.getsource(code))
            _add(archive, f"{module}.py", source.encode())
        elif isinstance(code, str) and ("\n" in code or code.lstrip().startswith(("def ", "import ", "from "))):
            _add(archive, f"{module}.py", textwrap.dedent(code).encode())
        else:
            path = Path(code)
            if path.is_dir():
                for file in sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                    _add(archive, file.relative_to(path).as_posix(), file.read_bytes())
            elif path.is_file():
                _add(archive, path.name, path.read_bytes())
            else:
                raise LabError(
                    f"lambda_zip() got {str(code)[:60]!r}, which is neither source code nor an existing file.",
                    "pass the handler's source as a string, a function, or the path of a .py file or folder.",
                )
    return buffer.getvalue()


def default_handler(code: Any, module: str = "app") -> str:
    """``app.<function name>`` for a function, else ``app.handler``."""
    if callable(code) and getattr(code, "__name__", None):
        return f"{module}.{code.__name__}"
    return f"{module}.{getattr(code, 'function', 'handler')}"  # a %%lambda_handler cell may name its function


def ensure_execution_role(session: Any, name: str = DEFAULT_ROLE_NAME) -> str:
    """The ARN of a role Lambda can assume with basic logging rights (created once, tagged, tracked)."""
    iam = session.client("iam")
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        pass
    arn = str(
        iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY),
            Description="Execution role for the course's Lambda functions (logs and X-Ray traces)",
            Tags=session.tag_list,
        )["Role"]["Arn"]
    )
    iam.put_role_policy(
        RoleName=name, PolicyName="AWSLambdaBasicExecutionRole", PolicyDocument=json.dumps(BASIC_EXECUTION_POLICY)
    )
    # Active tracing (notebook 07) needs these: AWS refuses TracingConfig Active for a role without them
    # (the actions of the managed policy AWSXRayDaemonWriteAccess).
    iam.put_role_policy(RoleName=name, PolicyName="xray-write", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
                                                 "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]}]}))

    session.track(f"IAM role {name}", lambda: sweep.delete_role(iam, name), once=True)
    return arn


_CONFIG_KEYS = ("Runtime", "Timeout", "MemorySize", "Environment", "Description", "Layers", "TracingConfig",
                "EphemeralStorage", "Architectures", "DeadLetterConfig", "KMSKeyArn", "VpcConfig")


def create_function(
    name: str,
    code: Any,
    handler: str | None = None,
    role: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Create the Lambda function ``name`` (or update its code and configuration if it exists); re-runnable.

    Args:
        name: function name.
        code: anything :func:`lambda_zip` accepts (source text, a function, a path, or zip bytes).
        handler: ``module.function``; default ``app.handler`` (``app.<name>`` when ``code`` is a function).
        role: execution role ARN; by default a role trusted by ``lambda.amazonaws.com`` with the permissions of
            AWSLambdaBasicExecutionRole is created once (``lab-lambda-basic-execution``).
        **kwargs: other CreateFunction parameters (``Runtime`` defaults to python3.13, ``Timeout``,
            ``MemorySize``, ``Environment``, ``Publish``…).

    Returns the function's configuration once it is ``Active`` (and its last update ``Successful``). The
    function carries the course tag and its deletion is registered with ``aws.track``.
    """
    session = current()
    client = session.client("lambda")
    package = lambda_zip(code)
    handler = handler or default_handler(code)
    role_arn = role or ensure_execution_role(session)
    kwargs.setdefault("Runtime", DEFAULT_RUNTIME)
    try:
        client.get_function(FunctionName=name)
        exists = True
    except client.exceptions.ResourceNotFoundException:
        exists = False

    if exists:
        publish = bool(kwargs.pop("Publish", False))
        client.update_function_code(FunctionName=name, ZipFile=package)
        client.get_waiter("function_updated_v2").wait(FunctionName=name)
        config = {k: v for k, v in kwargs.items() if k in _CONFIG_KEYS}
        retry.retrying(lambda: client.update_function_configuration(FunctionName=name, Handler=handler,
                                                                    Role=role_arn, **config),
                       retry_on=_role_not_ready, what=f"IAM to let Lambda assume the role of {name}")
        client.get_waiter("function_updated_v2").wait(FunctionName=name)
        if publish:
            client.publish_version(FunctionName=name)
    else:
        tags = {**session.tags, **kwargs.pop("Tags", {})}
        params = dict(FunctionName=name, Code={"ZipFile": package}, Handler=handler, Role=role_arn, Tags=tags,
                      **kwargs)
        retry.retrying(lambda: client.create_function(**params), retry_on=_role_not_ready,
                       what=f"IAM to let Lambda assume the role of {name}")
        client.get_waiter("function_active_v2").wait(FunctionName=name)

    def delete() -> None:
        client.delete_function(FunctionName=name)
        # Lambda's own log group (created on the first invocation; untagged, so the sweep needs the name)
        logs = session.client("logs")
        with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
            logs.delete_log_group(logGroupName=f"/aws/lambda/{name}")

    session.track(f"Lambda function {name}", delete, once=True)
    return dict(client.get_function_configuration(FunctionName=name))


def _role_not_ready(err: Exception) -> bool:
    """A role created (or changed) a moment ago that Lambda cannot assume *yet*: IAM is eventually consistent
    (CreateFunction answers ``InvalidParameterValueException: The role defined for the function cannot be
    assumed by Lambda.``, https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-deployment.html)."""
    return retry.error_code(err) == "InvalidParameterValueException" and "cannot be assumed" in str(err)
