"""ID token checks (OpenID Connect Core 1.0, section 3.1.3.7), with no I/O: time is an argument.

`verify_id_token` takes the token, the provider's published keys (a JWKS document) and what
this sign-in expects, and returns the claims or raises `SignInRefused` with a sentence that
says what was wrong and what to do. The signature is checked with joserfc (Authlib's JOSE
library); the claims are checked here, so each failure gets its own sentence.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc.errors import JoseError

from .errors import ServiceError

#: Asymmetric algorithms only: "none" and HMAC (keyed with the client secret) are refused.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
#: An ID token is a few kilobytes; anything far larger is not one.
MAX_ID_TOKEN_BYTES = 64 * 1024


class SignInRefused(ServiceError):
    """A sign-in through an identity provider that is refused; the message says why."""

    status = 401
    code = "sign_in_refused"


TRY_AGAIN = "Start again from the sign-in page."
MALFORMED = SignInRefused(f"The identity provider's answer could not be read. {TRY_AGAIN}")


@dataclass(frozen=True, slots=True)
class Expected:
    """What this sign-in's ID token must say."""

    issuer: str
    client_id: str
    nonce: str
    now: float
    #: Tolerated difference between our clock and the provider's (seconds).
    leeway: float = 120.0


def key_id_of(id_token: str) -> str | None:
    """The ``kid`` the token names (None if it names none); raises SignInRefused if unreadable."""
    header = _header(id_token)
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


def _header(id_token: str) -> dict[str, Any]:
    if len(id_token) > MAX_ID_TOKEN_BYTES or id_token.count(".") != 2:
        raise MALFORMED
    encoded = id_token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError):
        raise MALFORMED from None
    if not isinstance(header, dict):
        raise MALFORMED
    if header.get("alg") not in ALGORITHMS:
        raise SignInRefused(
            "The identity provider signed its answer in a way this service does not accept. "
            "Ask your administrator to check the provider's signing algorithm."
        )
    return header


def verify_id_token(id_token: str, jwks: Mapping[str, Any], expected: Expected) -> dict[str, Any]:
    """The token's claims, once its signature, issuer, audience, times and nonce are right."""
    kid = key_id_of(id_token)
    keys = [key for key in jwks.get("keys", []) if isinstance(key, dict)]
    candidates = [key for key in keys if kid is None or key.get("kid") == kid]
    candidates = [key for key in candidates if key.get("use", "sig") == "sig"]
    if not candidates:
        raise SignInRefused(
            "The identity provider's answer is signed with a key it does not publish. "
            f"{TRY_AGAIN} If it happens again, tell your administrator."
        )
    claims = _verified_claims(id_token, candidates)
    _check_claims(claims, expected)
    return claims


def _verified_claims(id_token: str, candidates: list[dict[str, Any]]) -> dict[str, Any]:
    # Imported on first use: joserfc loads cryptography, which a service without identity
    # providers never needs in memory (tests/integration/test_serve_startup.py).
    from joserfc import jwk, jwt

    for candidate in candidates:
        try:
            key = jwk.import_key(candidate)
            token = jwt.decode(id_token, key, algorithms=list(ALGORITHMS))
        except (JoseError, ValueError, TypeError):
            continue  # another key with the same kid (or none named) may be the one
        return dict(token.claims)
    raise SignInRefused(
        f"The identity provider's answer has a signature that does not match. {TRY_AGAIN}"
    )


def _check_claims(claims: Mapping[str, Any], expected: Expected) -> None:
    if claims.get("iss") != expected.issuer:
        raise SignInRefused(
            f"The answer comes from another identity provider than the one asked. {TRY_AGAIN}"
        )
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    azp = claims.get("azp")
    if expected.client_id not in audiences or (
        len(audiences) > 1 and azp is not None and azp != expected.client_id
    ):
        raise SignInRefused(
            "The identity provider's answer was meant for another application. "
            "Ask your administrator to check the client id in the provider settings."
        )
    expires, issued = claims.get("exp"), claims.get("iat")
    if not _is_time(expires) or not _is_time(issued) or not isinstance(claims.get("sub"), str):
        raise MALFORMED
    assert isinstance(expires, int | float) and isinstance(issued, int | float)
    if expires <= expected.now - expected.leeway:
        raise SignInRefused(
            "The identity provider's answer has expired. Check that this computer's clock is "
            f"right, then sign in again. {TRY_AGAIN}"
        )
    not_before = claims.get("nbf", issued)
    if issued > expected.now + expected.leeway or (
        _is_time(not_before) and not_before > expected.now + expected.leeway
    ):
        raise SignInRefused(
            "The identity provider's answer is dated in the future: the clocks of this service "
            "and the provider differ. Ask your administrator to check them."
        )
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce, expected.nonce):
        raise SignInRefused(
            f"The identity provider's answer does not belong to this sign-in. {TRY_AGAIN}"
        )


def _is_time(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
