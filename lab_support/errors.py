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
