"""A helper's sign-in that ends takes their open sessions with it, against the real service in
process over TLS: the helper's socket closes with 4440 and "You were signed out...", the sharer
hears that the helper ended the session, and sessions of the helper's other sign-ins (or of
other helpers) go on. A session ends with the sign-in that created it even if the helper's
socket never opened: its code answers like any dead one, its sharer hears that the helper ended
it.

At once for what the service itself revokes (logout, logout everywhere, an administrator's
disable over HTTP); within `sign_in_watch.CHECK_SECONDS` of the service's clock for what the CLI
does from another process (its re-check against the shared store). The module's service runs on
both backends (SQLite and memory; PostgreSQL and Redis).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from quickassist.protocol.close_codes import CloseCode
from quickassist.protocol.frames import FrameKind
from quickassist.protocol.roles import EndReason, Role
from quickassist.service.sign_in_watch import CHECK_SECONDS
from tests.fixtures.inprocess_service import InProcessFactory, InProcessService
from tests.fixtures.service import run_cli
from tests.fixtures.session_clients import (
    ScriptedHelper,
    ScriptedSharer,
    Side,
    active_session,
    signed_in_helper,
)
from tests.integration.test_administration import ADMIN_PASSWORD, add_admin, signed_in

SIGNED_OUT = (CloseCode.SIGNED_OUT, CloseCode.SIGNED_OUT.sentence)
#: What `POST /api/join` answers for a code that does not work (never issued, used, ended).
DEAD_CODE = {
    "error": "unknown_code",
    "message": "That code is not valid or has expired. Check it, or ask your helper for a new one.",
}


@pytest.fixture
async def two_sign_ins(
    inprocess_service: InProcessService,
) -> AsyncIterator[tuple[ScriptedHelper, ScriptedHelper]]:
    """The helper ``ada`` signed in twice (two browsers, two cookies)."""
    async with (
        signed_in_helper(inprocess_service) as first,
        signed_in_helper(inprocess_service) as second,
    ):
        yield first, second


async def assert_ended_by_sign_out(helper_side: Side, sharer_side: Side) -> None:
    """The helper reads that they were signed out (and no `ended` worded for the sharer's
    side of things); the sharer, that the helper ended the session."""
    assert await helper_side.wait_closed() == SIGNED_OUT
    assert not [m for m in helper_side.texts if m["type"] == "ended"]
    ended = await sharer_side.wait_type("ended")
    assert ended["reason"] == EndReason.HELPER_ENDED
    assert await sharer_side.wait_closed() == (
        CloseCode.NORMAL,
        EndReason.HELPER_ENDED.sentence_for(Role.SHARER),
    )


async def assert_goes_on(helper_side: Side, sharer_side: Side) -> None:
    await sharer_side.send_frame(FrameKind.VIDEO, b"still here")
    assert (await helper_side.wait_frame(lambda f: f.payload == b"still here")).payload


async def one_session_each(
    service: InProcessService, *helpers: ScriptedHelper
) -> list[tuple[Side, Side]]:
    """An active session for each sign-in: (helper's side, sharer's side) each."""
    sides = []
    for helper in helpers:
        helper_side, sharer_side, _ = await active_session(
            helper, service.base_url, service.ssl_context
        )
        sides.append((helper_side, sharer_side))
    return sides


async def test_logout_ends_that_sign_ins_sessions_only(
    inprocess_service: InProcessService, two_sign_ins: tuple[ScriptedHelper, ScriptedHelper]
) -> None:
    first, second = two_sign_ins
    (helper_a, sharer_a), (helper_b, sharer_b) = await one_session_each(
        inprocess_service, first, second
    )
    assert (await first.http.post("/api/auth/logout")).status_code == 204
    await assert_ended_by_sign_out(helper_a, sharer_a)
    # The same helper's other browser keeps its session.
    await assert_goes_on(helper_b, sharer_b)


async def test_logout_everywhere_ends_every_session_of_the_helper(
    inprocess_service: InProcessService, two_sign_ins: tuple[ScriptedHelper, ScriptedHelper]
) -> None:
    first, second = two_sign_ins
    (helper_a, sharer_a), (helper_b, sharer_b) = await one_session_each(
        inprocess_service, first, second
    )
    # A code still waiting for its sharer ends too: nobody can join it any more.
    waiting = await second.create_session()
    waiting_side = await second.connect(waiting["session_id"])
    await waiting_side.wait_type("state", phase="waiting")
    assert (await first.http.post("/api/auth/logout-everywhere")).status_code == 204
    await assert_ended_by_sign_out(helper_a, sharer_a)
    await assert_ended_by_sign_out(helper_b, sharer_b)
    assert await waiting_side.wait_closed() == SIGNED_OUT


async def test_an_administrator_disabling_a_helper_ends_their_sessions_at_once(
    inprocess_service_factory: InProcessFactory,
) -> None:
    service = inprocess_service_factory()
    await add_admin(service)
    async with (
        signed_in_helper(service) as ada,
        signed_in(service, "root", ADMIN_PASSWORD) as admin,
    ):
        helper_side, sharer_side, _ = await active_session(
            ada, service.base_url, service.ssl_context
        )
        assert (await admin.post("/api/admin/helpers/ada/disable")).status_code == 200
        await assert_ended_by_sign_out(helper_side, sharer_side)


@pytest.mark.parametrize(
    ("command", "stdin"),
    [
        (["user", "passwd", "ada", "--password-stdin"], "a brand new password\n"),
        (["user", "disable", "ada"], None),
    ],
    ids=["passwd", "disable"],
)
async def test_a_cli_command_ends_the_sessions_at_the_next_check(
    inprocess_service_factory: InProcessFactory, command: list[str], stdin: str | None
) -> None:
    service = inprocess_service_factory()
    async with signed_in_helper(service) as ada:
        helper_side, sharer_side, _ = await active_session(
            ada, service.base_url, service.ssl_context
        )
        args = [*command, "--data-dir", str(service.data_dir)]
        result = await asyncio.to_thread(run_cli, args, input=stdin, env=service.env)
        assert result.returncode == 0, result.stderr
        # Another process wrote the store: this node learns it at its next check.
        service.clock.advance(CHECK_SECONDS)
        await assert_ended_by_sign_out(helper_side, sharer_side)


async def code_in_redis(service: InProcessService, code: str) -> bool:
    """Whether the service's Redis (on the PostgreSQL and Redis backend) still holds `code`."""
    redis = Redis.from_url(service.env["QUICKASSIST_REDIS_URL"], decode_responses=True)
    try:
        return bool(await redis.exists(f"{service.env['QUICKASSIST_REDIS_KEY_PREFIX']}code:{code}"))
    finally:
        await redis.aclose()


