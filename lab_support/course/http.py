"""Seeing HTTP calls: curl lines, a readable view of responses, and a request-builder widget.

>>> print(curl_line("POST", "http://127.0.0.1:8000/notes", json={"title": "buy milk"}))
curl -i -X POST 'http://127.0.0.1:8000/notes' -H 'Content-Type: application/json' --data-binary '{"title": "buy milk"}'

* :func:`curl_line`: the curl command that sends the same request (copy it into a terminal).
* :func:`show`: print a response compactly (status line, the headers worth reading, the JSON body), or any
  long value cut to its first lines (``full=True`` prints it all); :func:`status_text`: ``201 Created``.
* :func:`send`: print the curl line, send the request with ``requests``, show the response.
* :func:`request_builder`: a small Postman-like form (ipywidgets) inside the notebook.
"""

from __future__ import annotations

import json as _json
import sys
from http import HTTPStatus
from typing import Any

import requests

from lab_support.core.errors import LabError
from lab_support.course.services.notes import current_notes_service

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Date and Server change from call to call or machine to machine: not worth a student's attention.
INTERESTING_HEADERS = ("Content-Type", "Location", "Allow", "Content-Length")
_HTTP_VERSIONS = {9: "HTTP/0.9", 10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}
MAX_TEXT = 2000


def shell_quote(text: str) -> str:
    """``text`` in single quotes for a POSIX shell (bash, zsh): nothing inside is expanded.

    A single quote inside becomes ``'\\''`` (close the quotes, an escaped quote, reopen).
    """
    return "'" + text.replace("'", "'\\''") + "'"


def _body_text(json: Any, data: str | bytes | None) -> str | None:
    if json is not None:
        # The same text requests sends for json=... (json.dumps with its default separators).
        return _json.dumps(json)
    if isinstance(data, bytes):
        return data.decode("utf-8")
    return data


def curl_line(
    method: str,
    url: str,
    json: Any = None,
    headers: dict[str, str] | None = None,
    *,
    data: str | bytes | None = None,
) -> str:
    """A curl command sending the same request as ``requests.request(method, url, json=..., headers=...)``.

    ``-i`` makes curl print the response's status line and headers too. Every argument is
    single-quoted, so the line can be pasted into bash or zsh as it is (Windows ``cmd``
    quotes differently: use Git Bash or WSL there). ``data`` is a raw body, sent as is.
    """
    method = method.upper()
    parts = ["curl", "-I" if method == "HEAD" else "-i"]
    if method not in ("GET", "HEAD"):
        parts += ["-X", method]
    parts.append(shell_quote(url))
    all_headers = dict(headers or {})
    if json is not None and not any(k.lower() == "content-type" for k in all_headers):
        all_headers["Content-Type"] = "application/json"
    for name, value in all_headers.items():
        parts += ["-H", shell_quote(f"{name}: {value}")]
    body = _body_text(json, data)
    if body is not None:
        # -d would read a file if the body started with "@"; --data-raw never does.
        # --data-binary sends the body byte for byte (-d strips newlines); unlike -d it never reads a file
        # unless the body starts with "@", where --data-raw is the exact form.
        parts += ["--data-raw" if body.startswith("@") else "--data-binary", shell_quote(body)]
    return " ".join(parts)


def format_response(response: requests.Response, headers: tuple[str, ...] = INTERESTING_HEADERS) -> str:
    """The text :func:`show` prints: status line, chosen headers, blank line, body."""
    version = _HTTP_VERSIONS.get(getattr(response.raw, "version", 11), "HTTP/1.1")
    lines = [f"{version} {status_text(response.status_code)}"]
    for name in headers:
        if name in response.headers:
            lines.append(f"{name}: {response.headers[name]}")
    lines.append("")
    lines.append(format_body(response.content, response.headers.get("Content-Type", "")))
    return "\n".join(lines)


