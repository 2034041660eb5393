"""One handler, three doors.

:func:`handle` (a werkzeug ``Request`` → ``Response``) serves every request to a deployed
stage, whether it arrived

1. in the kernel, through ``requests`` to ``https://{api}.execute-api.{region}.amazonaws.com/...``
   (moto's ``responses`` mock hands it to :func:`responses_callback`),
2. over loopback HTTP as ``{gateway_url}/restapis/{api}/{stage}/_user_request_/{path}``, or
3. over loopback HTTP with ``Host: {api}.execute-api.{region}.amazonaws.com``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from lab_support.embedded.apigateway import http_api, logs, rest
from lab_support.embedded.apigateway.common import Incoming, json_response, trace_id

# A PRIVATE API's Route 53 alias, {api-id}-{vpce-id}.execute-api..., reaches the same API
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-test-invoke-url.html).
HOST_RE = re.compile(r"^(?P<api>[A-Za-z0-9]+)(?P<vpce>-vpce-[0-9a-z]+)?\.execute-api\.(?P<region>[a-z0-9-]+)"
                     r"\.amazonaws\.com(?::\d+)?$")
LOCAL_RE = re.compile(r"^/restapis/(?P<api>[^/]+)/(?:(?P<stage>[^/]+)/)?_user_request_(?P<path>/.*)?$")
# What the kernel's `requests` calls look like (any method; the query string may follow).
URL_RE = re.compile(r"^https?://[A-Za-z0-9]+(?:-vpce-[0-9a-z]+)?\.execute-api\.[a-z0-9-]+\.amazonaws\.com(:\d+)?(/.*)?$")


@dataclass
class Config:
    """Where the gateway runs: set by :func:`lab_support.embedded.apigateway.install`."""

    account_id: str = "123456789012"
    region: str = "us-east-1"
    endpoint_url: str = ""


CONFIG = Config()


def is_gateway_environ(environ: dict[str, Any]) -> bool:
    """The embedded server's predicate: doors 2 and 3."""
    host = environ.get("HTTP_HOST", "")
    return bool(HOST_RE.match(host) or LOCAL_RE.match(environ.get("PATH_INFO", "")))


def wsgi_app(environ: dict[str, Any], start_response: Any) -> Any:
    """WSGI wrapper around :func:`handle` for the embedded server."""
    return handle(Request(environ))(environ, start_response)


def responses_callback(prepared: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """``responses`` callback for door 1: a ``requests.PreparedRequest`` → (status, headers, body)."""
    parts = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):  # a generator or file: read it
        body = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in body)
    headers = [(k, v if isinstance(v, str) else v.decode()) for k, v in prepared.headers.items()]
    headers = [(k, v) for k, v in headers if k.lower() != "host"] + [("Host", parts.netloc)]
    builder = EnvironBuilder(method=prepared.method, path=parts.path or "/", query_string=parts.query,
                             headers=headers, data=body, base_url=f"{parts.scheme}://{parts.netloc}")
    try:
        request = builder.get_request()
    finally:
        builder.close()
    response = handle(request)
    return response.status_code, list(response.headers.items()), response.get_data()


def handle(request: Request) -> Response:
    """Serve one request to a deployed stage (REST or HTTP API)."""
    host = request.host or ""
    region = CONFIG.region
    m_local = LOCAL_RE.match(request.path)
    m_host = HOST_RE.match(host)
    if m_local:
        api_id, stage = m_local.group("api"), m_local.group("stage") or "$default"
        path, first = m_local.group("path") or "/", None
        host_style = False
    elif m_host:
        api_id, region = m_host.group("api"), m_host.group("region")
        segments = request.path.split("/", 2)
        first = segments[1] if len(segments) > 1 and segments[1] else None
        path = "/" + segments[2] if len(segments) > 2 else "/"
        stage = first or ""
        host_style = True
    else:
        return json_response(404, {"message": "Not Found"})
    api_id = api_id.lower()
    kind, api = _find_api(api_id, region)
    if api is None:
        # No such API: AWS's DNS would not resolve the name; answer as API Gateway does for an
        # unknown stage or path rather than failing the connection.
        return json_response(403, {"message": "Forbidden"})
    if kind == "http" and host_style:
        split = http_api.stage_and_path(api, first, path if first else request.path)
        if split is None:
            return json_response(*http_api.NOT_FOUND)
        stage, path = split
    inc = _incoming(request, api_id, region, stage, path)
    if kind == "rest":
        response, ctx, exec_log, stage_obj = rest.serve(api, inc, endpoint_url=CONFIG.endpoint_url)
        _rest_logs(api, inc, stage_obj, response, ctx, exec_log)
    else:
        response, ctx, stage_obj = http_api.serve(api, inc)
        _access_log(getattr(stage_obj, "access_log_settings", None), inc, response, ctx)
    return response


