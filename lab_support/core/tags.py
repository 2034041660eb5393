"""The course tag: every resource created through ``lab_support`` carries it.

On a real account the cleanup finds what the course made by this tag, so a
student's own resources are never touched.
"""

from __future__ import annotations

COURSE_TAG_KEY = "course"
COURSE_TAG_VALUE = "apigw-lambda-lab"


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
