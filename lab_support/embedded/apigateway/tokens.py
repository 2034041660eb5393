"""JSON Web Tokens from the embedded Cognito: verified as API Gateway's Cognito and JWT authorizers verify them.

moto's ``cognito-idp`` signs every ID and access token with one RSA key (``kid`` ``dummy``) whose public half it
serves as the user pool's JWKS (``/{userPoolId}/.well-known/jwks.json``, read here from moto's own resource file,
so no request is made). :func:`verify` checks, in AWS's order, the signature against that key set, the issuer
(``https://cognito-idp.{region}.amazonaws.com/{userPoolId}``), the expiry against the course clock
(:func:`lab_support.core.clock.now`, so ``clock.advance()`` expires tokens) and returns the claims.
Audience, ``token_use`` and scopes are left to the caller, whose rules differ (REST Cognito authorizers, HTTP API
JWT authorizers).

https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html
("Verifying a JSON Web Token": signature, ``exp``, ``aud``/``client_id``, ``iss``, ``token_use``).
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from lab_support.core import clock
from lab_support.embedded.apigateway.context import CONFIG

# The issuer of a Cognito user pool's tokens
# (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html).
COGNITO_ISSUER = "https://cognito-idp.{region}.amazonaws.com/{pool_id}"


class InvalidToken(Exception):
    """The token is refused; ``reason`` is the ``error_description`` HTTP APIs put in ``www-authenticate``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@functools.lru_cache(maxsize=1)
def _key_set() -> KeySet:
    from moto.utilities.utils import load_resource

    return KeySet.import_key_set(load_resource("cognitoidp/resources/jwks-public.json"))


def pool_for_issuer(issuer: str) -> Any:
    """moto's user pool whose issuer URL is ``issuer``, or ``None``."""
    prefix = "https://cognito-idp."
    if not issuer.startswith(prefix) or ".amazonaws.com/" not in issuer:
        return None
    region, pool_id = issuer[len(prefix):].split(".amazonaws.com/", 1)
    try:
        from moto.cognitoidp.models import cognitoidp_backends

        return cognitoidp_backends[CONFIG.account_id][region].user_pools.get(pool_id)
    except KeyError:
        return None


def pool_issuer(pool_arn: str) -> str:
    """``arn:aws:cognito-idp:{region}:{account}:userpool/{id}`` → the pool's issuer URL."""
    region = pool_arn.split(":")[3]
    return COGNITO_ISSUER.format(region=region, pool_id=pool_arn.rsplit("/", 1)[-1])


def verify(token: str, issuers: list[str]) -> dict[str, Any]:
    """The claims of ``token`` when its signature, issuer (one of ``issuers``) and expiry hold; else :class:`InvalidToken`.

    The reasons follow the ``error_description`` wording of HTTP API JWT authorizers (one example is documented:
    "the token does not have a valid audience", in "Troubleshooting issues with HTTP API JWT authorizers",
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-jwt.html; the others are
    written the same way).
    """
    try:
        decoded = jwt.decode(token, _key_set())
    except (JoseError, ValueError, TypeError):
        raise InvalidToken("the token does not have a valid signature") from None
    except Exception:  # joserfc raises plain errors for input that is not a JWS at all
        raise InvalidToken("the token is malformed") from None
    claims = dict(decoded.claims)
    if claims.get("iss") not in issuers or pool_for_issuer(str(claims.get("iss"))) is None:
        raise InvalidToken("the token does not have a valid issuer")
    try:
        expires = float(claims["exp"])
    except (KeyError, TypeError, ValueError):
        raise InvalidToken("the token has no expiry") from None
    if expires <= clock.now():
        raise InvalidToken("the token has expired")
    not_before = claims.get("nbf")
    if isinstance(not_before, (int, float)) and not_before > clock.now():
        raise InvalidToken("the token is not valid yet")
    return claims


def client_ids(pool: Any) -> set[str]:
    """The app client ids of a moto user pool."""
    return set(getattr(pool, "clients", {}) or {})


def scopes_of(claims: dict[str, Any]) -> list[str]:
    """The access token's ``scope`` claim (space-separated), as a list."""
    value = claims.get("scope")
    return str(value).split() if value else []


def claim_strings(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway hands them to integrations: every value a string (lists as ``[a b]``)."""
    out: dict[str, str] = {}
    for key, value in claims.items():
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, list):
            out[key] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, dict):
            out[key] = json.dumps(value)
        else:
            out[key] = str(value)
    return out


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, read without checking its signature (for re-stamping a token we just issued)."""
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return dict(json.loads(base64.urlsafe_b64decode(payload)))


def sign(claims: dict[str, Any], key: Any) -> str:
    """``claims`` as an RS256 JWT signed with ``key``, with the header moto's Cognito uses (``kid`` "dummy")."""
    return str(jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, key))
