"""AWS X-Ray traces of REST API requests: two handlers of the REST chain, plus a service graph for moto.

When a REST stage has ``tracingEnabled`` (``update_stage(... /tracingEnabled ...)`` or ``create_stage(tracingEnabled=
True)``), each request to it leaves a trace in moto's X-Ray backend, so ``xray.get_trace_summaries``,
``batch_get_traces`` and ``get_service_graph`` show it
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-xray.html):

* an **API Gateway segment**, name ``{api-name}/{stage}``, ``origin: AWS::ApiGateway::Stage``, ``resource_arn`` the
  stage's ARN, ``http.request`` / ``http.response``, ``aws.api_gateway`` (account, API id, stage, request id),
  ``error`` (4xx), ``throttle`` (429) or ``fault`` (5xx)
  (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html);
* a **subsegment** for a Lambda integration (``name: Lambda``, ``namespace: aws``, ``aws.operation: Invoke``);
* the **Lambda function's segments** (https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html):
  ``origin: AWS::Lambda`` (the service, parent the integration subsegment) and ``origin: AWS::Lambda::Function``
  (the function, parent the service segment). A traced API Gateway request is sampled, so these are recorded
  whatever the function's ``TracingConfig`` (``PassThrough`` traces sampled requests, ``Active`` samples itself).

:func:`begin` (right after the stage is known) reads the request's trace (a client's ``X-Amzn-Trace-Id`` Root is
continued, as API Gateway does), and forwards ``X-Amzn-Trace-Id: Root=1-{8 hex time}-{24 hex};Parent={16 hex};
Sampled=1`` to the integration (``$context.xrayTraceId`` is the Root); :func:`finish` (a response handler) writes
the segments. Times are the course clock (:func:`lab_support.core.clock.now`), ids the course's random source.
A direct ``Invoke`` of a function with ``TracingConfig`` ``Active`` (or a caller's ``X-Amzn-Trace-Id`` with
``Sampled=1``) records the two Lambda segments too (:data:`INVOKE_PATCHES`, the ``xray`` extension, applied after
the ``lambda`` group whose ``LambdaResponse.invoke`` it wraps), sampled by X-Ray's default rule: "the first request
each second, and five percent of any additional requests"
(https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html), on the course clock and random source.
Not modelled: the function's own ``_X_AMZN_TRACE_ID`` environment variable (the local runtime does not set it),
custom sampling rules (every request of a traced stage is sampled).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import weakref
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from lab_support.core import clock, patching
from lab_support.core.session import Session
from lab_support.embedded.apigateway.context import RequestContext

#: ``origin`` values (segment-documents page above and the Lambda X-Ray page).
API_GATEWAY_ORIGIN = "AWS::ApiGateway::Stage"
LAMBDA_SERVICE_ORIGIN = "AWS::Lambda"
LAMBDA_FUNCTION_ORIGIN = "AWS::Lambda::Function"
TRACE_HEADER = "X-Amzn-Trace-Id"
_ROOT = re.compile(r"Root=(1-[0-9a-f]{8}-[0-9a-f]{24})")
_FUNCTION_ARN = re.compile(r"functions/(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[^/:]+)(?::[^/]+)?/invocations")


@dataclass
class _Trace:
    trace_id: str
    segment_id: str
    integration_id: str
    started: float  # course clock
    started_monotonic: float


_TRACES: weakref.WeakKeyDictionary[RequestContext, _Trace] = weakref.WeakKeyDictionary()


def _hex(bits: int) -> str:
    return f"{clock.rng().getrandbits(bits):0{bits // 4}x}"


def new_trace_id(now: float) -> str:
    """``1-{8 hex digits: epoch seconds}-{24 hex digits}``, the X-Ray trace id format."""
    return f"1-{int(now):08x}-{_hex(96)}"


# -- the chain handlers -----------------------------------------------------------------------------------------
def begin(ctx: RequestContext) -> None:
    """REST, after the stage: when the stage traces, a trace id and the header the integration receives."""
    if not getattr(ctx.stage, "tracing_enabled", False):
        return
    now = clock.now()
    sent = [v for k, v in ctx.headers if k.lower() == TRACE_HEADER.lower()]
    found = _ROOT.search(sent[0]) if sent else None  # the first: the client's own header, else the gateway's
    trace = _Trace(found.group(1) if found else new_trace_id(now), _hex(64), _hex(64), now, time.monotonic())
    _TRACES[ctx] = trace
    ctx.headers = [(k, v) for k, v in ctx.headers if k.lower() != TRACE_HEADER.lower()]
    ctx.headers.append((TRACE_HEADER, f"Root={trace.trace_id};Parent={trace.integration_id};Sampled=1"))
    ctx.variables["xrayTraceId"] = trace.trace_id


def finish(ctx: RequestContext) -> None:
    """REST response handler: the request's segments into moto's X-Ray backend."""
    trace = _TRACES.pop(ctx, None)
    if trace is None or ctx.response is None:
        return
    end = trace.started + (time.monotonic() - trace.started_monotonic)
    status = ctx.response.status
    segment: dict[str, Any] = {
        "name": f"{ctx.api.name}/{ctx.stage_name}", "id": trace.segment_id, "trace_id": trace.trace_id,
        "start_time": trace.started, "end_time": end, "origin": API_GATEWAY_ORIGIN,
        "resource_arn": f"arn:aws:apigateway:{ctx.region}::/restapis/{ctx.api_id}/stages/{ctx.stage_name}",
        "http": {"request": {"url": f"https://{ctx.domain_name}/{ctx.stage_name}{ctx.path}", "method": ctx.method,
                             "client_ip": ctx.source_ip, "user_agent": ctx.user_agent or "", "x_forwarded_for": True},
                 "response": {"status": status, "content_length": len(ctx.response.body)}},
        "aws": {"api_gateway": {"account_id": ctx.account_id, "rest_api_id": ctx.api_id, "stage": ctx.stage_name,
                                "request_id": ctx.request_id}},
        "annotations": {}, "metadata": {"default": {"extended_request_id": ctx.extended_request_id}},
    }
    segment.update(_flags(status))
    documents = [segment]
    function_arn = _function_arn(ctx)
    started = ctx.timings.get("integration_start")
    if function_arn and started is not None:
        call_start = trace.started + (started - trace.started_monotonic)
        latency = ctx.variables.get("integrationLatency")
        call_end = call_start + (latency / 1000 if isinstance(latency, (int, float)) else 0.0)
        call_end = min(max(call_end, call_start), end)
        result = ctx.integration_result
        fn_status = 200 if result is not None else 502  # the Invoke call's own status (no result: it failed)
        name = function_arn.rsplit(":", 1)[1]
        region = function_arn.split(":")[3]
        request_id = _hex(128)
        request_id = f"{request_id[:8]}-{request_id[8:12]}-{request_id[12:16]}-{request_id[16:20]}-{request_id[20:]}"
        segment["subsegments"] = [{
            "id": trace.integration_id, "name": "Lambda", "namespace": "aws", "start_time": call_start,
            "end_time": call_end, "http": {"response": {"status": fn_status}},
            "aws": {"function_name": name, "region": region, "operation": "Invoke", "request_id": request_id,
                    "resource_names": [name]}, **_flags(fn_status),
        }]
        service_id, function_id = _hex(64), _hex(64)
        documents.append({"name": name, "id": service_id, "trace_id": trace.trace_id, "parent_id": trace.integration_id,
                          "start_time": call_start, "end_time": call_end, "origin": LAMBDA_SERVICE_ORIGIN,
                          "resource_arn": function_arn, "http": {"response": {"status": 200}},
                          "aws": {"request_id": request_id}})
        function_doc: dict[str, Any] = {
            "name": name, "id": function_id, "trace_id": trace.trace_id, "parent_id": service_id,
            "start_time": call_start, "end_time": call_end, "origin": LAMBDA_FUNCTION_ORIGIN,
            "resource_arn": function_arn, "aws": {"function_arn": function_arn, "resource_names": [name]},
        }
        if result is None:
            function_doc["fault"] = True
        documents.append(function_doc)
    _put(ctx.account_id, ctx.region, documents)


def _flags(status: int) -> dict[str, bool]:
    if status == 429:
        return {"error": True, "throttle": True}
    if 400 <= status < 500:
        return {"error": True}
    if status >= 500:
        return {"fault": True}
    return {}


def _function_arn(ctx: RequestContext) -> str | None:
    integration = ctx.integration
    uri = str(getattr(integration, "uri", "") or "")
    found = _FUNCTION_ARN.search(uri)
    return found.group(1) if found else None


def _put(account_id: str, region: str, documents: list[dict[str, Any]]) -> None:
    from moto.xray.models import xray_backends  # moto's X-Ray only once a traced stage answers

    backend = xray_backends[account_id][region]
    for document in documents:
        backend.process_segment(json.dumps(document))


# -- GetServiceGraph (moto answers an empty graph) ---------------------------------------------------------------
def service_graph(backend: Any, start: float, end: float) -> list[dict[str, Any]]:
    """The services of the traces in [start, end] and the edges between them, from the segments' parent ids."""
    nodes: dict[tuple[str, str], dict[str, Any]] = {}
    owner: dict[str, tuple[str, str]] = {}  # segment or subsegment id -> node key
    segments = []
    for trace in backend._segment_collection._traces.values():
        for seg in trace["segments"]:
            if seg.end_time is None or not start <= seg.start_time <= end:
                continue
            key = (seg.name, seg.origin or "")
            owner[seg.id] = key
            for sub in seg.subsegments or []:
                owner[sub.get("id", "")] = key
            segments.append((key, seg))
            node = nodes.setdefault(key, {"ReferenceId": len(nodes), "Name": seg.name, "Names": [seg.name],
                                          "Type": seg.origin or "client", "Root": seg.parent_id is None,
                                          "State": "active", "Edges": [],
                                          "SummaryStatistics": {"OkCount": 0, "ErrorStatistics": {"TotalCount": 0},
                                                                "FaultStatistics": {"TotalCount": 0},
                                                                "TotalCount": 0, "TotalResponseTime": 0.0}})
            stats = node["SummaryStatistics"]
            stats["TotalCount"] += 1
            stats["TotalResponseTime"] += seg.end_time - seg.start_time
            if "fault" in seg.misc:
                stats["FaultStatistics"]["TotalCount"] += 1
            elif "error" in seg.misc:
                stats["ErrorStatistics"]["TotalCount"] += 1
            else:
                stats["OkCount"] += 1
    for key, seg in segments:
        parent = owner.get(seg.parent_id or "")
        if parent is None or parent == key:
            continue
        edges = nodes[parent]["Edges"]
        target = nodes[key]["ReferenceId"]
        edge = next((e for e in edges if e["ReferenceId"] == target), None)
        if edge is None:
            edge = {"ReferenceId": target, "SummaryStatistics": {"TotalCount": 0, "TotalResponseTime": 0.0}}
            edges.append(edge)
        edge["SummaryStatistics"]["TotalCount"] += 1
        edge["SummaryStatistics"]["TotalResponseTime"] += seg.end_time - seg.start_time
    return list(nodes.values())


