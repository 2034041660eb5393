"""Lambda handlers written in notebook cells, so JupyterLab highlights them as Python.

A cell that starts with the ``%%lambda_handler`` magic holds a handler's source::

    %%lambda_handler greeter_code
    import json

    def handler(event, context):
        return {"statusCode": 200, "body": json.dumps({"message": "hello"})}

The kernel does **not** run that code (Lambda does, once it is deployed): the magic checks that it compiles
and defines the handler function, then keeps the source in the notebook variable ``greeter_code`` (a
:class:`HandlerCode`, which is a ``str``). Deploying is the same on every backend::

    lab.create_function("nb02-greeter", greeter_code)

``--handler NAME`` names a handler function other than ``handler``. A handler too long for one slide continues in
the next cell with ``%%lambda_handler greeter_code --append`` (the source is the two cells together).
``import lab_support`` registers the magic when it runs inside IPython.
"""

from __future__ import annotations

import ast
import sys
from typing import Any

_SOURCES: dict[str, HandlerCode] = {}


class HandlerCode(str):
    """A handler's source text, as a ``%%lambda_handler`` cell kept it; ``.function`` is the handler's name."""

    function: str = "handler"

    def __new__(cls, source: str, function: str = "handler") -> HandlerCode:
        code = super().__new__(cls, source)
        code.function = function
        return code

    def __repr__(self) -> str:
        lines = self.strip("\n").count("\n") + 1
        return f"<handler code: {lines} lines, entry point app.{self.function}>"


def inspect_source(source: str, function: str = "handler") -> str | None:
    """What Lambda would refuse in ``source``, in words, or ``None`` when it compiles and defines ``function``.

    The texts name the error type the Lambda Python runtime reports for each case
    (``Runtime.UserCodeSyntaxError``, ``Runtime.HandlerNotFound``:
    https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html).
    """
    try:
        tree = ast.parse(source, filename="app.py")
    except SyntaxError as err:
        return (f"line {err.lineno}: {err.msg}. Deployed as it is, every invocation fails with "
                "Runtime.UserCodeSyntaxError.")
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    if function not in defined:
        return (f"no top-level function {function}(event, context). Deployed as it is, every invocation fails "
                "with Runtime.HandlerNotFound.")
    return None


def handler_code(name: str) -> HandlerCode:
    """The source a ``%%lambda_handler name`` cell kept."""
    try:
        return _SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(_SOURCES)) or "none yet"
        raise KeyError(f"no %%lambda_handler cell named {name!r} has run (known: {known})") from None


def lambda_handler(line: str, cell: str, namespace: dict[str, Any] | None = None) -> HandlerCode:
    """The ``%%lambda_handler VARIABLE [--handler FUNCTION] [--append]`` cell magic (callable directly in tests)."""
    words = line.split()
    function = "handler"
    append = "--append" in words
    if append:
        words.remove("--append")
    if "--handler" in words:
        at = words.index("--handler")
        function = words[at + 1] if at + 1 < len(words) else ""
        del words[at:at + 2]
    if len(words) != 1 or not words[0].isidentifier() or not function.isidentifier():
        raise ValueError("usage: %%lambda_handler VARIABLE [--handler FUNCTION], e.g. %%lambda_handler greeter_code")
    name = words[0]
    if append:
        before = _SOURCES.get(name)
        if before is None:
            raise ValueError(f"--append continues a handler, but no %%lambda_handler {name} cell has run yet")
        cell, function = before.rstrip("\n") + "\n\n\n" + cell, before.function
    code = HandlerCode(cell, function)
    _SOURCES[name] = code
    if namespace is not None:
        namespace[name] = code
    problem = inspect_source(cell, function)
    if problem:
        print(f"⚠️ {name} is kept, but Lambda would not run it: {problem}")
    else:
        print(f"✔ {name}: {cell.strip(chr(10)).count(chr(10)) + 1} lines of Python with {function}(event, context)")
    return code


def register_magic() -> bool:
    """Register ``%%lambda_handler`` in the running IPython kernel; ``False`` outside IPython."""
    ipython_module = sys.modules.get("IPython")
    ip = ipython_module.get_ipython() if ipython_module is not None else None
    if ip is None:
        return False

    def magic(line: str, cell: str) -> None:
        lambda_handler(line, cell, ip.user_ns)

    magic.__doc__ = lambda_handler.__doc__
    ip.register_magic_function(magic, magic_kind="cell", magic_name="lambda_handler")
    return True
