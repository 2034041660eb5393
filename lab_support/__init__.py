"""lab_support: the plumbing behind the course *APIs, AWS Lambda and Amazon API Gateway*.

Every notebook starts the same way::

    import lab_support as lab
    aws = lab.start()

and ends with ``lab.cleanup()``. After ``start()``, plain ``boto3`` and
``requests`` calls in the kernel talk to the course's AWS: the embedded
backend (moto, in this process, no account and no network) unless
``LAB_BACKEND=aws`` chooses a real account.

Public API (each documented where it is defined):

* lifecycle: :func:`start`, :func:`stop`, :func:`reset`, :func:`current`, :func:`cleanup`,
  :class:`Session`
* URLs: :meth:`Session.stage_url`
* tags: :func:`tags`, :func:`tag_list`
* teaching: :func:`check` (exercise self-checks), :func:`use_course_style` (figures),
  :func:`check_environment`
"""

from __future__ import annotations

from .errors import CredentialsMissing, LabError, NetworkGuardError, NotStarted, PortInUse
from .exercises import check
from .figures import use_course_style
from .session import Session, cleanup, current, register_extension, reset, start, stop
from .tags import COURSE_TAG_KEY, COURSE_TAG_VALUE, tag_list, tags
from .envcheck import check_environment

__version__ = "0.1.0"

__all__ = [
    "COURSE_TAG_KEY",
    "COURSE_TAG_VALUE",
    "CredentialsMissing",
    "LabError",
    "NetworkGuardError",
    "NotStarted",
    "PortInUse",
    "Session",
    "check",
    "check_environment",
    "cleanup",
    "current",
    "register_extension",
    "reset",
    "start",
    "stop",
    "tag_list",
    "tags",
    "use_course_style",
]
