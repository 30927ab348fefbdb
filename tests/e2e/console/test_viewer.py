"""The viewer with a scripted sharer: the picture on the canvas, view only sends no input,
full control sends the right coordinates and keys, pause, cursor and the status line."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest
import simplejpeg
from playwright.async_api import Page, expect

from quickassist.protocol.frames import FrameFlags, FrameKind
from quickassist.protocol.media import Tile, TileEncoding, VideoPayload
from quickassist.protocol.payloads import parse_input
from tests.e2e.console.console_steps import (
    BACKGROUND,
    BLUE,
    PNG_BOX,
    RED,
    RED_BOX,
    SCREEN_H,
    SCREEN_W,
    WHITE,
    SentFrames,
    assert_only_ciphertext,
    canvas_point,
    close_to,
    frames_of,
    pixel,
    send_picture,
    start_session,
    wait_until,
)
from tests.fixtures.browser import Screenshot
from tests.timeouts import WAIT

pytestmark = pytest.mark.browser


async def wait_input(side: Any, count: int, since: int = 0) -> list[Any]:
    """The first `count` input events the sharer received from frame index `since` on."""
    await side.wait_frame(
        lambda f: len(frames_of(side, FrameKind.INPUT, since)) >= count, timeout=WAIT
    )
    return frames_of(side, FrameKind.INPUT, since)[:count]


async def test_view_only_shows_the_picture_and_sends_no_input(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    sent = SentFrames()
    sent.attach(page)
    _sharer, side = await start_session(page, live_service, "view")
    await expect(page.locator("#mode-badge")).to_have_text("View only")
    await expect(page.locator("#request-control")).to_be_visible()

    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    assert await page.evaluate("document.getElementById('screen-canvas').width") == 640
    assert close_to(await pixel(page, 80, 80), RED, 0)
    x, y, w, h = PNG_BOX
    assert close_to(await pixel(page, x + 10, y + 10), BLUE, 0)
    assert close_to(await pixel(page, x + w - 10, y + h - 10), WHITE, 0)
    assert close_to(await pixel(page, 500, 300), BACKGROUND)
    # Fit to window: the 640x360 picture is scaled up into the stage, keeping its shape.
    box = await page.locator("#screen-canvas").bounding_box()
    assert box is not None and box["width"] > 640
    assert abs(box["width"] / box["height"] - 640 / 360) < 0.02
    await expect(page.locator("#status-latency")).to_have_text(re.compile(r"latency \d+ ms"))
    await screenshot(page, "view-only")

    # Clicks, wheel and keys on the picture: in view only the page sends no input at all.
    px, py = await canvas_point(page, 300, 200)
    await page.mouse.click(px, py)
    await page.mouse.wheel(0, 300)
    await page.keyboard.press("a")
    await page.keyboard.press("Enter")
    # A chat line sent afterwards arrives after anything sent before it (one ordered socket).
    await page.click("#chat-toggle")
    await page.fill("#chat-input", "after the clicks")
    await page.press("#chat-input", "Enter")
    await side.wait_frame(lambda f: f.kind == FrameKind.CHAT)
    assert sent.of_kind(FrameKind.INPUT) == []
    assert frames_of(side, FrameKind.INPUT) == []

    # A still screen sends nothing: fps falls to 0 and the last latency stays on show.
    await expect(page.locator("#status-fps")).to_have_text("0 fps", timeout=WAIT * 1000)
    await expect(page.locator("#status-latency")).to_have_text(re.compile(r"latency \d+ ms"))

    # Actual size: one CSS pixel per remote pixel.
    await page.click("#scale-toggle")
    await expect(page.locator("#scale-toggle")).to_have_attribute("aria-pressed", "false")
    box = await page.locator("#screen-canvas").bounding_box()
    assert box is not None and round(box["width"]) == 640 and round(box["height"]) == 360


async def test_full_control_sends_mapped_pointer_keys_and_combinations(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    sent = SentFrames()
    sent.attach(page)
    _sharer, side = await start_session(page, live_service, "control")
    await expect(page.locator("#mode-badge")).to_have_text("Full control")
    await expect(page.locator("#request-control")).to_be_hidden()
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    await expect(page.locator("#viewer")).to_be_focused()

    # A click at monitor pixel (300, 200) of the scaled picture arrives as (300, 200).
    start = len(side.frames)
    px, py = await canvas_point(page, 300, 200)
    await page.mouse.click(px, py)
    events = await wait_input(side, 3, start)
    assert events[0] == {"t": "move", "x": 300, "y": 200}
    assert events[1] == {"t": "button", "button": 0, "down": True, "x": 300, "y": 200}
    assert events[2] == {"t": "button", "button": 0, "down": False, "x": 300, "y": 200}

    # Right button, a drag and the wheel.
    start = len(side.frames)
    px, py = await canvas_point(page, 10, 20)
    await page.mouse.move(px, py)
    await page.mouse.down(button="right")
    px2, py2 = await canvas_point(page, 600, 340)
    await page.mouse.move(px2, py2, steps=5)
    await page.mouse.up(button="right")
    await page.mouse.wheel(0, 200)
    events = await wait_input(side, 5, start)
    assert events[0] == {"t": "move", "x": 10, "y": 20}
    assert events[1] == {"t": "button", "button": 2, "down": True, "x": 10, "y": 20}
    moves = [e for e in frames_of(side, FrameKind.INPUT, start) if e["t"] == "move"]
    # Coalesced: at most one move per animation frame, never more than the steps taken.
    assert 2 <= len(moves) <= 6
    wheel = {"t": "wheel", "dx": 0, "dy": 2}
    await side.wait_frame(lambda f: wheel in frames_of(side, FrameKind.INPUT, start))
    inputs = frames_of(side, FrameKind.INPUT, start)
    ups = [e for e in inputs if e["t"] == "button" and not e["down"]]
    assert ups == [{"t": "button", "button": 2, "down": False, "x": 600, "y": 340}]

    # Keys: code + key + down, and Tab stays with the remote screen.
    start = len(side.frames)
    await page.keyboard.press("a")
    await page.keyboard.press("Shift+KeyB")
    await page.keyboard.press("Tab")
    events = await wait_input(side, 8, start)
    assert events == [
        {"t": "key", "code": "KeyA", "key": "a", "down": True},
        {"t": "key", "code": "KeyA", "key": "a", "down": False},
        {"t": "key", "code": "ShiftLeft", "key": "Shift", "down": True},
        {"t": "key", "code": "KeyB", "key": "B", "down": True},
        {"t": "key", "code": "KeyB", "key": "B", "down": False},
        {"t": "key", "code": "ShiftLeft", "key": "Shift", "down": False},
        {"t": "key", "code": "Tab", "key": "Tab", "down": True},
        {"t": "key", "code": "Tab", "key": "Tab", "down": False},
    ]
    await expect(page.locator("#viewer")).to_be_focused()

    # Ctrl+Alt+Del from the menu: downs in order, ups in reverse.
    start = len(side.frames)
    await page.click("#keys-button")
    await expect(page.locator("#keys-menu")).to_be_visible()
    await screenshot(page, "keys-menu")
    await page.click("#keys-ctrl-alt-del")
    events = await wait_input(side, 7, start)
    # Focus left the viewer for the menu: held keys were released first.
    assert events[0] == {"t": "release_all"}
    assert [(e["code"], e["down"]) for e in events[1:]] == [
        ("ControlLeft", True),
        ("AltLeft", True),
        ("Delete", True),
        ("Delete", False),
        ("AltLeft", False),
        ("ControlLeft", False),
    ]

    # Leaving the viewer releases everything held.
    await expect(page.locator("#viewer")).to_be_focused()
    start = len(side.frames)
    await page.focus("#help-button")
    events = await wait_input(side, 1, start)
    assert events == [{"t": "release_all"}]

    # Ctrl+Alt+Shift gives the keyboard back to the page.
    await page.focus("#viewer")
    await page.keyboard.down("Control")
    await page.keyboard.down("Alt")
    await page.keyboard.down("Shift")
    for key in ("Shift", "Alt", "Control"):
        await page.keyboard.up(key)
    focused = await page.evaluate("document.activeElement.closest('#toolbar') !== null")
    assert focused

    # Everything the sharer opened was a valid input payload of the protocol, and the relay
    # saw none of it: every frame the page sent was sealed, but for the two handshake messages.
    for event in frames_of(side, FrameKind.INPUT):
        parse_input(json.dumps(event).encode())
    assert_only_ciphertext(sent)


@pytest.mark.parametrize("mode", ["control", "view"])
async def test_text_typed_outside_the_viewer_is_never_a_shortcut(
    console_page: Page, live_service: Any, mode: str
) -> None:
    # Found on a walk: "echo viewonly 123" typed with a toolbar button focused opened the chat
    # on "c" and sent "ho viewonly 123" to the sharer as a chat message.
    page = console_page
    sent = SentFrames()
    sent.attach(page)
    _sharer, side = await start_session(page, live_service, mode)
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    # The keyboard on the page itself (a click beside the picture), not on the shared screen.
    await page.evaluate("document.activeElement.blur()")
    typed = "echo viewonly 123"
    await page.keyboard.type(typed)
    await page.keyboard.press("Enter")
    if mode == "control":
        # Meant for the shared screen: every key reached it, in order, and it has the keyboard.
        events = await wait_input(side, 2 * len(typed) + 2)
        downs = [e["key"] for e in events if e["t"] == "key" and e["down"]]
        assert "".join(downs) == typed + "Enter"
        await expect(page.locator("#viewer")).to_be_focused()
    # No shortcut fired: the chat stayed shut, the pen and laser stayed away, nothing was chatted.
    await expect(page.locator("#chat-panel")).to_be_hidden()
    await expect(page.locator("#tool-pen")).to_have_attribute("aria-pressed", "false")
    await expect(page.locator("#tool-laser")).to_have_attribute("aria-pressed", "false")
    await expect(page.locator("#scale-toggle")).to_have_attribute("aria-pressed", "true")
    # An ordered marker: a chat line sent from the field arrives after anything typed before.
    await page.click("#chat-toggle")
    await page.fill("#chat-input", "marker")
    await page.press("#chat-input", "Enter")
    await side.wait_frame(lambda f: f.kind == FrameKind.CHAT)
    assert [c["text"] for c in frames_of(side, FrameKind.CHAT)] == ["marker"]
    if mode == "view":
        assert sent.of_kind(FrameKind.INPUT) == []


async def test_pause_shows_the_overlay_and_stops_input(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    sent = SentFrames()
    sent.attach(page)
    _sharer, side = await start_session(page, live_service, "control")
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()

    await side.send_json({"type": "pause"})
    await expect(page.locator("#paused-overlay")).to_be_visible()
    await expect(page.locator("#paused-overlay")).to_have_text("Paused by the sharer")
    await screenshot(page, "paused")
    before = len(sent.of_kind(FrameKind.INPUT))
    await page.focus("#viewer")
    await page.keyboard.press("a")
    px, py = await canvas_point(page, 100, 100)
    await page.mouse.click(px, py)
    await side.send_json({"type": "resume"})
    await expect(page.locator("#paused-overlay")).to_be_hidden()
    assert sent.of_kind(FrameKind.INPUT)[before:] == []

    # Input flows again after resume.
    start = len(side.frames)
    await page.focus("#viewer")
    await page.keyboard.press("z")
    events = await wait_input(side, 1, start)
    assert events[0]["code"] == "KeyZ"


async def test_cursor_is_drawn_where_the_sharer_says(console_page: Page, live_service: Any) -> None:
    page = console_page
    _sharer, side = await start_session(page, live_service, "view")
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    cursor_alpha = """([x, y]) => document.getElementById("cursor-canvas").getContext("2d")
        .getImageData(x, y, 1, 1).data[3]"""
    assert await page.evaluate(cursor_alpha, [502, 105]) == 0
    body = json.dumps({"x": 500, "y": 100, "visible": True, "shape": None}).encode()
    await side.send_frame(FrameKind.CURSOR, body)
    await wait_until(page, f"(p) => ({cursor_alpha})(p) > 0", [502, 105])
    body = json.dumps({"x": 500, "y": 100, "visible": False, "shape": None}).encode()
    await side.send_frame(FrameKind.CURSOR, body)
    await wait_until(page, f"(p) => ({cursor_alpha})(p) === 0", [502, 105])
    # The picture below is untouched by the cursor layer.
    assert close_to(await pixel(page, *RED_BOX[:2]), RED, 0)


async def test_a_burst_of_frames_ends_on_the_last_picture(
    console_page: Page, live_service: Any
) -> None:
    """However far decoding falls behind, the canvas ends on what the sharer sent last: either
    every delta is drawn in order, or the console drops deltas and waits for a keyframe."""
    page = console_page
    _sharer, side = await start_session(page, live_service, "view")
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    noise = np.random.default_rng(7).integers(0, 255, (SCREEN_H, SCREEN_W, 3), dtype=np.uint8)
    jpeg = simplejpeg.encode_jpeg(noise, quality=90, colorspace="RGB")
    delta = bytes(
        VideoPayload(SCREEN_W, SCREEN_H, (Tile(0, 0, SCREEN_W, SCREEN_H, TileEncoding.JPEG, jpeg),))
    )
    for _ in range(40):
        await side.send_frame(FrameKind.VIDEO, delta)
    last = VideoPayload(
        SCREEN_W, SCREEN_H, (Tile.solid(0, 0, SCREEN_W, SCREEN_H, (0, 200, 0, 255)),)
    )
    await side.send_frame(FrameKind.VIDEO, bytes(last), flags=FrameFlags.KEYFRAME)
    await wait_until(
        page,
        """() => {
            const d = document.getElementById("screen-canvas").getContext("2d")
                .getImageData(5, 5, 1, 1).data;
            return d[0] === 0 && d[1] === 200 && d[2] === 0;
        }""",
    )
    assert close_to(await pixel(page, SCREEN_W - 1, SCREEN_H - 1), (0, 200, 0), 0)
