"""PRIVATE REST APIs as AWS enforces them: deploy-time rule and resource-policy evaluation.

Two rules from the API Gateway developer guide:

1. "For a private API, you can't deploy your API without a resource policy"
   (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html).
   AWS answers ``CreateDeployment`` with ``BadRequestException: Private REST API doesn't have a
   resource policy attached to it`` (the text users report, e.g.
   https://github.com/hashicorp/terraform-provider-aws/issues/14290). moto deploys anyway, so
   :func:`install` patches moto's ``create_deployment`` to refuse the same way.
2. A private API is only callable from a VPC through an interface VPC endpoint, and "your
   private API must have a resource policy that allows specific VPCs and VPC endpoints to
   invoke your API"
   (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-test-invoke-url.html).
   :func:`private_request_allowed` evaluates the API's resource policy for one request with the
   package's one IAM evaluator (:mod:`lab_support.embedded.iam.policy`): ``execute-api:Invoke`` on
   ``arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}/{path}``, conditions on
   ``aws:SourceVpce`` / ``aws:SourceVpc`` (and ``aws:SourceIp``), an explicit ``Deny`` always winning
   (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html).

How a local request says "I come through VPC endpoint vpce-…"
--------------------------------------------------------------
There is no VPC on this machine, so the local gateway reads the endpoint from the request,
mirroring the ways AWS documents for invoking a private API:

* ``Host: {api-id}-{vpce-id}.execute-api.{region}.amazonaws.com`` — the Route 53 alias name that
  exists when the VPC endpoint is associated with the API (the API id comes from the host);
* or the header ``X-Lab-Source-Vpce: vpce-…`` (a course convention, not an AWS header), optionally
  with ``x-apigw-api-id: {api-id}`` as AWS uses with the endpoint's public DNS names;
* optionally ``X-Lab-Source-Vpc: vpc-…`` for policies that test ``aws:SourceVpc``.

A request with neither is treated as coming from outside any VPC: on AWS the private API's name
would not even resolve there; locally it gets the 403 below.

Denied requests get what API Gateway returns (AWS Knowledge Center, "How do I troubleshoot HTTP 403
errors from API Gateway?": https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden):
status 403, header ``x-amzn-ErrorType: AccessDeniedException``, body
``{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: <arn>"}``,
with `` with an explicit deny`` appended when a Deny statement matched.

Simplifications (documented): on AWS a changed resource policy takes effect at the next deployment;
here the current policy is used. Principals other than ``*`` never match an anonymous caller
(:data:`lab_support.embedded.iam.policy.ANONYMOUS`).

Public API: :func:`install`, :func:`is_private`, :func:`source_from_headers`,
:func:`private_request_allowed`, :func:`check_request`, :func:`forbidden_response`,
:func:`execute_api_arn`, :func:`explain_private_on_real_account`, :data:`DEPLOY_ERROR_MESSAGE`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lab_support.core import patching
from lab_support.core.session import current
from lab_support.embedded.iam.policy import ANONYMOUS, Decision, resource_policy_verdict

DEPLOY_ERROR_MESSAGE = "Private REST API doesn't have a resource policy attached to it"
"""AWS's message for CreateDeployment on a PRIVATE REST API that has no resource policy (see rule 1 above)."""

INVOKE_ACTION = "execute-api:Invoke"
# API Gateway's 403 for a request its resource policy refuses (repost.aws knowledge center, module docstring).
FORBIDDEN_MESSAGE = "User: {principal} is not authorized to perform: execute-api:Invoke on resource: {arn}"
EXPLICIT_DENY_SUFFIX = " with an explicit deny"

SOURCE_VPCE_HEADER = "X-Lab-Source-Vpce"
SOURCE_VPC_HEADER = "X-Lab-Source-Vpc"
_ALIAS_HOST = re.compile(r"^(?P<api>[a-z0-9]+)-(?P<vpce>vpce-[0-9a-f]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com$")

# -- 1. CreateDeployment on a PRIVATE API needs a resource policy ---------------------------------
def _wrap_create_deployment(original: Any) -> Any:
    def create_deployment(self: Any, function_id: str, *args: Any, **kwargs: Any) -> Any:
        from moto.apigateway.exceptions import BadRequestException

        api = self.get_rest_api(function_id)
        if is_private(api) and not _policy_text(api):
            raise BadRequestException(DEPLOY_ERROR_MESSAGE)
        return original(self, function_id, *args, **kwargs)

    create_deployment.__doc__ = original.__doc__
    return create_deployment


PATCHES = patching.group("private_api", [
    patching.Patch("moto.apigateway.models:APIGatewayBackend.create_deployment", wrap=_wrap_create_deployment,
                   signature=["self", "function_id", "name", "description", "stage_variables"],
                   why="a PRIVATE REST API without a resource policy is refused (BadRequestException)"),
])


