"""Self-checks (and the prepared set-up) for notebook 00 (Start here).

00.1 (predict) runs the experiment itself: a second Python process reaches the course's AWS with a key of its own,
not the session's. 00.2 (diagnose) starts from three buckets that :func:`prepare_00_2` creates, one of them
without the course tag. Everything goes through public APIs (boto3, a subprocess), so both run on a real account too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from lab_support.core.session import current
from lab_support.core.tags import COURSE_TAG_KEY, COURSE_TAG_VALUE
from lab_support.course.resources import bucket
from lab_support.exercises.registry import Verdict, compare_prediction, exercise

# --- 00.1 -----------------------------------------------------------------------------------------------------

STRANGER_KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS's documentation example key: no account has it
STRANGER_CHOICES = ("the same buckets", "no buckets", "refused")
_STRANGER = """
import boto3
try:
    names = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    print("no buckets" if not names else "the same buckets")
except Exception as err:
    print("refused", getattr(err, "response", {}).get("Error", {}).get("Code", type(err).__name__))
"""


def _ask_as_a_stranger() -> tuple[str, str]:
    """What a process with the session's endpoint and Region, but a key of its own, gets from ``ListBuckets``."""
    env = {**os.environ, **current().child_env(),
           "AWS_ACCESS_KEY_ID": STRANGER_KEY, "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    done = subprocess.run([sys.executable, "-c", _STRANGER], env=env, capture_output=True, text=True, timeout=60)
    words = (done.stdout.strip() or "refused (no answer)").split(" ", 1)
    if words[0] == "refused":
        return "refused", words[1] if len(words) > 1 else ""
    return done.stdout.strip(), ""


@exercise(
    "00.1",
    "a program without the session's keys",
    [
        "Think of how AWS decides whether to answer at all: every request is signed with a key.",
        "Re-read 'One account, reachable from outside the kernel': what does aws.child_env() hand the other process?",
        "aws.child_env() hands over AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: which of them does the other "
        "program lack, and what can the embedded endpoint do with a key it never issued?",
    ],
    kind="predict",
)
def _stranger(prediction: Any = ...) -> Verdict:
    if prediction is ... or prediction is None:
        return compare_prediction(prediction, None, "", choices=STRANGER_CHOICES)
    observed, code = _ask_as_a_stranger()
    why = (f"The other program was refused ({code}): the course's AWS answers only requests signed with this "
           "session's keys, as AWS refuses a key it has no record of. Reaching the address is not enough; "
           "aws.child_env() hands over the keys, which is how Lambda workers get in.")
    return compare_prediction(prediction, observed, why, choices=STRANGER_CHOICES)


# --- 00.2 -----------------------------------------------------------------------------------------------------

BUCKET_STEMS = ("nb00-photos", "nb00-invoices", "nb00-backups")
UNTAGGED = "nb00-invoices"


def bucket_names() -> list[str]:
    """The three buckets of exercise 00.2 (bucket names are global: :meth:`Session.unique_name` makes them ours)."""
    return [current().unique_name(stem) for stem in BUCKET_STEMS]


def prepare_00_2() -> list[str]:
    """Three buckets, one of which lost its course tag. Returns their names. Re-runnable (it breaks it again)."""
    session = current()
    s3 = session.client("s3")
    names = [bucket(name) for name in bucket_names()]  # created tagged, tracked for lab.cleanup()
    s3.delete_bucket_tagging(Bucket=session.unique_name(UNTAGGED))
    return names


def _course_tagged(s3: Any, name: str) -> bool:
    try:
        tag_set = s3.get_bucket_tagging(Bucket=name)["TagSet"]
    except s3.exceptions.ClientError as err:
        if err.response["Error"]["Code"] in ("NoSuchTagSet", "NoSuchTagSetError"):
            return False
        raise
    return any(t["Key"] == COURSE_TAG_KEY and t["Value"] == COURSE_TAG_VALUE for t in tag_set)


@exercise(
    "00.2",
    "the bucket the clean-up would miss",
    [
        "On a real account lab.cleanup() does not go by names. Compare what else the three buckets carry.",
        "Re-read 'Plain boto3 just works': how does the course mark a bucket it creates?",
        "s3.get_bucket_tagging and s3.put_bucket_tagging; the session's tags.",
    ],
    kind="diagnose",
)
def _tagged() -> Verdict:
    s3 = current().client("s3")
    existing = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    names = bucket_names()
    missing = [n for n in names if n not in existing]
    if missing:
        return "the three nb00 buckets are not all there: run the cell that prepares the exercise"
    untagged = [n for n in names if not _course_tagged(s3, n)]
    if untagged:
        return f"{len(untagged)} of the 3 nb00 buckets would still be left behind by lab.cleanup() on a real account"
    return True