def _service_graph_response(self: Any) -> Any:
    start, end = self._get_param("StartTime"), self._get_param("EndTime")
    if start is None or end is None:
        missing = "StartTime" if start is None else "EndTime"
        return json.dumps({"__type": "MissingParameter", "message": f"Parameter {missing} is missing"}), {"status": 400}
    services = service_graph(self.xray_backend, float(start), float(end))
    return json.dumps({"StartTime": start, "EndTime": end, "Services": services, "ContainsOldGroupVersions": False})


# -- GetTraceSummaries (moto leaves Http, ServiceIds and ResponseTime empty) ------------------------------------------
def _wrap_summary(original: Any) -> Any:
    def summary(self: Any, start_time: Any, end_time: Any, filter_expression: Any = None) -> dict[str, Any]:
        result = original(self, start_time, end_time, filter_expression)
        for item in result.get("TraceSummaries", []):
            trace = self._traces.get(item.get("Id"))
            if trace is not None:
                _complete_summary(item, trace["segments"])
        return dict(result)

    return summary


def _complete_summary(item: dict[str, Any], segments: list[Any]) -> None:
    """``Duration``, ``ResponseTime``, ``Http``, ``ServiceIds``, ``EntryPoint``, ``IsPartial`` of a trace summary
    (https://docs.aws.amazon.com/xray/latest/api/API_TraceSummary.html) from its segments."""
    if not segments:
        return
    root = next((seg for seg in segments if seg.parent_id is None), segments[0])
    start = min(seg.start_time for seg in segments)
    end = max(seg.end_time or seg.start_time for seg in segments)
    item["Duration"] = round(end - start, 3)
    item["ResponseTime"] = round((root.end_time or root.start_time) - root.start_time, 3)
    http = root.http or {}
    request, response = http.get("request") or {}, http.get("response") or {}
    item["Http"] = {k: v for k, v in {"HttpURL": request.get("url"), "HttpStatus": response.get("status"),
                                       "HttpMethod": request.get("method"), "UserAgent": request.get("user_agent"),
                                       "ClientIp": request.get("client_ip")}.items() if v is not None}
    services: dict[tuple[str, str], dict[str, Any]] = {}
    for seg in segments:
        services.setdefault((seg.name, seg.origin or ""), {"Name": seg.name, "Names": [seg.name],
                                                           "Type": seg.origin or ""})
    item["ServiceIds"] = list(services.values())
    item["EntryPoint"] = {"Name": root.name, "Names": [root.name], "Type": root.origin or ""}
    item["IsPartial"] = False
    item.pop("IsParital", None)  # moto's misspelling


