"""End-to-end encryption in the console (docs/protocol.md section 6): the people see the same
check digits, the relay carries only ciphertext, and clear or forged frames end the session."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from playwright.async_api import Page, expect

from quickassist.protocol.e2e import is_handshake
from quickassist.protocol.frames import FrameFlags, FrameKind, decode_frame
from quickassist.protocol.roles import EndReason
from tests.e2e.console.console_steps import (
    SentFrames,
    assert_only_ciphertext,
    send_picture,
    start_session,
)

pytestmark = pytest.mark.browser


async def test_both_sides_show_the_same_digits_and_the_relay_sees_only_ciphertext(
    console_page: Page, live_service: Any
) -> None:
    page = console_page
    sent = SentFrames()
    sent.attach(page)
    _sharer, side = await start_session(page, live_service, "control")
    assert side.e2e is not None and side.e2e.check is not None
    check = side.e2e.check
    assert await page.evaluate("document.body.dataset.check") == check
    await expect(page.locator("#status-secure")).to_have_text(f"Encrypted, check {check}")

    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    chat = {"id": "s1", "text": "secret words", "sent_at": int(time.time() * 1000)}
    await side.send_frame(FrameKind.CHAT, json.dumps(chat).encode())
    await expect(page.locator("#chat-badge")).to_have_text("1")
    await page.click("#chat-toggle")
    await page.fill("#chat-input", "private reply")
    await page.press("#chat-input", "Enter")
    await side.wait_frame(lambda f: f.kind == FrameKind.CHAT)

    # What the sharer's socket carried from the relay: handshake messages, the rest sealed,
    # and none of the words in the clear.
    for data in side.wire:
        frame = decode_frame(data)
        if not frame.header.flags & FrameFlags.ENCRYPTED:
            assert frame.kind == FrameKind.CONTROL_E2E and is_handshake(frame.payload)
        assert b"private reply" not in data
    assert_only_ciphertext(sent)


async def test_clear_frames_from_the_relay_end_the_session(
    console_page: Page, live_service: Any
) -> None:
    page = console_page
    _sharer, side = await start_session(page, live_service, "view")
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    # A relay (or anyone between) slips in clear chat: never shown, and the session ends.
    for n in range(3):
        chat = {"id": f"x{n}", "text": "<b>click this link</b>", "sent_at": 1}
        await side.send_clear_frame(FrameKind.CHAT, json.dumps(chat).encode())
    await expect(page.locator("#view-ended")).to_be_visible()
    await expect(page.locator("#ended-message")).to_have_text(EndReason.SECURITY_ERROR.sentence)
    ended = await side.wait_type("ended")
    assert ended["reason"] == "security_error"
    assert await page.locator("#chat-log li").count() == 0


async def test_a_forged_frame_is_refused(console_page: Page, live_service: Any) -> None:
    page = console_page
    _sharer, side = await start_session(page, live_service, "view")
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    assert side.e2e is not None
    chat = {"id": "ok", "text": "genuine", "sent_at": 1}
    side.seq += 1  # the side's next sequence: it is the nonce's counter too
    sealed = bytearray(side.e2e.seal(FrameKind.CHAT, json.dumps(chat).encode(), sequence=side.seq))
    sealed[-1] ^= 0x01  # one bit changed on the way
    await side.ws.send(bytes(sealed))
    # The altered frame is dropped; a genuine one after it still arrives.
    await side.send_frame(FrameKind.CHAT, json.dumps(chat).encode())
    await expect(page.locator("#chat-badge")).to_have_text("1")
    await expect(page.locator("#view-session")).to_be_visible()
