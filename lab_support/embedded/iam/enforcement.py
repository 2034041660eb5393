"""Execution-role enforcement: what a function's code may call.

:func:`credentials_for_role` hands out temporary-looking keys (``ASIA…`` id, secret, session
token) and remembers which role each key acts as. A WSGI middleware mounted on the embedded
server claims every request signed with such a key, evaluates the role's identity-based
policies (attached managed + inline, read from moto's IAM backend) for the IAM action(s) the
request needs, and either passes it on to moto or answers with the error that service returns.

Requests signed with any other key — the kernel's own fake credentials, curl, a second
kernel — are not touched: they keep working as before.
"""

from __future__ import annotations

import io
import json
import secrets
import string
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from lab_support.core.errors import LabError
from lab_support.embedded.iam.policy import Decision, evaluate, resource_policy_decision
from lab_support.embedded.iam.request_actions import Check, RequestInfo, describe, is_always_allowed, parse_credential

__all__ = [
    "Grant",
    "credentials_for_role",
    "denial_message",
    "grant_for_key",
    "identity_policies",
    "invoke_denied_message",
    "make_middleware",
]

MOUNT_NAME = "iam-execution-roles"


@dataclass(frozen=True)
class Grant:
    """What an issued access key acts as."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    role_arn: str
    session_name: str

    @property
    def account(self) -> str:
        return self.role_arn.split(":")[4]

    @property
    def role_name(self) -> str:
        return self.role_arn.split("/")[-1]

    @property
    def assumed_role_arn(self) -> str:
        """``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`` — who AWS says is calling."""
        partition = self.role_arn.split(":")[1]
        return f"arn:{partition}:sts::{self.account}:assumed-role/{self.role_name}/{self.session_name}"


_GRANTS: dict[str, Grant] = {}
_LOCK = threading.Lock()
_ALNUM = string.ascii_uppercase + string.digits


def credentials_for_role(role_arn: str, *, session_name: str | None = None) -> dict[str, str]:
    """Env vars (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``) for a
    worker acting as ``role_arn``.

    Requests signed with them to the embedded endpoint are evaluated against the role's
    policies. ``session_name`` is the role session name AWS Lambda uses — the function's name —
    so ``sts get-caller-identity`` answers ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION``
    (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html). It defaults
    to the role's name. Each call issues a new, distinct key.
    """
    if not role_arn.startswith("arn:") or ":role/" not in role_arn:
        raise LabError(
            f"{role_arn!r} is not an IAM role ARN.",
            "pass the function's Role, e.g. 'arn:aws:iam::123456789012:role/my-function-role'.",
        )
    key_id = "ASIA" + "".join(secrets.choice(_ALNUM) for _ in range(16))
    grant = Grant(
        access_key_id=key_id,
        secret_access_key=secrets.token_urlsafe(30)[:40],
        session_token="IQoJb3JpZ2luX2Vj" + secrets.token_urlsafe(96),
        role_arn=role_arn,
        session_name=session_name or role_arn.split("/")[-1],
    )
    with _LOCK:
        _GRANTS[key_id] = grant
    return {
        "AWS_ACCESS_KEY_ID": grant.access_key_id,
        "AWS_SECRET_ACCESS_KEY": grant.secret_access_key,
        "AWS_SESSION_TOKEN": grant.session_token,
    }


def grant_for_key(access_key_id: str) -> Grant | None:
    """The grant behind an issued key, or ``None`` for any other key."""
    return _GRANTS.get(access_key_id)


# -- reading moto's IAM --------------------------------------------------------------------------------


def _iam_backend(account: str) -> Any:
    from moto.iam.models import iam_backends

    backends = iam_backends[account]
    for key in ("aws", "global"):
        try:
            return backends[key]
        except KeyError:
            continue
    return None


def identity_policies(role_arn: str) -> list[str]:
    """The role's identity-based policy documents (attached managed + inline), as JSON text.

    A role that does not exist (deleted, or the account was reset) has none: every call is
    then implicitly denied.
    """
    backend = _iam_backend(role_arn.split(":")[4])
    if backend is None:
        return []
    role = next((r for r in backend.roles.values() if r.arn == role_arn), None)
    if role is None:
        return []
    documents: list[str] = []
    for policy in list(role.managed_policies.values()):
        version = next((v for v in policy.versions if v.is_default), None)
        if version is not None:
            documents.append(version.document)
    documents.extend(list(role.policies.values()))
    return documents


def _role_id(role_arn: str) -> str:
    backend = _iam_backend(role_arn.split(":")[4])
    role = None if backend is None else next((r for r in backend.roles.values() if r.arn == role_arn), None)
    return role.id if role is not None else "AROA" + "0" * 17


# -- resource-based policies that can also grant (same account) ------------------------------------------


def _resource_policy(check: Check, region: str) -> Any:
    """The resource-based policy on the checked resource, where one exists and is cheap to read."""
    try:
        parts = check.resource.split(":")
        if len(parts) < 6:
            return None
        service, account = parts[2], parts[4]
        if service == "lambda" and len(parts) >= 7:
            from moto.awslambda.models import lambda_backends

            backend = lambda_backends[account][parts[3] or region]
            fn = backend._lambdas.get_function_by_name_or_arn_with_qualifier(":".join(parts[:7]))
            return {"Statement": list(fn.policy.statements)} if fn.policy.statements else None
        if service == "s3":
            from moto.s3.models import s3_backends

            bucket_name = parts[5].split("/", 1)[0]
            for acct_backends in s3_backends.values():
                bucket = acct_backends["aws"].buckets.get(bucket_name)
                if bucket is not None:
                    return bucket.policy
            return None
        if service == "sqs":
            from moto.sqs.models import sqs_backends

            queue = sqs_backends[account][parts[3]].queues.get(parts[5])
            return getattr(queue, "policy", None) if queue is not None else None
    except Exception:  # a resource policy we cannot read simply grants nothing
        return None
    return None


def decide(grant: Grant, info: RequestInfo, region: str) -> tuple[Decision, Check | None, str]:
    """Evaluate every check of the request; the first that is not allowed decides.

    Returns (decision, failing check, where: "identity" or "resource").
    """
    documents = identity_policies(grant.role_arn)
    context = {
        "aws:PrincipalArn": grant.role_arn,
        "aws:PrincipalAccount": grant.account,
        "aws:PrincipalType": "AssumedRole",
        "aws:userid": f"{_role_id(grant.role_arn)}:{grant.session_name}",
        "aws:RequestedRegion": region,
        "aws:SecureTransport": "false",
        "aws:SourceIp": "127.0.0.1",
        **info.context,
    }
    for check in info.checks:
        identity = evaluate(documents, check.action, check.resource, context)
        resource_policy = _resource_policy(check, region)
        resource = Decision.IMPLICIT_DENY
        if resource_policy is not None:
            resource = resource_policy_decision(
                resource_policy, principal=grant.assumed_role_arn, action=check.action,
                resource=check.resource, context=context,
            )
        if identity is Decision.EXPLICIT_DENY:
            return Decision.EXPLICIT_DENY, check, "identity"
        if resource is Decision.EXPLICIT_DENY:
            return Decision.EXPLICIT_DENY, check, "resource"
        # Same account: an Allow in either the identity or the resource policy suffices.
        if identity is not Decision.ALLOW and resource is not Decision.ALLOW:
            return Decision.IMPLICIT_DENY, check, "identity"
    return Decision.ALLOW, None, ""


# -- the errors each service returns ----------------------------------------------------------------------


def denial_message(principal_arn: str, action: str, resource: str, decision: Decision,
                   where: str = "identity", *, quote_resource: bool = False) -> str:
    """AWS's access-denied text.

    Formats from the IAM User Guide, "Access denied error messages"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html), e.g.
    ``User: arn:aws:sts::123456789012:assumed-role/R/F is not authorized to perform:
    dynamodb:PutItem on resource: arn:aws:dynamodb:…:table/T because no identity-based policy
    allows the dynamodb:PutItem action`` (seen verbatim from DynamoDB in
    https://github.com/anomalyco/sst/issues/4469). S3 quotes the resource ARN
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html,
    https://github.com/aws-ia/terraform-aws-bedrock/issues/41).
    """
    shown = f'"{resource}"' if quote_resource else resource
    head = f"User: {principal_arn} is not authorized to perform: {action} on resource: {shown}"
    kind = "identity-based" if where == "identity" else "resource-based"
    if decision is Decision.EXPLICIT_DENY:
        article = "an" if where == "identity" else "a"
        return f"{head} with an explicit deny in {article} {kind} policy"
    return f"{head} because no {kind} policy allows the {action} action"


def invoke_denied_message(principal: str, function_arn: str, *, explicit: bool = False) -> str:
    """Lambda's message when a resource-based policy does not let ``principal`` invoke, e.g.
    ``User: sns.amazonaws.com is not authorized to perform: lambda:InvokeFunction on resource:
    arn:… because no resource-based policy allows the lambda:InvokeFunction action``
    (https://github.com/awslabs/aws-automated-incident-response-and-forensics/issues/13)."""
    decision = Decision.EXPLICIT_DENY if explicit else Decision.IMPLICIT_DENY
    return denial_message(principal, "lambda:InvokeFunction", function_arn, decision, "resource")


StartResponse = Callable[..., Any]


def _respond(start_response: StartResponse, status: str, headers: list[tuple[str, str]],
             body: bytes) -> Iterable[bytes]:
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]


def _denied_response(info: RequestInfo, grant: Grant, check: Check, decision: Decision, where: str,
                     start_response: StartResponse) -> Iterable[bytes]:
    request_id = str(uuid.uuid4())
    service = info.service
    if service == "s3":
        # S3: HTTP 403, <Code>AccessDenied</Code> (same-account requests carry the detailed message).
        message = denial_message(grant.assumed_role_arn, check.action, check.resource, decision, where,
                                 quote_resource=True)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>AccessDenied</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id[:16].upper()}</RequestId><HostId>{secrets.token_urlsafe(48)}</HostId></Error>"
        ).encode()
        return _respond(start_response, "403 Forbidden", [("Content-Type", "application/xml"),
                        ("x-amz-request-id", request_id[:16].upper())], body)
    action = check.action
    if service == "sns":
        # SNS writes the action with its upper-case prefix: "SNS:Publish"
        # (https://github.com/aws-ia/terraform-aws-control_tower_account_factory/issues/151).
        action = "SNS:" + action.split(":", 1)[1]
    elif service == "sqs":
        # SQS writes the action in lower case: "sqs:sendmessage"
        # (https://github.com/aws/serverless-application-model/issues/3633).
        action = action.lower()
    message = denial_message(grant.assumed_role_arn, action, check.resource, decision, where)
    if info.protocol == "query":
        code = {"sns": "AuthorizationError"}.get(service, "AccessDenied")
        body = (
            f'<ErrorResponse xmlns="https://{service}.amazonaws.com/doc/">'
            f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return _respond(start_response, "403 Forbidden",
                        [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body)
    if info.protocol == "rest-json":
        # Lambda: HTTP 403 AccessDeniedException.
        body = json.dumps({"Type": "User", "Message": message}).encode()
        return _respond(start_response, "403 Forbidden",
                        [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id),
                         ("x-amzn-ErrorType", "AccessDeniedException")], body)
    # JSON protocols (DynamoDB, Kinesis, CloudWatch Logs: HTTP 400 AccessDeniedException;
    # SQS: HTTP 403, its query-compatible code AccessDenied in x-amzn-query-error).
    headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", request_id)]
    status = "400 Bad Request"
    if service == "sqs":
        headers.append(("x-amzn-query-error", "AccessDenied;Sender"))
        status = "403 Forbidden"
    body = json.dumps({"__type": "com.amazon.coral.service#AccessDeniedException", "Message": message}).encode()
    return _respond(start_response, status, headers, body)


def _caller_identity(grant: Grant, protocol: str, start_response: StartResponse) -> Iterable[bytes]:
    """``sts:GetCallerIdentity`` for a role session: the assumed-role ARN, ``ROLEID:SESSION``.

    https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
    """
    user_id = f"{_role_id(grant.role_arn)}:{grant.session_name}"
    request_id = str(uuid.uuid4())
    if protocol == "json":
        body = json.dumps({"UserId": user_id, "Account": grant.account, "Arn": grant.assumed_role_arn}).encode()
        return _respond(start_response, "200 OK", [("Content-Type", "application/x-amz-json-1.1")], body)
    body = (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        "<GetCallerIdentityResult>"
        f"<Arn>{escape(grant.assumed_role_arn)}</Arn><UserId>{escape(user_id)}</UserId>"
        f"<Account>{grant.account}</Account>"
        "</GetCallerIdentityResult>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    ).encode()
    return _respond(start_response, "200 OK", [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)],
                    body)


# -- the middleware -------------------------------------------------------------------------------------


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return bytes(body)


def predicate(environ: dict[str, Any]) -> bool:
    """Claim requests signed with a key :func:`credentials_for_role` issued."""
    cred = parse_credential(environ)
    return cred is not None and cred[0] in _GRANTS


def make_middleware(next_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
                    *, on_decision: Callable[[Grant, RequestInfo, Decision], None] | None = None,
                    ) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI app mounted in front of moto for role-signed requests."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        cred = parse_credential(environ)
        grant = _GRANTS.get(cred[0]) if cred else None
        if cred is None or grant is None:
            return next_app(environ, start_response)
        _key, region, service = cred
        body = _read_body(environ)
        info = describe(environ, body, service=service, region=region, account=grant.account)
        if info.service == "sts" and info.operation == "GetCallerIdentity":
            return _caller_identity(grant, info.protocol, start_response)
        if not info.known or is_always_allowed(info.service, info.operation):
            return next_app(environ, start_response)
        decision, check, where = decide(grant, info, region)
        if on_decision is not None:
            on_decision(grant, info, decision)
        if decision is Decision.ALLOW or check is None:
            return next_app(environ, start_response)
        return _denied_response(info, grant, check, decision, where, start_response)

    return app
