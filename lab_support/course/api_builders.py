"""Re-run plumbing for API Gateway: find-or-create APIs and resources, Lambda URIs and permissions.

Notebooks 04 and 05 build APIs with plain ``boto3`` calls (``put_method``, ``put_integration``,
``create_deployment``…): those calls are the lesson and stay in the notebooks. What a cell needs so that it can
run twice (look up before create, clear what an earlier run left, tag, register the deletion) lives here::

    >>> from lab_support.course.api_builders import rest_api, resource, clear_method, lambda_uri, allow_api_gateway
    >>> api_id = rest_api("nb05-integrations", endpointConfiguration={"types": ["REGIONAL"]})
    >>> hello = resource(api_id, "/greetings/{name}")      # creates /greetings, then /greetings/{name}
    >>> clear_method(api_id, hello, "GET")                  # a re-run starts the method over
    >>> apig.put_method(restApiId=api_id, resourceId=hello, httpMethod="GET", authorizationType="NONE")

Everything here works on both backends: it only calls the public API Gateway and Lambda APIs through
``lab_support.current().client(...)``. Whatever a function creates carries the course tag
(``course=apigw-lambda-lab``) and is registered with ``aws.track`` exactly once, so ``lab.cleanup()`` removes it.

Re-runs of :func:`rest_api` and :func:`http_api` follow one rule, chosen by ``fresh``:

* ``fresh=False`` (the default) — **find or create**: an API of that name is reused as it is (the create
  arguments only apply when it is created). Right for a notebook whose later cells keep adding to one API: each
  cell can run again on its own.
* ``fresh=True`` — **start over**: every API of that name is deleted first, then a new one is created with the
  given arguments. Right when the cell is *about* the create call (its endpoint type, say), so a re-run shows
  what that call makes and leaves one API, not two.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable
from typing import Any

from botocore.config import Config

from lab_support.core import sweep
from lab_support.core.errors import LabError
from lab_support.core.session import current
from lab_support.core.tags import COURSE_TAG_KEY, COURSE_TAG_VALUE

# The control plane is throttled per account on AWS: CreateRestApi/DeleteRestApi one request every 30 s for some
# calls, CreateDeployment one every 5 s (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
# Retry throttled calls for longer than boto3's default (3 attempts).
_RETRIES = Config(retries={"mode": "standard", "max_attempts": 10})
_PAGE = 500  # GetRestApis / GetResources take at most 500 items a page

_CLIENTS: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()

__all__ = [
    "allow_api_gateway",
    "clear_method",
    "delete_http_api",
    "delete_rest_api",
    "delete_rest_apis_named",
    "execute_api_arn",
    "find_http_api",
    "find_rest_api",
    "http_api",
    "lambda_uri",
    "resource",
    "rest_api",
]


def _client(service: str) -> Any:
    """One boto3 client per session and service (with the longer retries)."""
    session = current()
    clients = _CLIENTS.setdefault(session, {})
    if service not in clients:
        clients[service] = session.client(service, config=_RETRIES)
    return clients[service]


def _track_once(description: str, delete: Callable[[], Any]) -> None:
    """``aws.track(description, delete)`` unless something of that description is tracked already.

    Descriptions name the resource's id, so a re-run that finds its own API does not register it twice.
    """
    current().track(description, delete, once=True)


def _is_course_tagged(tags: dict[str, str] | None) -> bool:
    return (tags or {}).get(COURSE_TAG_KEY) == COURSE_TAG_VALUE


# -- REST APIs (the apigateway service) ----------------------------------------------------------------------
def find_rest_api(name: str) -> str | None:
    """The id of the REST API called ``name``, or ``None`` if there is none.

    Read-only (``GetRestApis``), so safe to call any number of times. API names need not be unique on AWS; when
    several APIs share the name, the first one listed is returned.
    """
    for api in _rest_apis():
        if api["name"] == name:
            return str(api["id"])
    return None


def _rest_apis() -> list[dict[str, Any]]:
    apigw = _client("apigateway")
    items: list[dict[str, Any]] = []
    for page in apigw.get_paginator("get_rest_apis").paginate(PaginationConfig={"PageSize": _PAGE}):
        items.extend(page.get("items", []))
    return items


def delete_rest_api(api_id: str) -> bool:
    """Delete the REST API ``api_id``; ``False`` (no error) if it is gone already.

    Re-runnable by design: this is what :func:`rest_api` registers with ``aws.track``, so ``lab.cleanup()`` does
    not fail on an API that a re-run (``fresh=True``) or the student deleted first.
    """
    apigw = _client("apigateway")
    try:
        apigw.get_rest_api(restApiId=api_id)  # look first: the embedded backend fails oddly on an unknown id
    except apigw.exceptions.NotFoundException:
        return False
    deleted = sweep.delete_rest_api(apigw, api_id)  # waits out DeleteRestApi's one call per 30 s
    sweep.delete_execution_logs(_client("logs"), api_id)  # they outlive the API
    return deleted


def delete_rest_apis_named(name: str) -> list[str]:
    """Delete every REST API called ``name``; returns the ids deleted (empty on a first run).

    The clean-up a re-run needs before a cell creates an API by hand with ``create_rest_api`` (notebook 04's first
    API). Re-runnable: a second call finds nothing and deletes nothing.
    """
    deleted = [str(api["id"]) for api in _rest_apis() if api["name"] == name]
    for api_id in deleted:
        delete_rest_api(api_id)
    return deleted


def rest_api(name: str, *, fresh: bool = False, **create_kwargs: Any) -> str:
    """The id of REST API ``name``: found, or created with ``create_rest_api(name=name, **create_kwargs)``.

    Re-runs (see the module docstring):

    * ``fresh=False`` — an existing API of that name is reused unchanged and ``create_kwargs`` are ignored;
      only when there is none is one created.
    * ``fresh=True`` — every API of that name is deleted first, then a new one is created from
      ``create_kwargs``: after any number of runs there is exactly one, made by the latest call.

    A created API carries the course tag (merged into any ``tags`` you pass) and its deletion is registered with
    ``aws.track``, so ``lab.cleanup()`` removes it. A reused API is registered too when it carries the course tag
    (an earlier kernel made it); one without the tag is used but never deleted: the course does not delete what
    it did not create.

    Example: ``api_id = rest_api("nb05-integrations", endpointConfiguration={"types": ["REGIONAL"]})``.
    """
    if "name" in create_kwargs:
        raise LabError("rest_api() takes the API's name as its first argument.", f"call rest_api({name!r}, ...) "
                       "without name=...")
    apigw = _client("apigateway")
    if fresh:
        delete_rest_apis_named(name)
    else:
        for api in _rest_apis():
            if api["name"] == name:
                found = str(api["id"])
                if _is_course_tagged(api.get("tags")):
                    _track_once(f"REST API {name} ({found})", lambda found=found: delete_rest_api(found))
                return found
    tags = {**create_kwargs.pop("tags", {}), **current().tags}  # the course tag and this run's id
    created = str(apigw.create_rest_api(name=name, tags=tags, **create_kwargs)["id"])
    _track_once(f"REST API {name} ({created})", lambda: delete_rest_api(created))
    return created


def resource(api_id: str, path: str) -> str:
    """The id of the resource at ``path`` (``"/"``, ``"/notes"``, ``"/notes/{id}"``…) in REST API ``api_id``.

    Creates each missing part of the path with ``create_resource``, parents first, and returns the existing id
    for parts an earlier run created: calling it twice gives the same id and creates nothing new. Resources need
    no tag or ``aws.track`` of their own: they are deleted with their API.
    """
    apigw = _client("apigateway")
    existing: dict[str, str] = {}
    for page in apigw.get_paginator("get_resources").paginate(restApiId=api_id, PaginationConfig={"PageSize": _PAGE}):
        existing.update({str(r["path"]): str(r["id"]) for r in page.get("items", [])})
    parent, so_far = existing["/"], ""
    for part in (p for p in path.strip("/").split("/") if p):
        so_far += "/" + part
        if so_far not in existing:
            existing[so_far] = str(apigw.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"])
        parent = existing[so_far]
    return parent


def clear_method(api_id: str, resource_id: str, http_method: str) -> bool:
    """Delete the method ``http_method`` of a resource if an earlier run created it; ``True`` if it did.

    Deleting a method deletes its integration, method responses and integration responses with it, so the
    ``put_method`` / ``put_method_response`` calls that follow in the cell start from nothing. That is what makes
    such a cell re-runnable on AWS, where ``PutMethod`` on an existing method fails with ``ConflictException``
    (https://docs.aws.amazon.com/apigateway/latest/api/API_PutMethod.html). The API's deployed stages keep
    serving their snapshot until the next ``create_deployment``. Nothing to tag or track: methods go with their
    API.
    """
    apigw = _client("apigateway")
    try:
        apigw.get_method(restApiId=api_id, resourceId=resource_id, httpMethod=http_method)
        apigw.delete_method(restApiId=api_id, resourceId=resource_id, httpMethod=http_method)
    except apigw.exceptions.NotFoundException:
        return False
    return True


def lambda_uri(function_arn: str, region: str | None = None) -> str:
    """The integration URI with which API Gateway calls Lambda's Invoke API for ``function_arn``.

    ``arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations``
    (https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html, ``uri``). ``region`` is the API's
    Region, by default the session's. A pure function: it creates nothing.
    """
    region = region or current().region
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def execute_api_arn(api_id: str, path: str = "*") -> str:
    """``arn:aws:execute-api:{region}:{account}:{api_id}/{path}``: the ARN a ``SourceArn`` condition names.

    ``path`` is ``{stage}/{METHOD}/{resource path}`` with ``*`` wildcards; the default ``*`` means any stage,
    method and path of the API (https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html).
    """
    session = current()
    return f"arn:aws:execute-api:{session.region}:{session.account_id}:{api_id}/{path.lstrip('/')}"


def allow_api_gateway(function_name: str, api_id: str, *, statement_id: str | None = None) -> dict[str, Any]:
    """Let API ``api_id`` (REST or HTTP; any stage, method and path) invoke Lambda function ``function_name``.

    Adds a statement to the function's resource-based policy with ``add_permission``: principal
    ``apigateway.amazonaws.com``, action ``lambda:InvokeFunction``, narrowed by ``SourceArn`` to
    :func:`execute_api_arn` ``(api_id)``
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
    The statement id defaults to ``apigateway-{api_id}``.

    Re-runnable: a statement of the same id is removed first, then added again (AWS answers a duplicate id with
    ``ResourceConflictException``). The statement's removal is registered with ``aws.track`` (once), so
    ``lab.cleanup()`` takes it away even from a function that outlives the notebook; the policy carries no tags
    of its own. Returns the statement as a dict.
    """
    lam = _client("lambda")
    sid = statement_id or f"apigateway-{api_id}"
    _remove_permission(function_name, sid)
    statement = lam.add_permission(
        FunctionName=function_name, StatementId=sid, Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=execute_api_arn(api_id),
    )["Statement"]
    _track_once(f"permission {sid} on {function_name}", lambda: _remove_permission(function_name, sid))
    return dict(json.loads(statement))


def _remove_permission(function_name: str, statement_id: str) -> bool:
    lam = _client("lambda")
    try:
        lam.remove_permission(FunctionName=function_name, StatementId=statement_id)
    except lam.exceptions.ResourceNotFoundException:  # no such statement (or no such function): nothing to do
        return False
    return True


# -- HTTP APIs (the apigatewayv2 service) ------------------------------------------------------------------------
def _http_apis() -> list[dict[str, Any]]:
    v2 = _client("apigatewayv2")
    items: list[dict[str, Any]] = []
    for page in v2.get_paginator("get_apis").paginate():
        items.extend(a for a in page.get("Items", []) if a.get("ProtocolType") == "HTTP")
    return items


def find_http_api(name: str) -> str | None:
    """The id of the HTTP API called ``name``, or ``None`` (read-only; WebSocket APIs are not considered)."""
    return next((str(a["ApiId"]) for a in _http_apis() if a["Name"] == name), None)


def delete_http_api(api_id: str) -> bool:
    """Delete the HTTP API ``api_id``; ``False`` (no error) if it is gone already. What :func:`http_api` tracks."""
    v2 = _client("apigatewayv2")
    try:
        v2.get_api(ApiId=api_id)  # look first, so "gone already" answers False on both backends
        v2.delete_api(ApiId=api_id)
    except v2.exceptions.NotFoundException:
        return False
    return True


def http_api(name: str, *, fresh: bool = False, **create_kwargs: Any) -> str:
    """The id of HTTP API ``name``: found, or created with ``create_api(Name=name, ProtocolType="HTTP", **create_kwargs)``.

    The same re-run rule as :func:`rest_api`: ``fresh=False`` reuses an existing API unchanged (``create_kwargs``
    apply only when it is created, e.g. quick create's ``Target`` and ``RouteKey``); ``fresh=True`` deletes every
    HTTP API of that name first. A created API carries the course tag (merged into any ``Tags``) and its deletion
    is registered with ``aws.track``; a reused one is registered when it carries the course tag.
    """
    v2 = _client("apigatewayv2")
    if fresh:
        for api in _http_apis():
            if api["Name"] == name:
                delete_http_api(str(api["ApiId"]))
    else:
        for api in _http_apis():
            if api["Name"] == name:
                found = str(api["ApiId"])
                if _is_course_tagged(api.get("Tags")):
                    _track_once(f"HTTP API {name} ({found})", lambda found=found: delete_http_api(found))
                return found
    create_kwargs.setdefault("ProtocolType", "HTTP")
    tags = {**create_kwargs.pop("Tags", {}), **current().tags}  # the course tag and this run's id
    created = str(v2.create_api(Name=name, Tags=tags, **create_kwargs)["ApiId"])
    _track_once(f"HTTP API {name} ({created})", lambda: delete_http_api(created))
    return created
