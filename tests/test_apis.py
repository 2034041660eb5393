"""curl lines, show(), send() and the request-builder widget of notebook 01."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import requests

import lab_support as lab
from lab_support.core.errors import LabError
from lab_support.course.http import RequestBuilder, curl_line, format_response, shell_quote, status_text
from lab_support.course.services.notes import NotesService


def test_curl_line_shapes() -> None:
    url = "http://127.0.0.1:8000/notes"
    assert curl_line("GET", url) == "curl -i 'http://127.0.0.1:8000/notes'"
    assert curl_line("head", url) == "curl -I 'http://127.0.0.1:8000/notes'"
    assert curl_line("DELETE", url + "/1") == "curl -i -X DELETE 'http://127.0.0.1:8000/notes/1'"
    assert curl_line("POST", url, json={"title": "buy milk"}) == (
        "curl -i -X POST 'http://127.0.0.1:8000/notes' -H 'Content-Type: application/json' "
        "--data-binary '{\"title\": \"buy milk\"}'")
    # a Content-Type given by the caller is not doubled
    line = curl_line("PUT", url, json={"a": 1}, headers={"content-type": "application/merge-patch+json"})
    assert line.count("-H") == 1 and "merge-patch" in line
    # a raw body starting with @ must not make curl read a file
    assert curl_line("POST", url, data="@etc").endswith("--data-raw '@etc'")
    assert shell_quote("it's") == "'it'\\''s'"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_curl_line_runs_in_a_shell(notes_service: NotesService) -> None:
    title = "it's $HOME & `date` \"quoted\" ünïcode"
    line = curl_line("POST", f"{notes_service.url}/notes?x=1&y=2", json={"title": title})
    out = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=20, check=True).stdout
    assert out.startswith("HTTP/1.1 201 Created")
    assert notes_service.notes == [{"id": 1, "title": title, "done": False}]
    raw = subprocess.run(["bash", "-c", curl_line("POST", f"{notes_service.url}/notes", data='{"title": "x",}',
                                                  headers={"Content-Type": "application/json"})],
                         capture_output=True, text=True, timeout=20, check=True).stdout
    assert "400 Bad Request" in raw and "column 15" in raw


def test_show_is_compact_and_stable(notes_service: NotesService, capsys: pytest.CaptureFixture[str]) -> None:
    r = requests.post(f"{notes_service.url}/notes", json={"title": "buy milk"})
    lab.show(r)
    assert capsys.readouterr().out == (
        "HTTP/1.1 201 Created\n"
        "Content-Type: application/json\n"
        "Location: /notes/1\n"
        "Content-Length: 46\n"
        "\n"
        "{\n"
        '  "id": 1,\n'
        '  "title": "buy milk",\n'
        '  "done": false\n'
        "}\n"
    )
    assert "Date" in r.headers and "Date:" not in format_response(r) and "Server:" not in format_response(r)
    r = requests.delete(f"{notes_service.url}/notes/1")
    assert format_response(r) == "HTTP/1.1 204 No Content\n\n(no body)"
    r = requests.put(f"{notes_service.url}/notes", json={})
    assert "Allow: GET, HEAD, OPTIONS, POST" in format_response(r).splitlines()


def test_send_prints_curl_and_response(notes_service: NotesService, capsys: pytest.CaptureFixture[str]) -> None:
    r = lab.send("POST", "/notes", {"title": "a"}, base_url=notes_service.url)
    out = capsys.readouterr().out
    assert r.status_code == 201
    assert out.startswith(f"$ curl -i -X POST '{notes_service.url}/notes' -H 'Content-Type: application/json'")
    assert "\n\nHTTP/1.1 201 Created\n" in out
    # a full URL needs no base; a raw malformed body goes out as is
    r = lab.send("POST", f"{notes_service.url}/notes", data="{oops", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "--data-binary '{oops'" in capsys.readouterr().out


def test_send_uses_the_running_service_and_explains_when_none(capsys: pytest.CaptureFixture[str]) -> None:
    lab.stop_notes_service()
    with pytest.raises(LabError, match="not running"):
        lab.send("GET", "/notes")
    service = lab.start_notes_service()
    try:
        assert lab.send("GET", "notes").json() == []
        port = service.port
    finally:
        lab.stop_notes_service()
    capsys.readouterr()
    with pytest.raises(LabError, match="Nothing answers"):
        lab.send("GET", f"http://127.0.0.1:{port}/notes")


def test_request_builder_via_click(notes_service: NotesService) -> None:
    b = lab.request_builder(notes_service.url)
    assert isinstance(b, RequestBuilder) and b.last_status is None
    assert list(b.method.options) == ["GET", "POST", "PUT", "PATCH", "DELETE"]

    b.method.value, b.path.value, b.body.value = "POST", "/notes", '{"title": "from the form"}'
    b.send_button.click()
    assert b.last_status == 201
    assert b.last_headers["Location"] == "/notes/1"
    assert b.last_body == {"id": 1, "title": "from the form", "done": False}
    assert b.status.value == "201 Created" and b.last_error is None
    shown = b.output.outputs[0]["text"]
    assert shown.startswith(f"$ curl -i -X POST '{notes_service.url}/notes'") and "HTTP/1.1 201 Created" in shown
    assert len(b.output.outputs) == 1

    # GET ignores the body box
    b.method.value, b.path.value = "GET", "/notes/1"
    b.send_button.click()
    assert b.last_status == 200 and b.last_body["title"] == "from the form"

    b.method.value, b.path.value = "DELETE", "/notes/1"
    b.send_button.click()
    assert b.last_status == 204 and b.last_body is None
    b.send_button.click()
    assert b.last_status == 404 and b.last_body["message"] == "There is no note 1."


def test_request_builder_malformed_json_sends_nothing(notes_service: NotesService) -> None:
    b = lab.request_builder(notes_service.url)
    b.method.value, b.body.value = "PUT", '{\n  "title": "x",\n}'
    b.path.value = "/notes/1"
    b.send_button.click()  # no exception
    assert b.last_status is None
    assert b.last_error is not None and "line 3, column 1" in b.last_error
    assert b.status.value.startswith("✋ The JSON body is not valid")
    assert "Nothing was sent" in b.output.outputs[0]["text"]
    assert notes_service.log == []
    # the form recovers once the JSON is fixed
    b.method.value, b.path.value, b.body.value = "POST", "/notes", '{"title": "x"}'
    b.send_button.click()
    assert b.last_status == 201 and b.last_error is None


def test_request_builder_unreachable_and_display() -> None:
    with socket_port() as port:
        b = RequestBuilder(f"http://127.0.0.1:{port}")
    b.send_button.click()
    assert b.last_status is None and "No answer" in (b.last_error or "")
    bundle = b._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("RequestBuilder('http://127.0.0.1:")


class socket_port:
    """A port that was free a moment ago (nothing listens on it after the with block)."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def test_show_cuts_long_values_and_full_prints_all(capsys: pytest.CaptureFixture[str]) -> None:
    record = {f"key{i}": i for i in range(40)}
    lab.show(record)
    cut = capsys.readouterr().out.splitlines()
    assert len(cut) == 16 and cut[-1] == "… 27 more lines (show it with full=True to see them all)"
    lab.show(record, full=True)
    assert len(capsys.readouterr().out.splitlines()) == 42


def test_status_lines_use_the_rfc_reason_phrase() -> None:
    assert status_text(201) == "201 Created" and status_text(502) == "502 Bad Gateway"
    assert status_text(299) == "299"
