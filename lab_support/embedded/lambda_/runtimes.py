"""Which ``Runtime`` values CreateFunction and UpdateFunctionConfiguration accept, with AWS's answers.

Lambda's runtimes and their deprecation dates: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
(supported and deprecated runtimes; a deprecated runtime is refused for new functions after its "Block
function create" date and for updates after its "Block function update" date). Three answers:

* a runtime whose update block date has passed (``python2.7``, ``python3.6``, ``python3.7``, ``python3.8``,
  ``nodejs12.x``, …): ``InvalidParameterValueException`` "The runtime parameter of python2.7 is no longer
  supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while
  creating or updating functions." (Lambda's text as reported in 2025, e.g.
  https://github.com/vittorio-nardone/disposable_app/issues/3; older reports name a runtime instead of "a
  supported runtime": https://github.com/aws-samples/amazon-serverless-datalake-workshop/issues/4);
* a value that is not a runtime at all (``python3.99``, ``pythonfoo``): ``InvalidParameterValueException``
  "Value python3.99 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [...] or be
  a valid ARN" (the API's ``Runtime`` enum; LocalStack answers the same, localstack/localstack
  ``services/lambda_/provider.py``);
* a runtime AWS supports but the course's local runtime cannot run (Node.js, Java, …): refused with the
  course's own message (use a ``python3.x`` runtime, or a real account).
"""

from __future__ import annotations

import functools
from typing import Any

# Runtimes past their "Block function update" date (lambda-runtimes.html, "Deprecated runtimes"); python3.8:
# create blocked from February 28, 2025, update from March 31, 2025 (Lambda's deprecation notice, quoted in
# https://github.com/aws-solutions/aws-control-tower-customizations/issues/193).
BLOCKED = frozenset({
    "python2.7", "python3.6", "python3.7", "python3.8",
    "nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x",
    "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "ruby2.5", "ruby2.7", "go1.x",
})

# Python runtimes Lambda accepts for new functions (lambda-runtimes.html, "Supported runtimes"; python3.9 is
# deprecated since December 15, 2025 but not blocked yet).
PYTHON_RUNTIMES = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14")

COURSE_MESSAGE = ("The course's local Lambda runtime runs Python .zip functions only, not {runtime}. Use a python3.x "
                  "runtime (or a real account: LAB_BACKEND=aws).")


def blocked_message(runtime: str) -> str:
    """AWS's text for a runtime past its block date."""
    return (f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
            "functions. We recommend you use a supported runtime while creating or updating functions.")


@functools.lru_cache(maxsize=1)
def api_runtimes() -> tuple[str, ...]:
    """The ``Runtime`` enum of the Lambda API (from botocore's service model, as the API validates it)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    return tuple(model.shape_for("Runtime").enum)


def unknown_message(runtime: str) -> str:
    """AWS's text for a value that is not a runtime."""
    return (f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
            f"[{', '.join(api_runtimes())}] or be a valid ARN")


def refusal(runtime: Any, package_type: Any = "Zip") -> str | None:
    """Why CreateFunction / UpdateFunctionConfiguration refuse ``runtime`` (``None``: accepted)."""
    if runtime is None or (package_type or "Zip") != "Zip":
        return None  # container images have no runtime; moto reports a missing one itself
    name = str(runtime)
    if name in PYTHON_RUNTIMES:
        return None
    if name in BLOCKED:
        return blocked_message(name)
    if name not in api_runtimes():
        return unknown_message(name)
    if name.startswith("python"):  # a Python runtime newer than this list (the API model knows it)
        return None
    return COURSE_MESSAGE.format(runtime=name)


def check(runtime: Any, package_type: Any = "Zip") -> None:
    """Raise moto's ``InvalidParameterValueException`` (HTTP 400) with AWS's message when ``runtime`` is refused."""
    message = refusal(runtime, package_type)
    if message is not None:
        from moto.awslambda.exceptions import InvalidParameterValueException

        raise InvalidParameterValueException(message)
