"""From an HTTP request to AWS, to what IAM checks: the action names and resource ARNs.

Each service's API operation is read from the request — ``X-Amz-Target`` for the JSON
protocols (DynamoDB, Kinesis, CloudWatch Logs, SQS), ``Action=`` for the query protocols (SNS,
STS), the REST path and method for S3 and Lambda — and mapped to the IAM action(s) and
resource ARN(s) that AWS authorizes, as listed in the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
and, for S3, "Required permissions for Amazon S3 API operations"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

__all__ = ["Check", "RequestInfo", "describe", "parse_credential"]

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")


def parse_credential(environ: dict[str, Any]) -> tuple[str, str, str] | None:
    """(access key id, region, signing service) from a SigV4 header or presigned URL."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = _CREDENTIAL.search(auth)
    if m:
        return m.group(1), m.group(3), m.group(4)
    query = parse_qs(environ.get("QUERY_STRING", ""))
    cred = query.get("X-Amz-Credential", [""])[0]
    parts = cred.split("/")
    if len(parts) == 5 and parts[4] == "aws4_request":
        return parts[0], parts[2], parts[3]
    return None


@dataclass
class Check:
    """One authorization IAM makes: ``action`` on ``resource``."""

    action: str
    resource: str


@dataclass
class RequestInfo:
    """What a request asks, as IAM sees it."""

    service: str  # the signing name: s3, dynamodb, sqs, ...
    operation: str  # the API operation: PutItem, GetObject, ...
    protocol: str  # "json", "query", "rest-json", "rest-xml"
    checks: list[Check] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    known: bool = True  # False: an operation this module cannot map (passed through)


# Signing name → IAM service prefix, where they differ.
_PREFIX = {"monitoring": "cloudwatch", "email": "ses", "execute-api": "execute-api"}

# API operations whose IAM action has another name.
_ACTION_ALIASES = {
    ("sqs", "SendMessageBatch"): "sqs:SendMessage",
    ("sqs", "DeleteMessageBatch"): "sqs:DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "sqs:ChangeMessageVisibility",
    ("sns", "PublishBatch"): "sns:Publish",
    ("kinesis", "PutRecords"): "kinesis:PutRecords",
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("lambda", "ListVersionsByFunction"): "lambda:ListVersionsByFunction",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "CopyObject"): "s3:PutObject",
    ("s3", "CreateMultipartUpload"): "s3:PutObject",
    ("s3", "UploadPart"): "s3:PutObject",
    ("s3", "CompleteMultipartUpload"): "s3:PutObject",
    ("s3", "DeleteObjects"): "s3:DeleteObject",
    ("s3", "ListObjectVersions"): "s3:ListBucketVersions",
    ("s3", "ListParts"): "s3:ListMultipartUploadParts",
    ("s3", "ListMultipartUploads"): "s3:ListBucketMultipartUploads",
    ("s3", "GetBucketNotificationConfiguration"): "s3:GetBucketNotification",
    ("s3", "PutBucketNotificationConfiguration"): "s3:PutBucketNotification",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "PutBucketLifecycleConfiguration"): "s3:PutLifecycleConfiguration",
    ("s3", "GetBucketCors"): "s3:GetBucketCORS",
    ("s3", "PutBucketCors"): "s3:PutBucketCORS",
    ("s3", "DeleteBucketPolicy"): "s3:DeleteBucketPolicy",
}

# Operations IAM never authorizes.
_ALWAYS_ALLOWED = {("sts", "GetCallerIdentity"), ("dynamodb", "DescribeEndpoints")}


def iam_action(service: str, operation: str) -> str:
    """The IAM action AWS checks for ``operation`` of ``service`` (e.g. sqs SendMessageBatch →
    ``sqs:SendMessage``); by default ``prefix:Operation``."""
    return _ACTION_ALIASES.get((service, operation), f"{_PREFIX.get(service, service)}:{operation}")


def is_always_allowed(service: str, operation: str) -> bool:
    """Operations that need no permission (``sts:GetCallerIdentity``)."""
    return (service, operation) in _ALWAYS_ALLOWED


