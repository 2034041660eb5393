"""CloudTrail event history on the embedded backend: ``cloudtrail.lookup_events`` shows the course's management calls.

Every request moto answers passes ``BaseResponse.call_action`` (in the kernel's mock and over the embedded HTTP
server alike); a wrapper there records, for the services in :data:`EVENT_SOURCES`, each **management event**
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html) as
CloudTrail's event history keeps it: ``CreateRestApi``, ``PutIntegration``, ``CreateDeployment``, ``UpdateStage``,
``CreateFunction20150331``, ``AddPermission20150331v2``, ``CreateRole``, ``AssociateWebACL``… Data events
(Lambda ``Invoke``, requests to a deployed stage, SQS messages, SNS ``Publish``:
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html) are not
management events and are never recorded: requests to a stage do not pass through moto's responses at all.

``LookupEvents`` (moto 5.2.5 lacks it) follows
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html: newest first, at most one
``LookupAttributes`` item (``EventId``, ``EventName``, ``ReadOnly``, ``Username``, ``ResourceType``,
``ResourceName``, ``EventSource``, ``AccessKeyId``), ``StartTime``/``EndTime``, ``MaxResults`` (1–50, default 50)
and ``NextToken``; the last 90 days. Each event's ``CloudTrailEvent`` is the JSON record
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html):
``eventVersion``, ``userIdentity``, ``eventTime``, ``eventSource``, ``eventName``, ``awsRegion``,
``sourceIPAddress``, ``userAgent``, ``requestParameters``, ``responseElements`` (``null`` for read-only calls),
``requestID``, ``eventID``, ``readOnly``, ``eventType: AwsApiCall``, ``managementEvent: true``,
``recipientAccountId``, ``eventCategory: Management``; failed calls add ``errorCode`` and ``errorMessage``.

Times are the course clock (:func:`lab_support.core.clock.now`). Simplifications: ``requestParameters`` are the
request's members with lowerCamelCase names (blobs such as a function's ZIP left out), close to but not
always exactly what each service writes; no trails deliver files to S3.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import sys
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import UnknownServiceError
from botocore.model import OperationNotFoundError

from lab_support.core import clock, patching
from lab_support.core.session import Session
from lab_support.embedded.iam import grant_for_key

__all__ = ["EVENT_SOURCES", "PATCHES", "clear", "install", "lookup"]

#: moto service name -> CloudTrail eventSource (HTTP APIs are recorded as apigateway.amazonaws.com too).
EVENT_SOURCES = {
    "apigateway": "apigateway.amazonaws.com",
    "apigatewayv2": "apigateway.amazonaws.com",
    "awslambda": "lambda.amazonaws.com",
    "iam": "iam.amazonaws.com",
    "wafv2": "wafv2.amazonaws.com",
    "sqs": "sqs.amazonaws.com",
    "sns": "sns.amazonaws.com",
    "logs": "logs.amazonaws.com",
    "events": "events.amazonaws.com",
}
#: Data events, not management events (the data-events page above): never in the event history; nor are API
#: Gateway's TestInvokeMethod and TestInvokeAuthorizer ("not logged in CloudTrail":
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/cloudtrail.html).
DATA_EVENTS = {
    "apigateway": {"TestInvokeMethod", "TestInvokeAuthorizer"},
    "awslambda": {"Invoke", "InvokeAsync", "InvokeWithResponseStream"},
    "sqs": {"SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
            "ChangeMessageVisibility", "ChangeMessageVisibilityBatch"},
    "sns": {"Publish", "PublishBatch"},
    "logs": {"PutLogEvents", "GetLogEvents", "FilterLogEvents"},
}
#: Lambda writes its API version into event names: "The eventName might include date and version information,
#: such as GetFunction20150331" (https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html);
#: a few operations carry a ``v2`` suffix.
LAMBDA_VERSION = "20150331"
LAMBDA_V2 = {"AddPermission", "RemovePermission", "GetPolicy", "UpdateFunctionCode", "UpdateFunctionConfiguration"}
#: LookupEvents limits (API_LookupEvents.html above).
MAX_RESULTS = 50
MAX_KEPT = 50_000  # a bound on the kernel's memory (AWS keeps 90 days, whatever their number)
HISTORY_SECONDS = 90 * 24 * 3600
LOOKUP_KEYS = {"EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
               "AccessKeyId"}
EVENT_VERSION = "1.09"
_READ_ONLY = re.compile(r"^(Get|List|Describe|Lookup|Head|Search|Batch_?Get|Test)")
_RESOURCE_MEMBERS = {  # request member -> CloudTrail resource type
    "functionName": "AWS::Lambda::Function", "roleName": "AWS::IAM::Role", "policyArn": "AWS::IAM::Policy",
    "userName": "AWS::IAM::User", "restApiId": "AWS::ApiGateway::RestApi", "apiId": "AWS::ApiGatewayV2::Api",
    "stageName": "AWS::ApiGateway::Stage", "queueUrl": "AWS::SQS::Queue", "topicArn": "AWS::SNS::Topic",
    "logGroupName": "AWS::Logs::LogGroup", "webACLArn": "AWS::WAFv2::WebACL", "resourceArn": "AWS::WAFv2::WebACL",
}


@dataclass
class _Event:
    at: float
    record: dict[str, Any]
    username: str
    resources: list[dict[str, str]]

    @property
    def summary(self) -> dict[str, Any]:
        record = self.record
        out: dict[str, Any] = {
            "EventId": record["eventID"], "EventName": record["eventName"],
            "ReadOnly": "true" if record["readOnly"] else "false",
            "AccessKeyId": record["userIdentity"].get("accessKeyId", ""), "EventTime": self.at,
            "EventSource": record["eventSource"], "Username": self.username, "Resources": self.resources,
            "CloudTrailEvent": json.dumps(record),
        }
        return out


_EVENTS: list[_Event] = []
_LOCK = threading.Lock()


def clear() -> None:
    """Forget the event history (``lab.reset()``)."""
    with _LOCK:
        _EVENTS.clear()


def install(session: Session) -> None:
    """Record management events from now on (embedded backend only); ``lab.stop()`` undoes the patches."""
    if session.backend != "moto":
        return
    patching.apply(PATCHES)
    session.on_reset(clear)


# -- recording ----------------------------------------------------------------------------------------------------
def _wrap_call_action(original: Any) -> Any:
    def call_action(self: Any) -> Any:
        result = original(self)
        service = getattr(self, "service_name", None)
        if service in EVENT_SOURCES:
            with contextlib.suppress(Exception):  # the history must never break the call it records
                _record(self, service, result)
        return result

    return call_action


def _record(response: Any, service: str, result: Any) -> None:
    operation = response._get_action()
    if not operation or operation in DATA_EVENTS.get(service, ()):
        return
    status, headers, body = result
    now = clock.now()
    account = response.current_account
    key = _access_key(response)
    identity, username = _identity(account, key)
    params = _request_parameters(response, service, operation)
    read_only = bool(_READ_ONLY.match(operation))
    name = operation
    if service == "awslambda":
        name = f"{operation}{LAMBDA_VERSION}{'v2' if operation in LAMBDA_V2 else ''}"
    headers = headers or {}
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION, "userIdentity": identity,
        "eventTime": datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": EVENT_SOURCES[service], "eventName": name, "awsRegion": response.region,
        "sourceIPAddress": _source_ip(response), "userAgent": response.headers.get("User-Agent", ""),
        "requestParameters": params or None,
        "responseElements": None if read_only or int(status) >= 400 else _response_elements(body),
        "requestID": str(headers.get("x-amzn-RequestId") or headers.get("x-amz-request-id") or uuid.uuid4()),
        "eventID": str(uuid.uuid4()), "readOnly": read_only, "eventType": "AwsApiCall", "managementEvent": True,
        "recipientAccountId": account, "eventCategory": "Management",
    }
    if int(status) >= 400:
        record["errorCode"], record["errorMessage"] = _error(body, headers)
    resources = _resources(params, record["responseElements"], operation)
    with _LOCK:
        _EVENTS.append(_Event(now, record, username, resources))
        while _EVENTS and (_EVENTS[0].at < now - HISTORY_SECONDS or len(_EVENTS) > MAX_KEPT):
            _EVENTS.pop(0)


def _access_key(response: Any) -> str:
    try:
        return str(response.get_access_key())
    except Exception:
        return ""


def _identity(account: str, key: str) -> tuple[dict[str, Any], str]:
    """``userIdentity`` and the event's ``Username`` (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/
    cloudtrail-event-reference-user-identity.html): an execution role's session, an IAM user's key, else the
    account's root user (the session's own key belongs to no IAM user)."""
    grant = grant_for_key(key) if key else None
    if grant is not None:
        role_id = "AROA" + grant.role_name.upper()[:17].ljust(17, "X")
        identity = {"type": "AssumedRole", "principalId": f"{role_id}:{grant.session_name}",
                    "arn": grant.assumed_role_arn, "accountId": grant.account, "accessKeyId": key,
                    "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": role_id, "arn": grant.role_arn,
                                                         "accountId": grant.account, "userName": grant.role_name}}}
        return identity, grant.session_name
    user = _iam_user(account, key) if key else None
    if user is not None:
        identity = {"type": "IAMUser", "principalId": user.id, "arn": user.arn, "accountId": account,
                    "accessKeyId": key, "userName": user.name}
        return identity, str(user.name)
    identity = {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account,
                "accessKeyId": key}
    return identity, "root"


def _iam_user(account: str, key: str) -> Any:
    """The IAM user whose access key signed the call (a key made with ``iam.create_access_key``), if any."""
    models = sys.modules.get("moto.iam.models")
    if models is None:
        return None
    try:
        return models.iam_backends[account]["global"].get_user_from_access_key_id(key)
    except KeyError:
        return None


def _source_ip(response: Any) -> str:
    request = getattr(response, "request", None)
    remote = getattr(request, "remote_addr", None)
    return str(remote) if remote else "127.0.0.1"


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:] if name else name


def _convert(value: Any, shape: Any) -> Any:
    kind = getattr(shape, "type_name", None)
    if kind == "blob":
        return None
    if kind == "structure" and isinstance(value, dict):
        out = {}
        for key, item in value.items():
            member = shape.members.get(key)
            if member is None:
                member = next((m for n, m in shape.members.items() if m.serialization.get("name") == key), None)
            converted = _convert(item, member)
            if converted is not None:
                out[_lower_camel(key)] = converted
        return out
    if kind == "list" and isinstance(value, list):
        return [_convert(v, shape.member) for v in value]
    return value


def _request_parameters(response: Any, service: str, operation: str) -> dict[str, Any]:
    """The request's members, as AWS names them in ``requestParameters`` (lowerCamelCase, blobs left out)."""
    from moto.core.utils import get_service_model  # moto is loaded when a call is recorded

    try:
        model = get_service_model(response.boto3_service_name).operation_model(operation)
    except (UnknownServiceError, OperationNotFoundError, KeyError, ValueError):  # an operation botocore does not know
        return {}
    shape = model.input_shape
    if shape is None:
        return {}
    raw: dict[str, Any] = {}
    protocol = model.metadata.get("protocol")
    if protocol in ("rest-json", "rest-xml"):
        uri = getattr(response, "uri_match", None) or {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            where = member.serialization.get("name", name)
            if location == "uri" and where in uri:
                raw[name] = unquote(uri[where])
            elif location == "querystring" and where in response.querystring:
                values = response.querystring[where]
                raw[name] = values[0] if isinstance(values, list) and len(values) == 1 else values
        try:
            body = json.loads(response.body or "{}")
        except (TypeError, ValueError):
            body = {}
        if isinstance(body, dict):
            raw.update(body)
    elif protocol in ("json",):
        try:
            body = json.loads(response.body or "{}")
        except (TypeError, ValueError):
            body = {}
        raw = body if isinstance(body, dict) else {}
    else:  # query: flat Action=...&Name=... pairs
        raw = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in response.querystring.items()
               if k not in ("Action", "Version")}
    return _convert(raw, shape) or {}


