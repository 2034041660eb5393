"""A small, real REST service for "notes", served on 127.0.0.1 from a thread of the kernel.

Notebook 01 talks to it with ``requests``, curl, a request-builder widget or Postman::

    >>> import lab_support as lab
    >>> notes = lab.start_notes_service()       # any free port; lab.start_notes_service(8000) for a fixed one
    >>> notes.url                                # doctest: +SKIP
    'http://127.0.0.1:41234'

Routes (a note is ``{"id": 1, "title": "buy milk", "done": false}``):

=========  ==================  ===========================================================
method     path                what it does
=========  ==================  ===========================================================
GET        /notes              list the notes (``?done=true`` or ``?done=false`` filters)
POST       /notes              create a note from ``{"title": ..., "done": ...}``: 201 + Location
GET        /notes/{id}         read one note
PUT        /notes/{id}         replace a note (title required; done defaults to false): 200
PATCH      /notes/{id}         change only the fields sent: 200
DELETE     /notes/{id}         delete a note: 204, no body
HEAD       both paths          like GET, headers only
OPTIONS    both paths          204 with an ``Allow`` header listing the methods
=========  ==================  ===========================================================

Every error is a JSON object ``{"message": ..., "hint": ...}`` saying what went wrong and
what to do about it. The status codes and method semantics follow RFC 9110
(https://www.rfc-editor.org/rfc/rfc9110).

The code is meant to be read by a student: one WSGI application class (:class:`NotesApp`)
built on werkzeug's ``Request`` and ``Response``, and a small wrapper (:class:`NotesService`)
that serves it from a background thread.
"""

from __future__ import annotations

import errno
import json
import re
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from lab_support.core.errors import LabError
from lab_support.core.server import port_in_use_error, quiet_errors, quiet_handler, quiet_loggers

Note = dict[str, Any]

# Which methods each kind of path accepts (sent back in the Allow header).
COLLECTION_METHODS = ("GET", "HEAD", "OPTIONS", "POST")
ITEM_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "PUT")
ROUTES_HINT = "the service has /notes and /notes/{id}"
MAX_TITLE = 200
# RFC 9110 §15.5.21 renamed 422 "Unprocessable Entity" to "Unprocessable Content".
_REASONS = {422: "Unprocessable Content"}


def reason(status: int) -> str:
    """The reason phrase for ``status`` as RFC 9110 names it (``201`` → ``"Created"``)."""
    return _REASONS.get(status) or HTTPStatus(status).phrase


@dataclass(frozen=True)
class LoggedCall:
    """One request the service answered: what was asked, and the status it got."""

    method: str
    path: str
    status: int