# -- helpers -----------------------------------------------------------------------------------------


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _form(body: bytes, query_string: str) -> dict[str, str]:
    params = {k: v[0] for k, v in parse_qs(query_string, keep_blank_values=True).items()}
    try:
        text = body.decode()
    except UnicodeDecodeError:
        text = ""
    params.update({k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()})
    return params


class _Arns:
    def __init__(self, region: str, account: str, partition: str = "aws") -> None:
        self.region, self.account, self.partition = region, account, partition

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account if account else ''}:{resource}"
        )

    def table(self, name: str) -> str:
        return name if name.startswith("arn:") else self.arn("dynamodb", f"table/{name}")

    def stream(self, name: str | None, arn: str | None) -> str:
        if arn:
            return arn
        return self.arn("kinesis", f"stream/{name}") if name else "*"

    def queue_from_url(self, url: str) -> str:
        parts = [p for p in url.split("?")[0].split("/") if p]
        if len(parts) >= 2 and re.fullmatch(r"\d{12}", parts[-2]):
            return f"arn:{self.partition}:sqs:{self.region}:{parts[-2]}:{parts[-1]}"
        return self.arn("sqs", parts[-1] if parts else "*")

    def function(self, name: str, qualifier: str | None = None) -> str:
        """A Lambda function ARN from a name, partial ARN or ARN (qualifier kept)."""
        name = unquote(name)
        if name.startswith("arn:"):
            arn = name
        elif re.fullmatch(r"\d{12}:function:.+", name):
            arn = f"arn:{self.partition}:lambda:{self.region}:{name}"
        else:
            arn = self.arn("lambda", f"function:{name}")
        parts = arn.split(":")
        if qualifier and len(parts) == 7:
            arn = f"{arn}:{qualifier}"
        return arn


# -- per service -------------------------------------------------------------------------------------


def _dynamodb(op: str, body: dict[str, Any], a: _Arns) -> list[Check]:
    act = iam_action("dynamodb", op)
    if op in ("BatchGetItem", "BatchWriteItem"):
        tables = list((body.get("RequestItems") or {}).keys())
        return [Check(act, a.table(t)) for t in tables] or [Check(act, "*")]
    if op in ("TransactWriteItems", "TransactGetItems"):
        checks = []
        kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                 "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
        for item in body.get("TransactItems") or []:
            for kind, spec in item.items():
                if kind in kinds and isinstance(spec, dict):
                    checks.append(Check(f"dynamodb:{kinds[kind]}", a.table(spec.get("TableName", "*"))))
        return checks or [Check(act, "*")]
    if "StreamArn" in body:
        return [Check(act, body["StreamArn"])]
    table = body.get("TableName") or body.get("ResourceArn") or body.get("TableArn")
    if not table:
        return [Check(act, "*")]
    resource = a.table(table)
    if body.get("IndexName") and op in ("Query", "Scan"):
        resource = f"{resource}/index/{body['IndexName']}"
    return [Check(act, resource)]


def _kinesis(op: str, body: dict[str, Any], a: _Arns) -> list[Check]:
    act = iam_action("kinesis", op)
    if op in ("ListStreams", "DescribeLimits"):
        return [Check(act, "*")]
    if "ConsumerARN" in body:
        return [Check(act, body["ConsumerARN"])]
    return [Check(act, a.stream(body.get("StreamName"), body.get("StreamARN")))]


def _logs(op: str, body: dict[str, Any], a: _Arns) -> list[Check]:
    act = iam_action("logs", op)
    group = body.get("logGroupName")
    if not group:
        return [Check(act, "*")]
    if op in ("CreateLogGroup", "DeleteLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy"):
        return [Check(act, a.arn("logs", f"log-group:{group}"))]
    stream = body.get("logStreamName")
    if stream and op in ("CreateLogStream", "DeleteLogStream", "PutLogEvents", "GetLogEvents"):
        return [Check(act, a.arn("logs", f"log-group:{group}:log-stream:{stream}"))]
    return [Check(act, a.arn("logs", f"log-group:{group}:*"))]