def _response_elements(body: Any) -> Any:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    try:
        parsed = json.loads(text) if text.strip().startswith("{") else None
    except ValueError:
        return None
    return parsed


def _error(body: Any, headers: dict[str, Any]) -> tuple[str, str]:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    code = str(headers.get("x-amzn-ErrorType") or "").split(":")[0]
    message = ""
    try:
        parsed = json.loads(text)
        code = code or str(parsed.get("__type") or parsed.get("Type") or "").split("#")[-1]
        message = str(parsed.get("message") or parsed.get("Message") or "")
    except (ValueError, AttributeError):
        found = re.search(r"<Code>([^<]+)</Code>", text)
        code = code or (found.group(1) if found else "")
        found = re.search(r"<Message>([^<]+)</Message>", text)
        message = found.group(1) if found else ""
    return code or "Unknown", message


def _resources(params: dict[str, Any], elements: Any, operation: str) -> list[dict[str, str]]:
    out = []
    for member, kind in _RESOURCE_MEMBERS.items():
        value = params.get(member)
        if isinstance(value, str) and value:
            out.append({"ResourceType": kind, "ResourceName": value})
    if isinstance(elements, dict) and operation in ("CreateRestApi", "CreateApi"):
        api_id = elements.get("id") or elements.get("apiId")
        if api_id:
            out.append({"ResourceType": "AWS::ApiGateway::RestApi" if operation == "CreateRestApi"
                        else "AWS::ApiGatewayV2::Api", "ResourceName": str(api_id)})
    return out


