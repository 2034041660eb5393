"""URLs of deployed API stages, in the form each backend answers."""

from __future__ import annotations


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


def stage_url(backend: str, region: str, gateway_url: str | None, api_id: str, stage: str, path: str = "", *,
              http_api: bool = False) -> str:
    """The URL of ``path`` on a deployed stage: AWS's form for ``backend="aws"`` (or no ``gateway_url``),
    else the loopback form on ``gateway_url``. Plain values in, so this module imports nothing of the package."""
    del http_api  # both API types share the URL shapes above
    if backend == "aws" or gateway_url is None:
        return aws_stage_url(api_id, region, stage, path)
    return local_stage_url(gateway_url, api_id, stage, path)
