"""Helper sign-in: the `Authenticator` seam, server-side sign-ins, and the /api/auth routes.

`Authenticator` is what a sign-in method implements (local argon2 accounts now; an OIDC one can
plug in later). A signed-in helper carries the ``qa_session`` cookie: a random session id
(256 bits, signed with itsdangerous so garbage is refused before the store is asked). Every
request looks it up in the `HelperSessionStore`, so a sign-in ends the moment its row goes:
logout, "sign out everywhere" (``quickassist user signout``, POST /api/auth/logout-everywhere),
and account removal or disabling delete or outdate it. The row also holds the password's
fingerprint at sign-in, so a changed password ends every older sign-in even where the command
that changed it could not reach the store. Sign-in attempts pass the sign-in guard first
(``app.state.sign_in_guard``, a `SignInLimits` that `live_backend` chooses: one node's memory or
Redis shared by every node).

For other routes:

- ``Depends(require_helper)`` gives the `HelperIdentity` or answers 401 ``not_signed_in``;
- ``await helper_from_websocket(websocket)`` gives the identity or None (it reads the cookie of
  the upgrade request; the caller also checks the Origin with `request_guard.origin_allowed`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Body, FastAPI, Request, Response, WebSocket
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, Field
from starlette.requests import HTTPConnection

from .accounts import HelperAccounts
from .client_address import client_limiter_key
from .config import ServiceConfig
from .errors import ServiceError
from .helper_session_store import HelperSessionStore, SqlHelperSessionStore, StoredSignIn
from .identity import HelperIdentity
from .oidc import OidcSignIn, install_oidc
from .oidc_providers import load_providers
from .service_settings import ServiceSettings, Setting
from .sign_in_guard import SignInLimits
from .totp import CheckResult, TwoFactor

COOKIE_NAME = "qa_session"
COOKIE_SALT = "quickassist.helper-session"


class Authenticator(Protocol):
    """A way to check a helper's credentials."""

    async def authenticate(self, username: str, password: str) -> HelperIdentity | None:
        """The helper if the credentials are right, else None (never says which part was wrong)."""
        ...


class LocalAuthenticator:
    """Username and password checked against the local `helpers` table (argon2id)."""

    def __init__(self, accounts: HelperAccounts) -> None:
        self._accounts = accounts

    async def authenticate(self, username: str, password: str) -> HelperIdentity | None:
        return await self._accounts.verify(username, password)


