"""Time, limits and failures: code expiry, brute-force lockout, reconnect grace, bad frames,
slow helpers and shutdown, each against a real service with the setting under test.

The service runs in process (its clock moved by the test instead of waited for), except for
shutdown and restart, which need a real process to stop. Tests of default settings share the
module's service: one that the test's connections were closed on takes a second to stop."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import httpx
import pytest

from quickassist.protocol.frames import HEADER_SIZE, FrameFlags, FrameHeader, FrameKind
from quickassist.protocol.roles import EndReason, Role
from tests.fixtures.session_clients import (
    ScriptedHelper,
    ScriptedSharer,
    active_session,
    close_all_sides,
    signed_in_helper,
)
from tests.timeouts import QUIET, WAIT


@pytest.fixture
async def make_helper():
    """``await make_helper(service)``: its helper signed in, signed out after the test."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(service) -> ScriptedHelper:
            return await stack.enter_async_context(signed_in_helper(service))

        yield make


async def test_an_expired_code_is_refused_and_the_helper_told(
    inprocess_service_factory, make_helper
) -> None:
    service = inprocess_service_factory()
    helper = await make_helper(service)
    created = await helper.create_session()
    helper_side = await helper.connect(created["session_id"])
    await helper_side.wait_type("state", phase="waiting")
    service.clock.advance(created["expires_in"])
    ended = await helper_side.wait_type("ended")
    assert ended["reason"] == "code_expired"
    assert "new code" in ended["message"]
    sharer = ScriptedSharer(service.base_url, service.ssl_context)
    late = await sharer.join(created["code"])
    never_issued = await sharer.join(_unused_code(created["code"]))
    # The same answer as a code never issued: a guesser learns nothing from a dead code.
    assert (late.status_code, late.json()) == (never_issued.status_code, never_issued.json())
    assert late.status_code == 404
    assert late.json() == {
        "error": "unknown_code",
        "message": "That code is not valid or has expired. "
        "Check it, or ask your helper for a new one.",
    }


async def test_an_ended_sessions_code_answers_like_an_unknown_one(
    inprocess_service, make_helper
) -> None:
    service = inprocess_service
    helper = await make_helper(service)
    created = await helper.create_session()
    ending = await helper.http.post(
        f"/api/sessions/{created['session_id']}/actions", json={"type": "end"}
    )
    assert ending.status_code == 200, ending.text
    sharer = ScriptedSharer(service.base_url, service.ssl_context)
    ended = await sharer.join(created["code"])
    never_issued = await sharer.join(_unused_code(created["code"]))
    assert ended.status_code == never_issued.status_code == 404
    assert ended.json() == never_issued.json()
    assert ended.headers.keys() == never_issued.headers.keys()


def _unused_code(code: str) -> str:
    """A valid-looking code other than ``code`` (one symbol changed)."""
    return ("2" if code[0] != "2" else "3") + code[1:]


async def test_failed_joins_lock_out_an_address_with_retry_after(
    inprocess_service_factory, make_helper
) -> None:
    service = inprocess_service_factory(env={"QUICKASSIST_JOIN_FAILURES_PER_ADDRESS": "3/600"})
    helper = await make_helper(service)
    created = await helper.create_session()
    sharer = ScriptedSharer(service.base_url, service.ssl_context)
    for _ in range(3):
        assert (await sharer.join("ZZZZZZ")).status_code == 404
    locked = await sharer.join(created["code"])  # even the right code, while locked out
    assert locked.status_code == 429
    assert locked.json()["error"] == "too_many_attempts"
    retry_after = int(locked.headers["Retry-After"])
    assert 1 <= retry_after <= 600
    assert "minutes" in locked.json()["message"]
    async with httpx.AsyncClient(base_url=service.base_url, verify=service.ssl_context) as http:
        metrics = (await http.get("/metrics")).text
    assert "quickassist_joins_failed_total 4" in metrics