def install(session: Any = None) -> None:
    """Request the ``create_deployment`` patch (applied when moto's API Gateway models are imported, undone by
    ``lab.stop()``) that refuses PRIVATE APIs without a policy.

    Registered with ``lab.register_extension("private_api", install)`` from
    ``lab_support/__init__.py``, so it runs at every ``lab.start()``.
    """
    del session
    patching.apply(PATCHES)


# -- helpers to read an API whichever form it comes in -------------------------------------------
def _as_api(rest_api: Any, region: str | None = None) -> Any:
    """A moto RestAPI, a ``get_rest_api`` dict, or an API id (looked up in the embedded backend)."""
    if isinstance(rest_api, str):
        from moto.apigateway.models import apigateway_backends
        from moto.core import DEFAULT_ACCOUNT_ID

        region = region or current().region
        return apigateway_backends[DEFAULT_ACCOUNT_ID][region].get_rest_api(rest_api)
    return rest_api


def _field(api: Any, attr: str, key: str) -> Any:
    return api.get(key) if isinstance(api, Mapping) else getattr(api, attr, None)


def _policy_text(api: Any) -> str | None:
    return _field(api, "policy", "policy") or None


def is_private(rest_api: Any, region: str | None = None) -> bool:
    """True when the REST API's endpoint type is PRIVATE (``rest_api``: object, dict or id)."""
    api = _as_api(rest_api, region)
    config = _field(api, "endpoint_configuration", "endpointConfiguration") or {}
    return "PRIVATE" in (config.get("types") or [])


def _associated_vpces(api: Any) -> list[str]:
    config = _field(api, "endpoint_configuration", "endpointConfiguration") or {}
    return list(config.get("vpcEndpointIds") or [])


def parse_policy(text: str | dict[str, Any] | None) -> dict[str, Any] | None:
    """The resource policy as a dict; accepts JSON, JSON-in-a-string and backslash-escaped JSON."""
    if text is None or isinstance(text, dict):
        return text
    value: Any = text
    for _ in range(3):
        if isinstance(value, dict):
            return value
        try:
            value = json.loads(value)
        except (TypeError, ValueError):
            value = str(value).replace('\\"', '"')
            try:
                value = json.loads(value)
            except ValueError:
                return None
    return value if isinstance(value, dict) else None


def execute_api_arn(region: str, account_id: str, api_id: str, stage: str, method: str, path: str) -> str:
    """``arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}/{path}`` for a request."""
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/{method.upper()}/{path.lstrip('/')}"


