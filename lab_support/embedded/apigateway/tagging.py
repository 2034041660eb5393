"""Tags on every taggable API Gateway resource, not only on stages.

moto's ``TagResource``/``GetTags``/``UntagResource`` understand stage ARNs only. AWS tags REST APIs, API keys,
usage plans, VPC links and stages through the same three calls, by ARN
(``arn:aws:apigateway:{region}::/restapis/{id}``, ``…::/apikeys/{id}``, ``…::/usageplans/{id}``,
``…::/vpclinks/{id}``: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging-supported-resources.html).
An API created by ``import_rest_api`` (which takes no tags) is tagged this way, and the clean-up finds it by tag.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from lab_support.core import patching

# ARN path collection -> the backend's dict of that kind of resource
_COLLECTIONS = {"restapis": "apis", "apikeys": "keys", "usageplans": "usage_plans", "vpclinks": "vpc_links"}


def _target(response: Any) -> Any | None:
    """The tagged object for ``…/tags/{arn}`` when the ARN names a whole resource (not a stage); else ``None``."""
    arn = unquote(response.path.split("/tags/", 1)[1])
    parts = arn.split("::/", 1)[-1].strip("/").split("/")
    if len(parts) != 2 or parts[0] not in _COLLECTIONS:
        return None
    found = getattr(response.backend, _COLLECTIONS[parts[0]]).get(parts[1])
    if found is None:
        from moto.apigateway.exceptions import NotFoundException  # loaded with moto's API Gateway

        raise NotFoundException(f"Invalid {parts[0]} identifier specified")
    return found


def _wrap_tag_resource(original: Any) -> Any:
    def tag_resource(self: Any) -> Any:
        target = _target(self)
        if target is None:
            return original(self)
        target.tags = {**(target.tags or {}), **(self._get_param("tags") or {})}
        return json.dumps({})

    return tag_resource


def _wrap_get_tags(original: Any) -> Any:
    def get_tags(self: Any) -> Any:
        target = _target(self)
        return original(self) if target is None else json.dumps({"tags": target.tags or {}})

    return get_tags


def _wrap_untag_resource(original: Any) -> Any:
    def untag_resource(self: Any) -> Any:
        target = _target(self)
        if target is None:
            return original(self)
        keys = set(self.querystring.get("tagKeys") or [])
        target.tags = {k: v for k, v in (target.tags or {}).items() if k not in keys}
        return json.dumps({})

    return untag_resource


def _dispatch(*args: Any, **kwargs: Any) -> Any:
    """moto's API Gateway handler for the added ``/tags/{arn of a REST API, key, plan or VPC link}`` route.

    moto's URL map routes ``/tags/`` to stage ARNs only (a server decodes the ARN's slashes before routing). The
    route goes into ``moto.apigatewayv2.urls.url_paths``, which moto's ``apigateway`` URL map copies (as
    :mod:`.usage_plans` explains); the handler is looked up at call time.
    """
    from moto.apigateway.responses import APIGatewayResponse  # loaded with moto's API Gateway

    return APIGatewayResponse.dispatch(*args, **kwargs)


_ROUTE = ("{0}/tags/arn:(?P<partition>[^/]+):apigateway:(?P<region_name>[^/]*)::/"
          "(?P<collection>restapis|apikeys|usageplans|vpclinks)/(?P<resource_id>[^/]+)$")

PATCHES = [
    patching.Patch("moto.apigatewayv2.urls:url_paths", key=_ROUTE, replacement=_dispatch,
                   why="routes TagResource/GetTags/UntagResource for whole resources on a server"),
    patching.Patch("moto.apigateway.responses:APIGatewayResponse.tag_resource", wrap=_wrap_tag_resource,
                   signature=["self"], why="tags REST APIs, API keys, usage plans and VPC links too (moto: stages only)"),
    patching.Patch("moto.apigateway.responses:APIGatewayResponse.get_tags", wrap=_wrap_get_tags,
                   signature=["self"], why="reads the tags of REST APIs, API keys, usage plans and VPC links"),
    patching.Patch("moto.apigateway.responses:APIGatewayResponse.untag_resource", wrap=_wrap_untag_resource,
                   signature=["self"], why="removes tags from REST APIs, API keys, usage plans and VPC links"),
]
