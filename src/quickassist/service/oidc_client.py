"""What the service asks an OpenID provider: its metadata, its keys, and the code exchange.

One `ProviderClient` per configured provider, kept for the life of the service. Metadata
(``/.well-known/openid-configuration``) is fetched on first use, so the service starts even
while a provider is down. Keys (the JWKS) are cached; a token naming a key id the cache lacks
makes it fetch them again (the provider rotated its keys: no restart needed), at most once per
`REFETCH_AFTER_SECONDS`, so a stream of tokens with made-up key ids cannot make the service
hammer the provider. Network failures become one sentence (`SignInRefused`, 502).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .oidc_providers import OidcProvider
from .oidc_tokens import SignInRefused

#: A provider's keys are fetched again for an unknown key id at most this often.
REFETCH_AFTER_SECONDS = 10.0
#: A metadata or JWKS document is a few kilobytes.
MAX_DOCUMENT_BYTES = 512 * 1024


class ProviderUnreachable(SignInRefused):
    status = 502
    code = "provider_unreachable"


UNREACHABLE = "The identity provider cannot be reached now. Try again in a minute."


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


class ProviderClient:
    """Metadata, keys and token exchange of one provider, over ``http``."""

    def __init__(
        self,
        provider: OidcProvider,
        *,
        http: httpx.AsyncClient,
        clock: Callable[[], float],
        refetch_after: float = REFETCH_AFTER_SECONDS,
    ) -> None:
        self.provider = provider
        self._http = http
        self._clock = clock
        self._refetch_after = refetch_after
        self._metadata: ProviderMetadata | None = None
        self._jwks: dict[str, Any] = {"keys": []}
        self._jwks_fetched_at: float | None = None
        #: How many times the keys were fetched (docs/security.md: bounded per minute).
        self.key_fetches = 0

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is None:
            url = f"{self.provider.issuer}/.well-known/openid-configuration"
            document = await self._get_json(url)
            if document.get("issuer") != self.provider.issuer:
                raise ProviderUnreachable(
                    "The identity provider names another issuer than the one configured. "
                    "Ask your administrator to check the issuer in the provider settings."
                )
            try:
                self._metadata = ProviderMetadata(
                    authorization_endpoint=str(document["authorization_endpoint"]),
                    token_endpoint=str(document["token_endpoint"]),
                    jwks_uri=str(document["jwks_uri"]),
                    end_session_endpoint=document.get("end_session_endpoint"),
                )
            except KeyError:
                raise ProviderUnreachable(UNREACHABLE) from None
        return self._metadata

    async def keys_for(self, kid: str | None) -> dict[str, Any]:
        """The provider's JWKS, fetched again if it lacks ``kid`` and the last fetch is old."""
        known = {key.get("kid") for key in self._jwks.get("keys", []) if isinstance(key, dict)}
        now = self._clock()
        stale = self._jwks_fetched_at is None or (
            kid not in known and now - self._jwks_fetched_at >= self._refetch_after
        )
        if stale:
            document = await self._get_json((await self.metadata()).jwks_uri)
            if not isinstance(document.get("keys"), list):
                raise ProviderUnreachable(UNREACHABLE)
            self._jwks, self._jwks_fetched_at = document, now
            self.key_fetches += 1
        return self._jwks

    async def exchange(self, code: str, *, verifier: str, redirect_uri: str) -> str:
        """Trade the authorization code (and the PKCE verifier) for the ID token."""
        metadata = await self.metadata()
        try:
            response = await self._http.post(
                metadata.token_endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                },
                auth=(self.provider.client_id, self.provider.client_secret),
            )
        except httpx.HTTPError as exc:
            raise ProviderUnreachable(UNREACHABLE) from exc
        body = _json_object(response)
        if response.status_code != 200:
            raise SignInRefused(
                "The identity provider did not accept this sign-in (the code was used, expired, "
                "or the client secret is wrong). Start again from the sign-in page."
            )
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRefused("The identity provider sent no ID token. Check the openid scope.")
        return id_token

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url)
        except httpx.HTTPError as exc:
            raise ProviderUnreachable(UNREACHABLE) from exc
        if response.status_code != 200:
            raise ProviderUnreachable(UNREACHABLE)
        return _json_object(response)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    if len(response.content) > MAX_DOCUMENT_BYTES:
        raise ProviderUnreachable(UNREACHABLE)
    try:
        body = response.json()
    except ValueError:
        raise ProviderUnreachable(UNREACHABLE) from None
    if not isinstance(body, dict):
        raise ProviderUnreachable(UNREACHABLE)
    return body