# -- direct Invoke of an Active function ---------------------------------------------------------------------------
DEFAULT_RESERVOIR = 1  # requests a second always sampled (default sampling rule, page above)
DEFAULT_FIXED_RATE = 0.05  # and this share of the others
_RESERVOIR: dict[str, tuple[int, int]] = {}  # function ARN -> (course-clock second, requests sampled in it)


def _sampled(function_arn: str, now: float) -> bool:
    second, used = _RESERVOIR.get(function_arn, (-1, 0))
    if int(now) != second:
        second, used = int(now), 0
    if used < DEFAULT_RESERVOIR:
        _RESERVOIR[function_arn] = (second, used + 1)
        return True
    return clock.rng().random() < DEFAULT_FIXED_RATE


def _wrap_response_invoke(original: Any) -> Any:
    def invoke(self: Any) -> Any:
        started, started_monotonic = clock.now(), time.monotonic()
        result = original(self)
        with contextlib.suppress(KeyError, ValueError, AttributeError):  # an unknown function: moto answered already
            _trace_invoke(self, result, started, started + (time.monotonic() - started_monotonic))
        return result

    return invoke


def _trace_invoke(response: Any, result: Any, started: float, ended: float) -> None:
    status, headers = result[0], result[1] or {}
    if int(status) >= 300:
        return
    function = response.backend.get_function(unquote(response.path.rsplit("/", 2)[-2]), None)
    incoming = str(response.headers.get(TRACE_HEADER) or "")
    found = _ROOT.search(incoming)
    active = (function.tracing_config or {}).get("Mode") == "Active"
    if found and "Sampled=1" in incoming:
        trace_id, parent = found.group(1), re.search(r"Parent=([0-9a-f]{16})", incoming)
    elif active and not (found and "Sampled=0" in incoming) and _sampled(function.function_arn, started):
        trace_id, parent = (found.group(1) if found else new_trace_id(started)), None
    else:
        return
    service_id, function_id = _hex(64), _hex(64)
    arn, name = function.function_arn, function.function_name
    request_id = str(headers.get("x-amzn-RequestId") or headers.get("x-amzn-requestid") or "")
    service: dict[str, Any] = {"name": name, "id": service_id, "trace_id": trace_id, "start_time": started,
                               "end_time": ended, "origin": LAMBDA_SERVICE_ORIGIN, "resource_arn": arn,
                               "http": {"response": {"status": int(status)}}, "aws": {"request_id": request_id}}
    if parent:
        service["parent_id"] = parent.group(1)
    body: dict[str, Any] = {"name": name, "id": function_id, "trace_id": trace_id, "parent_id": service_id,
                            "start_time": started, "end_time": ended, "origin": LAMBDA_FUNCTION_ORIGIN,
                            "resource_arn": arn, "aws": {"function_arn": arn, "resource_names": [name]}}
    if headers.get("x-amz-function-error") or headers.get("X-Amz-Function-Error"):
        body["fault"] = True
    _put(response.current_account, response.region, [service, body])