async def test_a_logout_ends_that_sign_ins_sessions_whose_helper_socket_never_opened(
    inprocess_service: InProcessService, two_sign_ins: tuple[ScriptedHelper, ScriptedHelper]
) -> None:
    service = inprocess_service
    first, second = two_sign_ins
    waiting = await first.create_session()
    joined = await first.create_session()
    sharer = ScriptedSharer(service.base_url, service.ssl_context)
    assert (await sharer.join(joined["code"])).status_code == 200  # its socket not open yet
    # The same helper's other sign-in: a code of its own, and one it took over by opening the
    # helper's socket (the socket's sign-in replaces the one that created the session).
    kept = await second.create_session()
    taken_over = await first.create_session()
    taken_over_side = await second.connect(taken_over["session_id"])
    await taken_over_side.wait_type("state", phase="waiting")
    # On the memory backend tests/unit/service/test_hub.py checks the store.
    on_redis = "QUICKASSIST_REDIS_URL" in service.env
    assert not on_redis or await code_in_redis(service, waiting["code"])

    assert (await first.http.post("/api/auth/logout")).status_code == 204

    # The waiting code is gone from the live store and answers like any dead code.
    assert not on_redis or not await code_in_redis(service, waiting["code"])
    late = await ScriptedSharer(service.base_url, service.ssl_context).join(waiting["code"])
    assert (late.status_code, late.json()) == (404, DEAD_CODE)
    # The sharer who had joined hears, on connecting, that the helper ended the session.
    sharer_side = await sharer.connect()
    assert await sharer_side.wait_closed() == (
        CloseCode.ALREADY_ENDED,
        EndReason.HELPER_ENDED.sentence_for(Role.SHARER),
    )
    # The other sign-in's sessions go on: its code joins, the one it took over too.
    other = ScriptedSharer(service.base_url, service.ssl_context)
    assert (await other.join(kept["code"])).status_code == 200
    taken_sharer = ScriptedSharer(service.base_url, service.ssl_context)
    assert (await taken_sharer.join(taken_over["code"])).status_code == 200
    await taken_over_side.wait_type("state", phase="joined")
    # For the helper, signed in again (every side is closed on leaving), both are over.
    async with signed_in_helper(service) as again:
        for created in (waiting, joined):
            state = await again.http.get(f"/api/sessions/{created['session_id']}")
            assert state.json()["phase"] == "ended"
        helper_side = await again.connect(waiting["session_id"])
        assert (await helper_side.wait_closed())[0] == CloseCode.ALREADY_ENDED


async def test_a_cli_sign_out_ends_the_sessions_whose_helper_socket_never_opened(
    inprocess_service_factory: InProcessFactory,
) -> None:
    service = inprocess_service_factory()
    async with signed_in_helper(service) as ada:
        # Created first, so the check ends it before the second one (whose sharer we wait on).
        waiting = await ada.create_session()
        created = await ada.create_session()
        sharer = ScriptedSharer(service.base_url, service.ssl_context)
        assert (await sharer.join(created["code"])).status_code == 200
        # The sharer waits for a helper whose socket never opens.
        sharer_side = await sharer.connect()
        await sharer_side.wait_type("state", phase="joined")
        args = ["user", "signout", "ada", "--data-dir", str(service.data_dir)]
        result = await asyncio.to_thread(run_cli, args, env=service.env)
        assert result.returncode == 0, result.stderr
        # Another process wrote the store: this node learns it at its next check.
        service.clock.advance(CHECK_SECONDS)
        ended = await sharer_side.wait_type("ended")
        assert ended["reason"] == EndReason.HELPER_ENDED
        assert await sharer_side.wait_closed() == (
            CloseCode.NORMAL,
            EndReason.HELPER_ENDED.sentence_for(Role.SHARER),
        )
        late = await ScriptedSharer(service.base_url, service.ssl_context).join(waiting["code"])
        assert (late.status_code, late.json()) == (404, DEAD_CODE)
