"""The relay carries only ciphertext, end to end in Chromium with the real sharer app on Xvfb.

The tap is the browser's own WebSocket to the relay: every message the relay forwarded to the
console and every message the console gave it (Playwright's frame events). A known screen
pattern reaches the canvas, a typed string goes to the sharer, chat goes both ways and both
people see the same check digits, yet no picture, keystroke or chat text is in any of those
bytes: every binary message is sealed but the three clear handshake messages.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from typing import Any

import pytest
from playwright.async_api import Page, expect

from quickassist.protocol.frames import HEADER_SIZE, FrameFlags, FrameHeader, FrameKind
from tests.e2e.console.console_steps import (
    ShareProcess,
    Tap,
    close_to,
    get_code,
    pixel,
    sign_in,
)
from tests.e2e.sharer.x11_painter import Painter
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = [pytest.mark.browser, pytest.mark.x11]

PATTERN = (0xC0, 0x1D, 0xE5)  # a colour nothing else on the screen has
CHAT_OUT = "meet me at the old mill 7731"
CHAT_BACK = "understood gate four 4242"
TYPED = "hunter2secret"


async def test_the_relay_sees_only_ciphertext(
    console_page: Page, live_service: Any, xvfb: XvfbServer
) -> None:
    page = console_page
    tap = Tap(page)
    root = ["xsetroot", "-solid", "#336699"]
    await asyncio.to_thread(subprocess.run, root, env=xvfb.env, check=True, timeout=WAIT)
    painter = Painter(xvfb.display)
    try:
        painter.fill(300, 200, 240, 160, PATTERN)
    finally:
        painter.close()
    await sign_in(page, live_service)
    code = await get_code(page)
    share = await ShareProcess.start(live_service, xvfb.display, code)
    process = share.process
    try:
        await share.expect("Connected to the session of Ada L. from Contoso")
        await expect(page.locator("#view-mode")).to_be_visible()
        await page.click("#mode-full-control")
        await share.expect("Allow? [y/N] ")
        # Both people see the same digits: the sharer in its question, the helper on the page.
        digits = re.search(r"read you these digits: (\d{3} \d{3})", share.output)
        assert digits is not None, share.output
        await expect(page.locator("#mode-check")).to_contain_text(digits.group(1))
        await share.type("y")
        await expect(page.locator("#view-session")).to_be_visible()
        await expect(page.locator("#status-secure")).to_contain_text(digits.group(1))
        await expect(page.locator("#waiting-picture")).to_be_hidden()
        async with asyncio.timeout(WAIT):
            # Canvas pixels raise no event to wait for: poll them.
            while not close_to(await pixel(page, 400, 280), PATTERN):  # noqa: ASYNC110
                await asyncio.sleep(0.05)

        # A typed string goes to the sharer (full control: the canvas has the keyboard).
        box = await page.locator("#screen-canvas").bounding_box()
        assert box is not None
        await page.mouse.click(box["x"] + 10, box["y"] + 10)
        await page.keyboard.type(TYPED)

        # Chat both ways; each side shows what the other wrote.
        await page.click("#chat-toggle")
        await page.fill("#chat-input", CHAT_OUT)
        await page.press("#chat-input", "Enter")
        await share.expect(f"Helper: {CHAT_OUT}")
        await share.type(f"c {CHAT_BACK}")
        await expect(page.locator("#chat-log")).to_contain_text(CHAT_BACK)

        await page.click("#end-button")
        await expect(page.locator("#ended-message")).to_have_text("The helper ended the session.")
        async with asyncio.timeout(WAIT):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    everything = tap.everything()
    for secret in (CHAT_OUT, CHAT_BACK, TYPED):
        assert secret.encode() not in everything, secret
    for char in TYPED:  # each key event as the input payload would carry it
        assert f'"key":"{char}"'.encode() not in everything, char
    # Markers long enough that random ciphertext cannot spell them by chance (3 bytes would, in
    # a few percent of runs): the JFIF head every JPEG tile starts with, PNG's signature.
    jfif, png = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", b"\x89PNG\r\n\x1a\n"
    for marker in (b'"t":"key"', b'"text"', b'"monitors"', jfif, png):
        assert marker not in everything, marker
    clear = 0
    frames = tap.binary()
    assert len(frames) > 10
    for data in frames:
        header = FrameHeader.parse(data)
        if not header.flags & FrameFlags.ENCRYPTED:
            clear += 1
            assert header.kind is FrameKind.CONTROL_E2E
            assert json.loads(data[HEADER_SIZE:])["t"] in ("e2e_commit", "e2e_key", "e2e_reveal")
    assert clear >= 3  # commit (maybe repeated), key, reveal
