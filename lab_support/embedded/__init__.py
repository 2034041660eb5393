"""Everything that exists only on the embedded (moto) backend, one folder per AWS service.

* :mod:`.iam`: execution-role enforcement and the one IAM policy evaluator;
* :mod:`.lambda_`: the local Lambda runtime (worker processes, Invoke, async invocation);
* :mod:`.event_sources`: push (S3, SNS) and pull (SQS, Kinesis, DynamoDB Streams) event sources;
* :mod:`.apigateway`: the API Gateway data plane and the control-plane calls moto lacks;

Services depend on each other in one direction (``apigateway`` → ``lambda_`` → ``iam``,
``event_sources`` → ``lambda_``); ``tests/test_architecture.py`` and the import-linter contracts in
``pyproject.toml`` keep it so. ``lab_support.EXTENSIONS`` (the package's facade) is the one place
that says in which order they attach to a session started with :func:`lab_support.start`.
"""

from __future__ import annotations

from lab_support.embedded import apigateway, event_sources, iam, lambda_

__all__ = ["apigateway", "event_sources", "iam", "lambda_"]
