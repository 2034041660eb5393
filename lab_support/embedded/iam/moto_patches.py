"""Small patches to moto so Lambda permissions behave as in AWS.

Each patch wraps one moto method; they are declared in :data:`PATCHES` (:mod:`lab_support.core.patching`),
applied when their moto module is first imported and undone by ``lab.stop()``.

1. ``IAMBackend._init_aws_policies`` — the AWS managed policies the course attaches to
   execution roles exist even without ``MOTO_IAM_LOAD_MANAGED_POLICIES`` (moto loads none by
   default; loading all ~1,300 costs time at every backend reset).
2. ``awslambda.policy.Policy.add_statement`` — a duplicate ``StatementId`` raises
   ``ResourceConflictException`` (HTTP 409) as AWS does; moto accepted it.
3. ``S3Backend.put_bucket_notification_configuration`` — a Lambda destination whose function
   policy does not let ``s3.amazonaws.com`` invoke it (for this bucket's ARN and account) fails
   with ``InvalidArgument`` "Unable to validate the following destination configurations".
   ``S3Response._notification_config_from_body`` — FilterRule names in any case (``Prefix``), as S3 accepts;
   another name is ``InvalidArgument`` "Invalid filter rule name" (assumed text).
4. ``sns.models.Subscription.publish`` — delivery to a Lambda subscriber whose function policy
   does not let ``sns.amazonaws.com`` invoke it (for this topic) is refused: subscribing
   succeeds, messages are not delivered (AWS records a failed delivery).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from typing import Any

from lab_support.core import patching
from lab_support.embedded.iam.enforcement import invoke_denied_message
from lab_support.embedded.iam.policy import resource_policy_allows

__all__ = [
    "COURSE_MANAGED_POLICIES",
    "DeliveryFailure",
    "delivery_failures",
    "function_policy",
    "install",
    "lambda_invoke_allowed",
    "uninstall",
]

# AWS managed policies the course's execution roles use. Their documents come from moto's
# copy of AWS's list (moto/iam/aws_managed_policies.py).
COURSE_MANAGED_POLICIES = (
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaKinesisExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
    "AWSLambdaRole",
    "AWSLambdaExecute",
    "AWSLambda_FullAccess",
    "AWSLambda_ReadOnlyAccess",
    "AWSXRayDaemonWriteAccess",
    "AmazonS3ReadOnlyAccess",
    "AmazonS3FullAccess",
    "AmazonDynamoDBFullAccess",
    "AmazonDynamoDBReadOnlyAccess",
    "AmazonSQSFullAccess",
    "AmazonSQSReadOnlyAccess",
    "AmazonSNSFullAccess",
    "AmazonKinesisFullAccess",
    "AmazonKinesisReadOnlyAccess",
    "CloudWatchLogsFullAccess",
    "AmazonAPIGatewayInvokeFullAccess",
    "AmazonAPIGatewayPushToCloudWatchLogs",
    "AdministratorAccess",
)

_COURSE_DATA: dict[str, Any] | None = None


# -- 1. AWS managed policies ---------------------------------------------------------------------------


def _course_policy_data() -> dict[str, Any]:
    global _COURSE_DATA
    if _COURSE_DATA is None:
        from moto.iam.aws_managed_policies import aws_managed_policies_data

        everything = json.loads(aws_managed_policies_data)
        _COURSE_DATA = {name: everything[name] for name in COURSE_MANAGED_POLICIES if name in everything}
    return _COURSE_DATA


def _course_policies(backend: Any) -> list[Any]:
    from moto.iam.models import AWSManagedPolicy

    return [
        AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
        for name, data in _course_policy_data().items()
    ]


def _add_course_policies(backend: Any) -> None:
    have = {p.arn for p in backend.aws_managed_policies}
    for policy in _course_policies(backend):
        if policy.arn not in have:
            backend.aws_managed_policies.append(policy)
            backend.managed_policies.setdefault(policy.arn, policy)


def _wrap_init_aws_policies(original: Any) -> Any:
    def _init_aws_policies(self: Any) -> list[Any]:
        loaded = original(self)
        if loaded:
            return loaded  # moto was told to load them all
        return _course_policies(self)

    return _init_aws_policies


def _add_to_existing_backends() -> None:
    """Backends created before the patch (this kernel touched IAM already)."""
    if "moto.iam.models" not in sys.modules:
        return  # no backend yet: each gets the policies from the patched _init_aws_policies
    from moto.iam.models import iam_backends

    for account in list(iam_backends.keys()):
        for partition in list(iam_backends[account].keys()):
            _add_course_policies(iam_backends[account][partition])


# -- 2. duplicate StatementId ----------------------------------------------------------------------------


def _wrap_add_statement(original: Any) -> Any:
    from moto.awslambda.exceptions import LambdaClientError

    class ResourceConflictException(LambdaClientError):
        code = 409

        def __init__(self, sid: str) -> None:
            # AWS's text, e.g. https://github.com/hashicorp/terraform-provider-aws/issues/1524
            # and https://github.com/terraform-aws-modules/terraform-aws-lambda/issues/547.
            super().__init__(
                "ResourceConflictException",
                f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
                "or remove the existing statement.",
            )

    def add_statement(self: Any, raw: str, qualifier: str | None = None) -> Any:
        try:
            sid = json.loads(raw).get("StatementId")
        except (ValueError, AttributeError):
            sid = None
        if sid and any(s.get("Sid") == sid for s in self.statements):
            raise ResourceConflictException(sid)
        return original(self, raw, qualifier)

    return add_statement


# -- helpers shared by 3 and 4 (and by the Lambda runtime) ----------------------------------------------------


def function_policy(function_arn: str) -> dict[str, Any] | None:
    """The resource-based policy of a Lambda function (qualified or not), as moto stores it.

    Statements on the function and on the qualified version/alias are combined; each keeps its
    own ``Resource``, so :func:`~lab_support.embedded.iam.resource_policy_allows` scopes them. Returns
    ``None`` when the function does not exist or has no policy.
    """
    from moto.awslambda.models import lambda_backends

    parts = function_arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        return None
    account, region = parts[4], parts[3]
    try:
        backend = lambda_backends[account][region]
        fn = backend._lambdas.get_function_by_name_or_arn_with_qualifier(":".join(parts[:7]))
    except Exception:
        return None
    statements = list(fn.policy.statements)
    if len(parts) >= 8:
        try:
            qualified = backend._lambdas.get_function_by_name_or_arn_with_qualifier(
                ":".join(parts[:7]), parts[7]
            )
            statements += [s for s in qualified.policy.statements if s not in statements]
        except Exception:
            pass
    if not statements:
        return None
    return {"Version": "2012-10-17", "Id": "default", "Statement": statements}


def lambda_invoke_allowed(function_arn: str, *, principal: str, source_arn: str | None = None,
                          source_account: str | None = None) -> bool:
    """May ``principal`` invoke this function (ARN, possibly qualified) under its policy?"""
    return resource_policy_allows(
        function_policy(function_arn), principal=principal, action="lambda:InvokeFunction",
        resource=function_arn, source_arn=source_arn, source_account=source_account,
    )


# -- 3. S3 → Lambda notification validation ---------------------------------------------------------------


def _wrap_put_bucket_notification_configuration(original: Any) -> Any:
    from moto.s3.exceptions import S3ClientError

    def put_bucket_notification_configuration(self: Any, bucket_name: str,
                                              notification_config: dict[str, Any]) -> Any:
        bucket = self.get_bucket(bucket_name)  # NoSuchBucket first, as AWS
        partition = getattr(bucket, "partition", "aws")
        for config in (notification_config or {}).get("CloudFunctionConfiguration") or []:
            arn = str(config.get("CloudFunction", ""))
            if not lambda_invoke_allowed(arn, principal="s3.amazonaws.com",
                                         source_arn=f"arn:{partition}:s3:::{bucket_name}",
                                         source_account=self.account_id):
                # AWS validates the destination when the configuration is put: HTTP 400
                # InvalidArgument, "Unable to validate the following destination configurations"
                # (https://github.com/aws/aws-sdk-js/issues/632,
                # https://github.com/hashicorp/terraform/issues/19756); the fix is
                # lambda add-permission --principal s3.amazonaws.com --source-arn <bucket ARN>
                # (https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html).
                raise S3ClientError("InvalidArgument",
                                    "Unable to validate the following destination configurations")
        return original(self, bucket_name, notification_config)

    return put_bucket_notification_configuration


# FilterRule names: the S3 API reference lists "Valid Values: prefix | suffix"
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_FilterRule.html), but S3 accepts them in any case
# ("AWS supports the capitalised name": https://github.com/localstack/localstack/issues/1249) and itself
# answers GetBucketNotificationConfiguration with "Prefix" / "Suffix" (https://github.com/aws/aws-sdk/issues/389).
# moto 5.2.5 asserts on the lower-case spelling in S3Response._notification_config_from_body (an HTTP 500), so
# names are lower-cased before moto parses the body (moto's matching reads "prefix" / "suffix").
# No AWS text was found for a name that is neither: "Invalid filter rule name" (InvalidArgument, 400) is
# assumed.
_FILTER_RULE_NAME = re.compile(rb"(<FilterRule>(?:(?!</FilterRule>).)*?<Name>)([^<]*)(</Name>)", re.S)


def normalise_filter_rule_names(body: bytes) -> bytes:
    """``body`` (a NotificationConfiguration XML) with FilterRule names as ``prefix`` / ``suffix``; raises
    ``InvalidArgument`` for any other name."""
    from moto.s3.exceptions import S3ClientError

    def fix(match: re.Match[bytes]) -> bytes:
        name = match.group(2).strip().lower()
        if name not in (b"prefix", b"suffix"):
            raise S3ClientError("InvalidArgument", "Invalid filter rule name")
        return match.group(1) + name + match.group(3)

    return _FILTER_RULE_NAME.sub(fix, body)


def _wrap_notification_config_from_body(original: Any) -> Any:
    def _notification_config_from_body(self: Any) -> dict[str, Any]:
        body = self.body
        raw = body.encode() if isinstance(body, str) else bytes(body or b"")
        fixed = normalise_filter_rule_names(raw)
        if fixed == raw:
            return original(self)  # type: ignore[no-any-return]
        self.body = fixed if isinstance(body, bytes) or body is None else fixed.decode()
        try:
            return original(self)  # type: ignore[no-any-return]
        finally:
            self.body = body

    return _notification_config_from_body


# -- 4. SNS → Lambda delivery ---------------------------------------------------------------------------------


@dataclass
class DeliveryFailure:
    """A message SNS did not deliver to a Lambda subscriber (no permission)."""

    topic_arn: str
    endpoint: str
    message_id: str
    error_code: str
    error_message: str


_DELIVERY_FAILURES: list[DeliveryFailure] = []


def delivery_failures() -> list[DeliveryFailure]:
    """SNS→Lambda deliveries refused for want of permission, oldest first."""
    return list(_DELIVERY_FAILURES)


def _wrap_sns_publish(original: Any) -> Any:
    def publish(self: Any, message: str, message_id: str, *args: Any, **kwargs: Any) -> Any:
        if self.protocol == "lambda":
            topic_arn = self.topic.arn
            if not lambda_invoke_allowed(self.endpoint, principal="sns.amazonaws.com",
                                         source_arn=topic_arn, source_account=self.account_id):
                # AWS: SNS cannot invoke the function; the delivery fails with Lambda's
                # AccessDeniedException, e.g. "User: sns.amazonaws.com is not authorized to
                # perform: lambda:InvokeFunction on resource: … because no resource-based
                # policy allows the lambda:InvokeFunction action"
                # (https://github.com/awslabs/aws-automated-incident-response-and-forensics/issues/13).
                _DELIVERY_FAILURES.append(DeliveryFailure(
                    topic_arn, self.endpoint, message_id, "AccessDeniedException",
                    invoke_denied_message("sns.amazonaws.com", self.endpoint),
                ))
                return None
        return original(self, message, message_id, *args, **kwargs)

    return publish


# -- install / uninstall ---------------------------------------------------------------------------------------


PATCHES = patching.group("iam", [
    patching.Patch("moto.iam.models:IAMBackend._init_aws_policies", wrap=_wrap_init_aws_policies, signature=["self"],
                   why="the AWS managed policies the course uses exist (moto loads none by default)"),
    patching.Patch("moto.awslambda.policy:Policy.add_statement", wrap=_wrap_add_statement,
                   signature=["self", "raw", "qualifier"],
                   why="a duplicate StatementId is ResourceConflictException (409)"),
    patching.Patch("moto.s3.models:S3Backend.put_bucket_notification_configuration",
                   wrap=_wrap_put_bucket_notification_configuration,
                   signature=["self", "bucket_name", "notification_config"],
                   why="a Lambda destination must allow s3.amazonaws.com (InvalidArgument otherwise)"),
    patching.Patch("moto.s3.responses:S3Response._notification_config_from_body",
                   wrap=_wrap_notification_config_from_body, signature=["self"],
                   why="FilterRule names in any case (`Prefix`), as S3 accepts"),
    patching.Patch("moto.sns.models:Subscription.publish", wrap=_wrap_sns_publish,
                   signature=["self", "message", "message_id", "subject", "message_attributes", "group_id",
                              "deduplication_id", "message_structure"],
                   why="no delivery to a Lambda subscriber whose policy does not allow sns.amazonaws.com"),
])


def install() -> None:
    """Request every patch (idempotent; each is applied when its moto module is imported)."""
    patching.apply(PATCHES)
    _add_to_existing_backends()


def uninstall() -> None:
    """Forget the refused deliveries (``lab.stop()`` undoes the patches themselves)."""
    _DELIVERY_FAILURES.clear()
