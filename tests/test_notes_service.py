"""The notes service of notebook 01: CRUD semantics, status codes, error bodies, lifecycle."""

from __future__ import annotations

import socket

import pytest
import requests

import lab_support as lab
from lab_support.core.errors import LabError, PortInUse
from lab_support.course.services import notes as notes_module
from lab_support.course.services.notes import NotesService


def test_crud_round_trip(notes_service: NotesService) -> None:
    u = notes_service.url
    assert requests.get(f"{u}/notes").json() == []

    r = requests.post(f"{u}/notes", json={"title": "buy milk"})
    assert (r.status_code, r.reason) == (201, "Created")
    assert r.headers["Location"] == "/notes/1"
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"id": 1, "title": "buy milk", "done": False}
    assert requests.post(f"{u}/notes", json={"title": "walk", "done": True}).json()["id"] == 2

    assert requests.get(f"{u}/notes/1").json() == {"id": 1, "title": "buy milk", "done": False}
    r = requests.put(f"{u}/notes/1", json={"title": "buy milk", "done": True})
    assert r.status_code == 200 and r.json()["done"] is True
    # PUT replaces the whole note: a field left out gets its default back
    assert requests.put(f"{u}/notes/1", json={"title": "buy oat milk"}).json() == {
        "id": 1, "title": "buy oat milk", "done": False}
    # PATCH changes only what is sent
    assert requests.patch(f"{u}/notes/1", json={"done": True}).json() == {
        "id": 1, "title": "buy oat milk", "done": True}
    # PUT with the id of the note itself (GET, edit, PUT back) is fine
    assert requests.put(f"{u}/notes/1", json={"id": 1, "title": "buy oat milk", "done": True}).status_code == 200

    assert [n["id"] for n in requests.get(f"{u}/notes").json()] == [1, 2]
    assert [n["id"] for n in requests.get(f"{u}/notes", params={"done": "true"}).json()] == [1, 2]
    requests.patch(f"{u}/notes/2", json={"done": False})
    assert [n["id"] for n in requests.get(f"{u}/notes?done=false").json()] == [2]

    r = requests.delete(f"{u}/notes/1")
    assert (r.status_code, r.reason, r.content) == (204, "No Content", b"")
    assert "Content-Type" not in r.headers
    # DELETE is idempotent in its effect (the note stays gone), though the second answer is 404
    assert requests.delete(f"{u}/notes/1").status_code == 404
    assert requests.get(f"{u}/notes/1").status_code == 404
    assert notes_service.notes == [{"id": 2, "title": "walk", "done": False}]
    # ids are never reused until a reset
    assert requests.post(f"{u}/notes", json={"title": "x"}).json()["id"] == 3


def test_head_and_options(notes_service: NotesService) -> None:
    requests.post(f"{notes_service.url}/notes", json={"title": "a"})
    get, head = requests.get(f"{notes_service.url}/notes"), requests.head(f"{notes_service.url}/notes")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    r = requests.options(f"{notes_service.url}/notes")
    assert r.status_code == 204 and r.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    r = requests.options(f"{notes_service.url}/notes/1")
    assert r.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"


def test_wrong_method_is_405_with_allow(notes_service: NotesService) -> None:
    r = requests.put(f"{notes_service.url}/notes", json={"title": "x"})
    assert (r.status_code, r.reason) == (405, "Method Not Allowed")
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert r.json()["message"] == "PUT is not allowed on /notes."
    assert "allow" not in r.json()
    assert requests.post(f"{notes_service.url}/notes/1", json={"title": "x"}).headers["Allow"].startswith("DELETE, GET")


def test_unknown_path_and_unknown_id(notes_service: NotesService) -> None:
    r = requests.get(f"{notes_service.url}/note")
    assert r.status_code == 404
    assert r.json() == {"message": "There is nothing at /note.", "hint": "the service has /notes and /notes/{id}"}
    r = requests.get(f"{notes_service.url}/notes/42")
    assert r.status_code == 404 and r.json()["message"] == "There is no note 42."
    assert "GET /notes" in r.json()["hint"]
    assert requests.get(f"{notes_service.url}/notes/abc").json()["message"].startswith("There is no note 'abc'")
    assert requests.put(f"{notes_service.url}/notes/9", json={"title": "x"}).status_code == 404
    assert requests.delete(f"{notes_service.url}/notes/9").status_code == 404


def test_malformed_json_says_where(notes_service: NotesService) -> None:
    r = requests.post(f"{notes_service.url}/notes", data='{\n  "title": "buy milk",\n}',
                      headers={"Content-Type": "application/json"})
    assert (r.status_code, r.reason) == (400, "Bad Request")
    body = r.json()
    assert (body["line"], body["column"]) == (3, 1)
    assert "line 3, column 1" in body["message"]
    assert "Content-Type: application/json" in body["hint"]
    assert notes_service.notes == []