class BadRequest(Exception):
    """Raised inside the app to answer with an error; carries the status and the JSON body."""

    def __init__(self, status: int, message: str, hint: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"message": message, "hint": hint, **extra}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with the RFC 9110 reason phrase (werkzeug would shout it in capitals)."""
    return Response(
        json.dumps(body) + "\n", status=f"{status} {reason(status)}", mimetype="application/json", headers=headers
    )


def empty_response(status: int, headers: dict[str, str] | None = None) -> Response:
    """A response without a body (``204 No Content``), so without a Content-Type either."""
    response = Response(status=f"{status} {reason(status)}", headers=headers)
    response.headers.remove("Content-Type")
    return response


class NotesApp:
    """The notes service as a WSGI application: an in-memory store plus the routes above.

    Ids are sequential integers starting at 1, so notebook outputs are the same on every
    run; :meth:`reset` empties the store and starts counting from 1 again.
    """

    _ITEM = re.compile(r"^/notes/(?P<id>[^/]+)/?$")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.notes: dict[int, Note] = {}
        self.next_id = 1
        self.log: list[LoggedCall] = []

    def reset(self) -> None:
        """Forget every note and every logged call; the next note gets id 1."""
        with self._lock:
            self.notes.clear()
            self.next_id = 1
            self.log.clear()

    # -- WSGI entry point ---------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except BadRequest as err:
            headers = {"Allow": err.body.pop("allow")} if "allow" in err.body else None
            response = json_response(err.status, err.body, headers)
        except Exception as err:  # a bug in the service: still answer in JSON
            response = json_response(500, {"message": f"The service failed: {err!r}", "hint": "this is a bug"})
        with self._lock:
            self.log.append(LoggedCall(request.method, request.full_path.rstrip("?"), response.status_code))
        return response(environ, start_response)

    # -- routing ----------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        """Find the route for the request's path, check the method, and answer."""
        path, method = request.path, request.method
        if path in ("/notes", "/notes/"):
            self._check_method(method, path, COLLECTION_METHODS)
            if method == "OPTIONS":
                return empty_response(204, {"Allow": ", ".join(COLLECTION_METHODS)})
            if method == "POST":
                return self.create(request)
            return self.list(request)  # GET and HEAD (werkzeug drops the body for HEAD)
        match = self._ITEM.match(path)
        if match:
            self._check_method(method, path, ITEM_METHODS)
            if method == "OPTIONS":
                return empty_response(204, {"Allow": ", ".join(ITEM_METHODS)})
            note_id = self._note_id(match["id"])
            if method in ("GET", "HEAD"):
                return json_response(200, self._get(note_id))
            if method == "PUT":
                return self.replace(note_id, request)
            if method == "PATCH":
                return self.update(note_id, request)
            return self.delete(note_id)
        if path == "/" and method in ("GET", "HEAD"):
            return json_response(200, {"message": "This is the notes service.", "hint": ROUTES_HINT})
        raise BadRequest(404, f"There is nothing at {path}.", ROUTES_HINT)

    @staticmethod
    def _check_method(method: str, path: str, allowed: tuple[str, ...]) -> None:
        if method not in allowed:
            raise BadRequest(
                405,
                f"{method} is not allowed on {path}.",
                f"use one of {', '.join(allowed)} here (the Allow header lists them too)",
                allow=", ".join(allowed),
            )

    @staticmethod
    def _note_id(raw: str) -> int:
        if not raw.isdigit():
            raise BadRequest(404, f"There is no note {raw!r}: note ids are whole numbers.", "GET /notes lists the ids")
        return int(raw)

    def _get(self, note_id: int) -> Note:
        with self._lock:
            note = self.notes.get(note_id)
        if note is None:
            raise BadRequest(404, f"There is no note {note_id}.", "GET /notes lists the notes that exist")
        return dict(note)

    # -- the four operations (and PATCH) -------------------------------------------------
    def list(self, request: Request) -> Response:
        """GET /notes: every note, by id; ``?done=true|false`` keeps only those."""
        done = request.args.get("done")
        if done is not None and done not in ("true", "false"):
            raise BadRequest(400, f"The query parameter done={done!r} is neither true nor false.",
                             "use /notes?done=true or /notes?done=false", field="done")
        with self._lock:
            notes = [dict(n) for _id, n in sorted(self.notes.items())]
        if done is not None:
            notes = [n for n in notes if n["done"] is (done == "true")]
        return json_response(200, notes)

    def create(self, request: Request) -> Response:
        """POST /notes: a new note with the next id; 201 Created and its Location."""
        fields = self._fields(request, partial=False, note_id=None)
        with self._lock:
            note = {"id": self.next_id, "title": fields["title"], "done": fields.get("done", False)}
            self.notes[note["id"]] = note
            self.next_id += 1
        return json_response(201, dict(note), {"Location": f"/notes/{note['id']}"})

    def replace(self, note_id: int, request: Request) -> Response:
        """PUT /notes/{id}: replace the whole note (a field left out gets its default)."""
        self._get(note_id)
        fields = self._fields(request, partial=False, note_id=note_id)
        note = {"id": note_id, "title": fields["title"], "done": fields.get("done", False)}
        with self._lock:
            self.notes[note_id] = note
        return json_response(200, dict(note))

    def update(self, note_id: int, request: Request) -> Response:
        """PATCH /notes/{id}: change only the fields that were sent."""
        self._get(note_id)
        fields = self._fields(request, partial=True, note_id=note_id)
        with self._lock:
            note = self.notes[note_id]
            note.update(fields)
            return json_response(200, dict(note))

    def delete(self, note_id: int) -> Response:
        """DELETE /notes/{id}: 204 No Content, or 404 if it is already gone."""
        self._get(note_id)
        with self._lock:
            self.notes.pop(note_id, None)
        return empty_response(204)

    # -- reading and checking a JSON body ----------------------------------------------------
    def _fields(self, request: Request, *, partial: bool, note_id: int | None) -> dict[str, Any]:
        body = self._json_body(request)
        if not isinstance(body, dict):
            raise BadRequest(400, f"The body must be a JSON object, not a JSON {_json_type(body)}.",
                             'send an object such as {"title": "buy milk", "done": false}')
        fields: dict[str, Any] = {}
        for key, value in body.items():
            if key == "id":
                if note_id is None or value != note_id:
                    raise BadRequest(422, "The service chooses note ids: leave id out of the body.",
                                     "remove the id field", field="id")
            elif key == "title":
                if not isinstance(value, str) or not value.strip():
                    raise BadRequest(422, "title must be a non-empty string.",
                                     'e.g. "title": "buy milk"', field="title")
                if len(value) > MAX_TITLE:
                    raise BadRequest(422, f"title is {len(value)} characters long; at most {MAX_TITLE} are allowed.",
                                     "shorten the title", field="title")
                fields["title"] = value
            elif key == "done":
                if not isinstance(value, bool):
                    raise BadRequest(422, f"done must be true or false, not {json.dumps(value)}.",
                                     "write true or false without quotes", field="done")
                fields["done"] = value
            else:
                raise BadRequest(422, f"Unknown field {key!r}.", "a note has the fields title and done", field=key)
        if not partial and "title" not in fields:
            raise BadRequest(422, "The field title is missing.", 'send e.g. {"title": "buy milk"}', field="title")
        if partial and not fields:
            raise BadRequest(422, "Nothing to change: the body has neither title nor done.",
                             'send e.g. {"done": true}', field="title")
        return fields

    @staticmethod
    def _json_body(request: Request) -> Any:
        raw = request.get_data()
        content_hint = "send the header Content-Type: application/json"
        if not raw.strip():
            raise BadRequest(400, "The request has no body.", f'send a JSON object such as {{"title": "buy milk"}}; '
                                                              f"{content_hint}")
        mimetype = request.mimetype
        if mimetype != "application/json" and not mimetype.endswith("+json"):
            said = f"is sent as {mimetype}" if mimetype else "has no Content-Type header"
            raise BadRequest(415, f"The body {said}, so it is not read as JSON.",
                             f"{content_hint} (curl: -H 'Content-Type: application/json'; requests: json=...)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(400, "The body is not UTF-8 text.", "JSON must be encoded as UTF-8") from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise BadRequest(
                400,
                f"The body is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}.",
                f"fix the JSON near line {err.lineno}, column {err.colno} (strings need double quotes, "
                f"no trailing commas); {content_hint}",
                line=err.lineno,
                column=err.colno,
            ) from None


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


