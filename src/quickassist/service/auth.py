"""Helper sign-in: the `Authenticator` seam, signed session cookies, and the /api/auth routes.

`Authenticator` is what a sign-in method implements (local argon2 accounts now; an OIDC one can
plug in later). A signed-in helper carries the ``qa_session`` cookie: a payload signed with
itsdangerous holding the helper's id, when it was issued, and a fingerprint of the password hash
(so changing a password or removing the account ends every sign-in made before).

For other routes:

- ``Depends(require_helper)`` gives the `HelperIdentity` or answers 401 ``not_signed_in``;
- ``await helper_from_websocket(websocket)`` gives the identity or None (it reads the cookie of
  the upgrade request; the caller also checks the Origin with `request_guard.origin_allowed`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Body, FastAPI, Request, Response, WebSocket
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, Field
from starlette.requests import HTTPConnection

from .accounts import HelperAccounts
from .config import ServiceConfig
from .errors import ServiceError
from .identity import HelperIdentity
from .rate_limit import SlidingWindowLimiter

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
    """Issues and reads ``qa_session`` cookie values."""

    def __init__(
        self,
        accounts: HelperAccounts,
        *,
        secret_key: str,
        max_age_seconds: int,
        clock: Callable[[], float],
    ) -> None:
        self._accounts = accounts
        self._serializer = URLSafeSerializer(secret_key, salt=COOKIE_SALT)
        self.max_age_seconds = max_age_seconds
        self._clock = clock

    async def issue(self, identity: HelperIdentity) -> str:
        found = await self._accounts.get(identity.id)
        fingerprint = found[1] if found is not None else ""
        payload = {"h": identity.id, "p": fingerprint, "t": int(self._clock())}
        return self._serializer.dumps(payload)

    async def resolve(self, value: str | None) -> HelperIdentity | None:
        """The helper a cookie value names, if it is genuine, fresh and still matches them."""
        if not value:
            return None
        try:
            payload: Any = self._serializer.loads(value)
        except BadSignature:
            return None
        if not isinstance(payload, dict):
            return None
        helper_id, fingerprint, issued = payload.get("h"), payload.get("p"), payload.get("t")
        if not isinstance(helper_id, int) or not isinstance(issued, int):
            return None
        age = self._clock() - issued
        if age < -60 or age > self.max_age_seconds:  # a minute of clock skew between nodes
            return None
        found = await self._accounts.get(helper_id)
        if found is None or found[1] != fingerprint:
            return None
        return found[0]


class LoginRequest(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1024)


class HelperOut(BaseModel):
    username: str
    display_name: str
    organisation: str


class ErrorOut(BaseModel):
    error: str
    message: str


NOT_SIGNED_IN = "Sign in to continue."


def _sessions(connection: HTTPConnection) -> HelperSessions:
    sessions: HelperSessions = connection.app.state.helper_sessions
    return sessions


async def require_helper(request: Request) -> HelperIdentity:
    """FastAPI dependency: the signed-in helper, or a 401 ``not_signed_in`` answer."""
    identity = await _sessions(request).resolve(request.cookies.get(COOKIE_NAME))
    if identity is None:
        raise ServiceError(NOT_SIGNED_IN, code="not_signed_in", status=401)
    return identity


async def helper_from_websocket(websocket: WebSocket) -> HelperIdentity | None:
    """The helper whose cookie came with this WebSocket upgrade, or None."""
    return await _sessions(websocket).resolve(websocket.cookies.get(COOKIE_NAME))


def client_address(connection: HTTPConnection) -> str:
    """The peer's address (after uvicorn's trusted-proxy handling); used as a limiter key only."""
    return connection.client.host if connection.client else "unknown"


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


def build_auth_router(
    *,
    authenticator: Authenticator,
    sessions: HelperSessions,
    limiter: SlidingWindowLimiter,
    clock: Callable[[], float],
) -> APIRouter:
    router = APIRouter(prefix="/api/auth", tags=["auth"])
    errors: dict[int | str, dict[str, Any]] = {
        401: {"model": ErrorOut},
        429: {"model": ErrorOut},
    }

    @router.post("/login", response_model=HelperOut, responses=errors)
    async def login(
        request: Request, response: Response, credentials: Annotated[LoginRequest, Body()]
    ) -> dict[str, str]:
        """Sign in with a username and password; sets the ``qa_session`` cookie."""
        wait = limiter.hit(client_address(request), clock())
        if wait is not None:
            raise ServiceError(
                "Too many sign-in attempts. Wait a minute and try again.",
                code="too_many_attempts",
                status=429,
                retry_after=max(1, math.ceil(wait)),
            )
        identity = await authenticator.authenticate(credentials.username, credentials.password)
        if identity is None:
            raise ServiceError(
                "That username and password do not match. Check them and try again.",
                code="invalid_credentials",
                status=401,
            )
        _set_cookie(response, await sessions.issue(identity), sessions.max_age_seconds)
        return identity.public_dict()

    @router.post("/logout", status_code=204, response_class=Response)
    async def logout() -> Response:
        """Sign out: the cookie is cleared."""
        response = Response(status_code=204)
        _set_cookie(response, "", 0)
        return response

    @router.get("/me", response_model=HelperOut, responses={401: {"model": ErrorOut}})
    async def me(request: Request) -> dict[str, str]:
        """The signed-in helper."""
        identity = await require_helper(request)
        return identity.public_dict()

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
        secret_key=secret_key,
        max_age_seconds=config.session_max_age_seconds,
        clock=clock,
    )
    app.state.helper_sessions = sessions
    limit = config.login_attempts_per_address
    limiter = SlidingWindowLimiter(limit.count, limit.per_seconds)
    app.include_router(
        build_auth_router(
            authenticator=authenticator or LocalAuthenticator(accounts),
            sessions=sessions,
            limiter=limiter,
            clock=clock,
        )
    )