async def test_failed_joins_are_limited_globally(inprocess_service_factory) -> None:
    """Past the global budget an address that was guessing is refused (test_join_flood.py: a
    fresh address is still answered, within a second budget)."""
    service = inprocess_service_factory(
        env={
            "QUICKASSIST_JOIN_FAILURES_PER_ADDRESS": "100/600",
            "QUICKASSIST_JOIN_FAILURES_GLOBAL": "2/600",
            "QUICKASSIST_JOIN_FAILURES_UNDER_ATTACK_PER_NETWORK": "2/86400",
        }
    )
    sharer = ScriptedSharer(service.base_url, service.ssl_context)
    for _ in range(2):
        assert (await sharer.join("ZZZZZZ")).status_code == 404
    limited = await sharer.join("YYYYYY")
    assert limited.status_code == 429
    assert "being tried on this service" in limited.json()["message"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 600


async def test_reconnect_within_grace_resumes_without_new_consent(
    inprocess_service_factory, make_helper
) -> None:
    service = inprocess_service_factory(env={"QUICKASSIST_RECONNECT_GRACE_SECONDS": "20"})
    helper = await make_helper(service)
    helper_side, sharer_side, sharer = await active_session(
        helper, service.base_url, service.ssl_context
    )
    await sharer_side.close()
    left = await helper_side.wait_type("peer_left")
    assert left == {"type": "peer_left", "role": "sharer", "grace_seconds": 20}
    await helper_side.wait_type("state", sharer_connected=False)

    back = await sharer.connect()
    await helper_side.wait_type("peer_returned", role="sharer")
    state = await back.wait_type("state")
    assert state["phase"] == "active" and state["mode"] == "control"
    assert not any(m["type"] == "consent_request" for m in back.texts)
    await back.send_frame(FrameKind.VIDEO, b"again", flags=FrameFlags.KEYFRAME)
    assert (await helper_side.wait_frame()).payload == b"again"


async def test_a_side_gone_past_grace_ends_the_session(
    inprocess_service_factory, make_helper
) -> None:
    service = inprocess_service_factory()
    helper = await make_helper(service)
    helper_side, sharer_side, sharer = await active_session(
        helper, service.base_url, service.ssl_context
    )
    await helper_side.close()
    left = await sharer_side.wait_type("peer_left", role="helper")
    service.clock.advance(left["grace_seconds"])
    ended = await sharer_side.wait_type("ended")
    assert ended["reason"] == "helper_left"
    assert (await sharer_side.wait_closed())[0] == 1000
    # Coming back after the end is answered with why it ended.
    late = await sharer.connect()
    code, reason = await late.wait_closed()
    assert code == 4410 and "helper" in reason


async def refused_counts(service) -> dict[str, int]:
    """``quickassist_frames_refused_total`` from /metrics, by reason (loopback: no token)."""
    async with httpx.AsyncClient(base_url=service.base_url, verify=service.ssl_context) as http:
        text = (await http.get("/metrics")).text
    prefix = 'quickassist_frames_refused_total{reason="'
    counts = {}
    for line in text.splitlines():
        if line.startswith(prefix):
            reason, _, count = line.removeprefix(prefix).partition('"} ')
            counts[reason] = int(count)
    return counts


@pytest.mark.parametrize(
    ("frame", "close_code", "refused_as"),
    [
        (b"\x02\x01", 4400, "malformed_header"),  # shorter than a header
        (bytes([2, 0x08]) + bytes(8) + b"payload", 4400, "malformed_header"),  # unknown kind
        (b"\x09" + bytes(FrameHeader(FrameKind.VIDEO))[1:], 4400, "malformed_header"),
        (bytes([1, 1, 0, 0]) + bytes(16), 4400, "malformed_header"),  # a version 1 frame
        (bytes(FrameHeader(FrameKind.VIDEO)) + bytes(2048), 1009, "oversized_frame"),
    ],
    ids=["truncated-header", "unknown-kind", "bad-version", "version-1", "oversized"],
)
async def test_bad_frames_close_one_connection_and_spare_other_sessions(
    inprocess_service_factory, make_helper, frame: bytes, close_code: int, refused_as: str
) -> None:
    service = inprocess_service_factory(env={"QUICKASSIST_MAX_FRAME_BYTES": "1024"})
    helper = await make_helper(service)
    victim_helper, victim_sharer, _ = await active_session(
        helper, service.base_url, service.ssl_context
    )
    other_helper, other_sharer, _ = await active_session(
        helper, service.base_url, service.ssl_context
    )
    await victim_sharer.ws.send(frame)
    code, reason = await victim_sharer.wait_closed()
    assert code == close_code
    assert reason.endswith(".") and len(reason) > 10  # a sentence, not a traceback
    await victim_helper.wait_type("peer_left", role="sharer")
    await other_sharer.send_frame(FrameKind.VIDEO, b"still fine")
    assert (await other_helper.wait_frame()).payload == b"still fine"
    # Counted once, under what was wrong with it (a fresh service: nothing else was refused).
    assert await refused_counts(service) == {refused_as: 1}


async def test_malformed_control_message_closes_with_a_reason(
    inprocess_service, make_helper
) -> None:
    service = inprocess_service
    helper = await make_helper(service)
    _helper_side, sharer_side, _ = await active_session(
        helper, service.base_url, service.ssl_context
    )
    before = await refused_counts(service)
    await sharer_side.ws.send("{not json")
    code, reason = await sharer_side.wait_closed()
    assert code == 4400 and "JSON" in reason
    after = await refused_counts(service)
    # The module's service is shared: one more refusal, a control message, nothing else.
    assert after == {**before, "malformed_message": before.get("malformed_message", 0) + 1}
    async with httpx.AsyncClient(base_url=service.base_url, verify=service.ssl_context) as http:
        assert (await http.get("/healthz")).status_code == 200


async def test_a_slow_helper_loses_stale_video_never_chat(inprocess_service, make_helper) -> None:
    service = inprocess_service
    helper = await make_helper(service)
    helper_side, sharer_side, _ = await active_session(
        helper, service.base_url, service.ssl_context
    )
    # The helper stops reading; the sharer floods video with a chat message in the middle.
    blob = bytes(64 * 1024)
    chats = 0
    for i in range(600):
        await sharer_side.send_frame(FrameKind.VIDEO, blob)
        if i % 100 == 50:
            chats += 1
            await sharer_side.send_frame(FrameKind.CHAT, f'{{"id":"{i}"}}'.encode())
    resync = await sharer_side.wait_type("resync")
    assert resync == {"type": "resync"}
    # Every chat arrives, in order, even though video was dropped around them.
    await sharer_side.send_frame(FrameKind.CHAT, b'{"id":"last"}')
    await helper_side.wait_frame(lambda f: f.payload == b'{"id":"last"}', timeout=WAIT * 3)
    chat_frames = [f for f in helper_side.frames if f.kind is FrameKind.CHAT]
    assert len(chat_frames) == chats + 1
    video_frames = [f for f in helper_side.frames if f.kind is FrameKind.VIDEO]
    assert len(video_frames) < 600
    async with httpx.AsyncClient(base_url=service.base_url, verify=service.ssl_context) as http:
        metrics = (await http.get("/metrics")).text
    assert 'quickassist_frames_dropped_total{reason="slow_receiver"}' in metrics


async def test_shutdown_ends_live_sessions_with_a_reason(service_factory, make_helper) -> None:
    service = service_factory()
    helper = await make_helper(service)
    helper_side, sharer_side, _ = await active_session(
        helper, service.base_url, service.ssl_context
    )
    stopping = asyncio.get_running_loop().run_in_executor(None, service.stop)
    for side, role in ((helper_side, Role.HELPER), (sharer_side, Role.SHARER)):
        ended = await side.wait_type("ended")
        assert ended["reason"] == "server_shutdown"
        code, reason = await side.wait_closed()
        # Each side's own sentence, saying what is known (shutting down), not a guess.
        assert code == 1001 and reason == EndReason.SERVER_SHUTDOWN.sentence_for(role)
    assert await stopping == 0


async def test_session_records_survive_a_restart(service_factory, make_helper) -> None:
    service = service_factory()
    helper = await make_helper(service)
    helper_side, sharer_side, _ = await active_session(
        helper, service.base_url, service.ssl_context
    )
    chat = b'{"id":"1","text":"hello","sent_at":0}'
    await sharer_side.send_frame(FrameKind.CHAT, chat)
    await helper_side.wait_frame()
    await helper_side.send_json({"type": "end"})
    await sharer_side.wait_closed()
    await close_all_sides()
    service.restart()
    with sqlite3.connect(service.data_dir / "quickassist.db") as db:
        rows = db.execute(
            "SELECT end_reason, features, helper_id IS NOT NULL, bytes_relayed FROM session_records"
        ).fetchall()
    assert rows == [("helper_ended", "chat,full_control", 1, HEADER_SIZE + len(chat))]


async def test_a_flood_of_chat_is_slowed_not_dropped(inprocess_service, make_helper) -> None:
    """Never-dropped frames push back on their sender instead of piling up in the relay."""
    service = inprocess_service
    helper = await make_helper(service)
    helper_side, sharer_side, _ = await active_session(
        helper, service.base_url, service.ssl_context
    )
    blob = bytes(256 * 1024)
    count = 160  # 40 MiB: more than the relay would ever hold for one side

    async def flood() -> None:
        for _ in range(count):
            await sharer_side.send_frame(FrameKind.CHAT, blob)

    sender = asyncio.create_task(flood())
    # While the helper does not read, the sender cannot get 40 MiB through: it is held back.
    done, _ = await asyncio.wait({sender}, timeout=QUIET)
    assert not done
    received = 0
    while received < count:
        frame = await helper_side.wait_frame(timeout=WAIT * 3)
        helper_side.frames.clear()
        assert frame.kind is FrameKind.CHAT and len(frame.payload) == len(blob)
        received += 1
    await sender
    assert helper_side.ws.close_code is None and sharer_side.ws.close_code is None
