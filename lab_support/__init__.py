"""lab_support: the plumbing behind the course *APIs, AWS Lambda and Amazon API Gateway*.

Every notebook starts the same way::

    import lab_support as lab
    aws = lab.start()

and ends with ``lab.cleanup()``. After ``start()``, plain ``boto3`` and
``requests`` calls in the kernel talk to the course's AWS: the embedded
backend (moto, in this process, no account and no network) unless
``LAB_BACKEND=aws`` chooses a real account.

Public API (each documented where it is defined):

* lifecycle: :func:`start`, :func:`stop`, :func:`reset`, :func:`current`, :func:`cleanup`, :func:`leftovers`,
  :class:`Session` (clients, ``stage_url``, ``child_env``, ``track``, ``unique_name``, ``run_id``)
* real account (``LAB_BACKEND=aws``): :data:`SUPPORTED_REGIONS`, :func:`costs` and :func:`cost_notice` (cost
  stated first, from ``data/pricing.json``), :func:`skip_on_aws` (:class:`SkippedOnAWS`), :func:`until` and
  :func:`retrying` (bounded waits for eventual consistency, :class:`StillWaiting`)
* tags: :func:`tags`, :func:`tag_list`
* errors: :func:`explain` (the fix behind a wrapped error), :class:`LabError`
* Lambda: :func:`create_function`, :func:`lambda_zip`, :func:`wait_idle`, :data:`time_scale`,
  :mod:`lambda_output` (reading Invoke responses and logs), :mod:`event_sources` (``timeline()``)
* resources: :mod:`resources` (re-runnable create-or-get of execution roles, queues, buckets, tables,
  streams, tagged and tracked for the cleanup)
* API Gateway: :mod:`api_builders` (re-runnable find-or-create of APIs, resources, Lambda permissions),
  :mod:`endpoint_types` (edge vs regional vs private), :mod:`openapi` (export), :mod:`postman`
* HTTP (notebook 01): :func:`start_notes_service`, :func:`stop_notes_service`, :class:`NotesService`,
  :func:`curl_line`, :func:`show`, :func:`send`, :func:`request_builder`,
  :func:`notes_collection`, :func:`write_collection`
* teaching: :func:`check` and :func:`hint` (exercise self-checks, hints one at a time), the
  ``%%lambda_handler`` cell magic and :func:`handler_code` (handlers in highlighted cells),
  :func:`use_course_style` (figures), :func:`check_environment`, :func:`data_file` (the course's ``data/``)

The package has four layers (docs/SEAMS.md draws them):

* :mod:`lab_support.core`: session, embedded server, network guard, errors, tags, patching, clock;
* :mod:`lab_support.embedded`: what exists only on the moto backend, one folder per AWS service;
* :mod:`lab_support.course`: helpers that work the same on both backends;
* :mod:`lab_support.exercises`: the self-checks, one module per notebook.

The embedded services attach themselves to every embedded session through
:func:`register_extension`, in the order of :data:`EXTENSIONS`.
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
from lab_support.core.costs import SkippedOnAWS, cost_notice, costs, skip_on_aws
from lab_support.core.errors import CredentialsMissing, LabError, NetworkGuardError, NotStarted, PortInUse, explain
from lab_support.core.idle import wait_idle
from lab_support.core.retry import StillWaiting, retrying, until
from lab_support.core.session import (
    SUPPORTED_REGIONS,
    Extension,
    Session,
    cleanup,
    current,
    leftovers,
    register_extension,
    reset,
    start,
    stop,
)
from lab_support.core.tags import COURSE_TAG_KEY, COURSE_TAG_VALUE, RUN_TAG_KEY, tag_list, tags
from lab_support.course import (
    api_builders,
    endpoint_types,
    lambda_output,
    observability,
    openapi,
    operations,
    postman,
    resources,
    service_map,
    throttling,
)
from lab_support.course.datafiles import data_file
from lab_support.course.envcheck import check_environment
from lab_support.course.figures import use_course_style
from lab_support.course.functions import create_function, lambda_zip
from lab_support.course.handlers import handler_code
from lab_support.course.handlers import register_magic as _register_magic
from lab_support.course.http import curl_line, request_builder, send, show, status_text
from lab_support.course.postman import notes_collection, write_collection
from lab_support.course.services import inventory as _inventory
from lab_support.course.services import notes as _notes
from lab_support.course.services.notes import NotesService, start_notes_service, stop_notes_service
from lab_support.embedded import apigateway as _apigateway
from lab_support.embedded import cloudtrail as _cloudtrail
from lab_support.embedded import cloudwatch as _cloudwatch
from lab_support.embedded import event_sources
from lab_support.embedded import iam as _iam
from lab_support.embedded import lambda_ as _lambda
from lab_support.embedded.apigateway import private_endpoints as _private_endpoints
from lab_support.embedded.apigateway import xray as _xray
from lab_support.exercises import check, hint

# What attaches to every embedded session, in this order (the one place that states it). Order matters
# where two extensions mount on the embedded server or wrap the same moto call: IAM's middleware first (it
# must see every signed request), the Lambda runtime last.
EXTENSIONS: tuple[tuple[str, Extension], ...] = (
    ("inventory-service", _inventory.install),
    ("notes-service", _notes.install),
    ("iam", _iam.install),
    ("cloudtrail", _cloudtrail.install),  # records management calls for lookup_events
    ("private_api", _private_endpoints.install),
    ("event_sources", event_sources.install),
    ("gateway", _apigateway.install),
    ("cloudwatch", _cloudwatch.install),  # alarm evaluator: its thread starts and stops with the session
    ("lambda", _lambda.install),
    ("xray", _xray.install),  # traces of direct Invoke calls: wraps the lambda extension's LambdaResponse.invoke
)
for _name, _install in EXTENSIONS:
    register_extension(_name, _install)
_register_magic()  # %%lambda_handler, when imported in a notebook

# AWS seconds per local second for AWS's fixed delays (async retries, visibility timeouts,
# batching windows): 60 means one AWS minute lasts one second here. Read live by core/clock.py.
time_scale: float = 60.0

__version__ = "0.1.0"

__all__ = [
    "COURSE_TAG_KEY",
    "COURSE_TAG_VALUE",
    "RUN_TAG_KEY",
    "SUPPORTED_REGIONS",
    "CredentialsMissing",
    "LabError",
    "NetworkGuardError",
    "NotStarted",
    "NotesService",
    "PortInUse",
    "Session",
    "SkippedOnAWS",
    "StillWaiting",
    "api_builders",
    "check",
    "check_environment",
    "cleanup",
    "cost_notice",
    "costs",
    "create_function",
    "curl_line",
    "current",
    "data_file",
    "endpoint_types",
    "event_sources",
    "explain",
    "handler_code",
    "hint",
    "lambda_output",
    "lambda_zip",
    "leftovers",
    "notes_collection",
    "observability",
    "openapi",
    "operations",
    "postman",
    "register_extension",
    "request_builder",
    "reset",
    "resources",
    "retrying",
    "send",
    "service_map",
    "show",
    "skip_on_aws",
    "start",
    "start_notes_service",
    "status_text",
    "stop",
    "stop_notes_service",
    "tag_list",
    "tags",
    "throttling",
    "time_scale",
    "until",
    "use_course_style",
    "wait_idle",
    "write_collection",
]
