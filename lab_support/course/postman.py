"""Postman collections (format v2.1) generated from a list of calls, and a small runner for them.

A collection is a JSON file Postman (and its command-line runner newman) imports: one
request per call, a ``{{baseUrl}}`` variable for where the API answers, and a test script
per request that checks the status code. Format:
https://schema.getpostman.com/json/collection/v2.1.0/collection.json; importing into Postman:
https://learning.postman.com/docs/getting-started/importing-and-exporting/importing-data/

>>> calls = [Call("List notes", "GET", "/notes", expected_status=200)]
>>> c = collection("Notes", calls, base_url="http://127.0.0.1:8000")
>>> c["item"][0]["request"]["url"]["raw"]
'{{baseUrl}}/notes'

The generator is general: :func:`collection` takes any list of :class:`Call` (name, method,
path, body, expected status, and JSON fields to remember for later calls), so an API Gateway
stage can be described the same way with its invoke URL as ``base_url``.
:func:`run_collection` replays a generated collection with ``requests`` (no Postman needed).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from lab_support.core.errors import LabError
from lab_support.course.datafiles import DATA

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
ROOT = Path(__file__).resolve().parents[2]
NOTES_COLLECTION_PATH = DATA / "notes.postman_collection.json"


@dataclass(frozen=True)
class Call:
    """One request of a collection.

    Attributes:
        name: what Postman shows in its sidebar.
        method: GET, POST, PUT, PATCH, DELETE …
        path: appended to ``{{baseUrl}}``; may use variables (``/notes/{{noteId}}``) and a query string.
        body: a JSON value (sent as JSON), a ``str`` (sent as it is, e.g. broken JSON), or ``None``.
        expected_status: the status code the test script checks.
        capture: ``{variable: json_field}``: after the call, set collection variable
            ``variable`` to the response's top-level JSON field ``json_field`` (e.g. ``{"noteId": "id"}``).
        headers: extra request headers (Content-Type is added for a body).
    """

    name: str
    method: str
    path: str
    body: Any = None
    expected_status: int = 200
    capture: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def _url(path: str) -> dict[str, Any]:
    """Postman's structured URL: raw text plus host, path segments and query list."""
    path = "/" + path.lstrip("/")
    parts = urlsplit(path)
    url: dict[str, Any] = {
        "raw": "{{baseUrl}}" + path,
        "host": ["{{baseUrl}}"],
        "path": [segment for segment in parts.path.split("/") if segment],
    }
    if parts.query:
        url["query"] = [{"key": k, "value": v} for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return url


def _test_script(call: Call) -> list[str]:
    lines = [
        f'pm.test("status is {call.expected_status}", function () {{',
        f"    pm.response.to.have.status({call.expected_status});",
        "});",
    ]
    for variable, json_field in call.capture.items():
        lines.append(f'pm.collectionVariables.set("{variable}", pm.response.json()["{json_field}"]);')
    return lines


def item(call: Call) -> dict[str, Any]:
    """The collection item (request + test script) for one :class:`Call`."""
    headers = dict(call.headers)
    request: dict[str, Any] = {"method": call.method.upper(), "header": [], "url": _url(call.path)}
    if call.body is not None:
        headers.setdefault("Content-Type", "application/json")
        raw = call.body if isinstance(call.body, str) else json.dumps(call.body, indent=2)
        request["body"] = {"mode": "raw", "raw": raw, "options": {"raw": {"language": "json"}}}
    request["header"] = [{"key": k, "value": v} for k, v in headers.items()]
    return {
        "name": call.name,
        "request": request,
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": _test_script(call)}}],
    }


def collection(
    name: str,
    calls: list[Call],
    *,
    base_url: str = DEFAULT_BASE_URL,
    description: str = "",
    variables: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Postman Collection v2.1 with one item per call and a ``baseUrl`` collection variable.

    Every variable a call captures is declared (empty) too, so Postman lists it.
    """
    declared = {"baseUrl": base_url, **(variables or {})}
    for call in calls:
        for variable in call.capture:
            declared.setdefault(variable, "")
    return {
        "info": {"name": name, "description": description, "schema": SCHEMA},
        "item": [item(call) for call in calls],
        "variable": [{"key": k, "value": v, "type": "string"} for k, v in declared.items()],
    }


NOTES_CALLS = [
    Call("List notes", "GET", "/notes", expected_status=200),
    Call("Create a note", "POST", "/notes", {"title": "buy milk"}, 201, capture={"noteId": "id"}),
    Call("Read the note", "GET", "/notes/{{noteId}}", expected_status=200),
    Call("Replace the note (PUT)", "PUT", "/notes/{{noteId}}", {"title": "buy milk", "done": True}, 200),
    Call("Change one field (PATCH)", "PATCH", "/notes/{{noteId}}", {"title": "buy oat milk"}, 200),
    Call("List the notes that are done", "GET", "/notes?done=true", expected_status=200),
    Call("Delete the note", "DELETE", "/notes/{{noteId}}", expected_status=204),
    Call("Read the deleted note: 404", "GET", "/notes/{{noteId}}", expected_status=404),
    Call("Broken JSON: 400", "POST", "/notes", '{"title": "buy milk",}', 400),
    Call("Missing title: 422", "POST", "/notes", {"done": True}, 422),
    Call("Wrong method: 405", "PUT", "/notes", {"title": "x"}, 405),
    Call("Unknown path: 404", "GET", "/nothing-here", expected_status=404),
]


def notes_collection(base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    """The notes service's CRUD calls (and three mistakes) as a Postman Collection v2.1."""
    return collection(
        "Notes service (course notebook 01)",
        NOTES_CALLS,
        base_url=base_url,
        description=(
            "Create, read, update and delete a note, then three requests that go wrong on purpose. "
            "Run the requests in order (the Collection Runner does): 'Create a note' stores the new id "
            "in the noteId variable. Set the baseUrl variable (Collection > Variables) to the URL "
            "notes.url prints in the notebook, or start the service with lab.start_notes_service(8000)."
        ),
    )


def write_collection(path: str | Path, collection_dict: dict[str, Any] | None = None,
                     *, base_url: str = DEFAULT_BASE_URL) -> Path:
    """Write a collection (default: :func:`notes_collection` for ``base_url``) as JSON; returns the path."""
    path = Path(path)
    data = collection_dict if collection_dict is not None else notes_collection(base_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


# -- replaying a collection without Postman -----------------------------------------------------
_VARIABLE = re.compile(r"\{\{(\w+)\}\}")
_STATUS = re.compile(r"pm\.response\.to\.have\.status\((\d+)\)")
_CAPTURE = re.compile(r'pm\.collectionVariables\.set\("(\w+)", pm\.response\.json\(\)\["(\w+)"\]\)')


@dataclass(frozen=True)
class Result:
    """One replayed request: what was sent, what came back, and whether the test passed."""

    name: str
    method: str
    url: str
    status: int
    expected_status: int | None

    @property
    def passed(self) -> bool:
        return self.expected_status is None or self.status == self.expected_status


def _substitute(text: str, variables: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: str(variables.get(m[1], m[0])), text)


def run_collection(collection_dict: dict[str, Any], base_url: str | None = None,
                   *, timeout: float = 10) -> list[Result]:
    """Replay the collection's requests in order with ``requests``, as newman would.

    Understands what :func:`collection` generates: ``{{variables}}``, raw bodies, the status
    test and ``pm.collectionVariables.set(name, pm.response.json()[field])``.
    """
    variables = {v["key"]: v.get("value", "") for v in collection_dict.get("variable", [])}
    if base_url is not None:
        variables["baseUrl"] = base_url
    results = []
    for entry in collection_dict["item"]:
        request = entry["request"]
        url = request["url"]["raw"] if isinstance(request["url"], dict) else request["url"]
        url = _substitute(url, variables)
        headers = {h["key"]: _substitute(h["value"], variables) for h in request.get("header", [])}
        body = request.get("body", {}).get("raw")
        data = _substitute(body, variables).encode() if body is not None else None
        response = requests.request(request["method"], url, data=data, headers=headers, timeout=timeout)
        script = "\n".join(line for event in entry.get("event", []) if event["listen"] == "test"
                           for line in event["script"]["exec"])
        expected = _STATUS.search(script)
        for variable, json_field in _CAPTURE.findall(script):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                variables[variable] = str(response.json()[json_field])
        results.append(Result(entry["name"], request["method"], url, response.status_code,
                              int(expected[1]) if expected else None))
    return results


NEWMAN = ROOT / "node_modules" / ".bin" / "newman"


def run_newman(collection_dict: dict[str, Any], base_url: str | None = None, *, timeout: float = 120) -> list[Result]:
    """Run the collection with **newman**, Postman's command-line runner (pinned in ``package.json``).

    The collection goes to a temporary file, newman runs it (``--env-var baseUrl=…`` when ``base_url`` is given)
    and reports in JSON; the result is one :class:`Result` per request, as :func:`run_collection` gives, from what
    newman itself measured. Raises :class:`~lab_support.core.errors.LabError` when newman is not installed (``npm
    ci`` at the repository root installs it) or does not run.
    """
    newman = str(NEWMAN) if NEWMAN.exists() else shutil.which("newman")
    if newman is None or shutil.which("node") is None:
        raise LabError("newman (Postman's command-line runner) is not installed here.",
                       "install Node.js, then run `npm ci` at the top of the course folder; "
                       "lab.postman.run_collection replays the same collection without it.")
    with tempfile.TemporaryDirectory(prefix="lab-newman-") as folder:
        source, report = Path(folder) / "collection.json", Path(folder) / "report.json"
        source.write_text(json.dumps(collection_dict), encoding="utf-8")
        command = [newman, "run", str(source), "--reporters", "json", "--reporter-json-export", str(report)]
        if base_url is not None:
            command += ["--env-var", f"baseUrl={base_url}"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if not report.exists():
            raise LabError(f"newman did not run: {(done.stderr or done.stdout).strip()[:300]}",
                           "run the same command in a terminal to see what it says.")
        executions = json.loads(report.read_text())["run"]["executions"]
    scripts = {entry["name"]: "\n".join(line for event in entry.get("event", []) if event["listen"] == "test"
                                        for line in event["script"]["exec"]) for entry in collection_dict["item"]}
    results = []
    for run in executions:
        request, url = run["request"], run["request"]["url"]
        port = f":{url['port']}" if url.get("port") else ""
        where = f"{url.get('protocol', 'http')}://{'.'.join(url.get('host', []))}{port}/{'/'.join(url.get('path', []))}"
        expected = _STATUS.search(scripts.get(run["item"]["name"], ""))
        results.append(Result(run["item"]["name"], request["method"], where, int((run.get("response") or {}).get("code", 0)),
                              int(expected[1]) if expected else None))
    return results
