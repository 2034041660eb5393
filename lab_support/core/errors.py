"""Errors that tell a student what went wrong *and what to do about it*.

Every error raised on purpose by ``lab_support`` is a :class:`LabError`. Its
message has two parts: what happened, and a line starting with ``Fix:``.
"""

from __future__ import annotations


class LabError(Exception):
    """Base class: a problem the student can fix, with the fix in the message."""

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}\nFix: {fix}")


class CredentialsMissing(LabError):
    """The real-AWS backend was chosen but boto3 finds no credentials."""


class NetworkGuardError(LabError, ConnectionRefusedError):
    """A request would have left this machine while the embedded backend runs.

    It is also a :class:`ConnectionRefusedError`, so ``requests`` and ``urllib3``
    report it as a refused connection rather than crashing.
    """


class PortInUse(LabError, OSError):
    """A fixed port was asked for and something else already listens there."""


class NotStarted(LabError):
    """A helper needs the embedded backend but ``lab_support.start()`` was not run."""


def find_lab_error(exc: BaseException) -> LabError | None:
    """The :class:`LabError` behind ``exc``, however deeply a library wrapped it.

    ``requests``, ``urllib3`` and ``botocore`` wrap a refused connection in their
    own exceptions; this walks causes, contexts, ``args``, ``.reason`` and
    botocore's ``kwargs["error"]`` to find ours.
    """
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        item = todo.pop(0)
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, LabError):
            return item
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
        kwargs = getattr(item, "kwargs", None)
        if isinstance(kwargs, dict):
            todo.append(kwargs.get("error"))
    return None


def explain(exc: BaseException) -> str:
    """A message a student can act on: ours if a :class:`LabError` is behind ``exc``, else ``exc``'s own."""
    found = find_lab_error(exc)
    return str(found) if found is not None else f"{type(exc).__name__}: {exc}"
