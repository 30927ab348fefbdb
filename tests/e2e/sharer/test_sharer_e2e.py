"""End-to-end encryption with the real sharer app on Xvfb (docs/security.md).

* Through the real service, a tap at the helper's end of the relay (every byte the relay
  forwarded to it, every byte it gave the relay): a known screen pattern, a typed string and chat
  both ways appear in none of them, while the helper decrypts all of it.
* A tampered frame ends the session for both people with the security reason.
* Against a rule-breaking relay: replays, frames from beyond the replay window, a key that does
  not match its commitment, clear frames where ciphertext belongs, and a console that never starts
  the handshake all end the session with a plain sentence (and `security_failure`); a relay that
  substitutes its own keys makes the two check strings differ.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest

from quickassist.protocol.e2e import (
    HelperHandshake,
    KeyOffer,
    SharerHandshake,
    encode_handshake,
    parse_handshake,
)
from quickassist.protocol.frames import (
    HEADER_SIZE,
    FrameFlags,
    FrameKind,
    decode_frame,
    encode_frame,
)
from quickassist.protocol.media import VideoPayload
from quickassist.sharer.client import SessionClient
from quickassist.sharer.session import SECURITY_FAILED
from quickassist.sharer.session_events import (
    ChatReceived,
    ConsentRequested,
)
from quickassist.sharer.tls_trust import TrustSettings, parse_fingerprint
from tests.e2e.sharer.x11_painter import Painter
from tests.fixtures.e2e_peer import E2EPeer
from tests.fixtures.rogue_relay import RogueRelay, RogueSide
from tests.fixtures.running_sharer import Sharer, start_sharer, stop
from tests.fixtures.service import LiveService
from tests.fixtures.session_clients import ScriptedHelper, Side
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = pytest.mark.x11

CHAT_OUT = "the eagle lands at midnight 7731"
CHAT_BACK = "understood, gate four 4242"
TYPED = "hunter2-correct-horse"


# Through the real service ---------------------------------------------------------------------


@pytest.fixture
async def live(
    live_service: LiveService, scripted_helper: ScriptedHelper, xvfb: XvfbServer
) -> AsyncIterator[tuple[Sharer, Side, list[bytes]]]:
    """An active full-control session: the real sharer, a secured scripted helper, and the list
    of every binary message the helper gave the relay."""
    created = await scripted_helper.create_session()
    client = SessionClient(
        live_service.base_url,
        trust=TrustSettings(fingerprint=parse_fingerprint(live_service.fingerprint)),
    )
    sharer = start_sharer(client, await client.join(created["code"]), xvfb)
    helper = await scripted_helper.connect(created["session_id"])
    sent: list[bytes] = []
    send = helper.ws.send

    async def tapped_send(message: Any) -> None:
        if isinstance(message, bytes):
            sent.append(message)
        await send(message)

    helper.ws.send = tapped_send  # type: ignore[method-assign]
    await helper.wait_type("state", sharer_connected=True)
    check = await helper.secure_as_helper(E2EPeer(created["session_id"], helper=True))
    await helper.send_json({"type": "choose_mode", "mode": "control"})
    asked = await sharer.wait_event(ConsentRequested)
    assert asked.check == check
    sharer.session.answer_consent(asked.mode, True)
    await helper.wait_type("state", phase="active")
    yield sharer, helper, sent
    if not sharer.task.done():
        await stop(sharer)


def windows(data: bytes, size: int = 24) -> list[bytes]:
    """Non-overlapping slices of `data`: if the plaintext travelled, they would be on the wire."""
    return [data[i : i + size] for i in range(0, len(data) - size + 1, size)]


async def test_the_relay_forwards_only_ciphertext(
    live: tuple[Sharer, Side, list[bytes]], xvfb: XvfbServer
) -> None:
    sharer, helper, sent = live
    # A known pattern on the screen (noise: it compresses into long, distinctive tile data).
    painter = Painter(xvfb.display)
    try:
        noise = np.random.default_rng(5).integers(0, 256, (96, 160, 3), dtype=np.uint8)
        painter.put(200, 150, noise)
    finally:
        painter.close()
    await helper.send_frame(FrameKind.CONTROL_E2E, b'{"t":"refresh"}')
    frame = await helper.wait_frame(
        lambda f: f.kind is FrameKind.VIDEO and bool(f.header.flags & FrameFlags.KEYFRAME)
    )
    tiles = [t for t in VideoPayload.parse(frame.payload).tiles if t.data]
    assert tiles, "the keyframe carries encoded tiles"
    # Chat both ways, and a typed string.
    await helper.send_frame(
        FrameKind.CHAT, json.dumps({"id": "c1", "text": CHAT_OUT, "sent_at": 1}).encode()
    )
    await sharer.wait_event(ChatReceived, lambda e: e.text == CHAT_OUT)
    sharer.session.send_chat(CHAT_BACK)
    back = await helper.wait_frame(lambda f: f.kind is FrameKind.CHAT)
    assert json.loads(back.payload)["text"] == CHAT_BACK
    for char in TYPED:
        for down in (True, False):
            event = {"t": "key", "code": "", "key": char, "down": down}
            await helper.send_frame(FrameKind.INPUT, json.dumps(event).encode())
    await helper.send_frame(FrameKind.CHAT, b'{"id":"c2","text":"last","sent_at":2}')
    await sharer.wait_event(ChatReceived, lambda e: e.text == "last")
    assert sharer.session.guard.counters.input_dropped == 0

    forwarded = b"\x00".join(helper.wire)  # what the relay delivered to the helper
    given = b"\x00".join(sent)  # what the helper handed the relay
    for needle in (CHAT_OUT, CHAT_BACK, TYPED, '"t":"key"', '"text"', '"monitors"'):
        assert needle.encode() not in forwarded and needle.encode() not in given, needle
    for tile in tiles:
        for piece in windows(tile.data):
            assert piece not in forwarded
    # And every binary message either way was sealed, but the handshake's three clear ones.
    for data in (*helper.wire, *sent):
        header = decode_frame(data).header
        if not header.flags & FrameFlags.ENCRYPTED:
            assert header.kind is FrameKind.CONTROL_E2E
            assert json.loads(data[HEADER_SIZE:])["t"].startswith("e2e_")
    assert not helper.rejected


async def test_a_tampered_frame_ends_the_session_for_both(
    live: tuple[Sharer, Side, list[bytes]],
) -> None:
    sharer, helper, _ = live
    assert helper.e2e is not None
    for n in range(3):
        sealed = bytearray(helper.e2e.seal(FrameKind.INPUT, b'{"t":"release_all"}', sequence=n))
        sealed[-1] ^= 0x01  # what a relay flipping one bit does
        await helper.ws.send(bytes(sealed))
    ended = await helper.wait_type("ended")
    assert ended["reason"] == "security_error"
    assert "encryption" in ended["message"]
    async with asyncio.timeout(WAIT):
        assert await sharer.task == SECURITY_FAILED
    assert sharer.session.failed


# Against a rule-breaking relay ----------------------------------------------------------------


@pytest.fixture
async def rogue(
    xvfb: XvfbServer, rogue_relay: RogueRelay
) -> AsyncIterator[tuple[Sharer, RogueSide]]:
    """The real sharer connected to the rogue relay, which also plays the helper's console."""
    sharer = start_sharer(
        rogue_relay.client(),
        rogue_relay.ticket(),
        xvfb,
        first_backoff=0.05,
        first_handshake_timeout=1.0,
        handshake_timeout=1.0,
    )
    side = await rogue_relay.next_side()
    await side.send_state("joined", None)
    yield sharer, side
    if not sharer.task.done():
        await stop(sharer)