def _wrap_update_configuration(original: Any) -> Any:
    def update_configuration(self: Any, config_updates: dict[str, Any]) -> Any:
        result = original(self, config_updates)
        if config_updates.get("TracingConfig"):
            self.tracing_config = {"Mode": config_updates["TracingConfig"].get("Mode", "PassThrough")}
        return result

    return update_configuration


INVOKE_PATCHES = patching.group("xray", [
    patching.Patch("moto.awslambda.models:LambdaFunction.update_configuration", wrap=_wrap_update_configuration,
                   signature=["self", "config_updates"], stacks_on=("event_sources",),
                   why="keeps TracingConfig (moto drops it on update_function_configuration)"),
    patching.Patch("moto.awslambda.responses:LambdaResponse.invoke", wrap=_wrap_response_invoke, signature=["self"],
                   stacks_on=("lambda",),
                   why="Invoke of an Active function (or a sampled caller): AWS::Lambda and AWS::Lambda::Function segments"),
])


def install(session: Session) -> None:
    """The ``xray`` extension: traces of direct Invoke calls (after the ``lambda`` extension: it wraps its patch)."""
    if session.backend != "moto":
        return
    patching.apply(INVOKE_PATCHES)
    session.on_reset(_RESERVOIR.clear)


PATCHES = [
    patching.Patch("moto.xray.models:SegmentCollection.summary", wrap=_wrap_summary,
                   signature=["self", "start_time", "end_time", "filter_expression"],
                   why="trace summaries get Duration, ResponseTime, Http, ServiceIds and EntryPoint from the segments"),
    patching.Patch("moto.xray.responses:XRayResponse.service_graph", replacement=_service_graph_response,
                   signature=["self"], why="GetServiceGraph: services and edges of the stored traces (moto's is empty)"),
]

__all__ = ["INVOKE_PATCHES", "PATCHES", "begin", "finish", "install", "new_trace_id", "service_graph"]
