"""Canary releases of REST API stages: the settings moto drops, and the split on each request.

A stage's ``canarySettings`` (https://docs.aws.amazon.com/apigateway/latest/api/API_CanarySettings.html:
``percentTraffic``, ``deploymentId``, ``stageVariableOverrides``, ``useStageCache``) send that percentage of the
stage's requests to another deployment, with some stage variables overridden
(https://docs.aws.amazon.com/apigateway/latest/developerguide/canary-release.html). moto 5.2.5 accepts and
forgets them; :data:`PATCHES` keep them:

* ``create_deployment(stageName=..., canarySettings={...})`` deploys a canary: the stage keeps serving its
  current deployment and the new deployment becomes the canary's (the stage must exist: 404 otherwise)
  ("Create a canary release deployment": https://docs.aws.amazon.com/apigateway/latest/developerguide/create-canary-deployment.html);
* ``create_stage(canarySettings=...)`` and ``get_stage`` / ``get_stages`` (``Stage.to_json``);
* ``update_stage`` patch operations: ``replace`` (or ``add``) ``/canarySettings/percentTraffic``,
  ``/canarySettings/deploymentId``, ``/canarySettings/useStageCache``,
  ``/canarySettings/stageVariableOverrides/{name}`` (``remove`` too), ``remove /canarySettings`` (turn the canary
  off); promotion ("Promote a canary release": https://docs.aws.amazon.com/apigateway/latest/developerguide/promote-canary-deployment.html)
  as ``copy`` from ``/canarySettings/deploymentId`` to ``/deploymentId`` and from
  ``/canarySettings/stageVariableOverrides`` to ``/variables``, or ``replace /deploymentId`` with the canary's id.

:func:`route` (a REST chain handler right after the stage is resolved) draws with the course's random source
(:func:`lab_support.core.clock.rng`, seeded by ``lab.reset()``): a canary request is served by the canary's
deployment with its stage-variable overrides; ``$context.isCanaryRequest`` is ``true`` or ``false`` (only on
stages with a canary) and ``$context.deploymentId`` names the deployment that served it.
Not modelled: the canary's own execution-log group (``.../{stage}/Canary``) and stage cache.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lab_support.core import clock, patching
from lab_support.embedded.apigateway import rest
from lab_support.embedded.apigateway.context import RequestContext

_PREFIX = "/canarySettings"


@dataclass(frozen=True)
class _Serving:
    """What :func:`.rest.deployment_for` reads of a stage: the deployment id."""

    deployment_id: str


def settings_of(stage: Any) -> dict[str, Any] | None:
    """The stage's canary settings (``None`` when it has no canary)."""
    return getattr(stage, "canary_settings", None)


def normalise(raw: dict[str, Any], default_deployment: str | None) -> dict[str, Any]:
    """``CanarySettings`` as API Gateway returns them (``percentTraffic`` a number, ``useStageCache`` a bool)."""
    return {
        "percentTraffic": float(raw.get("percentTraffic") or 0.0),
        "deploymentId": raw.get("deploymentId") or default_deployment,
        "stageVariableOverrides": dict(raw.get("stageVariableOverrides") or {}),
        "useStageCache": bool(raw.get("useStageCache") or False),
    }


# -- the chain handler ---------------------------------------------------------------------------
def route(ctx: RequestContext) -> None:
    """REST chain handler: send ``percentTraffic`` % of the stage's requests to the canary deployment."""
    settings = settings_of(ctx.stage)
    if not settings:
        return
    percent = float(settings.get("percentTraffic") or 0.0)
    canary = percent > 0 and bool(settings.get("deploymentId")) and clock.rng().random() * 100.0 < percent
    ctx.variables["isCanaryRequest"] = "true" if canary else "false"
    if not canary:
        return
    deployment_id = str(settings["deploymentId"])
    ctx.deployment = rest.deployment_for(ctx.api, _Serving(deployment_id))
    ctx.variables["deploymentId"] = deployment_id
    ctx.stage_variables.update(settings.get("stageVariableOverrides") or {})


# -- the patches (moto's control plane) --------------------------------------------------------------------------
def _api_of(response: Any) -> Any:
    function_id = response.path.replace("/restapis/", "", 1).split("/")[0]
    return response.backend.get_rest_api(function_id)


