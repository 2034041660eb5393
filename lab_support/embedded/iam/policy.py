"""IAM policy evaluation: the pure logic, no moto and no HTTP.

What it implements, following the IAM User Guide:

* the evaluation logic inside one account — an explicit ``Deny`` wins, otherwise an ``Allow``
  is needed, otherwise the request is implicitly denied
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html);
* ``Action``/``NotAction`` (case-insensitive, ``*`` and ``?`` wildcards) and
  ``Resource``/``NotResource`` (case-sensitive wildcards, matched segment by segment of the ARN)
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html);
* ``Principal``/``NotPrincipal`` for resource-based policies, including the anonymous caller
  (``"Principal": "*"`` or ``{"AWS": "*"}``, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous);
* resource-based policies of Lambda functions (qualified ARNs) and of API Gateway APIs
  (``execute-api:Invoke``, the ``execute-api:/stage/METHOD/path`` shorthand,
  https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-examples.html);
* ``Condition`` with the String, Numeric, Date, Bool, IpAddress, Arn and Null operators, the
  ``…IfExists`` suffix and the ``ForAnyValue:``/``ForAllValues:`` prefixes
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
  Condition keys are case-insensitive; a key missing from the request context makes a positive
  operator false and a negated operator (``StringNotEquals``…) true.

Callers pass the request context (``aws:SourceArn``, ``aws:SourceVpce``, ``aws:SourceVpc``,
``aws:SourceIp``…); this module only compares. It is the package's one evaluator: identity policies
(:mod:`.enforcement`), Lambda resource policies and trust policies (:mod:`lab_support.embedded.lambda_`),
private API resource policies (:mod:`lab_support.embedded.apigateway.private_endpoints`) and event source
mapping checks all call it.

Not implemented: policy variables (``${aws:username}``), permissions boundaries, session
policies, SCPs.
"""

from __future__ import annotations

import ipaddress
import json
import operator as op
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

__all__ = [
    "ANONYMOUS",
    "Decision",
    "Verdict",
    "decide",
    "evaluate",
    "execute_api_resource_matches",
    "resource_policy_allows",
    "resource_policy_decision",
    "resource_policy_verdict",
    "statement_applies",
]

ANONYMOUS = "anonymous"
"""The principal of an unsigned request: only ``"Principal": "*"`` (or ``{"AWS": "*"}``) names it.
API Gateway calls it ``anonymous`` in its 403 message ("User: anonymous is not authorized…")."""


class Decision(StrEnum):
    """The outcome of evaluating a set of policies for one request."""

    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


# -- small helpers ---------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]


def _load(policy: Any) -> dict[str, Any] | None:
    """A policy as a dict, from a dict, a JSON string or bytes (``None`` stays ``None``)."""
    if policy is None:
        return None
    if isinstance(policy, (bytes, bytearray)):
        policy = policy.decode()
    if isinstance(policy, str):
        if not policy.strip():
            return None
        text = policy if policy.lstrip().startswith("{") else unquote(policy)
        policy = json.loads(text)
    if isinstance(policy, Mapping) and "Policy" in policy and "Statement" not in policy:
        return _load(policy["Policy"])  # a GetPolicy answer
    return dict(policy)


def _statements(policy: Any) -> list[dict[str, Any]]:
    doc = _load(policy)
    if not doc:
        return []
    return [s for s in _as_list(doc.get("Statement")) if isinstance(s, Mapping)]


@lru_cache(maxsize=2048)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # IAM wildcards: * any run of characters, ? exactly one. Nothing else is special.
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return bool(_glob(pattern, ignore_case).match(value))


