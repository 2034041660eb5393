"""What every part of the local API Gateway shares: limits, media types, stage variables, trace ids."""

from __future__ import annotations

import secrets

# Quotas from https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
# ("Payload size: 10 MB", "Integration timeout: 50 milliseconds - 29 seconds" for REST APIs) and
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html (30 seconds).
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
REST_DEFAULT_TIMEOUT_MS = 29_000
HTTP_MAX_TIMEOUT_MS = 30_000
# Lambda's own payload quotas live in lab_support/embedded/lambda_/limits.py.

# Content types HTTP APIs pass as text; every other body reaches Lambda base64-encoded
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml",
               "application/x-www-form-urlencoded", "application/x-amz-json", "application/ld+json",
               "application/graphql", "application/yaml", "+json", "+xml")


def is_text_content(content_type: str | None) -> bool:
    """True when an HTTP API treats a body of ``content_type`` as text."""
    if not content_type:
        return True
    ct = content_type.split(";")[0].strip().lower()
    return any(ct.startswith(t) or ct.endswith(t) for t in _TEXT_TYPES)


def media_type_matches(content_type: str | None, patterns: list[str]) -> bool:
    """REST ``binaryMediaTypes`` matching: exact, ``type/*`` or ``*/*`` (AWS escapes ``/`` as ``~1``)."""
    if not content_type or not patterns:
        return False
    types = [c.split(";")[0].strip().lower() for c in content_type.split(",")]
    for raw in patterns:
        pat = raw.replace("~1", "/").lower()
        for ct in types:
            if pat in ("*/*", ct) or (pat.endswith("/*") and ct.startswith(pat[:-1])):
                return True
    return False


def trace_id(epoch_ms: int) -> str:
    """An ``X-Amzn-Trace-Id`` value: ``Root=1-{8 hex seconds}-{24 hex}``."""
    return f"Root=1-{epoch_ms // 1000:08x}-{secrets.token_hex(12)}"


def substitute_stage_variables(text: str | None, variables: dict[str, str]) -> str | None:
    """Replace ``${stageVariables.name}`` in an integration URI or connection id."""
    if not text or "${stageVariables." not in text:
        return text
    import re

    return re.sub(r"\$\{stageVariables\.([A-Za-z0-9_.:/?#&=,-]+?)\}", lambda m: variables.get(m.group(1), ""), text)