async def active(sharer: Sharer, side: RogueSide) -> str:
    check = await side.secure()
    await side.send_json(
        type="consent_request", mode="control", helper={"name": "Eve R.", "organisation": "Rogue"}
    )
    asked = await sharer.wait_event(ConsentRequested)
    assert asked.check == check
    sharer.session.answer_consent(asked.mode, True)
    await side.wait_text("allow")
    await side.send_state("active", "control")
    return check


async def ends_with_security_failure(sharer: Sharer, side: RogueSide) -> None:
    async with asyncio.timeout(WAIT):
        assert await sharer.task == SECURITY_FAILED
    assert (await side.wait_text("security_failure"))["type"] == "security_failure"
    assert not any(t.get("type") == "end" for t in side.texts)


async def test_replayed_frames_end_the_session(rogue: tuple[Sharer, RogueSide]) -> None:
    sharer, side = rogue
    await active(sharer, side)
    sealed = await side.send_frame(FrameKind.CHAT, b'{"id":"1","text":"once","sent_at":1}')
    await sharer.wait_event(ChatReceived, lambda e: e.text == "once")
    for _ in range(3):
        await side.send_raw(sealed)
    await ends_with_security_failure(sharer, side)
    assert sum(isinstance(e, ChatReceived) for e in sharer.events) == 1


