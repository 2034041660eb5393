"""URLs of deployed API stages, in the form each backend answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lab_support.core.session import Session


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


def stage_url(session: Session, api_id: str, stage: str, path: str = "", *, http_api: bool = False) -> str:
    """The URL of ``path`` on a deployed stage, for whichever backend ``session`` uses."""
    del http_api  # both API types share the URL shapes above
    if session.backend == "aws" or session.gateway_url is None:
        return aws_stage_url(api_id, session.region, stage, path)
    return local_stage_url(session.gateway_url, api_id, stage, path)
