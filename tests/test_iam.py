"""lab_support.embedded.iam: policy evaluation, execution-role enforcement, Lambda resource policies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from botocore.exceptions import ClientError

import lab_support as lab
from lab_support.embedded import iam
from lab_support.embedded.iam.policy import Decision, arn_matches, evaluate

ACCOUNT = "123456789012"
REGION = "us-east-1"


# -- policy evaluation (pure) ------------------------------------------------------------------------------


def _policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_allow_needs_a_matching_statement() -> None:
    p = _policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    assert evaluate([p], "s3:GetObject", "arn:aws:s3:::b/k") is Decision.ALLOW
    assert evaluate([p], "s3:PutObject", "arn:aws:s3:::b/k") is Decision.IMPLICIT_DENY
    assert evaluate([p], "s3:GetObject", "arn:aws:s3:::other/k") is Decision.IMPLICIT_DENY
    assert evaluate([], "s3:GetObject", "arn:aws:s3:::b/k") is Decision.IMPLICIT_DENY


def test_explicit_deny_wins_across_policies() -> None:
    allow = _policy({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})
    deny = _policy({"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"})
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/T"
    assert evaluate([allow, json.dumps(deny)], "dynamodb:DeleteItem", table) is Decision.EXPLICIT_DENY
    assert evaluate([allow, deny], "dynamodb:PutItem", table) is Decision.ALLOW


def test_wildcards_case_and_not_elements() -> None:
    p = _policy(
        {"Effect": "Allow", "Action": ["S3:get*", "sqs:Send?essage"], "Resource": "arn:aws:*:*:*:*"},
        {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"},
    )
    assert evaluate([p], "s3:GetObject", "arn:aws:s3:::b/k") is Decision.ALLOW  # action is case-insensitive
    assert evaluate([p], "sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:q") is Decision.ALLOW
    assert evaluate([p], "kinesis:PutRecord", "arn:aws:kinesis:r:1:stream/s") is Decision.ALLOW  # NotAction
    assert evaluate([p], "iam:CreateRole", "arn:aws:iam::1:role/x") is Decision.IMPLICIT_DENY
    assert evaluate([p], "s3:PutObject", "arn:aws:s3:::secret/k") is Decision.IMPLICIT_DENY  # NotResource
    # Resources are case-sensitive; * spans "/" inside the resource part.
    assert arn_matches("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c")
    assert not arn_matches("arn:aws:s3:::B/*", "arn:aws:s3:::b/k")
    assert arn_matches("arn:aws:logs:*:*:log-group:/aws/lambda/f:*",
                       f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/f:log-stream:x")


def test_conditions() -> None:
    p = _policy(
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
         "Condition": {"StringLike": {"s3:prefix": ["home/*", ""]}}},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}},
        {"Effect": "Allow", "Action": "sqs:*", "Resource": "*",
         "Condition": {"NumericLessThanEquals": {"sqs:delay": "5"}, "Bool": {"aws:SecureTransport": "false"},
                       "IpAddressIfExists": {"aws:SourceIp": "127.0.0.0/8"}}},
    )
    ok = {"aws:RequestedRegion": "us-east-1", "s3:prefix": "home/alice"}
    assert evaluate([p], "s3:ListBucket", "arn:aws:s3:::b", ok) is Decision.ALLOW
    assert evaluate([p], "s3:ListBucket", "arn:aws:s3:::b", {**ok, "s3:prefix": "etc"}) is Decision.IMPLICIT_DENY
    # A key missing from the context: positive operators fail…
    assert evaluate([p], "s3:ListBucket", "arn:aws:s3:::b", {"aws:RequestedRegion": "us-east-1"}) \
        is Decision.IMPLICIT_DENY
    # …negated ones hold (so the Deny applies when the Region is unknown or other).
    assert evaluate([p], "s3:ListBucket", "arn:aws:s3:::b", {**ok, "aws:RequestedRegion": "ap-south-1"}) \
        is Decision.EXPLICIT_DENY
    sqs_ctx = {"aws:RequestedRegion": "us-east-1", "sqs:delay": "3", "aws:SecureTransport": "false"}
    assert evaluate([p], "sqs:SendMessage", "arn:aws:sqs:r:1:q", sqs_ctx) is Decision.ALLOW
    assert evaluate([p], "sqs:SendMessage", "arn:aws:sqs:r:1:q", {**sqs_ctx, "sqs:delay": "9"}) \
        is Decision.IMPLICIT_DENY
    assert evaluate([p], "sqs:SendMessage", "arn:aws:sqs:r:1:q", {**sqs_ctx, "aws:SourceIp": "10.0.0.1"}) \
        is Decision.IMPLICIT_DENY


FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:thumbs"
BUCKET = "arn:aws:s3:::photos"


def _as_add_permission_writes(**extra: dict) -> dict:
    """The statement shape moto (and AWS) store for add_permission with SourceArn + SourceAccount."""
    return _policy({
        "Sid": "s3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction", "Resource": FN,
        "Condition": {"ArnLike": {"AWS:SourceArn": BUCKET}, "StringEquals": {"AWS:SourceAccount": ACCOUNT}},
        **extra,
    })


def test_resource_policy_source_arn_and_account() -> None:
    p = _as_add_permission_writes()
    allows = iam.resource_policy_allows
    assert allows(p, principal="s3.amazonaws.com", resource=FN, source_arn=BUCKET, source_account=ACCOUNT)
    assert not allows(p, principal="s3.amazonaws.com", resource=FN, source_arn="arn:aws:s3:::other",
                      source_account=ACCOUNT)
    assert not allows(p, principal="s3.amazonaws.com", resource=FN, source_arn=BUCKET, source_account="999999999999")
    assert not allows(p, principal="s3.amazonaws.com", resource=FN)  # no source: conditions fail
    assert not allows(p, principal="sns.amazonaws.com", resource=FN, source_arn=BUCKET, source_account=ACCOUNT)
    assert not allows(p, principal="s3.amazonaws.com", action="lambda:GetFunction", resource=FN,
                      source_arn=BUCKET, source_account=ACCOUNT)
    assert not allows(None, principal="s3.amazonaws.com", resource=FN)
    assert allows(json.dumps(p), principal="s3.amazonaws.com", resource=FN, source_arn=BUCKET,
                  source_account=ACCOUNT)  # JSON text as get_policy returns it


def test_resource_policy_qualifiers_and_aws_principals() -> None:
    whole = _policy({"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                     "Action": "lambda:InvokeFunction", "Resource": FN,
                     "Condition": {"ArnLike": {
                         "AWS:SourceArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc/*/GET/*"}}})
    src = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc/prod/GET/items"
    for resource in (FN, f"{FN}:prod", f"{FN}:3", f"{FN}:$LATEST"):
        assert iam.resource_policy_allows(whole, principal="apigateway.amazonaws.com", resource=resource,
                                          source_arn=src)
    alias_only = _policy({"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                          "Action": "lambda:InvokeFunction", "Resource": f"{FN}:prod"})
    assert iam.resource_policy_allows(alias_only, principal="sns.amazonaws.com", resource=f"{FN}:prod")
    assert not iam.resource_policy_allows(alias_only, principal="sns.amazonaws.com", resource=FN)
    assert not iam.resource_policy_allows(alias_only, principal="sns.amazonaws.com", resource=f"{FN}:dev")
    account = _policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                       "Action": "lambda:InvokeFunction", "Resource": FN},
                      {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/blocked"},
                       "Action": "lambda:*", "Resource": FN})
    assert iam.resource_policy_allows(account, principal=f"arn:aws:iam::{ACCOUNT}:user/alice", resource=FN)
    assert not iam.resource_policy_allows(account, principal="arn:aws:iam::999999999999:user/eve", resource=FN)
    assert not iam.resource_policy_allows(
        account, principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/blocked/session", resource=FN)


def test_one_evaluator_for_api_resource_policies() -> None:
    """Private API resource policies go through the same evaluator: the execute-api:/ shorthand, the anonymous
    caller, VPC endpoint conditions, and which statement decided (explicit vs implicit deny)."""
    from lab_support.embedded.iam.policy import ANONYMOUS, resource_policy_verdict

    arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/prod/GET/pets"
    policy = _policy(
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/prod/*"},
        {"Sid": "OnlyOurEndpoint", "Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}},
    )

    def verdict(resource: str = arn, **context: str):
        return resource_policy_verdict(policy, principal=ANONYMOUS, action="execute-api:Invoke", resource=resource,
                                       context=context)

    assert verdict(**{"aws:SourceVpce": "vpce-1"}).decision is Decision.ALLOW
    denied = verdict(**{"aws:SourceVpce": "vpce-2"})
    assert (denied.decision, denied.statement_id) == (Decision.EXPLICIT_DENY, "OnlyOurEndpoint")
    assert verdict().decision is Decision.EXPLICIT_DENY  # no endpoint at all: the negated condition holds
    other_stage = verdict(arn.replace("/prod/", "/test/"), **{"aws:SourceVpce": "vpce-1"})
    assert (other_stage.decision, other_stage.statement) == (Decision.IMPLICIT_DENY, None)
    # the shorthand stands for the requested API only, and an IAM principal is not the anonymous caller
    named = _policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                     "Action": "execute-api:Invoke", "Resource": "execute-api:/*"})
    assert resource_policy_verdict(named, principal=ANONYMOUS, action="execute-api:Invoke",
                                   resource=arn).decision is Decision.IMPLICIT_DENY
    assert resource_policy_verdict(named, principal=f"arn:aws:iam::{ACCOUNT}:user/alice",
                                   action="execute-api:Invoke", resource=arn).decision is Decision.ALLOW


def test_trust_policies_use_the_same_evaluator() -> None:
    from lab_support.embedded.lambda_.moto_patch import role_trusts_lambda

    trust = _policy({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    assert role_trusts_lambda(trust) and role_trusts_lambda(json.dumps(trust))
    assert not role_trusts_lambda(_policy({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                           "Action": "sts:AssumeRole"}))
    denied = _policy(trust["Statement"][0], {"Effect": "Deny", "Principal": "*", "Action": "sts:*"})
    assert not role_trusts_lambda(denied)
    assert not role_trusts_lambda("{not json")


# -- on the embedded AWS ---------------------------------------------------------------------------------------


def _zip() -> bytes:
    return lab.lambda_zip("def handler(event, context):\n    return event\n")


def _role(shared_aws, name: str, inline: dict | None = None, managed: tuple[str, ...] = ()) -> str:
    return lab.resources.execution_role(name, managed=managed, inline={"inline": inline} if inline else None)


WORKER = textwrap.dedent(
    """
    import json, sys, boto3
    out = {}
    def attempt(name, call):
        try:
            call(); out[name] = "ok"
        except Exception as err:
            r = err.response
            out[name] = [r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]]
    s3, ddb = boto3.client("s3"), boto3.client("dynamodb")
    out["whoami"] = boto3.client("sts").get_caller_identity()["Arn"]
    attempt("s3_get", lambda: s3.get_object(Bucket="lab-in", Key="in.txt")["Body"].read())
    attempt("s3_put_allowed", lambda: s3.put_object(Bucket="lab-out", Key="out.txt", Body=b"x"))
    attempt("s3_put_denied", lambda: s3.put_object(Bucket="lab-in", Key="sneaky.txt", Body=b"x"))
    attempt("s3_delete_denied", lambda: s3.delete_object(Bucket="lab-out", Key="out.txt"))
    attempt("ddb_put", lambda: ddb.put_item(TableName="Orders", Item={"id": {"S": "1"}}))
    attempt("ddb_delete_denied", lambda: ddb.delete_item(TableName="Orders", Key={"id": {"S": "1"}}))
    attempt("ddb_scan_denied", lambda: ddb.scan(TableName="Orders"))
    attempt("logs", lambda: boto3.client("logs").create_log_group(logGroupName="/aws/lambda/orders"))
    attempt("sqs_denied", lambda: boto3.client("sqs").send_message(QueueUrl=sys.argv[1], MessageBody="x"))
    print(json.dumps(out))
    """
)


def test_execution_role_enforced_in_a_worker_process(shared_aws) -> None:
    s3, ddb = shared_aws.client("s3"), shared_aws.client("dynamodb")
    for bucket in ("lab-in", "lab-out"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="lab-in", Key="in.txt", Body=b"hello")
    ddb.create_table(TableName="Orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    queue_url = shared_aws.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    role_arn = _role(shared_aws, "orders-role", managed=(
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",), inline=_policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lab-in/*"},
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::lab-out/*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:Delete*"],
         "Resource": f"arn:aws:dynamodb:*:{ACCOUNT}:table/Orders"},
    ))
    env = {**os.environ, **shared_aws.child_env(), **iam.credentials_for_role(role_arn, session_name="orders")}
    done = subprocess.run([sys.executable, "-c", WORKER, queue_url], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    who = f"arn:aws:sts::{ACCOUNT}:assumed-role/orders-role/orders"
    assert out["whoami"] == who
    assert out["s3_get"] == out["s3_put_allowed"] == out["ddb_put"] == out["ddb_delete_denied"] == "ok"
    assert out["logs"] == "ok"  # from the AWS managed AWSLambdaBasicExecutionRole
    assert out["s3_put_denied"] == [
        "AccessDenied",
        f'User: {who} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::lab-in/sneaky.txt" '
        "because no identity-based policy allows the s3:PutObject action", 403]
    assert out["s3_delete_denied"] == [
        "AccessDenied",
        f'User: {who} is not authorized to perform: s3:DeleteObject on resource: "arn:aws:s3:::lab-out/out.txt" '
        "with an explicit deny in an identity-based policy", 403]
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Orders"
    assert out["ddb_scan_denied"] == [
        "AccessDeniedException",
        f"User: {who} is not authorized to perform: dynamodb:Scan on resource: {table} "
        "because no identity-based policy allows the dynamodb:Scan action", 400]
    assert out["sqs_denied"][0] == "AccessDenied" and out["sqs_denied"][2] == 403
    assert "sqs:sendmessage on resource: arn:aws:sqs:us-east-1:123456789012:jobs" in out["sqs_denied"][1]
    # The worker's allowed writes happened; the kernel's own calls are never evaluated.
    assert s3.get_object(Bucket="lab-out", Key="out.txt")["Body"].read() == b"x"
    assert "Item" not in ddb.get_item(TableName="Orders", Key={"id": {"S": "1"}})  # deleted by the worker
    s3.put_object(Bucket="lab-in", Key="kernel.txt", Body=b"k")
    assert shared_aws.client("sts").get_caller_identity()["Account"] == ACCOUNT


def test_course_managed_policies_resolve(shared_aws) -> None:
    client = shared_aws.client("iam")
    for name in ("AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole",
                 "AWSLambdaKinesisExecutionRole", "AWSLambdaDynamoDBExecutionRole"):
        version = client.get_policy(PolicyArn=f"arn:aws:iam::aws:policy/service-role/{name}")["Policy"]
        assert version["DefaultVersionId"]
    lab.reset()  # they survive a reset
    assert client.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")


def _function(shared_aws, name: str) -> str:
    role = _role(shared_aws, f"{name}-role")
    return shared_aws.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": _zip()},
    )["FunctionArn"]


def test_duplicate_statement_id_is_a_conflict(shared_aws) -> None:
    lam = shared_aws.client("lambda")
    _function(shared_aws, "dup")
    lam.add_permission(FunctionName="dup", StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com")
    with pytest.raises(ClientError) as err:
        lam.add_permission(FunctionName="dup", StatementId="sns", Action="lambda:InvokeFunction",
                           Principal="sns.amazonaws.com")
    assert err.value.response["Error"]["Code"] == "ResourceConflictException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert err.value.response["Error"]["Message"] == (
        "The statement id (sns) provided already exists. Please provide a new statement id, "
        "or remove the existing statement.")
    lam.remove_permission(FunctionName="dup", StatementId="sns")
    lam.add_permission(FunctionName="dup", StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com")  # free again once removed


def test_s3_notification_needs_the_function_policy(shared_aws) -> None:
    s3, lam = shared_aws.client("s3"), shared_aws.client("lambda")
    fn_arn = _function(shared_aws, "on-upload")
    s3.create_bucket(Bucket="uploads")
    config = {"LambdaFunctionConfigurations": [{"LambdaFunctionArn": fn_arn, "Events": ["s3:ObjectCreated:*"]}]}
    with pytest.raises(ClientError) as err:
        s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration=config)
    assert err.value.response["Error"]["Code"] == "InvalidArgument"
    assert err.value.response["Error"]["Message"] == "Unable to validate the following destination configurations"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # A permission for another bucket does not do.
    lam.add_permission(FunctionName="on-upload", StatementId="other", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::not-uploads")
    with pytest.raises(ClientError):
        s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration=config)
    lam.add_permission(FunctionName="on-upload", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::uploads", SourceAccount=ACCOUNT)
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration=config)
    stored = s3.get_bucket_notification_configuration(Bucket="uploads")["LambdaFunctionConfigurations"]
    assert stored[0]["LambdaFunctionArn"] == fn_arn
    policy = iam.function_policy(fn_arn)
    assert iam.resource_policy_allows(policy, principal="s3.amazonaws.com", resource=fn_arn,
                                      source_arn="arn:aws:s3:::uploads", source_account=ACCOUNT)
    assert iam.lambda_invoke_allowed(fn_arn, principal="s3.amazonaws.com", source_arn="arn:aws:s3:::uploads",
                                     source_account=ACCOUNT)
    assert not iam.lambda_invoke_allowed(fn_arn, principal="sns.amazonaws.com")


def test_sns_subscribe_allowed_delivery_refused_without_permission(shared_aws) -> None:
    import lab_support as lab
    from lab_support.embedded import event_sources

    sns = shared_aws.client("sns")
    fn_arn = _function(shared_aws, "on-message")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn)  # AWS accepts the subscription
    event_sources.clear_timeline()
    sns.publish(TopicArn=topic, Message="hello")
    lab.wait_idle(10)
    refused = [e for e in event_sources.timeline() if e["kind"] == "sns.refused"]
    assert len(refused) == 1 and refused[0]["source"] == fn_arn
    assert iam.invoke_denied_message("sns.amazonaws.com", fn_arn) in refused[0]["error"]
    assert not [e for e in event_sources.timeline() if e["kind"] == "sns.notify"]
    # With the permission, the same publish reaches the function.
    shared_aws.client("lambda").add_permission(FunctionName=fn_arn, StatementId="sns", Action="lambda:InvokeFunction",
                                        Principal="sns.amazonaws.com", SourceArn=topic)
    sns.publish(TopicArn=topic, Message="hello again")
    lab.wait_idle(10)
    assert [e["source"] for e in event_sources.timeline() if e["kind"] == "sns.notify"] == [fn_arn]


def test_get_policy_answers_the_policy_of_the_resource_asked_for(aws: lab.Session) -> None:
    """One policy per function, version and alias (GetPolicy); moto kept an alias's statements on its version."""
    lam = aws.client("lambda")
    lab.create_function("policies", "def handler(event, context):\n    return 1\n")
    version = lam.publish_version(FunctionName="policies")["Version"]
    for alias in ("prod", "beta"):
        lam.create_alias(FunctionName="policies", Name=alias, FunctionVersion=version)
    lam.add_permission(FunctionName="policies", Qualifier="prod", StatementId="gw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    prod = json.loads(lam.get_policy(FunctionName="policies", Qualifier="prod")["Policy"])["Statement"]
    assert [s["Resource"].rsplit(":", 1)[-1] for s in prod] == ["prod"]
    for asked in ({"Qualifier": "beta"}, {}):
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            lam.get_policy(FunctionName="policies", **asked)
    lam.add_permission(FunctionName="policies", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com")
    assert [s["Sid"] for s in json.loads(lam.get_policy(FunctionName="policies")["Policy"])["Statement"]] == ["s3"]
    assert [s["Sid"] for s in json.loads(lam.get_policy(FunctionName="policies:prod")["Policy"])["Statement"]] == ["gw"]