# -- LookupEvents -------------------------------------------------------------------------------------------------
class LookupError_(Exception):
    """A LookupEvents request CloudTrail refuses (code, message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def lookup(attributes: list[dict[str, str]] | None = None, start: float | None = None, end: float | None = None,
           max_results: int | None = None, next_token: str | None = None) -> dict[str, Any]:
    """``LookupEvents``: the recorded events, newest first, filtered and paged as CloudTrail does."""
    attributes = attributes or []
    if len(attributes) > 1:
        raise LookupError_("InvalidLookupAttributesException", "You cannot have more than one lookup attribute.")
    for attribute in attributes:
        if attribute.get("AttributeKey") not in LOOKUP_KEYS:
            raise LookupError_("InvalidLookupAttributesException",
                               f"Invalid attribute key: {attribute.get('AttributeKey')}")
    limit = MAX_RESULTS if max_results is None else int(max_results)
    if not 1 <= limit <= MAX_RESULTS:
        raise LookupError_("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    if start is not None and end is not None and start > end:
        raise LookupError_("InvalidTimeRangeException", "Start time must be before end time.")
    with _LOCK:
        events = list(reversed(_EVENTS))
    events = [e for e in events if (start is None or e.at >= start) and (end is None or e.at <= end)
              and all(_matches(e, a) for a in attributes)]
    offset = 0
    if next_token:
        try:
            offset = int(base64.b64decode(next_token).decode())
        except ValueError as err:
            raise LookupError_("InvalidNextTokenException", "Invalid NextToken.") from err
    page = events[offset:offset + limit]
    out: dict[str, Any] = {"Events": [e.summary for e in page]}
    if offset + limit < len(events):
        out["NextToken"] = base64.b64encode(str(offset + limit).encode()).decode()
    return out


def _matches(event: _Event, attribute: dict[str, str]) -> bool:
    key, value = attribute.get("AttributeKey"), attribute.get("AttributeValue", "")
    summary = event.summary
    if key in ("ResourceType", "ResourceName"):
        return any(r[key] == value for r in event.resources)
    if key == "ReadOnly":
        return summary["ReadOnly"] == value.lower()
    return bool(summary.get(key) == value)


def _lookup_events_response(self: Any) -> Any:
    """``CloudTrailResponse.lookup_events`` (moto 5.2.5 lacks it)."""
    params = json.loads(self.body or "{}")
    try:
        result = lookup(params.get("LookupAttributes"), _epoch(params.get("StartTime")), _epoch(params.get("EndTime")),
                        params.get("MaxResults"), params.get("NextToken"))
    except LookupError_ as err:
        return 400, {"status": 400, "x-amzn-ErrorType": err.code}, json.dumps({"__type": err.code, "message": err.message})
    return 200, {}, json.dumps(result)


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


PATCHES = patching.group("cloudtrail", [
    patching.Patch("moto.core.responses:BaseResponse.call_action", wrap=_wrap_call_action, signature=["self"],
                   why="records management calls (API Gateway, Lambda, IAM, WAF…) for CloudTrail's event history"),
    patching.Patch("moto.cloudtrail.responses:CloudTrailResponse.lookup_events", replacement=_lookup_events_response,
                   signature=None, why="LookupEvents: the recorded management events, filtered and paged"),
])