def action_matches(pattern: str, action: str) -> bool:
    """``s3:Get*`` matches ``s3:GetObject``; service prefix and name are case-insensitive."""
    return pattern == "*" or _like(pattern, action, ignore_case=True)


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM resource matching: ``*`` alone matches anything, else segment by segment.

    The first five segments (``arn:partition:service:region:account``) are compared one by
    one; the sixth (the resource, which may itself hold ``:`` and ``/``) is globbed whole.
    """
    if pattern == "*":
        return True
    p_parts = pattern.split(":", 5)
    a_parts = arn.split(":", 5)
    if len(p_parts) != 6 or len(a_parts) != 6:
        return _like(pattern, arn)
    return all(_like(p, a) for p, a in zip(p_parts, a_parts, strict=True))


# -- conditions ---------------------------------------------------------------------------------


def _to_number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _to_date(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value)
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _to_bool(value: Any) -> bool | None:
    text = str(value).lower()
    return True if text == "true" else False if text == "false" else None


_ORDER_COMPARISONS = {"Equals": op.eq, "LessThan": op.lt, "LessThanEquals": op.le,
                      "GreaterThan": op.gt, "GreaterThanEquals": op.ge}


def _compare(base: str, expected: Any, actual: Any) -> bool:
    """One policy value against one context value, for a base operator (no Not, no IfExists)."""
    if base == "StringEquals":
        return str(actual) == str(expected)
    if base == "StringEqualsIgnoreCase":
        return str(actual).lower() == str(expected).lower()
    if base == "StringLike":
        return _like(str(expected), str(actual))
    if base in ("ArnEquals", "ArnLike"):
        return arn_matches(str(expected), str(actual))
    for prefix, convert in (("Numeric", _to_number), ("Date", _to_date)):
        if base.startswith(prefix):  # NumericLessThan, DateGreaterThanEquals…: one comparison after converting
            a, e = convert(actual), convert(expected)
            compare = _ORDER_COMPARISONS.get(base[len(prefix):])
            return a is not None and e is not None and compare is not None and bool(compare(a, e))
    if base == "Bool":
        return _to_bool(actual) is not None and _to_bool(actual) == _to_bool(expected)
    if base == "IpAddress":
        try:
            return ipaddress.ip_address(str(actual)) in ipaddress.ip_network(str(expected), strict=False)
        except ValueError:
            return False
    if base == "BinaryEquals":
        return str(actual) == str(expected)
    return False


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
}


def _lookup(context: Mapping[str, Any], key: str) -> Any:
    lowered = key.lower()
    for k, v in context.items():
        if k.lower() == lowered:
            return v
    return None


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, Any]) -> bool:
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
    expected_values = _as_list(expected)
    actual = _lookup(context, key)

    if operator == "Null":
        # "Null": true means the key must be absent.
        want_absent = any(_to_bool(v) for v in expected_values)
        return (actual is None) == want_absent
    if actual is None:
        if if_exists:
            return True
        # A missing key: positive operators fail, negated operators hold; ForAllValues holds.
        return operator in _NEGATED or qualifier == "ForAllValues"

    negated = operator in _NEGATED
    base = _NEGATED.get(operator, operator)
    actual_values = _as_list(actual)

    def one(value: Any) -> bool:
        hit = any(_compare(base, e, value) for e in expected_values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in actual_values)
    if qualifier == "ForAnyValue":
        return any(one(v) for v in actual_values)
    # Single-valued key (or a multivalued key used without a set operator): any value may match.
    if negated:
        return all(one(v) for v in actual_values)
    return any(one(v) for v in actual_values)


def conditions_hold(condition: Mapping[str, Any] | None, context: Mapping[str, Any]) -> bool:
    """Every operator block and every key in it must hold (logical AND)."""
    if not condition:
        return True
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            return False
        for key, expected in block.items():
            if not _condition_holds(operator, key, expected, context):
                return False
    return True


# -- principals ------------------------------------------------------------------------------------


_ASSUMED_ROLE = re.compile(r"^arn:(?P<p>[^:]+):sts::(?P<acct>\d{12}):assumed-role/(?P<role>[^/]+)/(?P<sess>.+)$")
_IAM_ARN = re.compile(r"^arn:[^:]+:iam::(?P<acct>\d{12}):")


def _principal_account(principal: str) -> str | None:
    if re.fullmatch(r"\d{12}", principal):
        return principal
    m = _ASSUMED_ROLE.match(principal) or _IAM_ARN.match(principal)
    return m.group("acct") if m else None


def _aws_principal_matches(entry: str, principal: str) -> bool:
    if entry == "*":
        return True
    if entry == principal:
        return True
    # An account (id or :root) stands for every principal of that account.
    entry_account = entry if re.fullmatch(r"\d{12}", entry) else None
    m = re.fullmatch(r"arn:[^:]+:iam::(\d{12}):root", entry)
    if m:
        entry_account = m.group(1)
    if entry_account is not None:
        return _principal_account(principal) == entry_account
    # A role ARN in a policy also covers that role's sessions.
    s = _ASSUMED_ROLE.match(principal)
    if s:
        role_arn = f"arn:{s.group('p')}:iam::{s.group('acct')}:role/"
        if entry.startswith(role_arn) and entry.rsplit("/", 1)[-1] == s.group("role"):
            return True
    return False


def principal_matches(principal_element: Any, principal: str) -> bool:
    """Does a policy's ``Principal`` element name ``principal``?

    ``principal`` is a service principal (``s3.amazonaws.com``), an IAM ARN (user, role,
    assumed-role session), an account id, or ``*`` (anonymous).
    """
    if principal_element == "*":
        return True
    if not isinstance(principal_element, Mapping):
        return False
    for kind, values in principal_element.items():
        for entry in _as_list(values):
            entry = str(entry)
            if kind == "Service" and (entry == "*" or entry.lower() == principal.lower()):
                return True
            if kind == "AWS" and _aws_principal_matches(entry, principal):
                return True
            if kind in ("Federated", "CanonicalUser") and entry == principal:
                return True
    return False


# -- statements and policies -------------------------------------------------------------------------


def statement_applies(
    statement: Mapping[str, Any],
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
    *,
    principal: str | None = None,
    resource_matcher: ResourceMatcher | None = None,
) -> bool:
    """Does ``statement`` apply to this request (ignoring its Effect)?

    ``principal`` is checked only when given (resource-based policies); ``resource_matcher``
    replaces :func:`arn_matches` (the Lambda function-ARN rules use this).
    """
    match_resource = resource_matcher or arn_matches
    context = context or {}
    if principal is not None:
        if "Principal" in statement:
            if not principal_matches(statement["Principal"], principal):
                return False
        elif "NotPrincipal" in statement:
            if principal_matches(statement["NotPrincipal"], principal):
                return False
        else:
            return False
    if "Action" in statement:
        if not any(action_matches(str(p), action) for p in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(action_matches(str(p), action) for p in _as_list(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        if not any(match_resource(str(p), resource) for p in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(match_resource(str(p), resource) for p in _as_list(statement["NotResource"])):
            return False
    elif principal is None:
        return False  # an identity-based statement needs a Resource
    return conditions_hold(statement.get("Condition"), context)


@dataclass(frozen=True)
class Verdict:
    """A :class:`Decision` and the statement that made it (``None`` for an implicit deny).

    ``statement_id`` is the statement's ``Sid``, or ``"statement N"`` (0-based, in the policy's order) when it
    has none; for an Allow it names the first allowing statement.
    """

    decision: Decision
    statement: Mapping[str, Any] | None = None
    statement_id: str | None = None


ResourceMatcher = Callable[[str, str], bool]


def decide(
    policies: Iterable[Any],
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
    *,
    principal: str | None = None,
    resource_matcher: ResourceMatcher | None = None,
) -> Verdict:
    """Like :func:`evaluate`, and say which statement decided (an explicit ``Deny`` wins at once)."""
    allowed: Verdict | None = None
    for policy in policies:
        for index, statement in enumerate(_statements(policy)):
            if not statement_applies(
                statement, action, resource, context, principal=principal, resource_matcher=resource_matcher
            ):
                continue
            effect = str(statement.get("Effect", "")).lower()
            name = str(statement.get("Sid") or f"statement {index}")
            if effect == "deny":
                return Verdict(Decision.EXPLICIT_DENY, statement, name)
            if effect == "allow" and allowed is None:
                allowed = Verdict(Decision.ALLOW, statement, name)
    return allowed or Verdict(Decision.IMPLICIT_DENY)


def evaluate(
    policies: Iterable[Any],
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
    *,
    principal: str | None = None,
    resource_matcher: ResourceMatcher | None = None,
) -> Decision:
    """Evaluate policies (dicts or JSON strings) for one action on one resource.

    Identity-based policies: leave ``principal`` as ``None``. Resource-based policies: pass the
    calling ``principal`` and only statements naming it count.
    """
    return decide(policies, action, resource, context, principal=principal, resource_matcher=resource_matcher).decision


# -- Lambda resource-based policies ---------------------------------------------------------------------


def _split_function_arn(arn: str) -> tuple[str, str | None]:
    """``arn:…:function:name[:qualifier]`` → (unqualified ARN, qualifier or None)."""
    parts = arn.split(":")
    if len(parts) >= 8 and parts[5] == "function":
        qualifier = parts[7]
        return ":".join(parts[:7]), (None if qualifier == "$LATEST" else qualifier)
    return arn, None


def lambda_resource_matches(pattern: str, resource: str) -> bool:
    """Lambda's rule: a statement on the function covers every version and alias of it; a
    statement on ``function:name:qualifier`` covers only that version or alias.

    https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-services.html
    ("You can apply the statement to the entire function, or limit the statement to a single
    version or alias.")
    """
    if arn_matches(pattern, resource):
        return True
    unqualified, qualifier = _split_function_arn(resource)
    pattern_unqualified, pattern_qualifier = _split_function_arn(pattern)
    if pattern_qualifier is None and pattern.split(":")[-1] != "*":
        # Whole-function statement (or $LATEST): covers the function's versions and aliases.
        return arn_matches(pattern_unqualified, unqualified)
    return qualifier is not None and arn_matches(pattern, f"{unqualified}:{qualifier}")


# -- API Gateway resource policies -------------------------------------------------------------------------


def execute_api_resource_matches(pattern: str, resource: str) -> bool:
    """``execute-api:Invoke`` resources: ``arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}/{path}``.

    A policy may write ``execute-api:/{stage}/{METHOD}/{path}`` for "this API" (API Gateway fills in the
    Region, account and API id: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-examples.html);
    the shorthand is expanded with the requested resource's own prefix, then matched as any ARN.
    """
    if pattern.startswith("execute-api:/"):
        api_prefix = resource.split("/", 1)[0]  # arn:aws:execute-api:region:account:api-id
        pattern = f"{api_prefix}/{pattern[len('execute-api:/'):]}"
    return arn_matches(pattern, resource)


def _resource_matcher(resource: str) -> ResourceMatcher | None:
    if ":lambda:" in resource:
        return lambda_resource_matches
    if ":execute-api:" in resource:
        return execute_api_resource_matches
    return None


# -- resource-based policies, any service -------------------------------------------------------------------


def resource_policy_verdict(
    policy: Any,
    *,
    principal: str,
    action: str,
    resource: str,
    source_arn: str | None = None,
    source_account: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> Verdict:
    """Evaluate a resource-based policy for one caller; the :class:`Verdict` names the deciding statement.

    ``principal`` is a service principal (``s3.amazonaws.com``), an IAM ARN, an account id or
    :data:`ANONYMOUS`. ``context`` adds condition keys (``aws:SourceVpce``, ``aws:SourceIp``…);
    ``source_arn``/``source_account`` fill ``aws:SourceArn``/``aws:SourceAccount``. Lambda function ARNs
    and ``execute-api`` ARNs are matched by their service's rules (:func:`lambda_resource_matches`,
    :func:`execute_api_resource_matches`).
    """
    ctx: dict[str, Any] = dict(context or {})
    if source_arn is not None:
        ctx["aws:SourceArn"] = source_arn
    if source_account is not None:
        ctx["aws:SourceAccount"] = source_account
    account = _principal_account(principal)
    if account is not None:
        ctx.setdefault("aws:PrincipalAccount", account)
    if principal.endswith(".amazonaws.com"):
        ctx.setdefault("aws:PrincipalServiceName", principal)
        ctx.setdefault("aws:PrincipalIsAWSService", "true")
    elif principal != ANONYMOUS:
        ctx.setdefault("aws:PrincipalArn", principal)
    return decide([policy], action, resource, ctx, principal=principal, resource_matcher=_resource_matcher(resource))


def resource_policy_decision(
    policy: Any,
    *,
    principal: str,
    action: str,
    resource: str,
    source_arn: str | None = None,
    source_account: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> Decision:
    """Like :func:`resource_policy_allows`, but says whether a deny was explicit."""
    return resource_policy_verdict(policy, principal=principal, action=action, resource=resource,
                                   source_arn=source_arn, source_account=source_account, context=context).decision


def resource_policy_allows(
    policy: dict[str, Any] | str | None,
    *,
    principal: str,
    action: str = "lambda:InvokeFunction",
    resource: str,
    source_arn: str | None = None,
    source_account: str | None = None,
) -> bool:
    """May ``principal`` perform ``action`` on ``resource`` under this resource-based policy?

    ``policy`` is the policy document (a dict, its JSON text, or a ``GetPolicy`` answer);
    ``None`` (no policy) allows nobody. ``principal`` is a service principal such as
    ``"s3.amazonaws.com"`` or an IAM ARN. ``source_arn``/``source_account`` fill the
    ``aws:SourceArn``/``aws:SourceAccount`` condition keys that ``AddPermission`` writes as
    ``ArnLike``/``StringEquals`` conditions. For Lambda, ``resource`` may be qualified
    (``…:function:f:prod``): a statement on the whole function covers every version and alias,
    a qualified statement only its own. An explicit Deny wins.
    """
    return (
        resource_policy_decision(
            policy,
            principal=principal,
            action=action,
            resource=resource,
            source_arn=source_arn,
            source_account=source_account,
        )
        is Decision.ALLOW
    )