async def test_frames_reordered_beyond_the_window_end_the_session(
    rogue: tuple[Sharer, RogueSide],
) -> None:
    sharer, side = rogue
    await active(sharer, side)
    assert side.e2e is not None
    held = [
        side.e2e.seal(
            FrameKind.CHAT, json.dumps({"id": str(i), "text": str(i), "sent_at": 1}).encode()
        )
        for i in range(70)
    ]
    await side.send_raw(held[-1])
    await sharer.wait_event(ChatReceived, lambda e: e.text == "69")
    for data in held[:3]:  # 69, 68, 67 counters behind the newest: outside the window of 64
        await side.send_raw(data)
    await ends_with_security_failure(sharer, side)


async def test_clear_frames_where_ciphertext_belongs_end_the_session(
    rogue: tuple[Sharer, RogueSide],
) -> None:
    sharer, side = rogue
    await active(sharer, side)
    for _ in range(3):
        await side.send_raw(encode_frame(FrameKind.INPUT, b'{"t":"move","x":5,"y":5}'))
    await ends_with_security_failure(sharer, side)
    assert sharer.session.guard.counters.input_dropped == 0  # refused before the guard


@pytest.mark.parametrize(
    "payload",
    [b'{"t":[]}', b'{"t":{}}', b"[]", b'"e2e_commit"', b"[" * 20_000 + b"]" * 20_000],
    ids=["tag-list", "tag-object", "not-an-object", "a-string", "deep-nesting"],
)
async def test_malformed_clear_handshakes_end_the_session_without_a_crash(
    rogue: tuple[Sharer, RogueSide], caplog: pytest.LogCaptureFixture, payload: bytes
) -> None:
    # Issue 14: `{"t":[]}` before consent raised TypeError in the handshake check, the session
    # loop logged a traceback and ended as "an error" instead of a refused frame.
    sharer, side = rogue
    for _ in range(3):
        await side.send_raw(encode_frame(FrameKind.CONTROL_E2E, payload))
    await ends_with_security_failure(sharer, side)
    assert not [r.getMessage() for r in caplog.records if r.exc_info]
    assert not any(isinstance(e, ConsentRequested) for e in sharer.events)


async def test_a_key_that_does_not_match_its_commitment_ends_the_session(
    rogue: tuple[Sharer, RogueSide],
) -> None:
    sharer, side = rogue
    committed = HelperHandshake("s1")
    await side.send_raw(encode_frame(FrameKind.CONTROL_E2E, encode_handshake(committed.commit())))
    offer = parse_handshake(await side.wait_handshake("e2e_key"))
    assert isinstance(offer, KeyOffer)
    other = HelperHandshake("s1")  # a key chosen after seeing the sharer's: refused
    reveal, _ = other.on_key(offer)
    await side.send_raw(encode_frame(FrameKind.CONTROL_E2E, encode_handshake(reveal)))
    await ends_with_security_failure(sharer, side)


async def test_a_console_that_never_starts_the_handshake_ends_the_session(
    rogue: tuple[Sharer, RogueSide],
) -> None:
    sharer, side = rogue  # the state says the helper is there; no commit ever comes
    await side.send_json(
        type="consent_request", mode="view", helper={"name": "Eve R.", "organisation": "Rogue"}
    )
    await ends_with_security_failure(sharer, side)
    # The person was never asked: there were no digits to show.
    assert not any(isinstance(e, ConsentRequested) for e in sharer.events)
    assert not [f for f in side.frames if decode_frame(f).kind is FrameKind.VIDEO]


async def test_a_relay_that_substitutes_its_keys_makes_the_check_strings_differ(
    rogue: tuple[Sharer, RogueSide],
) -> None:
    sharer, side = rogue
    # The relay stands in the middle: towards the sharer it plays a helper with its own key...
    toward_sharer = await side.secure()
    # ...and towards the real helper (whose console commits first) a sharer with its own key.
    real_helper = HelperHandshake("s1")
    middle = SharerHandshake("s1", real_helper.commit())
    _, helper_keys = real_helper.on_key(middle.offer())
    await side.send_json(
        type="consent_request", mode="view", helper={"name": "Eve R.", "organisation": "Rogue"}
    )
    asked = await sharer.wait_event(ConsentRequested)
    assert asked.check == toward_sharer
    # The digits the person hears from their helper are not the ones on their screen.
    assert asked.check != helper_keys.check