# werkzeug logs every request, refused request and traceback to stderr, which would land in notebook outputs:
# the embedded server's quiet handler answers protocol errors in JSON and logs to memory (core.server).
_QuietHandler = quiet_handler(WSGIRequestHandler)


class NotesService:
    """The notes service running on ``127.0.0.1``: its URL, its state, and how to stop it.

    Attributes:
        url: base URL, e.g. ``http://127.0.0.1:41234`` (add ``/notes``).
        app: the :class:`NotesApp` (its ``notes`` and ``log`` are the live state).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.app = NotesApp()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._bind(port)

    def _bind(self, port: int) -> None:
        # Bind the socket ourselves: werkzeug's make_server calls sys.exit(1) on a busy port.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, port))
        except OSError as err:
            sock.close()
            if err.errno == errno.EADDRINUSE:
                raise port_in_use_error(self.host, port) from None
            raise
        sock.listen(64)
        quiet_loggers()
        try:
            self._server = make_server(
                self.host, port, self.app, threaded=True, request_handler=_QuietHandler, fd=sock.fileno()
            )
        finally:
            sock.close()  # the server holds its own duplicate of the socket
        quiet_errors(self._server)
        self._thread = threading.Thread(target=self._server.serve_forever, name="lab-notes-service", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        """The port the service listens on."""
        if self._server is None:
            raise LabError("The notes service is stopped.", "start it again with lab.start_notes_service().")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL of the service (paths start with ``/notes``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """True until :meth:`stop`."""
        return self._server is not None

    @property
    def notes(self) -> list[Note]:
        """A copy of every note, by id (what ``GET /notes`` would answer)."""
        with self.app._lock:
            return [dict(n) for _id, n in sorted(self.app.notes.items())]

    @property
    def log(self) -> list[LoggedCall]:
        """Every request answered since the last reset, oldest first."""
        with self.app._lock:
            return list(self.app.log)

    def reset(self) -> NotesService:
        """Delete every note and forget the log; ids start at 1 again. Returns the service."""
        self.app.reset()
        return self

    def stop(self) -> None:
        """Stop serving and free the port (no error if already stopped)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        global _SERVICE
        with _LOCK:
            if _SERVICE is self:
                _SERVICE = None

    def __repr__(self) -> str:
        if not self.running:
            return "<NotesService stopped>"
        count = len(self.app.notes)
        return f"<NotesService {self.url} with {count} note{'s' if count != 1 else ''}>"


_SERVICE: NotesService | None = None
_LOCK = threading.RLock()


def start_notes_service(port: int = 0) -> NotesService:
    """Start the notes service on ``127.0.0.1`` (any free port by default) and return it.

    Calling it again returns the running service with its notes: "Run all" twice works.
    Raises :class:`~lab_support.core.errors.PortInUse` when a fixed ``port`` is taken.
    """
    global _SERVICE
    with _LOCK:
        if _SERVICE is not None and _SERVICE.running:
            if port not in (0, _SERVICE.port):
                raise LabError(
                    f"The notes service already runs at {_SERVICE.url}.",
                    "use that one, or call lab.stop_notes_service() first to start it on another port.",
                )
            return _SERVICE
        quiet_loggers()
        _SERVICE = NotesService("127.0.0.1", port)
        return _SERVICE


def current_notes_service() -> NotesService:
    """The running notes service; a :class:`LabError` with the fix if there is none."""
    if _SERVICE is None or not _SERVICE.running:
        raise LabError("The notes service is not running.", "start it with `notes = lab.start_notes_service()`.")
    return _SERVICE


def stop_notes_service() -> None:
    """Stop the notes service if it runs."""
    if _SERVICE is not None:
        _SERVICE.stop()


def _reset_notes_service() -> None:
    if _SERVICE is not None:
        _SERVICE.reset()


def install(session: Any) -> None:
    """Session extension: ``lab.reset()`` empties the notes, ``lab.stop()`` stops the service."""
    session.on_reset(_reset_notes_service)
    session.on_stop(stop_notes_service)
