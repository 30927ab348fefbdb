"""A helper's sign-in that ends takes their open sessions with it, against the real service in
process over TLS: the helper's socket closes with 4440 and "You were signed out...", the sharer
hears that the helper ended the session, and sessions of the helper's other sign-ins (or of
other helpers) go on.

At once for what the service itself revokes (logout, logout everywhere, an administrator's
disable over HTTP); within `sign_in_watch.CHECK_SECONDS` of the service's clock for what the CLI
does from another process (its re-check against the shared store). The module's service runs on
both backends (SQLite and memory; PostgreSQL and Redis).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from quickassist.protocol.close_codes import CloseCode
from quickassist.protocol.frames import FrameKind
from quickassist.protocol.roles import EndReason, Role
from quickassist.service.sign_in_watch import CHECK_SECONDS
from tests.fixtures.inprocess_service import InProcessFactory, InProcessService
from tests.fixtures.service import run_cli
from tests.fixtures.session_clients import ScriptedHelper, Side, active_session, signed_in_helper
from tests.integration.test_administration import ADMIN_PASSWORD, add_admin, signed_in

SIGNED_OUT = (CloseCode.SIGNED_OUT, CloseCode.SIGNED_OUT.sentence)


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