def _wrap_create_deployment(original: Any) -> Any:
    def create_deployment(self: Any) -> Any:
        raw = self._get_param("canarySettings")
        name = self._get_param("stageName")
        if not raw or not name:
            return original(self)
        api = _api_of(self)
        before = api.stages.get(name)
        if before is None:
            # "you cannot specify any non-existing stage name when creating a canary release deployment. You will
            # get an error and API Gateway will not create any canary release deployment" (create-canary-deployment
            # page above); the error's type and text are assumed (moto's StageNotFoundException: 404 NotFoundException
            # "Invalid stage identifier specified").
            from moto.apigateway.exceptions import StageNotFoundException

            raise StageNotFoundException()
        status, headers, body = original(self)
        if status != 201:
            return status, headers, body
        new_id = json.loads(body)["id"]
        api.stages[name] = stage = before  # the stage keeps its deployment (moto replaced it); the new one is the canary's
        stage.canary_settings = normalise({**raw, "deploymentId": new_id}, new_id)
        return status, headers, body

    return create_deployment


def _wrap_create_stage(original: Any) -> Any:
    def create_stage(self: Any) -> Any:
        status, headers, body = original(self)
        raw = self._get_param("canarySettings")
        if raw and status == 201:
            stage = _api_of(self).stages[self._get_param("stageName")]
            stage.canary_settings = normalise(raw, stage.deployment_id)
            body = json.dumps(stage.to_json())
        return status, headers, body

    return create_stage


def _wrap_to_json(original: Any) -> Any:
    def to_json(self: Any) -> dict[str, Any]:
        out = original(self)
        settings = settings_of(self)
        if settings:
            out["canarySettings"] = dict(settings)
        return dict(out)

    return to_json


def _wrap_apply_operations(original: Any) -> Any:
    def apply_operations(self: Any, patch_operations: list[dict[str, Any]]) -> Any:
        theirs = []
        for op in patch_operations or []:
            if not _canary_operation(self, op):
                theirs.append(op)
        return original(self, theirs) if theirs else self

    return apply_operations


def _canary_operation(stage: Any, op: dict[str, Any]) -> bool:
    """Apply one canary patch operation to ``stage``; ``False`` when it is not one (moto applies it)."""
    kind = str(op.get("op") or "").lower()
    path = str(op.get("path") or "")
    source = str(op.get("from") or "")
    value = op.get("value")
    if kind == "copy" and source.startswith(_PREFIX):
        settings = settings_of(stage) or {}
        if path == "/deploymentId" and source == f"{_PREFIX}/deploymentId":
            stage.deployment_id = settings.get("deploymentId") or stage.deployment_id
        elif path == "/variables" and source == f"{_PREFIX}/stageVariableOverrides":
            stage.variables = {**(stage.variables or {}), **(settings.get("stageVariableOverrides") or {})}
        else:
            _bad_path(path)
        return True
    if not path.startswith(_PREFIX):
        return False
    if path == _PREFIX:
        if kind == "remove":
            stage.canary_settings = None
            return True
        _bad_path(path)
    settings = settings_of(stage) or normalise({}, stage.deployment_id)
    name = path[len(_PREFIX) + 1:]
    if name == "percentTraffic":
        settings["percentTraffic"] = float(value or 0.0)
    elif name == "deploymentId":
        settings["deploymentId"] = value
    elif name == "useStageCache":
        settings["useStageCache"] = str(value).lower() == "true"
    elif name.startswith("stageVariableOverrides/"):
        key = name.split("/", 1)[1].replace("~1", "/").replace("~0", "~")
        overrides = dict(settings.get("stageVariableOverrides") or {})
        if kind == "remove":
            overrides.pop(key, None)
        else:
            overrides[key] = value
        settings["stageVariableOverrides"] = overrides
    else:
        _bad_path(path)
    stage.canary_settings = settings
    return True


def _bad_path(path: str) -> None:
    from moto.apigateway.exceptions import BadRequestException

    # AWS's wording for an unknown patch path is assumed here (as in patch_operations.py).
    raise BadRequestException(f"Invalid patch path '{path}'")


PATCHES = [
    patching.Patch("moto.apigateway.responses:APIGatewayResponse.create_deployment", wrap=_wrap_create_deployment,
                   signature=["self"], why="canarySettings: the new deployment becomes the stage's canary"),
    patching.Patch("moto.apigateway.responses:APIGatewayResponse.create_stage", wrap=_wrap_create_stage,
                   signature=["self"], why="keeps canarySettings"),
    patching.Patch("moto.apigateway.models:Stage.to_json", wrap=_wrap_to_json, signature=["self"],
                   why="returns canarySettings"),
    patching.Patch("moto.apigateway.models:Stage.apply_operations", wrap=_wrap_apply_operations,
                   signature=["self", "patch_operations"],
                   why="update_stage: /canarySettings/* operations, promotion (copy to /deploymentId and /variables)"),
]
"""Declared in the ``gateway`` group (:mod:`lab_support.embedded.apigateway`)."""
