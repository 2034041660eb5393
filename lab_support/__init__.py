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
* errors: :func:`explain` (the fix behind a wrapped error), :class:`LabError`
* teaching: :func:`check` (exercise self-checks), :func:`use_course_style` (figures),
  :func:`check_environment`
* HTTP (notebook 01): :func:`start_notes_service`, :func:`stop_notes_service`, :class:`NotesService`,
  :func:`curl_line`, :func:`show`, :func:`send`, :func:`request_builder`,
  :func:`notes_collection`, :func:`write_collection`
"""

from __future__ import annotations

from .apis import curl_line, request_builder, send, show
from .envcheck import check_environment
from .errors import CredentialsMissing, LabError, NetworkGuardError, NotStarted, PortInUse, explain
from .exercises import check
from .figures import use_course_style
from .postman import notes_collection, write_collection
from .services.notes import NotesService, start_notes_service, stop_notes_service
from .session import Session, cleanup, current, register_extension, reset, start, stop
from .tags import COURSE_TAG_KEY, COURSE_TAG_VALUE, tag_list, tags

from . import private_api as _private_api

# PRIVATE REST APIs: CreateDeployment without a resource policy fails as on AWS (lab_support/private_api.py).
register_extension("private_api", _private_api.install)

__version__ = "0.1.0"

__all__ = [
    "COURSE_TAG_KEY",
    "COURSE_TAG_VALUE",
    "CredentialsMissing",
    "LabError",
    "NetworkGuardError",
    "NotStarted",
    "NotesService",
    "PortInUse",
    "Session",
    "check",
    "check_environment",
    "cleanup",
    "curl_line",
    "current",
    "explain",
    "notes_collection",
    "register_extension",
    "request_builder",
    "reset",
    "send",
    "show",
    "start",
    "start_notes_service",
    "stop",
    "stop_notes_service",
    "tag_list",
    "tags",
    "use_course_style",
    "write_collection",
]
