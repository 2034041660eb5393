"""Small helpers shared by the embedded services (ARNs, ids, moto backends): the bottom of
:mod:`lab_support.embedded`, importing nothing of it."""

from __future__ import annotations

import uuid
from typing import Any

from lab_support.core.session import current


def session_account_region() -> tuple[str, str]:
    """The running session's account and Region (:class:`~lab_support.core.errors.NotStarted` if none runs:
    the embedded services only act inside a session)."""
    session = current()
    return session.account_id, session.region


def account_region(name_or_arn: str) -> tuple[str, str]:
    """Account and Region of an ARN, or of the session for a bare name."""
    parts = name_or_arn.split(":")
    if name_or_arn.startswith("arn:") and len(parts) > 4:
        return parts[4], parts[3]
    return session_account_region()


def new_request_id() -> str:
    return str(uuid.uuid4())


def lambda_backend(name_or_arn: str = "") -> Any:
    from moto.awslambda.utils import get_backend

    account, region = account_region(name_or_arn)
    return get_backend(account, region)


def get_function(name_or_arn: str, qualifier: str | None = None) -> Any | None:
    """moto's LambdaFunction, or None if there is none (moto's not-found errors; anything else is raised)."""
    from moto.core.exceptions import JsonRESTError

    try:
        return lambda_backend(name_or_arn).get_function(name_or_arn, qualifier)
    except JsonRESTError:  # UnknownFunctionException, a qualifier that does not exist
        return None


def sqs_queue_by_arn(arn: str) -> Any | None:
    from moto.sqs.models import sqs_backends

    account, region = account_region(arn)
    name = arn.split(":")[-1]
    return sqs_backends[account][region].queues.get(name)


def send_to_sqs(arn: str, body: str, attributes: dict[str, Any] | None = None) -> str:
    """Send a message to a queue by ARN (in-process, as the Lambda service does); returns its id."""
    from moto.sqs.models import sqs_backends

    account, region = account_region(arn)
    message = sqs_backends[account][region].send_message(
        arn.split(":")[-1], body, message_attributes=attributes or {}
    )
    return str(message.id)


def publish_to_sns(arn: str, message: str, attributes: dict[str, Any] | None = None) -> str:
    from moto.sns.models import sns_backends

    account, region = account_region(arn)
    return str(sns_backends[account][region].publish(message, arn=arn, message_attributes=attributes or {}))


def put_event(bus_arn: str, source: str, detail_type: str, detail: str, resource: str) -> None:
    from moto.events.models import events_backends

    account, region = account_region(bus_arn)
    events_backends[account][region].put_events(
        [{"Source": source, "DetailType": detail_type, "Detail": detail, "Resources": [resource],
          "EventBusName": bus_arn}]
    )
