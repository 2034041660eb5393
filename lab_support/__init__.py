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
  :class:`Session` (clients, ``stage_url``, ``child_env``, ``track``)
* tags: :func:`tags`, :func:`tag_list`
* errors: :func:`explain` (the fix behind a wrapped error), :class:`LabError`
* Lambda: :func:`create_function`, :func:`lambda_zip`, :func:`wait_idle`, :data:`time_scale`,
  and the modules :mod:`lambda_runtime`, :mod:`event_sources`, :mod:`iam`
* resources: :mod:`resources` (re-runnable create-or-get of execution roles, queues, buckets, tables,
  streams, tagged and tracked for the cleanup), :mod:`lambda_output` (reading Invoke responses and logs)
* API Gateway: :mod:`gateway` (data plane), :mod:`endpoints`, :mod:`private_api`, :mod:`export`,
  :mod:`rest_apis` (re-runnable find-or-create of APIs, resources, Lambda permissions)
* HTTP (notebook 01): :func:`start_notes_service`, :func:`stop_notes_service`, :class:`NotesService`,
  :func:`curl_line`, :func:`show`, :func:`send`, :func:`request_builder`,
  :func:`notes_collection`, :func:`write_collection`
* teaching: :func:`check` (exercise self-checks), :func:`use_course_style` (figures),
  :func:`check_environment`

The local services attach themselves to every embedded session through
:func:`register_extension`; docs/SEAMS.md shows how they fit together.
"""

from __future__ import annotations

import importlib.util as _importlib_util


def _require(*modules: str) -> None:
    """Fail early, with the fix, when a package the course needs is missing."""
    missing = [m for m in modules if _importlib_util.find_spec(m) is None]
    if missing:
        raise ImportError(
            f"lab_support needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed "
            "in this kernel's Python.\nFix: run `make lab` in the course folder (or `pip install -e .`), "
            "then restart the kernel; in JupyterLab check the kernel is the course's .venv."
        )


_require("boto3", "moto", "requests", "werkzeug", "flask")

# ruff: noqa: E402  (the imports below come after the dependency check on purpose)
from .apis import curl_line, request_builder, send, show
from .envcheck import check_environment
from .errors import CredentialsMissing, LabError, NetworkGuardError, NotStarted, PortInUse, explain
from .exercises import check
from .figures import use_course_style
from .postman import notes_collection, write_collection
from .services.notes import NotesService, start_notes_service, stop_notes_service
from .session import Session, cleanup, current, register_extension, reset, start, stop
from .tags import COURSE_TAG_KEY, COURSE_TAG_VALUE, tag_list, tags

# AWS seconds per local second for AWS's fixed delays (async retries, visibility timeouts,
# batching windows): 60 means one AWS minute lasts one second here. Read live by event_sources/clock.py.
time_scale: float = 60.0

# The local services, each registering its extension on import, in this order:
# execution roles and Lambda resource policies; PRIVATE API rules; push/pull event sources;
# the API Gateway data plane; the Lambda runtime.
from . import iam
from . import private_api as private_api

register_extension("private_api", private_api.install)
from . import event_sources
from . import gateway as gateway

register_extension("gateway", gateway.install)
from . import endpoints, export, lambda_runtime
from . import resources as resources  # create-or-get roles, queues, buckets… (re-runnable, tagged, tracked)
from . import rest_apis as rest_apis  # find-or-create REST/HTTP APIs, resources, Lambda permissions (re-runnable)
from .lambda_runtime import create_function, lambda_zip

# Until no invocation, async retry or poller batch is pending (event_sources registers its pending()).
wait_idle = lambda_runtime.wait_idle

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
    "create_function",
    "curl_line",
    "current",
    "endpoints",
    "event_sources",
    "explain",
    "export",
    "gateway",
    "iam",
    "lambda_runtime",
    "lambda_zip",
    "notes_collection",
    "private_api",
    "register_extension",
    "request_builder",
    "reset",
    "resources",
    "rest_apis",
    "send",
    "show",
    "start",
    "start_notes_service",
    "stop",
    "stop_notes_service",
    "tag_list",
    "tags",
    "time_scale",
    "use_course_style",
    "wait_idle",
    "write_collection",
]
