"""Find, and delete, everything the course created in an account: by the course tag, service by service.

``lab.cleanup()`` on a real account and ``lab.leftovers()`` use this module. It finds resources that carry the
course tag (``course=apigw-lambda-lab``, :mod:`.tags`) whichever kernel made them, so what a crashed earlier
run left behind is found too, and deletes them in dependency order (AWS refuses the other orders):

1. API Gateway usage plans (their API stages removed first), then API keys;
2. AWS WAF web ACLs (disassociated from their stages first), then IP sets;
3. Lambda event source mappings of the course's functions (before the functions and the queues/streams);
4. REST APIs, HTTP and WebSocket APIs (stages, deployments, authorizers go with them), then VPC links;
5. Lambda functions (versions, aliases, function URLs go with them) and their ``/aws/lambda/<name>`` log groups;
6. SQS queues, Kinesis streams, DynamoDB tables, S3 buckets (every object version first), SNS topics;
7. CloudWatch alarms; CloudWatch Logs groups (tagged ones, the log groups of the functions and the execution
   logs of the APIs deleted above, and ``/aws/lambda/nbNN-…`` groups whose function is gone);
8. Cognito user pools (their domain first); IAM roles (attached policies detached, inline policies deleted).

Where each service is listed: its own List/Describe call plus its tag call (IAM ``list_role_tags``, Logs
``list_tags_for_resource``…). The Resource Groups Tagging API (``get_resources``) adds what no lister covers
(e.g. a load balancer someone tagged), which :func:`find` reports and does not delete. Everything is public API
(boto3 through the session's clients), so it works against AWS, ``python -m lab_support serve`` and LocalStack.
Deleting something that is already gone counts as nothing (a second cleanup removes nothing).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lab_support.core import retry
from lab_support.core.tags import COURSE_TAG_KEY, COURSE_TAG_VALUE, RUN_TAG_KEY

# Error codes that mean "it does not exist (any more)".
_GONE = {
    "NotFoundException", "ResourceNotFoundException", "NoSuchEntity", "NoSuchEntityException", "NoSuchBucket",
    "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "WAFNonexistentItemException", "NotFound",
    "ResourceNotFound", "404", "NoSuchTagSet", "NoSuchTagSetError",
}
# the course's function names (notebooks nbNN-…, the library lab-…, the capstone bookstore-…)
_LAMBDA_LOG_GROUP = re.compile(r"^/aws/lambda/(nb\d\d-[A-Za-z0-9_-]+|lab-[A-Za-z0-9_-]+|bookstore-[A-Za-z0-9_-]+)$")


_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
           "UnauthorizedException"}


def denied(err: BaseException) -> bool:
    """Whether ``err`` refuses access to one item (a bucket with a deny policy, a role an SCP protects): the sweep
    skips that item and goes on with the others (the course's own resources are readable by the course's user)."""
    return retry.error_code(err) in _DENIED


def gone(err: BaseException) -> bool:
    """Whether ``err`` says the resource does not exist."""
    return retry.error_code(err) in _GONE


@dataclass(frozen=True)
class Found:
    """One resource the course created: ``kind`` and ``name`` for people, ``delete()`` to remove it.

    ``delete()`` returns ``False`` when the resource was gone already.
    """

    kind: str
    name: str
    delete: Callable[[], bool] = field(compare=False, repr=False)
    run: str | None = None
    order: int = 0

    @property
    def description(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass
class Report:
    """What :func:`find` saw: the resources, and services it could not list (with why)."""

    found: list[Found] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    other_arns: list[str] = field(default_factory=list)  # tagged, found only by the tagging API (not deleted)


def _tags_of(items: Any) -> dict[str, str]:
    if isinstance(items, dict):
        return {str(k): str(v) for k, v in items.items()}
    out: dict[str, str] = {}
    for tag in items or []:
        key = tag.get("Key", tag.get("key", tag.get("TagKey")))
        value = tag.get("Value", tag.get("value", tag.get("TagValue")))
        if key is not None:
            out[str(key)] = str(value)
    return out


def _ours(tags: dict[str, str]) -> bool:
    return tags.get(COURSE_TAG_KEY) == COURSE_TAG_VALUE


EXECUTION_LOGS = "API-Gateway-Execution-Logs_"  # + "{api id}/{stage}": where a REST API's execution logs go


def delete_rest_api(apigw: Any, api_id: str) -> bool:
    """Delete REST API ``api_id``, waiting out API Gateway's limit of one DeleteRestApi every 30 seconds per account
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html); ``False`` if it was gone already."""
    return retry.retrying(
        lambda: _call_gone_ok(lambda: apigw.delete_rest_api(restApiId=api_id)),
        retry_on=lambda e: retry.error_code(e) == "TooManyRequestsException",
        what="API Gateway allows one DeleteRestApi every 30 seconds", max_wait=120, first_delay=5, max_delay=15)


def delete_execution_logs(logs: Any, api_id: str) -> None:
    """Delete the execution-log groups of REST API ``api_id``'s stages: they outlive the API and never expire."""
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=f"{EXECUTION_LOGS}{api_id}/"):
        for group in page.get("logGroups", []):
            _call_gone_ok(lambda name=group["logGroupName"]: logs.delete_log_group(logGroupName=name))


