"""Helpers sign in with their organisation's identity: OpenID Connect, authorization code + PKCE.

Routes (docs/protocol.md section 2):

- ``GET /api/auth/oidc/{provider}/login``: a fresh ``state``, ``nonce`` and PKCE verifier
  (Authlib's generators, S256), kept in the signed, HttpOnly ``qa_oidc`` cookie (10 minutes,
  SameSite=Lax so it comes back with the provider's redirect), then 303 to the provider.
- ``GET /api/auth/oidc/callback``: ``state`` must match the cookie's, the code is exchanged
  (with the verifier), the ID token verified (`oidc_tokens.verify_id_token`: keys from the
  provider's JWKS, issuer, audience, expiry with clock-skew leeway, nonce), the provider's
  restrictions applied (email domains, tenants, groups), then the account is found, linked or
  created (`HelperAccounts.from_provider`) and the ``qa_session`` sign-in issued as for a
  password. A refusal is a small page with one sentence and a way back; never a traceback.

The flow cookie is bound to this browser: a callback URL replayed elsewhere, or a sign-in an
attacker started and hands to a victim (login CSRF), finds no matching cookie and is refused.
"""

from __future__ import annotations

import hmac
import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .accounts import HelperAccounts
from .errors import ServiceError
from .identity import HelperIdentity
from .oidc_client import ProviderClient
from .oidc_providers import OidcProvider
from .oidc_tokens import Expected, SignInRefused, key_id_of, verify_id_token
from .organisations import Organisations

FLOW_COOKIE = "qa_oidc"
FLOW_SALT = "quickassist.oidc-flow"
#: A sign-in must come back from the provider within this long (seconds).
FLOW_MAX_AGE = 600
CALLBACK_PATH = "/api/auth/oidc/callback"
#: OAuth error codes are short ASCII words (RFC 6749 section 4.1.2.1); anything else is not shown.
OAUTH_ERROR = re.compile(r"[a-z_]{1,40}")

NOT_STARTED_HERE = SignInRefused(
    "This sign-in was not started in this browser, or it took longer than 10 minutes. "
    "Start again from the sign-in page."
)


class OidcSignIn:
    """The providers' clients and what a sign-in through them checks and creates."""

    def __init__(
        self,
        clients: dict[str, ProviderClient],
        accounts: HelperAccounts,
        *,
        secret_key: str,
        clock: Callable[[], float],
        leeway_seconds: float,
        public_origin: str | None,
    ) -> None:
        self.clients = clients
        self._accounts = accounts
        self._organisations = Organisations(accounts.sessions)
        self._serializer = URLSafeTimedSerializer(secret_key, salt=FLOW_SALT)
        self._clock = clock
        self._leeway = leeway_seconds
        self._public_origin = public_origin

    def origin_of(self, request: Request) -> str:
        return self._public_origin or f"{request.url.scheme}://{request.url.netloc}"

    def client_for_issuer(self, issuer: str) -> ProviderClient | None:
        return next((c for c in self.clients.values() if c.provider.issuer == issuer), None)

    async def start(self, provider_id: str, origin: str) -> tuple[str, str]:
        """The provider's authorization URL and the flow cookie's value."""
        client = self.clients.get(provider_id)
        if client is None:
            raise ServiceError(
                "There is no such sign-in provider.", code="unknown_provider", status=404
            )
        metadata = await client.metadata()
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        url = prepare_grant_uri(
            metadata.authorization_endpoint,
            client_id=client.provider.client_id,
            response_type="code",
            redirect_uri=origin + CALLBACK_PATH,
            scope=" ".join(client.provider.scopes),
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        flow = {"p": provider_id, "s": state, "n": nonce, "v": verifier}
        return url, self._serializer.dumps(flow)

    async def finish(
        self, params: dict[str, str], flow_cookie: str | None, origin: str
    ) -> HelperIdentity:
        """Check the provider's answer; the signed-in helper, or SignInRefused with a sentence."""
        flow = self._flow(flow_cookie)
        if not hmac.compare_digest(params.get("state", ""), flow["s"]):
            raise NOT_STARTED_HERE
        client = self.clients.get(flow["p"])
        if client is None:
            raise NOT_STARTED_HERE
        provider = client.provider
        error = params.get("error")
        if error is not None:
            named = f" ({error})" if OAUTH_ERROR.fullmatch(error) else ""
            raise SignInRefused(
                f"{provider.label} did not sign you in{named}. Start again from the sign-in page."
            )
        if "iss" in params and params["iss"] != provider.issuer:  # RFC 9207: mix-up defence
            raise NOT_STARTED_HERE
        id_token = await client.exchange(
            params.get("code", ""), verifier=flow["v"], redirect_uri=origin + CALLBACK_PATH
        )
        keys = await client.keys_for(key_id_of(id_token))
        expected = Expected(
            issuer=provider.issuer,
            client_id=provider.client_id,
            nonce=flow["n"],
            now=self._clock(),
            leeway=self._leeway,
        )
        claims = verify_id_token(id_token, keys, expected)
        return await self._helper_for(provider, claims)

    def _flow(self, value: str | None) -> dict[str, str]:
        if not value:
            raise NOT_STARTED_HERE
        try:
            flow: Any = self._serializer.loads(value, max_age=FLOW_MAX_AGE)
        except BadSignature:
            raise NOT_STARTED_HERE from None
        if not isinstance(flow, dict) or not all(isinstance(flow.get(k), str) for k in "psnv"):
            raise NOT_STARTED_HERE
        return flow

    async def _helper_for(self, provider: OidcProvider, claims: dict[str, Any]) -> HelperIdentity:
        email = claims.get("email") if claims.get("email_verified") is True else None
        email = email.strip().casefold() if isinstance(email, str) else ""
        email_domain = email.rpartition("@")[2] if "@" in email else ""
        admits = "Sign in with your organisation's account, or ask your administrator."
        if provider.allowed_email_domains and email_domain not in provider.allowed_email_domains:
            shown = f" ({email_domain})" if email_domain else " (no verified email address)"
            raise SignInRefused(
                f"Your account's email domain{shown} is not one this service admits. {admits}",
                status=403,
            )
        if provider.allowed_tenant_ids and claims.get(provider.tenant_claim) not in set(
            provider.allowed_tenant_ids
        ):
            raise SignInRefused(
                f"Your account belongs to another organisation than this service admits. {admits}",
                status=403,
            )
        groups = claims.get(provider.groups_claim)
        if provider.allowed_groups and not (
            isinstance(groups, list) and set(provider.allowed_groups) & {str(g) for g in groups}
        ):
            raise SignInRefused(
                f"Your account is not in a group this service admits. {admits}", status=403
            )
        helper = await self._accounts.from_provider(
            issuer=provider.issuer,
            subject=str(claims["sub"]),
            verified_email=email,
            display_name=_display_name(claims, email),
            organisation=provider.organisation,
        )
        if helper is None:
            raise SignInRefused(
                "Your helper account is disabled. Ask your administrator.", status=403
            )
        vouched = provider.vouched_domain(email_domain)
        if vouched and helper.verified_domain != vouched:
            await self._organisations.vouch_from_idp(provider.organisation, vouched)
            helper = await self._accounts.find(helper.username)
        return helper

    async def end_session_url(self, helper: HelperIdentity, origin: str) -> str | None:
        """Where to send the browser to sign out at the provider too (RP-initiated logout)."""
        client = self.client_for_issuer(helper.identity_provider)
        if client is None:
            return None
        try:
            endpoint = (await client.metadata()).end_session_endpoint
        except SignInRefused:
            return None
        if not endpoint:
            return None
        query = {"client_id": client.provider.client_id, "post_logout_redirect_uri": origin + "/"}
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def _display_name(claims: dict[str, Any], email: str) -> str:
    name = claims.get("name")
    if isinstance(name, str) and name.strip():
        return name
    parts = [claims.get("given_name"), claims.get("family_name")]
    joined = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    return joined or email.partition("@")[0] or "Helper"


def refusal_page(sentence: str, status: int) -> HTMLResponse:
    """The callback's answer when a sign-in is refused: the sentence, and a way back."""
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width">'
        '<title>Sign-in refused · quickassist</title><link rel=stylesheet href="/app.css">'
        '<main class="signin-refused"><h1>Sign-in refused</h1>'
        f'<p id="signin-refused-reason">{html.escape(sentence)}</p>'
        '<p><a href="/">Back to sign in</a></p></main></html>'
    )
    return HTMLResponse(body, status_code=status)


