"""Private integrations of REST APIs through VPC links: V1 (legacy, ``apigateway.create_vpc_link``, an NLB) and V2
(``apigatewayv2.create_vpc_link``, an ALB or NLB named by the integration's ``integrationTarget``).

"VPC links V1 are considered a legacy integration type … we recommend that you don't create new VPC links V1";
REST APIs use VPC links V2 with Application or Network Load Balancers
(https://docs.aws.amazon.com/apigateway/latest/developerguide/private-integration.html). A V2 private integration is
an ``HTTP_PROXY`` integration with ``connectionType: VPC_LINK``, ``connectionId`` (the V2 link's id, or a stage
variable) and ``integrationTarget``, "the ARN of an Network Load Balancer or an Application Load Balancer"
(``put-integration --integration-target arn:aws:elasticloadbalancing:…:loadbalancer/app/…``:
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-private-integration.html).

moto 5.2.5 keeps neither ``connectionId`` nor ``integrationTarget`` of ``put_integration`` (botocore has both).
:data:`PATCHES` keep them on moto's ``Integration`` and return them from ``GetIntegration`` / ``GetMethod``.
:func:`backend_keys` says under which keys a local stand-in may be registered for a request
(:func:`lab_support.embedded.apigateway.register_private_backend`): the link's id, then what it leads to (a V1 link's
``targetArns``, a V2 integration's ``integrationTarget``).
"""

from __future__ import annotations

import json
from typing import Any

from lab_support.core import patching
from lab_support.embedded.apigateway.common import substitute_stage_variables


def _wrap_put_integration(original: Any) -> Any:
    def put_integration(self: Any) -> Any:
        status, headers, body = original(self)
        connection_id, target = self._get_param("connectionId"), self._get_param("integrationTarget")
        if connection_id or target:
            parts = self.path.split("/")
            integration = self.backend.get_integration(parts[2], parts[4], parts[6])
            integration.connection_id = connection_id
            integration.integration_target = target
            body = json.dumps(integration.to_json())
        return status, headers, body

    return put_integration


def _wrap_to_json(original: Any) -> Any:
    def to_json(self: Any) -> dict[str, Any]:
        out: dict[str, Any] = original(self)
        for key, attribute in (("connectionId", "connection_id"), ("integrationTarget", "integration_target")):
            value = getattr(self, attribute, None)
            if value:
                out[key] = value
        return out

    return to_json


def backend_keys(integration: Any, stage_variables: dict[str, str], account_id: str, region: str) -> list[str]:
    """Keys a private backend may be registered under, most specific first.

    The integration's link (V1 in ``apigateway``, else V2 in ``apigatewayv2``): its id, then the V1 link's target
    NLB ARNs or the V2 integration's ``integrationTarget``. Without a ``connectionId`` (an integration made before
    moto kept it), every V1 link of the account is a candidate.
    """
    from moto.apigateway.models import apigateway_backends
    from moto.apigatewayv2.models import apigatewayv2_backends

    link_id = substitute_stage_variables(getattr(integration, "connection_id", None), stage_variables)
    target = substitute_stage_variables(getattr(integration, "integration_target", None), stage_variables)
    keys: list[str] = []
    v1_links = apigateway_backends[account_id][region].vpc_links
    if link_id is None:
        for lid, link in v1_links.items():
            keys += [lid, *list(getattr(link, "target_arns", None) or [])]
        return keys
    if link_id in v1_links:
        keys += [link_id, *list(getattr(v1_links[link_id], "target_arns", None) or [])]
    elif link_id in apigatewayv2_backends[account_id][region].vpc_links:
        keys.append(link_id)
    if target:
        keys.append(target)
    return keys


PATCHES = [
    patching.Patch("moto.apigateway.responses:APIGatewayResponse.put_integration", wrap=_wrap_put_integration,
                   signature=["self"], why="keeps connectionId and integrationTarget (VPC links V1 and V2)"),
    patching.Patch("moto.apigateway.models:Integration.to_json", wrap=_wrap_to_json, signature=["self"],
                   why="GetIntegration / GetMethod return connectionId and integrationTarget"),
]
"""Declared in the ``gateway`` group (:mod:`lab_support.embedded.apigateway`)."""
