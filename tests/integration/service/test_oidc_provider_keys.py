"""ID tokens checked against the keys a real OpenID provider publishes (tests/idp, loopback).

The provider signs only honest tokens, so the tokens with a wrong audience, an expired time, a
wrong nonce or an unknown key are made here with the provider's own signing key (or a key it
never published) and checked through the service's real key cache against its real JWKS.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt

from quickassist.service.oidc_client import ProviderClient
from quickassist.service.oidc_providers import OidcProvider
from quickassist.service.oidc_tokens import Expected, SignInRefused, key_id_of, verify_id_token
from tests.fixtures.idp import CLIENT_ID, CLIENT_SECRET, IdentityProvider, signing_key

NOW = 1_900_000_000.0
NONCE = "the-nonce-of-this-sign-in"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def idp(tmp_path: Path) -> Iterator[IdentityProvider]:
    provider = IdentityProvider(tmp_path, ["https://127.0.0.1:1/api/auth/oidc/callback"])
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
async def keys(idp: IdentityProvider) -> AsyncIterator[tuple[ProviderClient, Clock]]:
    clock = Clock()
    settings = OidcProvider(
        id="test",
        label="Test",
        issuer=idp.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        organisation="Contoso",
    )
    async with httpx.AsyncClient(timeout=10) as http:
        yield ProviderClient(settings, http=http, clock=clock), clock


def token(idp: IdentityProvider, key: Any = None, **claims: Any) -> str:
    body = {
        "iss": idp.issuer,
        "sub": "ada",
        "aud": CLIENT_ID,
        "iat": int(NOW),
        "exp": int(NOW) + 600,
        "nonce": NONCE,
        **claims,
    }
    signer = key or idp.key
    return jwt.encode({"alg": "RS256", "kid": signer.kid}, body, signer)


async def check(client: ProviderClient, id_token: str, now: float = NOW) -> dict[str, Any]:
    jwks = await client.keys_for(key_id_of(id_token))
    expected = Expected(issuer=client.provider.issuer, client_id=CLIENT_ID, nonce=NONCE, now=now)
    return verify_id_token(id_token, jwks, expected)


async def test_a_token_signed_with_the_published_key_is_accepted(idp, keys) -> None:
    client, _clock = keys
    assert (await check(client, token(idp)))["sub"] == "ada"


@pytest.mark.parametrize(
    ("claims", "sentence"),
    [
        ({"aud": "another-application"}, "meant for another application"),
        ({"exp": int(NOW) - 121}, "has expired"),
        ({"nonce": "another-sign-in"}, "does not belong to this sign-in"),
        ({"iss": "http://127.0.0.1:1"}, "another identity provider"),
        ({"iat": int(NOW) + 3600}, "dated in the future"),
    ],
)
async def test_wrong_claims_are_refused_with_a_sentence(idp, keys, claims, sentence) -> None:
    client, _clock = keys
    with pytest.raises(SignInRefused) as refused:
        await check(client, token(idp, **claims))
    assert sentence in refused.value.message


async def test_clock_skew_within_the_leeway_is_tolerated(idp, keys) -> None:
    client, _clock = keys
    assert await check(client, token(idp, exp=int(NOW) - 100, iat=int(NOW) - 700))
    assert await check(client, token(idp, iat=int(NOW) + 100))


async def test_an_unknown_key_id_is_refused_after_one_fetch_at_most(idp, keys) -> None:
    client, clock = keys
    await check(client, token(idp))
    assert client.key_fetches == 1
    stranger = signing_key("never-published")
    with pytest.raises(SignInRefused, match="key it does not publish"):
        await check(client, token(idp, key=stranger))
    # Within the refetch window, made-up key ids cost the provider nothing.
    assert client.key_fetches == 1
    clock.now += 11
    with pytest.raises(SignInRefused, match="key it does not publish"):
        await check(client, token(idp, key=stranger))
    assert client.key_fetches == 2
    forged = token(idp, key=stranger).split(".")
    honest = token(idp).split(".")
    with pytest.raises(SignInRefused, match="signature that does not match"):
        await check(client, ".".join([honest[0], forged[1], forged[2]]))


async def test_rotated_keys_are_picked_up_without_a_restart(idp, keys) -> None:
    client, clock = keys
    await check(client, token(idp))
    new_kid = idp.rotate_keys()
    clock.now += 11
    assert idp.key.kid == new_kid
    assert (await check(client, token(idp), now=clock.now))["sub"] == "ada"
    assert client.key_fetches == 2


async def test_unsigned_tokens_are_refused(idp, keys) -> None:
    client, _clock = keys
    parts = token(idp).split(".")
    none_header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    with pytest.raises(SignInRefused, match="does not accept"):
        await check(client, f"{none_header}.{parts[1]}.")