def build_oidc_router(
    oidc: OidcSignIn, issue_sign_in: Callable[[Response, HelperIdentity], Any]
) -> APIRouter:
    router = APIRouter(prefix="/api/auth/oidc", tags=["auth"])

    @router.get("/{provider_id}/login", status_code=303, response_class=RedirectResponse)
    async def login(request: Request, provider_id: str) -> Response:
        """Start signing in with a provider: a redirect to it, with the flow cookie."""
        try:
            url, flow = await oidc.start(provider_id, oidc.origin_of(request))
        except ServiceError as exc:
            return refusal_page(exc.message, exc.status)
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(
            FLOW_COOKIE,
            flow,
            max_age=FLOW_MAX_AGE,
            path="/api/auth/oidc",
            secure=True,
            httponly=True,
            samesite="lax",  # the provider's redirect back is a cross-site navigation
        )
        return response

    @router.get("/callback", response_class=HTMLResponse)
    async def callback(request: Request) -> Response:
        """The provider's redirect back: checked, then signed in and sent to the console."""
        params = {k: v[:4096] for k, v in request.query_params.items()}
        try:
            helper = await oidc.finish(
                params, request.cookies.get(FLOW_COOKIE), oidc.origin_of(request)
            )
        except ServiceError as exc:
            response: Response = refusal_page(exc.message, exc.status)
        else:
            response = RedirectResponse("/", status_code=303)
            await issue_sign_in(response, helper)
        response.delete_cookie(FLOW_COOKIE, path="/api/auth/oidc", secure=True, httponly=True)
        return response

    return router


def install_oidc(
    app: FastAPI,
    providers: list[OidcProvider],
    accounts: HelperAccounts,
    *,
    secret_key: str,
    clock: Callable[[], float],
    leeway_seconds: float,
    public_origin: str | None,
    issue_sign_in: Callable[[Response, HelperIdentity], Any],
) -> OidcSignIn:
    """One `ProviderClient` per provider (one HTTP client for all, closed at shut-down)."""
    http = httpx.AsyncClient(timeout=10.0, follow_redirects=False)
    clients = {p.id: ProviderClient(p, http=http, clock=clock) for p in providers}
    oidc = OidcSignIn(
        clients,
        accounts,
        secret_key=secret_key,
        clock=clock,
        leeway_seconds=leeway_seconds,
        public_origin=public_origin,
    )
    app.state.oidc = oidc
    app.state.lifecycle.on_closed.append(http.aclose)
    app.include_router(build_oidc_router(oidc, issue_sign_in))
    return oidc
