"""Sign-in state in process, with the clock in the test's hands: expiry, dependencies, sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select
from starlette.websockets import WebSocket

from quickassist.service.accounts import HelperAccounts
from quickassist.service.app import create_app
from quickassist.service.auth import (
    COOKIE_NAME,
    COOKIE_SALT,
    helper_from_websocket,
    require_helper,
)
from quickassist.service.config import ServiceConfig
from quickassist.service.helper_session_store import HelperSessionRow
from quickassist.service.identity import HelperIdentity
from quickassist.service.secret_key import load_or_create_secret_key

PASSWORD = "a long enough password"
TWELVE_HOURS = 12 * 3600


class Clock:
    """The time the app sees; tests move it forward."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def whoami(helper: Annotated[HelperIdentity, Depends(require_helper)]) -> dict[str, str]:
    """Stands in for a route of the lead's that needs a signed-in helper."""
    return {"name": helper.name_for_sharer}


class Service:
    """An app in process (lifespan run), its accounts and a client that keeps cookies."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.accounts: HelperAccounts = app.state.accounts
        # Ahead of the console's catch-all mount, as the lead's routes are.
        app.router.routes.insert(0, APIRoute("/api/probe", whoami))
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://testserver"
        )

    async def sign_in(self) -> None:
        answer = await self.http.post(
            "/api/auth/login", json={"username": "ada", "password": PASSWORD}
        )
        assert answer.status_code == 200

    def websocket_with(self, cookie: str | None) -> WebSocket:
        """A WebSocket upgrade request as the ASGI server would hand it to a route."""
        headers = [(b"host", b"testserver")]
        if cookie is not None:
            headers.append((b"cookie", f"{COOKIE_NAME}={cookie}".encode()))
        scope = {
            "type": "websocket",
            "path": "/ws/helper/x",
            "headers": headers,
            "app": self.app,
            "scheme": "wss",
            "query_string": b"",
        }

        async def receive() -> dict[str, str]:
            return {"type": "websocket.connect"}

        async def send(message: object) -> None:
            raise AssertionError("helper_from_websocket must not answer")

        return WebSocket(scope, receive, send)


@asynccontextmanager
async def running(config: ServiceConfig, clock: Clock | None = None) -> AsyncIterator[Service]:
    app = create_app(config, clock=clock or Clock())
    async with app.router.lifespan_context(app):
        service = Service(app)
        try:
            yield service
        finally:
            await service.http.aclose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(tmp_path: Path, clock: Clock) -> AsyncIterator[Service]:
    async with running(ServiceConfig(data_dir=tmp_path), clock) as started:
        await started.accounts.add(
            "ada", display_name="Ada Lovelace", organisation="Contoso", password=PASSWORD
        )
        yield started


async def test_require_helper_gives_the_identity_or_a_json_401(service: Service) -> None:
    refused = await service.http.get("/api/probe")
    assert refused.status_code == 401
    assert refused.json() == {"error": "not_signed_in", "message": "Sign in to continue."}
    await service.sign_in()
    assert (await service.http.get("/api/probe")).json() == {"name": "Ada L."}


async def test_sign_in_lasts_twelve_hours(service: Service, clock: Clock) -> None:
    await service.sign_in()
    clock.now += TWELVE_HOURS - 1
    assert (await service.http.get("/api/auth/me")).status_code == 200
    clock.now += 2
    assert (await service.http.get("/api/auth/me")).status_code == 401


async def test_a_removed_helper_is_signed_out(service: Service) -> None:
    await service.sign_in()
    await service.accounts.remove("ada")
    assert (await service.http.get("/api/auth/me")).status_code == 401


async def test_websocket_upgrade_carries_the_helper(service: Service) -> None:
    assert await helper_from_websocket(service.websocket_with(None)) is None
    assert await helper_from_websocket(service.websocket_with("forged.value")) is None
    await service.sign_in()
    cookie = service.http.cookies[COOKIE_NAME]
    helper = await helper_from_websocket(service.websocket_with(cookie))
    assert helper is not None
    assert (helper.username, helper.organisation) == ("ada", "Contoso")


async def test_the_secret_key_signs_across_restarts_and_only_here(tmp_path: Path) -> None:
    config = ServiceConfig(data_dir=tmp_path / "one")
    async with running(config) as first:
        await first.accounts.add("ada", display_name="Ada", organisation="C", password=PASSWORD)
        await first.sign_in()
        cookie = first.http.cookies[COOKIE_NAME]
    assert (tmp_path / "one" / "secret.key").stat().st_mode & 0o777 == 0o600
    async with running(config) as again:
        again.http.cookies.set(COOKIE_NAME, cookie)
        assert (await again.http.get("/api/auth/me")).status_code == 200
    async with running(ServiceConfig(data_dir=tmp_path / "two")) as other:
        await other.accounts.add("ada", display_name="Ada", organisation="C", password=PASSWORD)
        other.http.cookies.set(COOKIE_NAME, cookie)
        assert (await other.http.get("/api/auth/me")).status_code == 401


async def test_argon2_runs_off_the_event_loop(service: Service) -> None:
    """While a password is checked, the loop keeps running: a callback due meanwhile runs."""
    ticked = asyncio.Event()
    asyncio.get_running_loop().call_later(0.001, ticked.set)
    verify = asyncio.ensure_future(service.accounts.verify("ada", PASSWORD))
    await ticked.wait()
    assert not verify.done()  # argon2 (tens of ms) was still running in its thread
    assert await verify is not None


async def test_retention_sweeps_expired_sign_ins_and_keeps_live_ones(
    service: Service, clock: Clock
) -> None:
    async def stored() -> int:
        async with service.app.state.db_sessions() as db:
            return int(await db.scalar(select(func.count()).select_from(HelperSessionRow)) or 0)

    await service.sign_in()
    clock.now += TWELVE_HOURS - 60
    await service.sign_in()  # a second, later sign-in
    assert await stored() == 2
    clock.now += 61  # the first is past its 12 hours, the second is not
    await service.app.state.retention.run_once()
    assert await stored() == 1
    assert (await service.http.get("/api/auth/me")).status_code == 200


async def test_the_store_holds_a_digest_never_the_cookies_session_id(service: Service) -> None:
    await service.sign_in()
    config: ServiceConfig = service.app.state.config
    serializer = URLSafeSerializer(load_or_create_secret_key(config.data_dir), salt=COOKIE_SALT)
    session_id = serializer.loads(service.http.cookies[COOKIE_NAME])
    async with service.app.state.db_sessions() as db:
        digests = list(await db.scalars(select(HelperSessionRow.digest)))
    assert len(digests) == 1
    assert session_id not in digests[0] and len(session_id) >= 43  # 256 bits, URL-safe base64
