"""Integrations: one class per integration type behind one small interface, and the registry that picks it.

Every class answers :meth:`Integration.invoke` (the request context in, an :class:`IntegrationResult`
out). ``proxy`` integrations get the method request as it is and their result *is* the method response;
the others (REST ``AWS``, ``HTTP``, ``MOCK``) get the body the mapping template built
(``ctx.integration_request``) and their result goes through integration response selection and mapping
(:func:`.rest.select_response`, :func:`.rest.map_response`).

=====================  =============================================================  ================
registry key           class                                                          APIs
=====================  =============================================================  ================
``AWS_PROXY``          :class:`LambdaProxyIntegration` (payload 1.0, HTTP APIs: 2.0)  REST, HTTP
``AWS``                :class:`AwsIntegration` (Lambda, SQS, DynamoDB, Kinesis ...)   REST
``HTTP``               :class:`HttpIntegration`                                       REST
``HTTP_PROXY``         :class:`HttpProxyIntegration`                                  REST, HTTP
``MOCK``               :class:`MockIntegration`                                       REST
``HTTP+VPC_LINK``      :class:`VpcLinkHttpIntegration` (a private backend)            REST
``HTTP_PROXY+VPC_LINK``  :class:`VpcLinkHttpProxyIntegration`                         REST, HTTP
=====================  =============================================================  ================

Integration types: https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html (``type``) and
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations.html.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, ClassVar

from werkzeug.datastructures import Headers

from lab_support.embedded.apigateway import backends, payloads, rest, vpc_links
from lab_support.embedded.apigateway.backends import IntegrationFailure
from lab_support.embedded.apigateway.common import substitute_stage_variables
from lab_support.embedded.apigateway.context import CONFIG, HTTP, REST, RequestContext
from lab_support.embedded.apigateway.payloads import BadProxyResponse

# Response headers that describe one connection, not the response: never passed on from a backend.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


@dataclass
class IntegrationRequest:
    """What the integration request step built for a non-proxy integration."""

    body: str  # after the mapping template (or passed through)
    status_hint: int = 200  # MOCK: the statusCode the template asked for


@dataclass
class IntegrationResult:
    """What an integration answered.

    ``passthrough``: status, headers and body are the method response as they are (proxy integrations).
    Otherwise ``selector`` is what the integration responses' ``selectionPattern`` is matched against
    (``None``: the default response).
    """

    status: int
    headers: list[tuple[str, str]] | Headers
    body: bytes
    selector: str | None = None
    passthrough: bool = False


class Integration:
    """One integration type. Subclasses implement :meth:`invoke`; they are stateless (one instance each)."""

    proxy: ClassVar[bool] = False

    def invoke(self, ctx: RequestContext) -> IntegrationResult:
        """Call what is behind the integration. Raises :class:`.backends.Timeout`, :class:`.backends.PayloadTooLarge`,
        :class:`.backends.IntegrationFailure` or :class:`.payloads.BadProxyResponse`; the chain turns them into
        the API's error responses."""
        raise NotImplementedError


def _rest_source_arn(ctx: RequestContext) -> str:
    """``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}{resource path}``: who invokes a function."""
    return (f"arn:aws:execute-api:{ctx.region}:{ctx.account_id}:{ctx.api.id}/{ctx.stage_name}/"
            f"{ctx.method}{ctx.variables['resourcePath']}")


def _preview(data: bytes | str) -> str:
    return data[:1000].decode("utf-8", "replace") if isinstance(data, bytes) else data[:1000]


