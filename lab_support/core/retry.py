"""Bounded waits for a real account's eventual consistency: the one retry helper of the package.

AWS is eventually consistent in places a notebook notices at once:

* a role created a moment ago cannot be assumed by Lambda yet (CreateFunction answers
  ``InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.``,
  https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-deployment.html);
* IAM changes take a while to be visible everywhere
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency);
* an event source mapping stays ``Creating`` for a while, and cannot be deleted meanwhile
  (``ResourceInUseException``);
* ``DeleteRestApi`` is allowed once every 30 seconds per account
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).

:func:`retrying` calls again while an error says "not yet"; :func:`until` asks again until a condition holds.
Both wait with exponential backoff up to ``max_wait`` seconds, print one stable line
``⏳ waiting for AWS: <what>…`` the first time they have to wait (never per attempt), and give up with a
:class:`StillWaiting` error that names what never happened.

On the embedded backend nothing is eventually consistent: the session turns waiting off (:func:`set_patience`),
so each helper makes exactly one attempt and never sleeps. This module imports nothing of the package.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from lab_support.core.errors import LabError

T = TypeVar("T")

DEFAULT_MAX_WAIT = 90.0  # seconds: IAM propagation is usually under 10 s, DeleteRestApi needs 30 s per API
_PATIENT = True  # set by the session: False on the embedded backend (one attempt, no sleep)
_sleep: Callable[[float], None] = time.sleep  # tests replace it


class StillWaiting(LabError):
    """A bounded wait for AWS ended and the condition still did not hold."""


def set_patience(patient: bool) -> None:
    """Whether :func:`retrying` and :func:`until` may wait (``True`` on a real account, ``False`` on moto)."""
    global _PATIENT
    _PATIENT = patient


def is_patient() -> bool:
    """``True`` when the helpers wait and try again (a real account, or an AWS-compatible endpoint)."""
    return _PATIENT


def _delays(max_wait: float, first_delay: float, backoff: float, max_delay: float) -> list[float]:
    delays, total, delay = [], 0.0, first_delay
    while total + delay <= max_wait:
        delays.append(delay)
        total += delay
        delay = min(delay * backoff, max_delay)
    if total < max_wait:
        delays.append(max_wait - total)
    return delays


def retrying(call: Callable[[], T], *, retry_on: Callable[[Exception], bool], what: str,
             max_wait: float = DEFAULT_MAX_WAIT, first_delay: float = 1.0, backoff: float = 1.6,
             max_delay: float = 10.0, patient: bool | None = None) -> T:
    """``call()``, called again while it raises an error ``retry_on(error)`` calls temporary.

    Args:
        call: what to do (no arguments; use a ``lambda``).
        retry_on: ``True`` for an error that means "not yet" (e.g. the role cannot be assumed *yet*).
        what: what is being waited for, in a few words (printed once: ``⏳ waiting for AWS: {what}…``).
        max_wait: give up after about this many seconds of waiting; the last error is then raised as is.
        patient: override the session's setting (``False``: one attempt).

    Any other error is raised at once. Returns what ``call()`` returned.
    """
    patient = _PATIENT if patient is None else patient
    delays = _delays(max_wait, first_delay, backoff, max_delay) if patient else []
    announced = False
    for attempt in range(len(delays) + 1):
        try:
            return call()
        except Exception as err:
            if attempt == len(delays) or not retry_on(err):
                raise
            if not announced:
                print(f"⏳ waiting for AWS: {what}…", flush=True)
                announced = True
            _sleep(delays[attempt])
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def until(check: Callable[[], T], *, what: str, max_wait: float = DEFAULT_MAX_WAIT, first_delay: float = 1.0,
          backoff: float = 1.6, max_delay: float = 10.0, patient: bool | None = None) -> T:
    """Call ``check()`` until it returns something truthy, and return that.

    Same waiting as :func:`retrying` (one ``⏳ waiting for AWS: {what}…`` line, bounded backoff; on the embedded
    backend a single call). Raises :class:`StillWaiting` when ``check()`` is still falsy at the end.
    """
    patient = _PATIENT if patient is None else patient
    delays = _delays(max_wait, first_delay, backoff, max_delay) if patient else []
    announced = False
    for attempt in range(len(delays) + 1):
        result = check()
        if result:
            return result
        if attempt == len(delays):
            break
        if not announced:
            print(f"⏳ waiting for AWS: {what}…", flush=True)
            announced = True
        _sleep(delays[attempt])
    waited = f" after {max_wait:.0f} s" if delays else ""
    raise StillWaiting(f"AWS did not get there{waited}: {what}.",
                       "run the cell again in a minute; if it keeps failing, check the resource in the AWS console.")


def error_code(err: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (``""`` for anything else)."""
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
