"""The Lambda permissions model, both halves, on the embedded AWS.

**What a function may call** — its *execution role*. The local Lambda runtime starts each
handler worker with :func:`credentials_for_role` in its environment; every request those
credentials sign to the embedded endpoint is evaluated against the role's identity-based
policies (explicit Deny wins, an Allow is needed), and refused with the error the service
really returns. ``sts get-caller-identity`` answers the assumed-role ARN.
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html)

**Who may invoke the function** — its *resource-based policy*, written by ``AddPermission``.
:func:`resource_policy_allows` decides for a service principal (``s3.amazonaws.com``…) or an
account/IAM principal, honouring the ``AWS:SourceArn``/``AWS:SourceAccount`` conditions and
qualified ARNs. (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html)

Installed at every :func:`lab_support.start` through ``register_extension("iam", install)``;
the kernel's own calls are never evaluated.
"""

from __future__ import annotations

from typing import Any

from lab_support.core.session import Session
from lab_support.embedded.iam import moto_patches
from lab_support.embedded.iam.enforcement import (
    MOUNT_NAME,
    Grant,
    credentials_for_role,
    denial_message,
    grant_for_key,
    identity_policies,
    invoke_denied_message,
    make_middleware,
    predicate,
)
from lab_support.embedded.iam.moto_patches import (
    COURSE_MANAGED_POLICIES,
    DeliveryFailure,
    delivery_failures,
    function_policy,
    lambda_invoke_allowed,
)
from lab_support.embedded.iam.policy import Decision, evaluate, resource_policy_allows, resource_policy_decision

__all__ = [
    "COURSE_MANAGED_POLICIES",
    "Decision",
    "DeliveryFailure",
    "Grant",
    "credentials_for_role",
    "delivery_failures",
    "denial_message",
    "evaluate",
    "function_policy",
    "grant_for_key",
    "identity_policies",
    "install",
    "invoke_denied_message",
    "lambda_invoke_allowed",
    "resource_policy_allows",
    "resource_policy_decision",
]


def install(session: Session) -> None:
    """Extension hook: patch moto and mount the execution-role middleware before moto."""
    moto_patches.install()
    server = session.server
    if server is None:
        return
    dispatcher = server.dispatcher

    def pass_on(environ: dict[str, Any], start_response: Any) -> Any:
        # Allowed: on to whoever else claims the request (local API Gateway, Lambda runtime…), else moto.
        for name, claims, app in list(dispatcher.mounts):
            if name != MOUNT_NAME and claims(environ):
                return app(environ, start_response)
        return dispatcher.fallback(environ, start_response)

    server.mount(MOUNT_NAME, predicate, make_middleware(pass_on))
    server.trust(lambda key: grant_for_key(key) is not None)  # execution-role keys the runtime issued
    session.on_stop(moto_patches.uninstall)  # the refused deliveries; lab.stop() undoes the patches