def _call_gone_ok(call: Callable[[], Any]) -> bool:
    """Run a delete call; ``True`` if it deleted something, ``False`` if the resource was gone already."""
    try:
        call()
        return True
    except Exception as err:
        if gone(err):
            return False
        raise


class _Sweeper:
    """Lists one account (the session's Region, plus IAM) service by service."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.region = session.region
        self.deleted_apis: list[str] = []
        self.deleted_functions: list[str] = []
        self._clients: dict[str, Any] = {}

    def c(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service)
        return self._clients[service]

    # -- finders: each yields Found for course-tagged resources ------------------------------------------
    def usage_plans(self) -> Iterator[Found]:
        apigw = self.c("apigateway")
        for page in apigw.get_paginator("get_usage_plans").paginate():
            for plan in page.get("items", []):
                tags = _tags_of(plan.get("tags"))
                if _ours(tags):
                    yield Found("API Gateway usage plan", plan.get("name", plan["id"]),
                                self._delete_usage_plan(plan["id"]), tags.get(RUN_TAG_KEY))

    def _delete_usage_plan(self, plan_id: str) -> Callable[[], bool]:
        def delete() -> bool:
            apigw = self.c("apigateway")
            try:
                plan = apigw.get_usage_plan(usagePlanId=plan_id)
            except Exception as err:
                if gone(err):
                    return False
                raise
            ops = [{"op": "remove", "path": "/apiStages", "value": f"{s['apiId']}:{s['stage']}"}
                   for s in plan.get("apiStages", [])]
            if ops:
                with contextlib.suppress(Exception):  # the API may be gone already; the delete below decides
                    apigw.update_usage_plan(usagePlanId=plan_id, patchOperations=ops)
            return _call_gone_ok(lambda: apigw.delete_usage_plan(usagePlanId=plan_id))
        return delete

    def api_keys(self) -> Iterator[Found]:
        apigw = self.c("apigateway")
        for page in apigw.get_paginator("get_api_keys").paginate():
            for key in page.get("items", []):
                tags = _tags_of(key.get("tags"))
                if _ours(tags):
                    key_id = key["id"]
                    yield Found("API key", key.get("name", key_id),
                                lambda key_id=key_id: _call_gone_ok(lambda: apigw.delete_api_key(apiKey=key_id)),
                                tags.get(RUN_TAG_KEY))

    def _waf_tags(self, arn: str) -> dict[str, str]:
        info = self.c("wafv2").list_tags_for_resource(ResourceARN=arn).get("TagInfoForResource", {})
        return _tags_of(info.get("TagList"))

    def web_acls(self) -> Iterator[Found]:
        waf = self.c("wafv2")
        for acl in waf.list_web_acls(Scope="REGIONAL").get("WebACLs", []):
            tags = self._waf_tags(acl["ARN"])
            if _ours(tags):
                yield Found("WAF web ACL", acl["Name"], self._delete_web_acl(acl), tags.get(RUN_TAG_KEY))

    def _delete_web_acl(self, acl: dict[str, Any]) -> Callable[[], bool]:
        def delete() -> bool:
            waf = self.c("wafv2")
            with contextlib.suppress(Exception):  # not every emulator lists associations; the delete decides
                for resource_type in ("API_GATEWAY",):
                    for arn in waf.list_resources_for_web_acl(WebACLArn=acl["ARN"],
                                                              ResourceType=resource_type).get("ResourceArns", []):
                        waf.disassociate_web_acl(ResourceArn=arn)
            try:
                token = waf.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])["LockToken"]
            except Exception as err:
                if gone(err):
                    return False
                raise
            return _call_gone_ok(lambda: waf.delete_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"],
                                                            LockToken=token))
        return delete

    def ip_sets(self) -> Iterator[Found]:
        waf = self.c("wafv2")
        for ip_set in waf.list_ip_sets(Scope="REGIONAL").get("IPSets", []):
            tags = self._waf_tags(ip_set["ARN"])
            if _ours(tags):
                def delete(s: dict[str, Any] = ip_set) -> bool:
                    try:
                        token = waf.get_ip_set(Name=s["Name"], Scope="REGIONAL", Id=s["Id"])["LockToken"]
                    except Exception as err:
                        if gone(err):
                            return False
                        raise
                    return _call_gone_ok(lambda: waf.delete_ip_set(Name=s["Name"], Scope="REGIONAL", Id=s["Id"],
                                                                   LockToken=token))
                yield Found("WAF IP set", ip_set["Name"], delete, tags.get(RUN_TAG_KEY))

    def _course_functions(self) -> list[tuple[str, str, dict[str, str]]]:
        lam = self.c("lambda")
        out = []
        for page in lam.get_paginator("list_functions").paginate():
            for fn in page.get("Functions", []):
                try:
                    tags = _tags_of(lam.list_tags(Resource=fn["FunctionArn"]).get("Tags"))
                except Exception as err:
                    if gone(err) or denied(err):  # gone meanwhile, or not ours to read
                        continue
                    raise
                if _ours(tags):
                    out.append((fn["FunctionName"], fn["FunctionArn"], tags))
        return out

    def mappings(self) -> Iterator[Found]:
        lam = self.c("lambda")
        course = {arn.split(":function:")[-1].split(":")[0] for _, arn, _ in self._course_functions()}
        for page in lam.get_paginator("list_event_source_mappings").paginate():
            for m in page.get("EventSourceMappings", []):
                if m.get("State") == "Deleting":
                    continue
                function = str(m.get("FunctionArn", "")).split(":function:")[-1].split(":")[0]
                if function not in course and not self._tagged_mapping(m):
                    continue  # not a course function's, and not tagged as the course's (a deleted function's)
                source = str(m.get("EventSourceArn", "")).rsplit(":", 1)[-1].rsplit("/", 1)[-1]
                uuid = m["UUID"]

                def delete(uuid: str = uuid) -> bool:
                    return retry.retrying(
                        lambda: _call_gone_ok(lambda: lam.delete_event_source_mapping(UUID=uuid)),
                        retry_on=lambda e: retry.error_code(e) in ("ResourceInUseException", "ResourceConflictException"),
                        what=f"the event source mapping {uuid} to finish changing state")

                yield Found("event source mapping", f"{source} -> {function}", delete)

    def _tagged_mapping(self, mapping: dict[str, Any]) -> bool:
        """A mapping the course tagged: AWS keeps a mapping when its function is deleted, so one whose function went
        first is found by its own tags (ListTags on its ARN)."""
        arn = mapping.get("EventSourceMappingArn")
        if not arn:
            return False
        try:
            return _ours(_tags_of(self.c("lambda").list_tags(Resource=arn).get("Tags")))
        except Exception:  # an endpoint without tags on mappings, or one not ours to read: not the course's
            return False

    def rest_apis(self) -> Iterator[Found]:
        apigw = self.c("apigateway")
        for page in apigw.get_paginator("get_rest_apis").paginate():
            for api in page.get("items", []):
                tags = _tags_of(api.get("tags"))
                if _ours(tags):
                    api_id = api["id"]

                    def delete(api_id: str = api_id) -> bool:
                        done = delete_rest_api(apigw, api_id)
                        self.deleted_apis.append(api_id)
                        return done

                    yield Found("REST API", f"{api.get('name')} ({api_id})", delete, tags.get(RUN_TAG_KEY))

    def v2_apis(self) -> Iterator[Found]:
        v2 = self.c("apigatewayv2")
        for page in v2.get_paginator("get_apis").paginate():
            for api in page.get("Items", []):
                tags = _tags_of(api.get("Tags"))
                if _ours(tags):
                    api_id = api["ApiId"]
                    kind = "WebSocket API" if api.get("ProtocolType") == "WEBSOCKET" else "HTTP API"

                    def delete(api_id: str = api_id) -> bool:
                        done = _call_gone_ok(lambda: v2.delete_api(ApiId=api_id))
                        self.deleted_apis.append(api_id)
                        return done

                    yield Found(kind, f"{api.get('Name')} ({api_id})", delete, tags.get(RUN_TAG_KEY))

    def vpc_links(self) -> Iterator[Found]:
        apigw, v2 = self.c("apigateway"), self.c("apigatewayv2")
        for page in apigw.get_paginator("get_vpc_links").paginate():
            for link in page.get("items", []):
                tags = _tags_of(link.get("tags"))
                if _ours(tags):
                    yield Found("VPC link (REST)", link.get("name", link["id"]),
                                lambda i=link["id"]: _call_gone_ok(lambda: apigw.delete_vpc_link(vpcLinkId=i)),
                                tags.get(RUN_TAG_KEY))
        for link in v2.get_vpc_links().get("Items", []):
            tags = _tags_of(link.get("Tags"))
            if _ours(tags):
                yield Found("VPC link (HTTP)", link.get("Name", link["VpcLinkId"]),
                            lambda i=link["VpcLinkId"]: _call_gone_ok(lambda: v2.delete_vpc_link(VpcLinkId=i)),
                            tags.get(RUN_TAG_KEY))

    def functions(self) -> Iterator[Found]:
        lam = self.c("lambda")
        for name, _arn, tags in self._course_functions():
            def delete(name: str = name) -> bool:
                done = _call_gone_ok(lambda: lam.delete_function(FunctionName=name))
                self.deleted_functions.append(name)
                return done
            yield Found("Lambda function", name, delete, tags.get(RUN_TAG_KEY))

    def queues(self) -> Iterator[Found]:
        sqs = self.c("sqs")
        for page in sqs.get_paginator("list_queues").paginate():
            for url in page.get("QueueUrls", []):
                try:
                    tags = _tags_of(sqs.list_queue_tags(QueueUrl=url).get("Tags"))
                except Exception as err:
                    if gone(err) or denied(err):  # gone meanwhile, or not ours to read
                        continue  # deleted a moment ago: SQS lists it for up to 60 s
                    raise
                if _ours(tags):
                    yield Found("SQS queue", url.rsplit("/", 1)[-1],
                                lambda url=url: _call_gone_ok(lambda: sqs.delete_queue(QueueUrl=url)),
                                tags.get(RUN_TAG_KEY))

    def streams(self) -> Iterator[Found]:
        kinesis = self.c("kinesis")
        for page in kinesis.get_paginator("list_streams").paginate():
            for name in page.get("StreamNames", []):
                try:
                    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
                    if summary.get("StreamStatus") == "DELETING":
                        continue
                    tags = _tags_of(kinesis.list_tags_for_stream(StreamName=name).get("Tags"))
                except Exception as err:
                    if gone(err) or denied(err):  # gone meanwhile, or not ours to read
                        continue
                    raise
                if _ours(tags):
                    yield Found("Kinesis stream", name,
                                lambda name=name: _call_gone_ok(
                                    lambda: kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)),
                                tags.get(RUN_TAG_KEY))

    def tables(self) -> Iterator[Found]:
        ddb = self.c("dynamodb")
        for page in ddb.get_paginator("list_tables").paginate():
            for name in page.get("TableNames", []):
                try:
                    table = ddb.describe_table(TableName=name)["Table"]
                    if table.get("TableStatus") == "DELETING":
                        continue
                    tags = _tags_of(ddb.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags"))
                except Exception as err:
                    if gone(err) or denied(err):  # gone meanwhile, or not ours to read
                        continue
                    raise
                if _ours(tags):
                    yield Found("DynamoDB table", name,
                                lambda name=name: _call_gone_ok(lambda: ddb.delete_table(TableName=name)),
                                tags.get(RUN_TAG_KEY))

    def buckets(self) -> Iterator[Found]:
        s3 = self.c("s3")
        for bucket in s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            try:
                tags = _tags_of(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
                if not _ours(tags):
                    continue
                location = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
            except Exception as err:
                if gone(err) or denied(err):  # gone meanwhile, or not ours to read
                    continue
                raise
            if location != self.region:
                continue  # the sweep covers the session's Region (bucket names are global, buckets are not)
            yield Found("S3 bucket", name, lambda name=name: empty_and_delete_bucket(s3, name), tags.get(RUN_TAG_KEY))

    def topics(self) -> Iterator[Found]:
        sns = self.c("sns")
        for page in sns.get_paginator("list_topics").paginate():
            for topic in page.get("Topics", []):
                arn = topic["TopicArn"]
                try:
                    tags = _tags_of(sns.list_tags_for_resource(ResourceArn=arn).get("Tags"))
                except Exception as err:
                    if gone(err) or denied(err):  # gone meanwhile, or not ours to read
                        continue
                    raise
                if _ours(tags):
                    yield Found("SNS topic", arn.rsplit(":", 1)[-1],
                                lambda arn=arn: _call_gone_ok(lambda: sns.delete_topic(TopicArn=arn)),
                                tags.get(RUN_TAG_KEY))

    def alarms(self) -> Iterator[Found]:
        cw = self.c("cloudwatch")
        for page in cw.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm", "CompositeAlarm"]):
            for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                tags = _tags_of(cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"]).get("Tags"))
                if _ours(tags):
                    name = alarm["AlarmName"]
                    yield Found("CloudWatch alarm", name,
                                lambda name=name: _call_gone_ok(lambda: cw.delete_alarms(AlarmNames=[name])),
                                tags.get(RUN_TAG_KEY))

    def _log_group_tags(self, group: dict[str, Any]) -> dict[str, str]:
        logs = self.c("logs")
        arn = str(group.get("arn", "")).removesuffix(":*")
        try:
            return _tags_of(logs.list_tags_for_resource(resourceArn=arn).get("tags"))
        except Exception as err:
            if gone(err):
                return {}
            # older emulators answer only the deprecated ListTagsLogGroup
            return _tags_of(logs.list_tags_log_group(logGroupName=group["logGroupName"]).get("tags"))

    def log_groups(self, *, deleted_functions: list[str], deleted_apis: list[str]) -> Iterator[Found]:
        logs = self.c("logs")
        live_functions: set[str] | None = None
        execution_prefixes = tuple(f"{EXECUTION_LOGS}{api}/" for api in deleted_apis)
        for page in logs.get_paginator("describe_log_groups").paginate():
            for group in page.get("logGroups", []):
                name = group["logGroupName"]
                tags = self._log_group_tags(group)
                ours = _ours(tags) or name in {f"/aws/lambda/{f}" for f in deleted_functions} \
                    or name.startswith(execution_prefixes)
                if not ours and _LAMBDA_LOG_GROUP.match(name):
                    if live_functions is None:
                        live_functions = {fn["FunctionName"] for p in self.c("lambda").get_paginator(
                            "list_functions").paginate() for fn in p.get("Functions", [])}
                    ours = name.removeprefix("/aws/lambda/") not in live_functions  # its function is gone
                if ours:
                    yield Found("log group", name,
                                lambda name=name: _call_gone_ok(lambda: logs.delete_log_group(logGroupName=name)),
                                tags.get(RUN_TAG_KEY))

    def user_pools(self) -> Iterator[Found]:
        idp = self.c("cognito-idp")
        for page in idp.get_paginator("list_user_pools").paginate(MaxResults=60):
            for pool in page.get("UserPools", []):
                try:
                    described = idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
                except Exception as err:
                    if gone(err) or denied(err):  # gone meanwhile, or not ours to read
                        continue
                    raise
                tags = _tags_of(described.get("UserPoolTags"))
                if _ours(tags):
                    def delete(d: dict[str, Any] = described) -> bool:
                        for domain in (d.get("Domain"), d.get("CustomDomain")):
                            if domain:
                                with contextlib.suppress(Exception):
                                    idp.delete_user_pool_domain(Domain=domain, UserPoolId=d["Id"])
                        return _call_gone_ok(lambda: idp.delete_user_pool(UserPoolId=d["Id"]))
                    yield Found("Cognito user pool", f"{described.get('Name')} ({pool['Id']})", delete,
                                tags.get(RUN_TAG_KEY))

    def roles(self) -> Iterator[Found]:
        iam = self.c("iam")
        for page in iam.get_paginator("list_roles").paginate():
            for role in page.get("Roles", []):
                name = role["RoleName"]
                if role.get("Path", "/").startswith("/aws-service-role/"):
                    continue
                try:
                    tags = _tags_of(iam.list_role_tags(RoleName=name).get("Tags"))
                except Exception as err:
                    if gone(err) or denied(err):  # gone meanwhile, or not ours to read
                        continue
                    raise
                if _ours(tags):
                    yield Found("IAM role", name, lambda r=role: self._delete_role(r), tags.get(RUN_TAG_KEY))

    def _delete_role(self, role: dict[str, Any]) -> bool:
        """A course role that API Gateway's account settings name for CloudWatch logging (the course set it, as
        none was set) is unset there first, so the account is not left pointing at a deleted role."""
        with contextlib.suppress(Exception):
            apigw = self.c("apigateway")
            if apigw.get_account().get("cloudwatchRoleArn") == role["Arn"]:
                apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": ""}])
        return delete_role(self.c("iam"), role["RoleName"])


def delete_role(iam: Any, name: str) -> bool:
    """Delete an IAM role with its attached and inline policies and instance profiles (IAM refuses a role that has
    any). ``False`` if the role was gone already."""
    try:
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
            for attached in page.get("AttachedPolicies", []):
                iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
            for policy_name in page.get("PolicyNames", []):
                iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        with contextlib.suppress(Exception):  # not every emulator has instance profiles
            for profile in iam.list_instance_profiles_for_role(RoleName=name).get("InstanceProfiles", []):
                iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=name)
        iam.delete_role(RoleName=name)
        return True
    except Exception as err:
        if gone(err):
            return False
        raise


def empty_and_delete_bucket(s3: Any, name: str) -> bool:
    """Delete every object version and delete marker, then the bucket (S3 refuses a bucket that is not empty).
    ``False`` if the bucket was gone already."""
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                      for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if doomed:
                s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
        s3.delete_bucket(Bucket=name)
        return True
    except Exception as err:
        if gone(err):
            return False
        raise


# Listers in deletion order (earlier ones must go first). Log groups come after functions and APIs, whose deletion
# they follow; they are listed by :func:`find` with the names the earlier steps deleted.
_STEPS: tuple[tuple[str, str], ...] = (
    ("usage_plans", "API Gateway usage plans"),
    ("api_keys", "API Gateway API keys"),
    ("web_acls", "AWS WAF web ACLs"),
    ("ip_sets", "AWS WAF IP sets"),
    ("mappings", "Lambda event source mappings"),
    ("rest_apis", "API Gateway REST APIs"),
    ("v2_apis", "API Gateway HTTP and WebSocket APIs"),
    ("vpc_links", "API Gateway VPC links"),
    ("functions", "Lambda functions"),
    ("queues", "SQS queues"),
    ("streams", "Kinesis streams"),
    ("tables", "DynamoDB tables"),
    ("buckets", "S3 buckets"),
    ("topics", "SNS topics"),
    ("alarms", "CloudWatch alarms"),
    ("log_groups", "CloudWatch Logs groups"),
    ("user_pools", "Cognito user pools"),
    ("roles", "IAM roles"),
)
# Resource types the listers above cover (the tagging API's "service:type" prefixes), so get_resources adds
# only what none of them knows.
_COVERED = ("apigateway", "wafv2", "lambda", "sqs", "kinesis", "dynamodb", "s3", "sns", "cloudwatch", "logs",
            "cognito-idp", "iam")


def find(session: Any, *, run_id: str | None = None) -> Report:
    """Every course-tagged resource in the session's Region (and the account's IAM roles), in deletion order.

    With ``run_id``, only those whose ``lab-run`` tag is that run (event source mappings and untagged log groups
    of course functions always count). Services that cannot be listed are named in ``Report.unlisted``.
    """
    sweeper = _Sweeper(session)
    report = Report()
    functions = [n for n, _a, _t in _safe_list(sweeper._course_functions, report, "Lambda functions")]
    for order, (method, label) in enumerate(_STEPS):
        if method == "log_groups":
            items = _safe_list(lambda: list(sweeper.log_groups(deleted_functions=functions, deleted_apis=[])),
                               report, label)
        else:
            items = _safe_list(lambda m=method: list(getattr(sweeper, m)()), report, label)
        for item in items:
            if run_id is not None and item.run not in (None, run_id):
                continue
            report.found.append(Found(item.kind, item.name, item.delete, item.run, order))
    report.other_arns = _tagging_api_extras(sweeper, report)
    return report


def _safe_list(call: Callable[[], list[Any]], report: Report, label: str) -> list[Any]:
    try:
        return call()
    except Exception as err:  # a service this account (or emulator) cannot list: say so, go on
        report.unlisted.append(f"{label}: {retry.error_code(err) or type(err).__name__}")
        return []


def _tagging_api_extras(sweeper: _Sweeper, report: Report) -> list[str]:
    try:
        tagging = sweeper.c("resourcegroupstaggingapi")
        arns = [r["ResourceARN"]
                for page in tagging.get_paginator("get_resources").paginate(
                    TagFilters=[{"Key": COURSE_TAG_KEY, "Values": [COURSE_TAG_VALUE]}])
                for r in page.get("ResourceTagMappingList", [])]
    except Exception as err:
        report.unlisted.append(f"Resource Groups Tagging API: {retry.error_code(err) or type(err).__name__}")
        return []
    return sorted(a for a in arns if a.split(":")[2] not in _COVERED)


def delete(session: Any, report: Report) -> tuple[list[str], list[str]]:
    """Delete what ``report`` found, in order; returns ``(removed descriptions, failures)``.

    Log groups of the functions and APIs deleted here are found and deleted after them.
    """
    removed: list[str] = []
    failed: list[str] = []
    sweeper = _Sweeper(session)
    deleted_functions: list[str] = []
    deleted_apis: list[str] = []
    for item in sorted(report.found, key=lambda f: (f.order, f.kind, f.name)):
        if item.kind == "log group":
            continue  # below, with the groups of what was just deleted
        try:
            if item.delete():
                removed.append(item.description)
            if item.kind == "Lambda function":
                deleted_functions.append(item.name)
            elif item.kind.endswith(" API"):
                deleted_apis.append(item.name.rsplit("(", 1)[-1].rstrip(")"))
        except Exception as err:  # keep going: cleanup must never stop half-way
            failed.append(f"{item.description}: {retry.error_code(err) or type(err).__name__}: {err}")
    groups = _safe_list(lambda: list(sweeper.log_groups(deleted_functions=deleted_functions,
                                                        deleted_apis=deleted_apis)), Report(), "log groups")
    for group in groups:
        try:
            if group.delete():
                removed.append(group.description)
        except Exception as err:
            failed.append(f"{group.description}: {err}")
    return removed, failed