def _sqs(op: str, params: dict[str, Any], a: _Arns, path: str = "/") -> list[Check]:
    """The queue: ``QueueUrl``, ``QueueName``, or the request's path (a query request sent to the queue's URL,
    ``POST /{account}/{queue}``, as API Gateway's SQS integrations send ``Action=SendMessage``)."""
    act = iam_action("sqs", op)
    if params.get("QueueUrl"):
        return [Check(act, a.queue_from_url(str(params["QueueUrl"])))]
    segments = [p for p in path.split("/") if p]
    if len(segments) == 2 and segments[0].isdigit():
        return [Check(act, f"arn:{a.partition}:sqs:{a.region}:{segments[0]}:{segments[1]}")]
    if params.get("QueueName"):
        owner = params.get("QueueOwnerAWSAccountId") or a.account
        return [Check(act, f"arn:{a.partition}:sqs:{a.region}:{owner}:{params['QueueName']}")]
    return [Check(act, "*")]


def _sns(op: str, params: dict[str, Any], a: _Arns) -> list[Check]:
    act = iam_action("sns", op)
    for key in ("TopicArn", "TargetArn", "ResourceArn"):
        if params.get(key):
            return [Check(act, str(params[key]))]
    if params.get("SubscriptionArn"):
        sub = str(params["SubscriptionArn"])
        return [Check(act, sub.rsplit(":", 1)[0] if sub.count(":") >= 6 else sub)]
    if op == "CreateTopic" and params.get("Name"):
        return [Check(act, a.arn("sns", str(params["Name"])))]
    if params.get("PhoneNumber"):
        return [Check(act, str(params["PhoneNumber"]))]
    return [Check(act, "*")]


def _sts(op: str, params: dict[str, Any], a: _Arns) -> list[Check]:
    act = iam_action("sts", op)
    if params.get("RoleArn"):
        return [Check(act, str(params["RoleArn"]))]
    return [Check(act, "*")]


def _lambda(method: str, path: str, query: dict[str, list[str]], body: dict[str, Any],
            a: _Arns) -> tuple[str, list[Check]] | None:
    segments = [unquote(s) for s in path.split("/") if s]
    if len(segments) < 2:
        return None
    version, kind, rest = segments[0], segments[1], segments[2:]
    qualifier = query.get("Qualifier", [None])[0]

    def check(op: str, resource: str) -> tuple[str, list[Check]]:
        return op, [Check(iam_action("lambda", op), resource)]

    if kind == "event-source-mappings":
        op = {"GET": "GetEventSourceMapping", "PUT": "UpdateEventSourceMapping",
              "DELETE": "DeleteEventSourceMapping"}.get(method) if rest else {
              "GET": "ListEventSourceMappings", "POST": "CreateEventSourceMapping"}.get(method)
        if op is None:
            return None
        resource = a.arn("lambda", f"event-source-mapping:{rest[0]}") if rest else "*"
        return check(op, resource)
    if kind == "tags" and rest:
        op = {"GET": "ListTags", "POST": "TagResource", "DELETE": "UntagResource"}.get(method)
        return check(op, "/".join(rest)) if op else None
    if kind != "functions":
        return None
    if not rest:
        if method == "GET":
            return check("ListFunctions", "*")
        if method == "POST":
            return check("CreateFunction", a.function(str(body.get("FunctionName", "*"))))
        return None
    fn = rest[0]
    sub = rest[1:]
    if not sub:
        op = {"GET": "GetFunction", "DELETE": "DeleteFunction"}.get(method)
        return check(op, a.function(fn, qualifier)) if op else None
    what = sub[0]
    table: dict[tuple[str, str], str] = {
        ("invocations", "POST"): "InvokeFunction",
        ("invoke-async", "POST"): "InvokeAsync",
        ("configuration", "GET"): "GetFunctionConfiguration",
        ("configuration", "PUT"): "UpdateFunctionConfiguration",
        ("code", "PUT"): "UpdateFunctionCode",
        ("policy", "GET"): "GetPolicy",
        ("policy", "POST"): "AddPermission",
        ("policy", "DELETE"): "RemovePermission",
        ("versions", "GET"): "ListVersionsByFunction",
        ("versions", "POST"): "PublishVersion",
        ("aliases", "GET"): "GetAlias" if len(sub) > 1 else "ListAliases",
        ("aliases", "POST"): "CreateAlias",
        ("aliases", "PUT"): "UpdateAlias",
        ("aliases", "DELETE"): "DeleteAlias",
        ("concurrency", "PUT"): "PutFunctionConcurrency",
        ("concurrency", "GET"): "GetFunctionConcurrency",
        ("concurrency", "DELETE"): "DeleteFunctionConcurrency",
        ("event-invoke-config", "GET"): "GetFunctionEventInvokeConfig",
        ("event-invoke-config", "PUT"): "PutFunctionEventInvokeConfig",
        ("event-invoke-config", "POST"): "UpdateFunctionEventInvokeConfig",
        ("event-invoke-config", "DELETE"): "DeleteFunctionEventInvokeConfig",
        ("url", "GET"): "GetFunctionUrlConfig",
        ("url", "POST"): "CreateFunctionUrlConfig",
        ("url", "PUT"): "UpdateFunctionUrlConfig",
        ("url", "DELETE"): "DeleteFunctionUrlConfig",
    }
    op = table.get((what, method))
    if op is None:
        return None
    if what == "aliases" and len(sub) > 1:
        qualifier = sub[1]
    if what == "policy" and method == "DELETE":
        op = "RemovePermission"
    _ = version
    return check(op, a.function(fn, qualifier))