class HelperSessions:
    """Issues, reads and revokes ``qa_session`` cookie values (sign-ins kept in ``store``)."""

    def __init__(
        self,
        accounts: HelperAccounts,
        store: HelperSessionStore,
        *,
        secret_key: str,
        max_age_seconds: int,
        clock: Callable[[], float],
    ) -> None:
        self._accounts = accounts
        self.store = store
        self._serializer = URLSafeSerializer(secret_key, salt=COOKIE_SALT)
        self.max_age_seconds = max_age_seconds
        self._clock = clock

    async def issue(self, identity: HelperIdentity) -> str:
        """A new sign-in for ``identity``: stored, and its cookie value returned."""
        found = await self._accounts.get(identity.id)
        fingerprint = found[1] if found is not None else ""
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        sign_in = StoredSignIn(identity.id, fingerprint, now + self.max_age_seconds)
        await self.store.add(_digest(session_id), sign_in, now)
        return self._serializer.dumps(session_id)

    async def resolve(self, value: str | None) -> HelperIdentity | None:
        """The helper a cookie value names, if its sign-in is stored, fresh and still theirs."""
        digest = self._digest_of(value)
        if digest is None:
            return None
        return await self._identity_of(digest)

    async def _identity_of(self, digest: str) -> HelperIdentity | None:
        sign_in = await self.store.get(digest, self._clock())
        if sign_in is None:
            return None
        found = await self._accounts.get(sign_in.helper_id)
        if found is None or found[1] != sign_in.password_fingerprint:
            return None
        return found[0]

    async def revoke(self, value: str | None) -> None:
        """End the sign-in a cookie value names (logout); nothing if it names none."""
        digest = self._digest_of(value)
        if digest is not None:
            await self.store.revoke(digest)

    def sign_in_of(self, value: str | None) -> str:
        """The stored digest of the sign-in a cookie value names ("" for none): how the relay
        remembers which sign-in opened a helper's socket, without keeping the cookie."""
        return self._digest_of(value) or ""

    async def still_signed_in(self, digest: str) -> bool:
        """Whether the sign-in `digest` names is still stored, fresh and its helper's (the
        check `resolve` makes of a cookie, for a socket opened with it)."""
        return await self._identity_of(digest) is not None

    def _digest_of(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            session_id: Any = self._serializer.loads(value)
        except BadSignature:
            return None
        return _digest(session_id) if isinstance(session_id, str) else None


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class LoginRequest(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1024)
    code: str | None = Field(
        default=None, max_length=64, description="The authenticator's code, or a recovery code."
    )


class HelperOut(BaseModel):
    username: str
    display_name: str
    organisation: str
    verified_domain: str = Field(description='The domain the service vouches for, or "".')
    role: str = Field(description='"admin" (manages helpers and settings) or "helper".')
    full_control: bool = Field(description="May ask for full control; else view only.")
    local: bool = Field(description="Signs in with a password here (not an identity provider).")
    totp_enabled: bool
    two_factor_enrolment_required: bool = Field(
        default=False, description="Must set up an authenticator app before doing anything else."
    )


class ErrorOut(BaseModel):
    error: str
    message: str


class ProviderOut(BaseModel):
    id: str
    label: str = Field(description='For the button: "Sign in with LABEL".')
    login_url: str


class MethodsOut(BaseModel):
    local: bool = Field(description="Username and password sign-in is on.")
    providers: list[ProviderOut]


class LoggedOutOut(BaseModel):
    end_session_url: str | None = Field(
        description="Open this to sign out at the identity provider too (None: nothing to do)."
    )


LOCAL_SIGN_IN_OFF = (
    "Signing in with a password is switched off here. Use your organisation's sign-in."
)


NOT_SIGNED_IN = "Sign in to continue."


def _sessions(connection: HTTPConnection) -> HelperSessions:
    sessions: HelperSessions = connection.app.state.helper_sessions
    return sessions


ENROL_FIRST = "Administrators here must use an authenticator app. Set one up under Account first."


async def require_signed_in(request: Request) -> HelperIdentity:
    """The signed-in helper, even one who must still set up two-factor sign-in (401 if none)."""
    identity = await _sessions(request).resolve(request.cookies.get(COOKIE_NAME))
    if identity is None:
        raise ServiceError(NOT_SIGNED_IN, code="not_signed_in", status=401)
    return identity


async def must_enrol(connection: HTTPConnection, identity: HelperIdentity) -> bool:
    """An administrator with a password and no authenticator, where the setting demands one."""
    if not (identity.is_admin and identity.local) or identity.totp_enabled:
        return False
    settings: ServiceSettings = connection.app.state.service_settings
    return await settings.get(Setting.ADMIN_TWO_FACTOR)


async def require_helper(request: Request) -> HelperIdentity:
    """FastAPI dependency: the signed-in helper, or a 401 ``not_signed_in`` answer (403
    ``two_factor_enrolment_required`` for an administrator who must set up an authenticator)."""
    identity = await require_signed_in(request)
    if await must_enrol(request, identity):
        raise ServiceError(ENROL_FIRST, code="two_factor_enrolment_required", status=403)
    return identity


async def helper_from_websocket(websocket: WebSocket) -> HelperIdentity | None:
    """The helper whose cookie came with this WebSocket upgrade, or None."""
    identity = await _sessions(websocket).resolve(websocket.cookies.get(COOKIE_NAME))
    if identity is not None and await must_enrol(websocket, identity):
        return None
    return identity


def _set_cookie(response: Response, value: str, max_age: int) -> None:
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=max_age,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def _signed_out() -> Response:
    response = Response(status_code=204)
    _set_cookie(response, "", 0)
    return response


def build_auth_router(
    *,
    authenticator: Authenticator,
    sessions: HelperSessions,
    clock: Callable[[], float],
    settings: ServiceSettings,
    oidc: OidcSignIn,
    two_factor: TwoFactor,
) -> APIRouter:
    router = APIRouter(prefix="/api/auth", tags=["auth"])
    errors: dict[int | str, dict[str, Any]] = {
        401: {"model": ErrorOut},
        429: {"model": ErrorOut},
    }

    @router.post("/login", response_model=HelperOut, responses=errors)
    async def login(
        request: Request, response: Response, credentials: Annotated[LoginRequest, Body()]
    ) -> dict[str, Any]:
        """Sign in with a username and password; sets the ``qa_session`` cookie.

        Limited per address, per account (a doubling delay) and overall: 429 with Retry-After.
        """
        if not await settings.get(Setting.LOCAL_SIGN_IN):
            raise ServiceError(LOCAL_SIGN_IN_OFF, code="local_sign_in_off", status=403)
        address_key = client_limiter_key(request)
        guard: SignInLimits = request.app.state.sign_in_guard
        await guard.admit(address_key, credentials.username, clock())
        identity = await authenticator.authenticate(credentials.username, credentials.password)
        if identity is None:
            await guard.failed(address_key, credentials.username, clock())
            raise ServiceError(
                "That username and password do not match. Check them and try again.",
                code="invalid_credentials",
                status=401,
            )
        if identity.totp_enabled:
            await _second_factor(
                guard, identity, credentials.code, address_key, credentials.username
            )
        await guard.succeeded(address_key, credentials.username, clock())
        _set_cookie(response, await sessions.issue(identity), sessions.max_age_seconds)
        return await _me(request, identity)

    async def _second_factor(
        guard: SignInLimits,
        identity: HelperIdentity,
        code: str | None,
        address_key: str,
        username: str,
    ) -> None:
        if not code:
            raise ServiceError(
                "Enter the 6-digit code from your authenticator app, or a recovery code.",
                code="two_factor_required",
                status=401,
            )
        result = await two_factor.check(identity.id, code)
        if result is CheckResult.OK:
            return
        await guard.failed(address_key, username, clock())
        if result is CheckResult.REUSED:
            raise ServiceError(
                "That code was already used. Wait for the app to show the next one.",
                code="two_factor_required",
                status=401,
            )
        raise ServiceError(
            "That code is not right. Enter the code your app shows now, or a recovery code.",
            code="two_factor_required",
            status=401,
        )

    @router.get("/methods", response_model=MethodsOut)
    async def methods() -> dict[str, Any]:
        """How helpers may sign in here: a password (unless switched off) and the providers."""
        providers = [
            {
                "id": c.provider.id,
                "label": c.provider.label,
                "login_url": f"/api/auth/oidc/{k}/login",
            }
            for k, c in oidc.clients.items()
        ]
        return {"local": await settings.get(Setting.LOCAL_SIGN_IN), "providers": providers}

    @router.post("/logout", status_code=204, responses={200: {"model": LoggedOutOut}})
    async def logout(request: Request) -> Response:
        """Sign out: this sign-in ends on the server (a copy of the cookie stops working too).

        For a helper of an identity provider, the answer names the provider's sign-out page.
        """
        value = request.cookies.get(COOKIE_NAME)
        helper = await sessions.resolve(value)
        await sessions.revoke(value)
        url = None
        if helper is not None and helper.identity_provider:
            url = await oidc.end_session_url(helper, oidc.origin_of(request))
        if url is None:
            return _signed_out()  # 204: nothing more to do
        response = Response(
            LoggedOutOut(end_session_url=url).model_dump_json(), media_type="application/json"
        )
        _set_cookie(response, "", 0)
        return response

    @router.post(
        "/logout-everywhere",
        status_code=204,
        response_class=Response,
        responses={401: {"model": ErrorOut}},
    )
    async def logout_everywhere(request: Request) -> Response:
        """Sign out every sign-in of the signed-in helper, on every browser."""
        identity = await require_signed_in(request)
        await sessions.store.revoke_helper(identity.id)
        return _signed_out()

    @router.get("/me", response_model=HelperOut, responses={401: {"model": ErrorOut}})
    async def me(request: Request) -> dict[str, Any]:
        """The signed-in helper."""
        return await _me(request, await require_signed_in(request))

    async def _me(request: Request, identity: HelperIdentity) -> dict[str, Any]:
        answer = identity.public_dict()
        answer["two_factor_enrolment_required"] = await must_enrol(request, identity)
        return answer

    return router


def install_auth(
    app: FastAPI,
    config: ServiceConfig,
    accounts: HelperAccounts,
    *,
    secret_key: str,
    clock: Callable[[], float],
    authenticator: Authenticator | None = None,
) -> None:
    """Add the /api/auth routes and the state `require_helper` reads."""
    sessions = HelperSessions(
        accounts,
        SqlHelperSessionStore(app.state.db_sessions),
        secret_key=secret_key,
        max_age_seconds=config.session_max_age_seconds,
        clock=clock,
    )
    app.state.helper_sessions = sessions
    settings = ServiceSettings(accounts.sessions)
    app.state.service_settings = settings
    two_factor = TwoFactor(accounts.sessions, clock=clock)
    app.state.two_factor = two_factor

    async def issue_sign_in(response: Response, identity: HelperIdentity) -> None:
        _set_cookie(response, await sessions.issue(identity), sessions.max_age_seconds)

    oidc = install_oidc(
        app,
        load_providers(config.oidc_providers_file),
        accounts,
        secret_key=secret_key,
        clock=clock,
        leeway_seconds=config.oidc_clock_skew_seconds,
        public_origin=config.public_origin,
        issue_sign_in=issue_sign_in,
    )
    app.include_router(
        build_auth_router(
            authenticator=authenticator or LocalAuthenticator(accounts),
            sessions=sessions,
            clock=clock,
            settings=settings,
            oidc=oidc,
            two_factor=two_factor,
        )
    )
    # Imported here: two_factor_api depends on this module's require_signed_in.
    from .two_factor_api import router as two_factor_router

    app.include_router(two_factor_router)