def format_body(content: bytes, content_type: str = "") -> str:
    """A body for reading: JSON pretty-printed, other text as is (cut after 2000 characters)."""
    if not content:
        return "(no body)"
    text = content.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            return _json.dumps(_json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"… ({len(text) - MAX_TEXT} more characters)"


def status_text(code: int) -> str:
    """``"201 Created"``: the code with its reason phrase as RFC 9110 spells it, whatever the server sent."""
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


SHOWN_LINES = 15


def show(value: Any, full: bool = False, *, headers: tuple[str, ...] = INTERESTING_HEADERS,
         lines: int = SHOWN_LINES) -> None:
    """Print ``value`` for reading: an HTTP response (status line, the headers worth reading, the body),
    or any JSON-like value pretty-printed, or text.

    Long values are cut after ``lines`` lines, saying how many more there are; ``full=True`` prints all of
    it. For a response only ``headers`` are shown (by default Content-Type, Location, Allow,
    Content-Length); ``response.headers`` has them all.
    """
    if isinstance(value, requests.Response):
        text = format_response(value, headers)
    elif isinstance(value, str | bytes):
        text = format_body(value.encode() if isinstance(value, str) else value)
    else:
        text = _json.dumps(value, indent=2, ensure_ascii=False, default=str)
    all_lines = text.split("\n")
    if not full and len(all_lines) > lines:
        hidden = len(all_lines) - lines
        text = "\n".join(all_lines[:lines]) + f"\n… {hidden} more lines (show it with full=True to see them all)"
    # One write, newline included: print() writes the text and its newline separately, and a kernel may send
    # them as two stream messages, which a stored notebook then shows as a split stream.
    sys.stdout.write(text + "\n")


def resolve_url(path_or_url: str, base_url: str | None = None) -> str:
    """A full URL: ``path_or_url`` itself if it has a scheme, else joined to ``base_url``.

    Without ``base_url`` a path is taken relative to the running notes service.
    """
    if path_or_url.startswith(("http://", "https://")):
        return path_or_url
    if base_url is None:
        base_url = current_notes_service().url
    return base_url.rstrip("/") + "/" + path_or_url.lstrip("/")


def send(
    method: str,
    path_or_url: str,
    json: Any = None,
    *,
    data: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    base_url: str | None = None,
    timeout: float = 10,
) -> requests.Response:
    """Print the curl line, send the request with ``requests``, print the response; return it.

    ``path_or_url`` may be a path (``"/notes/1"``), taken relative to ``base_url`` or, without
    it, to the running notes service. ``json`` is sent as a JSON body; ``data`` as a raw body.
    """
    url = resolve_url(path_or_url, base_url)
    print("$ " + curl_line(method, url, json, headers, data=data))
    print()
    try:
        response = requests.request(method.upper(), url, json=json, data=data, headers=headers, timeout=timeout)
    except requests.ConnectionError:
        raise LabError(
            f"Nothing answers at {url}.",
            "check the URL; for the notes service run `notes = lab.start_notes_service()` first.",
        ) from None
    show(response)
    return response


class RequestBuilder:
    """A small Postman-like form: method, path, JSON body, Send; the response below.

    Besides showing the response, it keeps the last result in attributes, so it can be
    driven from code (and tested without a browser)::

        builder.method.value = "POST"
        builder.send_button.click()
        builder.last_status        # 201

    Attributes:
        last_status: status code of the last response (``None`` if nothing was sent).
        last_headers: the response headers shown (Content-Type, Location, Allow, Content-Length).
        last_body: the response body, parsed if it is JSON.
        last_error: why the last Send sent nothing (e.g. the JSON body is broken), else ``None``.
        last_curl: the curl line of the last request sent.
    """

    def __init__(self, base_url: str) -> None:
        import ipywidgets as w

        self.base_url = base_url.rstrip("/")
        self.method = w.Dropdown(options=list(METHODS), value="GET", description="Method")
        self.path = w.Text(value="/notes", description="Path", placeholder="/notes or /notes/1")
        self.body = w.Textarea(
            value='{\n  "title": "buy milk"\n}',
            description="JSON body",
            placeholder="used by POST, PUT and PATCH",
            layout=w.Layout(width="60%", height="7em"),
        )
        self.send_button = w.Button(description="Send", button_style="primary", icon="paper-plane")
        self.status = w.Label(value="Choose a method and a path, then press Send.")
        self.output = w.Output(layout=w.Layout(border="1px solid #ccc", padding="0.5em"))
        self.widget = w.VBox(
            [w.HBox([self.method, self.path, self.send_button]), self.body, self.status, self.output]
        )
        self.last_status: int | None = None
        self.last_headers: dict[str, str] = {}
        self.last_body: Any = None
        self.last_error: str | None = None
        self.last_curl: str | None = None
        self.send_button.on_click(lambda _button: self.send())

    def _print(self, text: str) -> None:
        # Set the Output's content directly: works with or without a browser attached.
        self.output.outputs = ()
        self.output.append_stdout(text + "\n")

    def send(self) -> int | None:
        """Send what the form says (what the Send button does); returns the status code."""
        method, url = self.method.value, resolve_url(self.path.value.strip() or "/", self.base_url)
        payload: Any = None
        if method in ("POST", "PUT", "PATCH") and self.body.value.strip():
            try:
                payload = _json.loads(self.body.value)
            except _json.JSONDecodeError as err:
                self.last_status, self.last_headers, self.last_body = None, {}, None
                self.last_error = (
                    f"The JSON body is not valid: {err.msg} at line {err.lineno}, column {err.colno}. "
                    "Nothing was sent: fix the body and press Send again."
                )
                self.status.value = "✋ " + self.last_error
                self._print(self.last_error)
                return None
        self.last_curl = curl_line(method, url, payload)
        try:
            response = requests.request(method, url, json=payload, timeout=10)
        except requests.RequestException as err:
            self.last_status, self.last_headers, self.last_body = None, {}, None
            self.last_error = f"No answer from {url}: {type(err).__name__}. Is the service running?"
            self.status.value = "✋ " + self.last_error
            self._print(self.last_error)
            return None
        self.last_error = None
        self.last_status = response.status_code
        self.last_headers = {k: response.headers[k] for k in INTERESTING_HEADERS if k in response.headers}
        try:
            self.last_body = response.json() if response.content else None
        except ValueError:
            self.last_body = response.text
        self.status.value = status_text(response.status_code)
        self._print("$ " + self.last_curl + "\n\n" + format_response(response))
        return self.last_status

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = f"RequestBuilder({self.base_url!r}) (a form: open this notebook in JupyterLab to use it)"
        return bundle

    def __repr__(self) -> str:
        return f"RequestBuilder({self.base_url!r})"


def request_builder(base_url: str | None = None) -> RequestBuilder:
    """A request-builder form for ``base_url`` (default: the running notes service)."""
    if base_url is None:
        base_url = current_notes_service().url
    return RequestBuilder(base_url)