# -- Lambda ------------------------------------------------------------------------------------
class LambdaProxyIntegration(Integration):
    """``AWS_PROXY``: the function gets the whole request as an event and answers with the response.

    REST APIs: payload format 1.0; HTTP APIs: the integration's ``PayloadFormatVersion`` (2.0 by default).
    """

    proxy = True

    def invoke(self, ctx: RequestContext) -> IntegrationResult:
        if ctx.kind == REST:
            return self._rest(ctx)
        return self._http_api(ctx)

    def _rest(self, ctx: RequestContext) -> IntegrationResult:
        log = ctx.exec_log
        uri = substitute_stage_variables(ctx.integration.uri, ctx.stage_variables) or ""
        payload = json.dumps(payloads.rest_event(ctx)).encode()
        if log.detailed:
            function, qualifier = backends.lambda_target(uri)
            target = f"{function}:{qualifier}" if qualifier else function  # the alias or version stays in the URI
            log.info(f"Endpoint request URI: https://lambda.{ctx.region}.amazonaws.com/2015-03-31/functions/"
                     f"{target}/invocations")
            log.info(f"Endpoint request body after transformations: {_preview(payload)}")
        result = backends.invoke_lambda(uri, payload, source_arn=_rest_source_arn(ctx), account_id=ctx.account_id,
                                        timeout_ms=ctx.timeout_ms, trace_header=_trace_header(ctx))
        if log.detailed:
            log.info(f"Endpoint response body before transformations: {_preview(result.payload)}")
        ctx.variables["integrationStatus"] = 200
        if result.function_error:
            err = backends.parse_json(result.payload)
            message = err.get("errorMessage", "") if isinstance(err, dict) else ""
            raise BadProxyResponse(f"Lambda execution failed with status 200 due to customer function error: "
                                   f"{message}. Lambda request id: {ctx.request_id}")
        status, headers, body = payloads.rest_response(ctx, result.payload)
        return IntegrationResult(status, headers, body, passthrough=True)

    def _http_api(self, ctx: RequestContext) -> IntegrationResult:
        integration = ctx.integration
        uri = substitute_stage_variables(integration.integration_uri, ctx.stage_variables) or ""
        v1 = (integration.payload_format_version or "2.0") == "1.0"
        event = payloads.http_event_v1(ctx) if v1 else payloads.http_event_v2(ctx)
        route_key = ctx.route.route_key
        route_part = "$default" if route_key == "$default" else route_key.replace(" ", "", 1)
        source_arn = f"arn:aws:execute-api:{ctx.region}:{ctx.account_id}:{ctx.api.api_id}/{ctx.stage_name}/{route_part}"
        result = backends.invoke_lambda(uri, json.dumps(event).encode(), source_arn=source_arn,
                                        account_id=ctx.account_id, timeout_ms=ctx.timeout_ms,
                                        trace_header=_trace_header(ctx))
        if result.function_error:
            raise BadProxyResponse("The Lambda function returned an error")
        answer = payloads.http_response_v1 if v1 else payloads.http_response_v2
        status, headers, body = answer(ctx, result.payload)
        return IntegrationResult(status, headers, body, passthrough=True)


def _trace_header(ctx: RequestContext) -> str | None:
    """The ``X-Amzn-Trace-Id`` a traced stage forwards (``xray.begin``): the function's ``_X_AMZN_TRACE_ID``."""
    return next((value for key, value in ctx.headers if key.lower() == "x-amzn-trace-id"), None)


class AwsIntegration(Integration):
    """``AWS`` (non-proxy): a Lambda function called with the mapped body, or another AWS service's API.

    Lambda: the integration responses' ``selectionPattern`` is matched against the function's
    ``errorMessage``; services (SQS, DynamoDB, Kinesis ...): against the status code. Services are called as the
    integration's ``credentials`` role (:func:`.backends.integration_key`): a denial is the service's own error
    (e.g. SQS's 403 AccessDenied), mapped like any answer; a role API Gateway cannot assume is a 500.
    Deliberate difference: a Lambda function behind ``AWS`` is invoked through its resource policy even when the
    integration names a role.
    """

    def invoke(self, ctx: RequestContext) -> IntegrationResult:
        uri = substitute_stage_variables(ctx.integration.uri, ctx.stage_variables) or ""
        if ":lambda:path/" in uri:
            return self._lambda(ctx, uri)
        return self._service(ctx, uri)

    def _lambda(self, ctx: RequestContext, uri: str) -> IntegrationResult:
        log, body = ctx.exec_log, ctx.integration_request.body
        log.info(f"Endpoint request body after transformations: {body[:1000]}")
        result = backends.invoke_lambda(uri, body.encode() or b"{}", source_arn=_rest_source_arn(ctx),
                                        account_id=ctx.account_id, timeout_ms=ctx.timeout_ms,
                                        trace_header=_trace_header(ctx))
        error_message = None
        if result.function_error:
            err = backends.parse_json(result.payload)
            error_message = str(err.get("errorMessage", "") if isinstance(err, dict) else "")
            log.info(f"Lambda execution failed with status 200 due to customer function error: {error_message}")
        # None selects the default response (errors without a matching pattern also get it).
        return IntegrationResult(200, [], result.payload, selector=error_message)

    def _service(self, ctx: RequestContext, uri: str) -> IntegrationResult:
        headers = list(rest.mapped(ctx, "header").items())
        ctx.exec_log.info(f"Endpoint request URI: {uri}")
        res = backends.aws_service_call(uri, ctx.integration.http_method, headers, ctx.integration_request.body.encode(),
                                        endpoint_url=CONFIG.endpoint_url, timeout_ms=ctx.timeout_ms,
                                        credentials=ctx.integration.credentials, account_id=ctx.account_id,
                                        source_arn=_rest_source_arn(ctx))
        return IntegrationResult(res.status, res.headers, res.body, selector=str(res.status))


