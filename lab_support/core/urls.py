"""URLs of deployed API stages, in the form each backend answers."""

from __future__ import annotations

from collections.abc import Callable


def aws_stage_url(api_id: str, region: str, stage: str, path: str = "") -> str:
    """``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/{path}`` as AWS documents it.

    The ``$default`` stage of an HTTP API is served at the root, with no stage segment.
    """
    base = f"https://{api_id}.execute-api.{region}.amazonaws.com"
    prefix = "" if stage == "$default" else f"/{stage}"
    return f"{base}{prefix}/{path.lstrip('/')}"


def local_stage_url(gateway_url: str, api_id: str, stage: str, path: str = "") -> str:
    """The loopback form: ``{gateway_url}/restapis/{api_id}/{stage}/_user_request_/{path}``.

    It is the form moto's server and LocalStack use, so tools that know either
    recognise it. An HTTP API's ``$default`` stage has no stage segment, as on AWS:
    ``{gateway_url}/restapis/{api_id}/_user_request_/{path}`` (no ``$`` for a shell to expand).
    """
    prefix = f"{gateway_url.rstrip('/')}/restapis/{api_id}"
    if stage != "$default":
        prefix += f"/{stage}"
    return f"{prefix}/_user_request_/{path.lstrip('/')}"


def aws_websocket_url(api_id: str, region: str, stage: str, path: str = "") -> str:
    """``wss://{api_id}.execute-api.{region}.amazonaws.com/{stage}``: a WebSocket API stage as AWS documents it
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-wscat.html)."""
    url = f"wss://{api_id}.execute-api.{region}.amazonaws.com/{stage}"
    return f"{url}/{path.lstrip('/')}" if path else url


def endpoint_websocket_url(endpoint_url: str, api_id: str, stage: str, path: str = "") -> str:
    """A WebSocket stage on an AWS-compatible endpoint: the loopback form with ``ws://`` (``wss://`` for an
    ``https://`` endpoint): ``ws://{host}/restapis/{api_id}/{stage}/_user_request_/{path}``."""
    scheme, _, rest = endpoint_url.partition("://")
    ws = "wss" if scheme == "https" else "ws"
    return local_stage_url(f"{ws}://{rest}", api_id, stage, path)


# (api_id, stage, path, websocket) -> the local ws:// URL of a WebSocket API, or None (not one). The embedded
# gateway registers one (core imports nothing above it, so it cannot ask the API's protocol itself).
WebSocketResolver = Callable[[str, str, str, "bool | None"], "str | None"]
_WEBSOCKET_RESOLVERS: dict[str, WebSocketResolver] = {}


def register_websocket_resolver(name: str, resolver: WebSocketResolver) -> None:
    """Let ``resolver`` answer :func:`stage_url` for WebSocket APIs on the embedded backend (``name`` replaces)."""
    _WEBSOCKET_RESOLVERS[name] = resolver


def stage_url(backend: str, region: str, gateway_url: str | None, api_id: str, stage: str, path: str = "", *,
              http_api: bool = False, websocket: bool | None = None) -> str:
    """The URL of ``path`` on a deployed stage: AWS's form for ``backend="aws"`` (or no ``gateway_url``),
    else the loopback form on ``gateway_url``. Plain values in, so this module imports nothing of the package.

    WebSocket APIs: ``websocket=True`` gives ``wss://…`` on AWS and the local ``ws://127.0.0.1:{port}/…`` URL a
    registered resolver answers; with ``websocket=None`` the resolver recognises a local WebSocket API itself.
    """
    del http_api  # both API types share the URL shapes above
    if backend == "aws" or gateway_url is None:
        return aws_websocket_url(api_id, region, stage, path) if websocket else aws_stage_url(api_id, region, stage, path)
    if websocket is not False:
        for resolver in list(_WEBSOCKET_RESOLVERS.values()):
            local = resolver(api_id, stage, path, websocket)
            if local is not None:
                return local
    return local_stage_url(gateway_url, api_id, stage, path)