def _find_api(api_id: str, region: str) -> tuple[str, Any]:
    try:
        from moto.apigateway.models import apigateway_backends
        from moto.apigatewayv2.models import apigatewayv2_backends

        rest_api = apigateway_backends[CONFIG.account_id][region].apis.get(api_id)
        if rest_api is not None:
            return "rest", rest_api
        v2 = apigatewayv2_backends[CONFIG.account_id][region].apis.get(api_id)
        if v2 is not None and v2.protocol_type == "HTTP":
            return "http", v2
    except KeyError:
        pass
    return "", None


def _incoming(request: Request, api_id: str, region: str, stage: str, path: str) -> Incoming:
    raw_query = request.query_string.decode("latin-1")
    inc = Incoming(
        method=request.method.upper(), api_id=api_id, region=region, account_id=CONFIG.account_id, stage=stage,
        path=path, raw_query=raw_query, query=parse_qsl(raw_query, keep_blank_values=True),
        headers=[], body=request.get_data(), source_ip=request.remote_addr or "127.0.0.1",
    )
    # Headers as API Gateway forwards them: the execute-api host name whatever door was used
    # (deliberate: the loopback doors would otherwise show 127.0.0.1:PORT), plus the X-Forwarded-*
    # and X-Amzn-Trace-Id headers AWS adds.
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
               or (k.lower() == "content-length" and inc.body)]
    # ... except a PRIVATE API's alias name, which says which VPC endpoint the request came through
    # (read by lab_support.embedded.apigateway.private_endpoints.check_request).
    alias = HOST_RE.match(request.host or "")
    headers.append(("Host", request.host.split(":")[0] if alias and alias.group("vpce") else inc.domain_name))
    headers.append(("X-Amzn-Trace-Id", trace_id(inc.epoch_ms)))
    headers.append(("X-Forwarded-For", inc.source_ip))
    headers.append(("X-Forwarded-Port", "443"))
    headers.append(("X-Forwarded-Proto", "https"))
    inc.headers = headers
    return inc


def _rest_logs(api: Any, inc: Incoming, stage: Any, response: Response, ctx: dict[str, Any], exec_log: rest.ExecLog) -> None:
    if stage is None:
        return
    level = "OFF"
    settings = stage.method_settings or {}
    resource_key = f"{(ctx.get('resourcePath') or '').lstrip('/').replace('/', '~1')}/{inc.method}"
    for key in (resource_key, "*/*"):
        if key in settings and settings[key].get("loggingLevel"):
            level = str(settings[key]["loggingLevel"]).upper()
            break
    lines = exec_log.for_level(level)
    if lines:
        logs.write(inc.account_id, inc.region, f"API-Gateway-Execution-Logs_{api.id}/{inc.stage}", lines)
    _access_log(getattr(stage, "access_log_settings", None), inc, response, ctx)


def _access_log(settings: dict[str, Any] | None, inc: Incoming, response: Response, ctx: dict[str, Any]) -> None:
    if not settings:
        return
    arn = settings.get("destinationArn") or settings.get("DestinationArn")
    fmt = settings.get("format") or settings.get("Format")
    if not arn or not fmt:
        return
    ctx.setdefault("status", response.status_code)
    ctx["status"] = response.status_code
    ctx["responseLength"] = len(response.get_data())
    ctx.setdefault("integrationStatus", "-")
    logs.write(inc.account_id, inc.region, logs.group_from_arn(arn), [logs.format_access_line(fmt, ctx)])