class MockIntegration(Integration):
    """``MOCK``: no backend; the request template's ``statusCode`` selects the integration response."""

    def invoke(self, ctx: RequestContext) -> IntegrationResult:
        status = ctx.integration_request.status_hint
        return IntegrationResult(status, [], b"", selector=str(status))


# -- HTTP --------------------------------------------------------------------------------------
def _method(ctx: RequestContext, configured: str | None) -> str:
    """The method to send: the client's for ``ANY``, else the integration's."""
    return ctx.method if (configured or "ANY") == "ANY" else str(configured)


class HttpIntegration(Integration):
    """``HTTP`` (non-proxy): the mapped body, mapped path/query/header parameters, to an HTTP endpoint."""

    def endpoint(self, ctx: RequestContext, url: str) -> str:
        """The URL to call (VPC links replace it with their local stand-in)."""
        return url

    def host(self, ctx: RequestContext, url: str) -> str | None:
        """The ``Host`` header to send (``None``: the endpoint's own)."""
        return None

    def invoke(self, ctx: RequestContext) -> IntegrationResult:
        integration = ctx.integration
        uri = substitute_stage_variables(integration.uri, ctx.stage_variables) or ""
        configured = rest.http_url(ctx, uri)
        url = self.endpoint(ctx, configured)
        query = rest.mapped(ctx, "querystring")
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        headers = list(rest.mapped(ctx, "header").items())
        if ctx.content_type and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", ctx.content_type))
        ctx.exec_log.info(f"Endpoint request URI: {url}")
        res = backends.http_call(_method(ctx, integration.http_method), url, headers,
                                 ctx.integration_request.body.encode(), ctx.timeout_ms, host=self.host(ctx, configured))
        return IntegrationResult(res.status, res.headers, res.body, selector=str(res.status))


class HttpProxyIntegration(Integration):
    """``HTTP_PROXY``: the request as it came (method, headers, query, body), the endpoint's answer as it is."""

    proxy = True

    def endpoint(self, ctx: RequestContext, url: str) -> str:
        """The URL to call (VPC links replace it with their local stand-in)."""
        return url

    def host(self, ctx: RequestContext, url: str) -> str | None:
        """The ``Host`` header to send (``None``: the endpoint's own)."""
        return None

    def invoke(self, ctx: RequestContext) -> IntegrationResult:
        if ctx.kind == HTTP:
            return self._http_api(ctx)
        integration = ctx.integration
        uri = substitute_stage_variables(integration.uri, ctx.stage_variables) or ""
        configured = rest.http_url(ctx, uri)
        url = self.endpoint(ctx, configured)
        if ctx.raw_query:
            url += ("&" if "?" in url else "?") + ctx.raw_query
        headers = [*ctx.headers, *rest.mapped(ctx, "header").items()]
        ctx.exec_log.info(f"Endpoint request URI: {url}")
        res = backends.http_call(_method(ctx, integration.http_method), url, headers, ctx.body, ctx.timeout_ms,
                                 host=self.host(ctx, configured))
        ctx.variables["integrationStatus"] = res.status
        return IntegrationResult(res.status, _end_to_end(res.headers), res.body, passthrough=True)

    def _http_api(self, ctx: RequestContext) -> IntegrationResult:
        integration = ctx.integration
        uri = substitute_stage_variables(integration.integration_uri, ctx.stage_variables) or ""
        url = re.sub(r"\{([^}+]+)\+?\}", lambda m: ctx.path_params.get(m.group(1), m.group(0)), uri)
        url = _overwrite_path(integration, self.endpoint(ctx, url), ctx)
        if ctx.raw_query:
            url += ("&" if "?" in url else "?") + ctx.raw_query
        res = backends.http_call(_method(ctx, integration.integration_method), url, ctx.headers, ctx.body, ctx.timeout_ms)
        return IntegrationResult(res.status, _end_to_end(res.headers), res.body, passthrough=True)


