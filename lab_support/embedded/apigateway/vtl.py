"""Mapping templates: the Velocity (VTL) subset API Gateway evaluates.

Reference: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
(``$input``, ``$context``, ``$stageVariables``, ``$util``). Templates are rendered with the
``airspeed-ext`` engine (``#set``, ``#if``, ``#foreach``, ...); ``$input.path`` / ``$input.json``
use JSONPath through ``jsonpath-ng``.

Deliberate differences from AWS: maps and lists printed directly (``$input.path('$')`` without
``.json``) come out as JSON, where AWS prints Java's ``{key=value}``; ``$util.parseJson`` and
the ``$input`` methods are complete, the rarely used ``$context.authorizer`` claims are not.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from typing import Any

import airspeed
from jsonpath_ng.ext import parse as jsonpath_parse


class _JsonMap(dict):  # type: ignore[type-arg]
    """A dict that prints as JSON when a template outputs it whole."""

    def __str__(self) -> str:
        return json.dumps(self)


class _JsonList(list):  # type: ignore[type-arg]
    def __str__(self) -> str:
        return json.dumps(self)


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return _JsonMap({k: _wrap(v) for k, v in value.items()})
    if isinstance(value, list):
        return _JsonList(_wrap(v) for v in value)
    return value


def _jsonpath(document: Any, path: str) -> Any:
    if path in ("$", ""):
        return document
    try:
        matches = [m.value for m in jsonpath_parse(path).find(document)]
    except Exception:
        return None
    if not matches:
        return None
    # A path that can only select one node ("$.a.b", "$.items[0]") yields that node.
    return matches[0] if len(matches) == 1 and "*" not in path and ".." not in path and "?" not in path else matches


class InputVar:
    """``$input``: the body and the method request parameters."""

    def __init__(self, body: str, params: dict[str, dict[str, str]]) -> None:
        self.body = body
        self._params = params
        self._parsed: Any = None
        self._parsed_done = False

    def _document(self) -> Any:
        if not self._parsed_done:
            try:
                self._parsed = json.loads(self.body) if self.body.strip() else {}
            except ValueError:
                self._parsed = self.body  # not JSON: $input.path('$') is the string
            self._parsed_done = True
        return self._parsed

    def json(self, path: str = "$") -> str:
        """``$input.json(x)``: the JSON text of what the JSONPath selects."""
        value = _jsonpath(self._document(), path)
        return json.dumps(value)

    def path(self, path: str = "$") -> Any:
        """``$input.path(x)``: the object the JSONPath selects (walkable in VTL)."""
        return _wrap(_jsonpath(self._document(), path))

    def params(self, name: str | None = None) -> Any:
        """``$input.params()`` (all: path, querystring, header) or ``$input.params('x')`` (path, then query, then header)."""
        if name is None:
            return _JsonMap({k: _JsonMap(v) for k, v in self._params.items()})
        for where in ("path", "querystring", "header"):
            section = self._params.get(where, {})
            if where == "header":
                for key, value in section.items():
                    if key.lower() == name.lower():
                        return value
            elif name in section:
                return section[name]
        return ""


class UtilVar:
    """``$util``."""

    @staticmethod
    def escapeJavaScript(value: Any) -> str:
        text = json.dumps(str(value))[1:-1]
        return text.replace("'", "\\'")

    @staticmethod
    def base64Encode(value: Any) -> str:
        data = value if isinstance(value, bytes) else str(value).encode()
        return base64.b64encode(data).decode()

    @staticmethod
    def base64Decode(value: Any) -> str:
        return base64.b64decode(str(value)).decode("utf-8", "replace")

    @staticmethod
    def urlEncode(value: Any) -> str:
        return urllib.parse.quote_plus(str(value))

    @staticmethod
    def urlDecode(value: Any) -> str:
        return urllib.parse.unquote_plus(str(value))

    @staticmethod
    def parseJson(value: Any) -> Any:
        return _wrap(json.loads(str(value)))


class TemplateError(Exception):
    """A mapping template that does not render."""


def render(template: str, *, body: str, params: dict[str, dict[str, str]], context: dict[str, Any],
           stage_variables: dict[str, str]) -> str:
    """Render one mapping template; raises :class:`TemplateError`."""
    namespace = {
        "input": InputVar(body, params),
        "context": _wrap(context),
        "stageVariables": _wrap(stage_variables or {}),
        "util": UtilVar(),
    }
    try:
        return str(airspeed.Template(template).merge(namespace))
    except Exception as err:  # airspeed raises several types
        raise TemplateError(str(err)) from err
