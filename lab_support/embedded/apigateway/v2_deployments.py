"""Deployments of HTTP APIs, which moto 5.2.5 lacks (its ``create_deployment`` answers 404).

:data:`PATCHES` (part of the ``gateway`` group, :mod:`lab_support.core.patching`) adds ``CreateDeployment``,
``GetDeployments``, ``GetDeployment`` and ``DeleteDeployment`` to moto's ``apigatewayv2`` and remembers,
per deployment, a copy of the API's routes and integrations. A stage then serves:

* with ``AutoDeploy``: the API's current routes (AWS deploys every change automatically);
* otherwise: the snapshot of the deployment the stage points at (``create_deployment(StageName=)``
  or ``create_stage(DeploymentId=)``), and nothing (404) before the first deployment — as on AWS.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html
"""

from __future__ import annotations

import copy
import json
import random
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lab_support.core import patching

_DEPLOYMENTS: dict[str, dict[str, Deployment]] = {}  # api_id -> deployment_id -> snapshot
_STAGE_DEPLOYMENT: dict[tuple[str, str], str] = {}  # (api_id, stage) -> deployment_id


@dataclass
class Deployment:
    """One HTTP API deployment: its routes and integrations as they were."""

    id: str
    description: str
    routes: dict[str, Any]
    integrations: dict[str, Any]
    auto_deployed: bool = False
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> dict[str, Any]:
        return {"deploymentId": self.id, "description": self.description, "autoDeployed": self.auto_deployed,
                "deploymentStatus": "DEPLOYED", "createdDate": self.created.strftime("%Y-%m-%dT%H:%M:%SZ")}


def reset() -> None:
    _DEPLOYMENTS.clear()
    _STAGE_DEPLOYMENT.clear()


def serving(api: Any, stage: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(routes, integrations) that ``stage`` serves, or ``None`` when nothing is deployed to it."""
    if stage.auto_deploy:
        return api.routes, api.integrations
    dep_id = _STAGE_DEPLOYMENT.get((api.api_id, stage.name)) or (stage.config or {}).get("deploymentId")
    deployment = _DEPLOYMENTS.get(api.api_id, {}).get(dep_id or "")
    if deployment is None:
        return None
    return deployment.routes, deployment.integrations


def _v2_dispatch(_absent: Any) -> Any:
    """moto's apigatewayv2 handler (its urls module imports the responses module first)."""
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    return ApiGatewayV2Response.dispatch




def _not_found(what: str) -> tuple[int, dict[str, str], str]:
    return 404, {"x-amzn-ErrorType": "NotFoundException"}, json.dumps({"message": f"Invalid {what} identifier specified"})


def _create_deployment(self: Any) -> tuple[int, dict[str, str], str]:
    api_id = self.path.split("/")[-2]
    params = json.loads(self.body or "{}")
    api = self.apigatewayv2_backend.apis.get(api_id)
    if api is None:
        return _not_found("API")
    stage_name = params.get("stageName")
    if stage_name and stage_name not in api.stages:
        return _not_found("stage")
    dep_id = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))
    deployment = Deployment(dep_id, params.get("description") or "", copy.deepcopy(api.routes),
                            copy.deepcopy(api.integrations))
    _DEPLOYMENTS.setdefault(api_id, {})[dep_id] = deployment
    if stage_name:
        _STAGE_DEPLOYMENT[(api_id, stage_name)] = dep_id
    return 201, {}, json.dumps(deployment.to_json())


def _get_deployments(self: Any) -> tuple[int, dict[str, str], str]:
    api_id = self.path.split("/")[-2]
    items = [d.to_json() for d in _DEPLOYMENTS.get(api_id, {}).values()]
    return 200, {}, json.dumps({"items": items})


def _get_deployment(self: Any) -> tuple[int, dict[str, str], str]:
    parts = self.path.split("/")
    deployment = _DEPLOYMENTS.get(parts[-3], {}).get(parts[-1])
    if deployment is None:
        return _not_found("deployment")
    return 200, {}, json.dumps(deployment.to_json())


def _delete_deployment(self: Any) -> tuple[int, dict[str, str], str]:
    parts = self.path.split("/")
    if _DEPLOYMENTS.get(parts[-3], {}).pop(parts[-1], None) is None:
        return _not_found("deployment")
    return 204, {}, ""


_URLS = "moto.apigatewayv2.urls:url_paths"
_RESPONSE = "moto.apigatewayv2.responses:ApiGatewayV2Response"
PATCHES = [
    patching.Patch(_URLS, key="{0}/v2/apis/(?P<api_id>[^/]+)/deployments$", wrap=_v2_dispatch,
                   why="routes CreateDeployment / GetDeployments"),
    patching.Patch(_URLS, key="{0}/v2/apis/(?P<api_id>[^/]+)/deployments/(?P<deployment_id>[^/]+)$", wrap=_v2_dispatch,
                   why="routes GetDeployment / DeleteDeployment"),
    patching.Patch(f"{_RESPONSE}.create_deployment", replacement=_create_deployment, why="HTTP API deployments"),
    patching.Patch(f"{_RESPONSE}.get_deployments", replacement=_get_deployments, why="HTTP API deployments"),
    patching.Patch(f"{_RESPONSE}.get_deployment", replacement=_get_deployment, why="HTTP API deployments"),
    patching.Patch(f"{_RESPONSE}.delete_deployment", replacement=_delete_deployment, why="HTTP API deployments"),
]
"""The four operations and their routes (moto 5.2.5 has neither), declared in the ``gateway`` group."""