def source_from_headers(headers: Mapping[str, str]) -> dict[str, str | None]:
    """Read the local "which VPC endpoint did this come through" convention from request headers.

    Returns ``{"api_id", "vpce_id", "vpc_id", "via"}`` where ``via`` is ``"alias-host"``,
    ``"header"`` or ``None`` (not through a VPC endpoint). Header names are case-insensitive.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    host = (lower.get("host") or "").split(":")[0].lower()
    api_id = lower.get("x-apigw-api-id")
    vpce = lower.get(SOURCE_VPCE_HEADER.lower())
    via: str | None = "header" if vpce else None
    match = _ALIAS_HOST.match(host)
    if match:
        api_id = api_id or match.group("api")
        vpce = vpce or match.group("vpce")
        via = "alias-host"
    return {"api_id": api_id, "vpce_id": vpce, "vpc_id": lower.get(SOURCE_VPC_HEADER.lower()), "via": via}


# -- 2. resource-policy evaluation (lab_support.embedded.iam.policy) ----------------------------------
def private_request_allowed(
    rest_api: Any,
    source_vpce: str | None,
    *,
    stage: str,
    method: str,
    path: str,
    source_vpc: str | None = None,
    source_ip: str | None = None,
    principal: str | None = None,
    region: str | None = None,
    account_id: str | None = None,
) -> tuple[bool, str]:
    """Would API Gateway let this request invoke the API? Returns ``(allowed, reason)``.

    Args:
        rest_api: a moto ``RestAPI``, a ``get_rest_api`` response dict, or the API id.
        source_vpce: the VPC endpoint the request came through (``None``: not through one).
        stage, method, path: what is invoked, e.g. ``"prod"``, ``"GET"``, ``"/pets/1"``.
        source_vpc, source_ip: values for ``aws:SourceVpc`` / ``aws:SourceIp`` conditions.
        principal: the caller's IAM ARN for signed requests (``None``: anonymous).
        region, account_id: default to the running session's.

    The reason is one short sentence; the 403 body to send comes from :func:`forbidden_response`.
    An API that is not PRIVATE and has no resource policy is always allowed.
    """
    outcome = _evaluate(_as_api(rest_api, region), source_vpce, stage=stage, method=method, path=path,
                        source_vpc=source_vpc, source_ip=source_ip, principal=principal, region=region,
                        account_id=account_id)
    return outcome.allowed, outcome.reason


@dataclass(frozen=True)
class _Outcome:
    allowed: bool
    reason: str
    explicit: bool  # an explicit Deny decided (API Gateway then says "… with an explicit deny")
    arn: str


def _evaluate(api: Any, source_vpce: str | None, *, stage: str, method: str, path: str, source_vpc: str | None,
              source_ip: str | None, principal: str | None, region: str | None, account_id: str | None) -> _Outcome:
    region = region or _field(api, "region_name", "region") or _session_value("region")
    account_id = account_id or _field(api, "account_id", "accountId") or _session_value("account_id")
    api_id = str(_field(api, "id", "id"))
    arn = execute_api_arn(str(region), str(account_id), api_id, stage, method, path)
    private = is_private(api)
    if private and not source_vpce:
        return _Outcome(False, f"{api_id} is a PRIVATE API and the request did not come through a VPC endpoint",
                        False, arn)
    policy = parse_policy(_policy_text(api))
    if policy is None:
        if private:
            return _Outcome(False, f"{api_id} is a PRIVATE API with no resource policy: nothing allows the call",
                            False, arn)
        return _Outcome(True, "no resource policy: the API is public", False, arn)
    context = {"aws:SourceVpce": source_vpce, "aws:SourceVpc": source_vpc, "aws:SourceIp": source_ip}
    verdict = resource_policy_verdict(policy, principal=principal or ANONYMOUS, action=INVOKE_ACTION, resource=arn,
                                      context={k: v for k, v in context.items() if v is not None})
    if verdict.decision is Decision.EXPLICIT_DENY:
        return _Outcome(False, f"explicit deny by {verdict.statement_id} for {arn}", True, arn)
    if verdict.decision is Decision.ALLOW:
        return _Outcome(True, f"allowed by {verdict.statement_id}", False, arn)
    return _Outcome(False, f"no statement allows {INVOKE_ACTION} on {arn} (implicit deny)", False, arn)


def _session_value(name: str) -> str:
    return str(getattr(current(), name))


def forbidden_response(arn: str, *, explicit: bool) -> tuple[int, dict[str, str], bytes]:
    """``(403, headers, body)`` as API Gateway sends it when the resource policy denies a call."""
    message = FORBIDDEN_MESSAGE.format(principal=ANONYMOUS, arn=arn)
    if explicit:
        message += EXPLICIT_DENY_SUFFIX
    body = json.dumps({"Message": message}, separators=(",", ":")).encode()
    return 403, {"Content-Type": "application/json", "x-amzn-ErrorType": "AccessDeniedException"}, body


def check_request(
    rest_api: Any,
    *,
    stage: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    source_ip: str | None = None,
    region: str | None = None,
) -> tuple[int, dict[str, str], bytes] | None:
    """The one call for the local gateway: ``None`` to go on, or the 403 response to send.

    Reads the VPC endpoint from ``headers`` (see the module docstring), evaluates the resource
    policy with :func:`private_request_allowed` and builds the AWS-shaped 403. For an API that is
    neither PRIVATE nor has a resource policy it returns ``None`` at once.
    """
    api = _as_api(rest_api, region)
    if not is_private(api) and not _policy_text(api):
        return None
    source = source_from_headers(headers)
    vpce = source["vpce_id"]
    if source["via"] == "alias-host" and vpce not in _associated_vpces(api):
        vpce = None  # on AWS that alias name only exists for an associated endpoint
    outcome = _evaluate(api, vpce, stage=stage, method=method, path=path, source_vpc=source["vpc_id"],
                        source_ip=source_ip, principal=None, region=region, account_id=None)
    if outcome.allowed:
        return None
    return forbidden_response(outcome.arn, explicit=outcome.explicit)


def explain_private_on_real_account() -> str:
    """What a PRIVATE API needs on a real account, and what it costs (printed by notebooks)."""
    return (
        "A PRIVATE API on a real AWS account\n"
        "• It is reachable only from a VPC, through an interface VPC endpoint for execute-api\n"
        "  (com.amazonaws.<region>.execute-api), or over Direct Connect/VPN into that VPC.\n"
        "• Interface VPC endpoints (AWS PrivateLink) are billed per endpoint per Availability Zone\n"
        "  per hour, plus per GB processed — even when nobody calls the API. See\n"
        "  https://aws.amazon.com/privatelink/pricing/ for the current prices in your Region.\n"
        "• You need something inside the VPC to call it from (an EC2 instance, a Lambda function\n"
        "  attached to the VPC, CloudShell in a VPC environment …), which may cost money too.\n"
        "• It cannot be deployed without a resource policy; the usual policy allows\n"
        "  execute-api:Invoke on execute-api:/* and denies it unless aws:SourceVpce is your endpoint.\n"
        "• Delete the VPC endpoint when you are done: it is what keeps charging.\n"
        "In this course's embedded backend none of that costs anything: the local gateway takes the\n"
        "endpoint from the request (Host {api-id}-{vpce-id}.execute-api.<region>.amazonaws.com or\n"
        "the X-Lab-Source-Vpce header) and applies the resource policy as AWS does."
    )