_S3_BUCKET_SUBRESOURCES = {
    # query key: (GET op, PUT op, DELETE op)
    "policy": ("GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"),
    "notification": ("GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration", None),
    "tagging": ("GetBucketTagging", "PutBucketTagging", "PutBucketTagging"),
    "versioning": ("GetBucketVersioning", "PutBucketVersioning", None),
    "location": ("GetBucketLocation", None, None),
    "cors": ("GetBucketCors", "PutBucketCors", "PutBucketCors"),
    "lifecycle": ("GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration",
                  "PutBucketLifecycleConfiguration"),
    "acl": ("GetBucketAcl", "PutBucketAcl", None),
    "website": ("GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"),
    "encryption": ("GetEncryptionConfiguration", "PutEncryptionConfiguration", "PutEncryptionConfiguration"),
    "versions": ("ListObjectVersions", None, None),
    "uploads": ("ListMultipartUploads", None, None),
    "publicAccessBlock": ("GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock",
                          "PutBucketPublicAccessBlock"),
    "ownershipControls": ("GetBucketOwnershipControls", "PutBucketOwnershipControls",
                          "PutBucketOwnershipControls"),
}


def _s3_bucket_and_key(environ: dict[str, Any]) -> tuple[str | None, str | None]:
    path = environ.get("PATH_INFO", "/")
    host = environ.get("HTTP_HOST", "").split(":")[0]
    virtual = None
    if host.endswith(".localhost"):
        virtual = host[: -len(".localhost")]
    else:
        m = re.match(r"^(.+)\.s3[.-].*amazonaws\.com$", host)
        if m:
            virtual = m.group(1)
    if virtual:
        key = path.lstrip("/")
        return virtual, (key or None)
    parts = path.lstrip("/").split("/", 1)
    bucket = parts[0] or None
    key = parts[1] if len(parts) > 1 and parts[1] else None
    return bucket, key