def _end_to_end(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]


def _overwrite_path(integration: Any, url: str, ctx: RequestContext) -> str:
    """HTTP APIs: ``overwrite:path`` from ``RequestParameters`` (static or ``$request.path``)."""
    new_path = (integration.request_parameters or {}).get("overwrite:path")
    if not new_path:
        return url
    new_path = new_path.replace("$request.path", ctx.path)
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, new_path, parts.query, ""))


class _VpcLink:
    """Private integrations: the URI names a private load balancer (or Cloud Map service) reached through a
    VPC link; here the local server registered for it (:func:`.backends.register_private_backend`) stands in.
    REST APIs: a V1 link (legacy, an NLB) or a V2 link with the integration's ``integrationTarget`` (an ALB or NLB),
    see :mod:`.vpc_links`."""

    def endpoint(self, ctx: RequestContext, url: str) -> str:
        if ctx.kind == REST:
            return backends.resolve_private(url, vpc_links.backend_keys(ctx.integration, ctx.stage_variables,
                                                                         ctx.account_id, ctx.region))
        # HTTP APIs: the URI is a listener or service ARN; the request path is kept.
        integration = ctx.integration
        keys = [k for k in (integration.connection_id, integration.integration_uri) if k]
        return backends.resolve_private("http://private.invalid" + ctx.path, keys)

    def host(self, ctx: RequestContext, url: str) -> str | None:
        """REST: the integration URI "is used instead to set up the integration request's Host header"
        (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-api-with-vpclink-using-swagger.html)."""
        return urllib.parse.urlsplit(url).netloc or None if ctx.kind == REST else None


class VpcLinkHttpIntegration(_VpcLink, HttpIntegration):
    """``HTTP`` with ``connectionType: VPC_LINK``."""


class VpcLinkHttpProxyIntegration(_VpcLink, HttpProxyIntegration):
    """``HTTP_PROXY`` with ``connectionType: VPC_LINK``."""


# -- the registry ------------------------------------------------------------------------------
#: Integration type (``+VPC_LINK`` for private integrations) → its implementation.
INTEGRATIONS: dict[str, Integration] = {
    "AWS_PROXY": LambdaProxyIntegration(),
    "AWS": AwsIntegration(),
    "HTTP": HttpIntegration(),
    "HTTP_PROXY": HttpProxyIntegration(),
    "MOCK": MockIntegration(),
    "HTTP+VPC_LINK": VpcLinkHttpIntegration(),
    "HTTP_PROXY+VPC_LINK": VpcLinkHttpProxyIntegration(),
}
#: What HTTP APIs support (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations.html).
HTTP_API_TYPES = frozenset({"AWS_PROXY", "HTTP_PROXY"})


def integration_for(ctx: RequestContext) -> Integration:
    """The implementation of ``ctx.integration``; :class:`.backends.IntegrationFailure` for an unsupported type."""
    kind = ctx.integration.integration_type
    if ctx.kind == HTTP and kind not in HTTP_API_TYPES:
        raise IntegrationFailure(f"Integration type {kind} is not supported by HTTP APIs")
    key = f"{kind}+VPC_LINK" if getattr(ctx.integration, "connection_type", None) == "VPC_LINK" else kind
    found = INTEGRATIONS.get(key) or INTEGRATIONS.get(kind)
    if found is None:
        raise IntegrationFailure(f"Execution failed due to configuration error: integration type {kind} is not supported")
    return found