def test_body_problems(notes_service: NotesService) -> None:
    u = f"{notes_service.url}/notes"
    # no Content-Type (requests' data=) -> 415 telling which header to send
    r = requests.post(u, data='{"title": "x"}')
    assert r.status_code == 415 and "no Content-Type header" in r.json()["message"]
    assert "Content-Type: application/json" in r.json()["hint"]
    r = requests.post(u, data='{"title": "x"}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and "text/plain" in r.json()["message"]
    # JSON with a charset parameter, or +json types, are accepted
    assert requests.post(u, data='{"title": "x"}',
                         headers={"Content-Type": "application/json; charset=utf-8"}).status_code == 201
    # no body at all
    r = requests.post(u, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["message"] == "The request has no body."
    # not an object
    r = requests.post(u, json=["buy milk"])
    assert r.status_code == 400 and "JSON array" in r.json()["message"]
    # fields: missing, wrong type, unknown, id chosen by client
    cases = [
        ({"done": True}, "title"), ({"title": ""}, "title"), ({"title": 3}, "title"),
        ({"title": "x", "done": "true"}, "done"), ({"title": "x", "titel": "y"}, "titel"),
        ({"id": 7, "title": "x"}, "id"), ({"title": "x" * 201}, "title"),
    ]
    for body, field in cases:
        r = requests.post(u, json=body)
        assert (r.status_code, r.reason) == (422, "Unprocessable Content"), body
        assert r.json()["field"] == field, body
        assert r.json()["hint"]
    r = requests.patch(f"{notes_service.url}/notes/1", json={})
    assert r.status_code == 422 and "Nothing to change" in r.json()["message"]
    r = requests.get(u, params={"done": "yes"})
    assert r.status_code == 400 and r.json()["field"] == "done"


def test_log_and_reset(notes_service: NotesService) -> None:
    requests.post(f"{notes_service.url}/notes", json={"title": "a"})
    requests.get(f"{notes_service.url}/notes?done=true")
    requests.get(f"{notes_service.url}/nope")
    assert [(c.method, c.path, c.status) for c in notes_service.log] == [
        ("POST", "/notes", 201), ("GET", "/notes?done=true", 200), ("GET", "/nope", 404)]
    assert repr(notes_service).endswith("with 1 note>")
    assert notes_service.reset() is notes_service
    assert notes_service.notes == [] and notes_service.log == []
    assert requests.post(f"{notes_service.url}/notes", json={"title": "b"}).json()["id"] == 1


def test_port_in_use_is_a_lab_error() -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        with pytest.raises(PortInUse) as info:
            NotesService(port=port)
        assert f"Port {port}" in str(info.value) and "Fix:" in str(info.value)
    finally:
        holder.close()


def test_start_is_idempotent_and_stop_frees_the_port() -> None:
    lab.stop_notes_service()
    first = lab.start_notes_service()
    try:
        requests.post(f"{first.url}/notes", json={"title": "kept"})
        again = lab.start_notes_service()
        assert again is first and again.notes[0]["title"] == "kept"
        assert lab.start_notes_service(first.port) is first
        with pytest.raises(LabError, match="already runs"):
            lab.start_notes_service(first.port + 1 if first.port < 65535 else first.port - 1)
        port = first.port
    finally:
        lab.stop_notes_service()
    assert not first.running and repr(first) == "<NotesService stopped>"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/notes", timeout=2)
    with pytest.raises(LabError):
        notes_module.current_notes_service()
    # a fixed port can be taken again right after a stop
    again = lab.start_notes_service(port)
    try:
        assert again is not first and again.port == port and again.notes == []
    finally:
        again.stop()


def test_session_reset_and_stop_reach_the_service() -> None:
    was_running = lab.core.session._SESSION is not None
    aws = lab.start()
    service = lab.start_notes_service()
    try:
        # requests to 127.0.0.1 pass moto's mock and the network guard
        requests.post(f"{service.url}/notes", json={"title": "x"})
        assert len(service.notes) == 1
        lab.reset()
        assert service.notes == [] and aws is lab.current()
        if not was_running:
            lab.stop()
            assert not service.running
    finally:
        lab.stop_notes_service()


def test_exercise_01_1_looks_at_state() -> None:
    lab.stop_notes_service()
    assert "not running" in repr(lab.check("01.1"))
    service = lab.start_notes_service()
    try:
        refused = requests.post(f"{service.url}/notes", data="title=book the dentist")
        result = lab.check("01.1", refused)
        assert not result and 'there is no note "book the dentist" yet' in repr(result)
        assert f"The service answered {refused.status_code}" in repr(result), "the check quotes the refusal"
        requests.post(f"{service.url}/notes", json={"title": "book the dentist", "done": True})
        assert "it is done" in repr(lab.check("01.1"))
    finally:
        lab.stop_notes_service()


def test_exercise_01_2_asks_for_a_prediction_first_then_explains() -> None:
    lab.start_notes_service()
    try:
        assert "record your prediction first" in repr(lab.check("01.2"))
        assert "record your prediction first" in repr(lab.check("01.2", prediction={"statuses": [201, 201]}))
        wrong = lab.check("01.2", prediction={"statuses": [201, 200, 204, 204], "notes_left": 0})
        assert wrong.solved and "what happened was" in repr(wrong), "an honest wrong prediction is explained"
    finally:
        lab.stop_notes_service()