def _s3(environ: dict[str, Any], body: bytes, a: _Arns) -> tuple[str, list[Check], dict[str, Any]]:
    method = environ.get("REQUEST_METHOD", "GET")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    bucket, key = _s3_bucket_and_key(environ)
    context: dict[str, Any] = {}

    def bucket_arn() -> str:
        return f"arn:{a.partition}:s3:::{bucket}"

    def one(op: str, resource: str) -> tuple[str, list[Check], dict[str, Any]]:
        return op, [Check(iam_action("s3", op), resource)], context

    if bucket is None:
        return one("ListBuckets", "*")
    if key is None:
        if method == "POST" and "delete" in query:
            keys = re.findall(rb"<Key>(.*?)</Key>", body or b"")
            from html import unescape

            checks = [Check("s3:DeleteObject", f"{bucket_arn()}/{unescape(k.decode())}") for k in keys]
            return "DeleteObjects", checks or [Check("s3:DeleteObject", f"{bucket_arn()}/*")], context
        for sub, ops in _S3_BUCKET_SUBRESOURCES.items():
            if sub in query:
                op = {"GET": ops[0], "PUT": ops[1], "DELETE": ops[2]}.get(method)
                if op:
                    return one(op, bucket_arn())
        if method in ("GET", "HEAD"):
            op = "ListObjectsV2" if query.get("list-type", [""])[0] == "2" else "ListObjects"
            if method == "HEAD":
                op = "HeadBucket"
            for ctx_key in ("prefix", "delimiter", "max-keys"):
                if ctx_key in query:
                    context[f"s3:{ctx_key}"] = query[ctx_key][0]
            return one(op, bucket_arn())
        if method == "PUT":
            return one("CreateBucket", bucket_arn())
        if method == "DELETE":
            return one("DeleteBucket", bucket_arn())
        return one("PostObject" if method == "POST" else method, bucket_arn())
    object_arn = f"{bucket_arn()}/{unquote(key)}"
    if "tagging" in query:
        op = {"GET": "GetObjectTagging", "PUT": "PutObjectTagging", "DELETE": "DeleteObjectTagging"}[method]
        return one(op, object_arn)
    if "acl" in query:
        return one("GetObjectAcl" if method == "GET" else "PutObjectAcl", object_arn)
    if "uploadId" in query:
        op = {"PUT": "UploadPart", "POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload",
              "GET": "ListParts"}.get(method, "UploadPart")
        return one(op, object_arn)
    if "uploads" in query and method == "POST":
        return one("CreateMultipartUpload", object_arn)
    if method in ("GET", "HEAD"):
        op = "GetObject" if method == "GET" else "HeadObject"
        if "versionId" in query:
            return op, [Check("s3:GetObjectVersion", object_arn)], context
        return one(op, object_arn)
    if method == "PUT":
        source = environ.get("HTTP_X_AMZ_COPY_SOURCE")
        if source:
            src = unquote(source.split("?")[0]).lstrip("/")
            return "CopyObject", [Check("s3:PutObject", object_arn),
                                  Check("s3:GetObject", f"arn:{a.partition}:s3:::{src}")], context
        return one("PutObject", object_arn)
    if method == "DELETE":
        return one("DeleteObject", object_arn)
    return one(method, object_arn)


# -- entry point ---------------------------------------------------------------------------------------


def describe(environ: dict[str, Any], body: bytes, *, service: str, region: str, account: str) -> RequestInfo:
    """What this request asks of IAM (``service`` is the SigV4 signing name)."""
    a = _Arns(region, account)
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    query_string = environ.get("QUERY_STRING", "")

    if service == "s3":
        op, checks, ctx = _s3(environ, body, a)
        return RequestInfo("s3", op, "rest-xml", checks, ctx)
    if service == "lambda":
        found = _lambda(environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/"),
                        parse_qs(query_string), _json(body), a)
        if found is None:
            return RequestInfo("lambda", "Unknown", "rest-json", known=False)
        return RequestInfo("lambda", found[0], "rest-json", found[1])
    if target:
        op = target.rsplit(".", 1)[-1]
        params: dict[str, Any] = _json(body)
        protocol = "json"
    else:
        params = _form(body, query_string)
        op = params.get("Action", "")
        protocol = "query"
        if not op:
            return RequestInfo(service, "Unknown", "rest", known=False)
    if service == "dynamodb":
        checks = _dynamodb(op, params, a)
    elif service == "kinesis":
        checks = _kinesis(op, params, a)
    elif service == "logs":
        checks = _logs(op, params, a)
    elif service == "sqs":
        checks = _sqs(op, params, a, environ.get("PATH_INFO", "/"))
    elif service == "sns":
        checks = _sns(op, params, a)
    elif service == "sts":
        checks = _sts(op, params, a)
    else:
        checks = [Check(iam_action(service, op), "*")]
    return RequestInfo(service, op, protocol, checks)
