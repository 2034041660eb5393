"""The Postman collection of notebook 01: v2.1 structure, the stored file, and a live replay."""

from __future__ import annotations

import json
import shutil

import pytest
import requests

import lab_support as lab
from lab_support.course import postman
from lab_support.course.postman import SCHEMA, Call, collection, run_collection
from lab_support.course.services.notes import NotesService


def test_structure_is_v2_1() -> None:
    c = lab.notes_collection("http://127.0.0.1:9999")
    assert SCHEMA == "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    assert c["info"]["schema"] == SCHEMA and c["info"]["name"]
    assert {"key": "baseUrl", "value": "http://127.0.0.1:9999", "type": "string"} in c["variable"]
    assert any(v["key"] == "noteId" for v in c["variable"])
    assert len(c["item"]) == len(postman.NOTES_CALLS) >= 8
    methods = set()
    for entry in c["item"]:
        request = entry["request"]
        methods.add(request["method"])
        assert request["url"]["raw"].startswith("{{baseUrl}}/")
        assert request["url"]["host"] == ["{{baseUrl}}"]
        assert request["url"]["raw"].split("?")[0] == "{{baseUrl}}/" + "/".join(request["url"]["path"])
        (event,) = entry["event"]
        assert event["listen"] == "test" and event["script"]["type"] == "text/javascript"
        assert any("pm.response.to.have.status(" in line for line in event["script"]["exec"])
        if "body" in request:
            assert request["body"]["mode"] == "raw"
            assert {"key": "Content-Type", "value": "application/json"} in request["header"]
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= methods
    done = next(e for e in c["item"] if "?" in e["request"]["url"]["raw"])
    assert done["request"]["url"]["query"] == [{"key": "done", "value": "true"}]
    json.dumps(c)  # plain JSON


def test_stored_file_matches_the_generator(tmp_path) -> None:
    stored = json.loads(postman.NOTES_COLLECTION_PATH.read_text())
    assert stored == lab.notes_collection("http://127.0.0.1:8000")
    out = lab.write_collection(tmp_path / "sub" / "c.json", base_url="http://127.0.0.1:1234")
    assert json.loads(out.read_text())["variable"][0]["value"] == "http://127.0.0.1:1234"


def test_replaying_the_collection_gives_the_expected_statuses(notes_service: NotesService) -> None:
    results = run_collection(lab.notes_collection(), base_url=notes_service.url)
    assert [(r.method, r.status) for r in results] == [
        ("GET", 200), ("POST", 201), ("GET", 200), ("PUT", 200), ("PATCH", 200), ("GET", 200),
        ("DELETE", 204), ("GET", 404), ("POST", 400), ("POST", 422), ("PUT", 405), ("GET", 404)]
    assert all(r.passed for r in results), [r for r in results if not r.passed]
    assert results[2].url == f"{notes_service.url}/notes/1"  # noteId was captured from the POST


def test_replay_independently_of_run_collection(notes_service: NotesService) -> None:
    """Replay with plain requests, reading only the collection JSON (as newman would)."""
    c = json.loads(json.dumps(lab.notes_collection()))
    variables = {v["key"]: v["value"] for v in c["variable"]}
    variables["baseUrl"] = notes_service.url
    for entry in c["item"]:
        req = entry["request"]
        url = req["url"]["raw"]
        for k, v in variables.items():
            url = url.replace("{{" + k + "}}", str(v))
        r = requests.request(req["method"], url, data=req.get("body", {}).get("raw"),
                             headers={h["key"]: h["value"] for h in req["header"]})
        script = "\n".join(entry["event"][0]["script"]["exec"])
        assert f"pm.response.to.have.status({r.status_code});" in script, (entry["name"], r.status_code)
        if "noteId" in script and r.status_code == 201:
            variables["noteId"] = r.json()["id"]


def test_generator_is_general(notes_service: NotesService) -> None:
    calls = [
        Call("make", "POST", "/notes", {"title": "t"}, 201, capture={"first": "id"}),
        Call("fail on purpose", "GET", "/notes/{{first}}", expected_status=418),
    ]
    c = collection("Mine", calls, base_url=notes_service.url, variables={"stage": "prod"})
    assert [v["key"] for v in c["variable"]] == ["baseUrl", "stage", "first"]
    results = run_collection(c)
    assert [(r.status, r.passed) for r in results] == [(201, True), (200, False)]


@pytest.mark.skipif(not postman.NEWMAN.exists() or shutil.which("node") is None,
                    reason="newman is not installed (npm ci at the repository root installs it)")
def test_run_newman_reports_what_newman_measured(notes_service: NotesService) -> None:
    results = postman.run_newman(lab.notes_collection(), base_url=notes_service.url)
    assert [(r.method, r.status) for r in results][:3] == [("GET", 200), ("POST", 201), ("GET", 200)]
    assert all(r.passed for r in results) and results[2].url == f"{notes_service.url}/notes/1"
    wrong = lab.notes_collection()
    wrong["item"][0]["event"][0]["script"]["exec"] = ["pm.test('status', function () {",
                                                      "    pm.response.to.have.status(418);", "});"]
    first = postman.run_newman(wrong, base_url=notes_service.url)[0]
    assert (first.status, first.expected_status, first.passed) == (200, 418, False)


def test_run_newman_explains_a_missing_newman(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postman, "NEWMAN", postman.ROOT / "no-such-newman")
    monkeypatch.setattr(postman.shutil, "which", lambda name: None)
    with pytest.raises(lab.LabError, match=r"newman .* is not installed"):
        postman.run_newman(lab.notes_collection())
