"""The course tag and the run tag: every resource created through ``lab_support`` carries both.

* ``course=apigw-lambda-lab`` says the course made it: on a real account ``lab.cleanup()`` and
  ``lab.leftovers()`` find what the course made by this tag, so a student's own resources are never touched;
* ``lab-run=<id>`` says which ``lab.start()`` made it (a short random id per session, ``aws.run_id``), so a
  resource left by a crashed run can be told from the current run's.
"""

from __future__ import annotations

COURSE_TAG_KEY = "course"
COURSE_TAG_VALUE = "apigw-lambda-lab"
RUN_TAG_KEY = "lab-run"


def tags(**extra: str) -> dict[str, str]:
    """Tags as a ``{key: value}`` map (Lambda, API Gateway, SQS use this form).

    >>> tags(notebook="01")
    {'course': 'apigw-lambda-lab', 'notebook': '01'}
    """
    return {COURSE_TAG_KEY: COURSE_TAG_VALUE, **extra}


def tag_list(**extra: str) -> list[dict[str, str]]:
    """Tags as ``[{"Key": k, "Value": v}]`` (S3, IAM, DynamoDB, Kinesis use this form).

    >>> tag_list()
    [{'Key': 'course', 'Value': 'apigw-lambda-lab'}]
    """
    return [{"Key": k, "Value": v} for k, v in tags(**extra).items()]


def run_tags(run_id: str) -> dict[str, str]:
    """The course tag and the run tag of one session, as a map.

    >>> run_tags("a1b2c3")
    {'course': 'apigw-lambda-lab', 'lab-run': 'a1b2c3'}
    """
    return tags(**{RUN_TAG_KEY: run_id})


def is_course(tagged: dict[str, str] | list[dict[str, str]] | None) -> bool:
    """Whether a resource's tags (either form; ``key``/``value`` in any case) carry the course tag."""
    if not tagged:
        return False
    if isinstance(tagged, dict):
        return tagged.get(COURSE_TAG_KEY) == COURSE_TAG_VALUE
    for tag in tagged:
        key = tag.get("Key", tag.get("key", tag.get("TagKey")))
        value = tag.get("Value", tag.get("value", tag.get("TagValue")))
        if key == COURSE_TAG_KEY and value == COURSE_TAG_VALUE:
            return True
    return False
