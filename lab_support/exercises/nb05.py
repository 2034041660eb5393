"""Self-checks (and the prepared resources) for notebook 05, Integrations.

Each exercise starts from resources a ``prepare_…`` function builds through public APIs (Lambda, API
Gateway), re-runnable, tagged and tracked for ``lab.cleanup()``. Running a ``prepare_…`` function again
puts the exercise back in its broken starting state. The checks look at real state: they send real
requests through the deployed stage and read the integration the student configured.

* 05.1: a Lambda custom (non-proxy) integration whose mapping template sends the wrong event; the student
  fixes the template so the function receives ``{"name": <query parameter name>}``.
* 05.2: a REST API in front of the notes service with only ``GET /notes``; the student adds
  ``GET /notes/{id}`` as an HTTP proxy integration.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from lab_support.core.session import current
from lab_support.course.api_builders import allow_api_gateway, clear_method, find_rest_api, lambda_uri, resource, rest_api
from lab_support.course.functions import create_function
from lab_support.course.services.notes import current_notes_service, start_notes_service
from lab_support.exercises.registry import exercise

# find_rest_api is re-exported for the solutions (one implementation, in lab_support.course.api_builders).
__all__ = ["find_rest_api", "prepare_05_1", "prepare_05_2"]

GREETER = "nb05-greeter"
GREET_API = "nb05-ex-greet"
NOTES_API = "nb05-ex-notes"
STAGE = "dev"

GREETER_CODE = '''
def handler(event, context):
    # A Lambda custom (non-proxy) integration: the event is whatever the mapping template produced.
    name = event.get("name") or "nobody"
    return {"greeting": f"Hello, {name}!", "received": event}
'''
# The broken starting point of 05.1: wrong key and wrong query parameter.
BROKEN_TEMPLATE = '{"user": "$input.params(\'user\')"}'


def _rest_api(name: str) -> str:
    return rest_api(name, endpointConfiguration={"types": ["REGIONAL"]})


def _put_method(api_id: str, resource_id: str, http_method: str, **kwargs: Any) -> None:
    """The method as the exercise starts it: whatever an earlier run or the student left is replaced."""
    apigw = current().client("apigateway")
    clear_method(api_id, resource_id, http_method)
    apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=http_method, authorizationType="NONE",
                     **kwargs)


def prepare_05_1() -> str:
    """Function ``nb05-greeter`` behind ``GET /greet`` of REST API ``nb05-ex-greet`` (stage ``dev``), a
    Lambda custom integration whose mapping template is wrong. Returns the API id."""
    session = current()
    apigw = session.client("apigateway")
    fn = create_function(GREETER, GREETER_CODE)
    api_id = _rest_api(GREET_API)
    allow_api_gateway(GREETER, api_id)
    greet = resource(api_id, "/greet")
    _put_method(api_id, greet, "GET", requestParameters={"method.request.querystring.name": False})
    apigw.put_method_response(restApiId=api_id, resourceId=greet, httpMethod="GET", statusCode="200")
    # Lambda custom integration: type AWS, the function's invocation URI, always POST
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-custom-integrations.html).
    apigw.put_integration(
        restApiId=api_id, resourceId=greet, httpMethod="GET", type="AWS", integrationHttpMethod="POST",
        uri=lambda_uri(fn["FunctionArn"]),
        requestTemplates={"application/json": BROKEN_TEMPLATE},
    )
    apigw.put_integration_response(restApiId=api_id, resourceId=greet, httpMethod="GET", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName=STAGE)
    return api_id


def prepare_05_2() -> str:
    """REST API ``nb05-ex-notes`` (stage ``dev``) with ``GET /notes`` as an HTTP proxy integration to the
    notes service (started if needed) and nothing else. Returns the API id."""
    session = current()
    apigw = session.client("apigateway")
    notes = start_notes_service()
    api_id = _rest_api(NOTES_API)
    for res in apigw.get_resources(restApiId=api_id, limit=500)["items"]:
        if res["path"].startswith("/notes/"):  # back to the starting state
            with contextlib.suppress(apigw.exceptions.NotFoundException):
                apigw.delete_resource(restApiId=api_id, resourceId=res["id"])
    collection = resource(api_id, "/notes")
    _put_method(api_id, collection, "GET")
    apigw.put_integration(restApiId=api_id, resourceId=collection, httpMethod="GET", type="HTTP_PROXY",
                          integrationHttpMethod="GET", uri=f"{notes.url}/notes")
    apigw.create_deployment(restApiId=api_id, stageName=STAGE)
    return api_id


@exercise(
    "05.1",
    "send the greeter the event it expects",
    "put_integration(..., type=\"AWS\", requestTemplates={\"application/json\": '{\"name\": \"$input.params(\\'name\\')\"}'}) "
    "on GET /greet of nb05-ex-greet, then create_deployment(stageName=\"dev\")",
)
def _greeter_gets_name() -> bool | str:
    import requests

    session = current()
    api_id = find_rest_api(GREET_API)
    if api_id is None:
        return "the API nb05-ex-greet does not exist: run the cell that prepares the exercise"
    name = f"student-{uuid.uuid4().hex[:6]}"
    answer = requests.get(session.stage_url(api_id, STAGE, "greet"), params={"name": name}, timeout=30)
    if answer.status_code != 200:
        return f"GET /greet?name=… answers {answer.status_code}: {answer.text[:120]}"
    try:
        received = answer.json().get("received")
    except ValueError:
        return "the answer is not the greeter's JSON: is GET /greet still integrated with nb05-greeter?"
    if received == {"name": name}:
        return True
    shown = json.dumps(received).replace(name, "<name>")
    return f"the function received {shown}; it should receive exactly {{\"name\": <the query parameter name>}}"


@exercise(
    "05.2",
    "add GET /notes/{id} as an HTTP proxy integration",
    "create_resource(pathPart=\"{id}\") under /notes, put_method(GET, requestParameters={\"method.request.path.id\": True}), "
    "put_integration(type=\"HTTP_PROXY\", uri=f\"{notes.url}/notes/{id}\", "
    "requestParameters={\"integration.request.path.id\": \"method.request.path.id\"}), then deploy to \"dev\"",
)
def _note_by_id() -> bool | str:
    import requests

    session = current()
    apigw = session.client("apigateway")
    api_id = find_rest_api(NOTES_API)
    if api_id is None:
        return "the API nb05-ex-notes does not exist: run the cell that prepares the exercise"
    items = apigw.get_resources(restApiId=api_id, limit=500)["items"]
    item = next((r for r in items if r["path"].startswith("/notes/{") and r["path"].count("/") == 2), None)
    if item is None:
        return "there is no resource /notes/{id} yet"
    param = item["pathPart"].strip("{}+")
    try:
        integration = apigw.get_integration(restApiId=api_id, resourceId=item["id"], httpMethod="GET")
    except apigw.exceptions.NotFoundException:
        return f"{item['path']} has no GET method with an integration yet"
    if integration.get("type") != "HTTP_PROXY":
        return f"GET {item['path']} uses a {integration.get('type')} integration, not HTTP_PROXY"
    notes = current_notes_service()
    title = f"checker {uuid.uuid4().hex[:6]}"
    note = requests.post(f"{notes.url}/notes", json={"title": title}, timeout=10).json()
    try:
        answer = requests.get(session.stage_url(api_id, STAGE, f"notes/{note['id']}"), timeout=30)
    finally:
        requests.delete(f"{notes.url}/notes/{note['id']}", timeout=10)
    if answer.status_code != 200:
        return f"GET /notes/{{id}} answers {answer.status_code} (did you deploy to the stage \"dev\"?)"
    try:
        if answer.json().get("title") != title:
            return "GET /notes/{id} answers 200, but not with the note asked for"
    except (ValueError, AttributeError):
        return "GET /notes/{id} does not answer with a note"
    mapping = (integration.get("requestParameters") or {}).get(f"integration.request.path.{param}")
    if f"{{{param}}}" in integration.get("uri", "") and mapping != f"method.request.path.{param}":
        return (f"it works here, but AWS fills {{{param}}} in the endpoint URL only from requestParameters: add "
                f"\"integration.request.path.{param}\": \"method.request.path.{param}\"")
    return True
