"""The rest of a session in the console with a scripted sharer: chat both ways, ending from
either side, decline, asking for control (and a refused action's sentence), annotation, the
monitor picker, the sharer dropping and coming back, and the shortcut help."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from playwright.async_api import Page, expect

from quickassist.protocol.frames import FrameKind
from quickassist.protocol.payloads import parse_annotation
from quickassist.protocol.roles import EndReason
from tests.e2e.console.console_steps import (
    CODE_PATTERN,
    SentFrames,
    assert_only_ciphertext,
    canvas_point,
    frames_of,
    is_refresh,
    join,
    send_picture,
    start_session,
)
from tests.fixtures.browser import Screenshot
from tests.timeouts import WAIT

pytestmark = pytest.mark.browser


async def test_chat_both_ways_shows_markup_as_text(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    _sharer, side = await start_session(page, live_service, "view")
    await send_picture(side)
    hostile = "<b>bold</b> & <img src=x onerror=alert(1)>"
    chat = {"id": "s1", "text": hostile, "sent_at": int(time.time() * 1000)}
    await side.send_frame(FrameKind.CHAT, json.dumps(chat).encode())
    badge = page.locator("#chat-badge")
    await expect(badge).to_have_text("1")
    await expect(page.locator("#chat-toggle")).to_have_attribute("aria-label", "Chat, 1 unread")

    await page.click("#chat-toggle")
    await expect(page.locator("#chat-panel")).to_be_visible()
    await expect(badge).to_be_hidden()
    line = page.locator("#chat-log li .text").first
    await expect(line).to_have_text(hostile)
    assert await page.locator("#chat-log b, #chat-log img").count() == 0

    await expect(page.locator("#chat-input")).to_be_focused()
    await page.keyboard.type("Hello from the helper")
    await page.keyboard.press("Enter")
    frame = await side.wait_frame(lambda f: f.kind == FrameKind.CHAT)
    received = json.loads(frame.payload)
    assert received["text"] == "Hello from the helper"
    assert abs(received["sent_at"] - time.time() * 1000) < WAIT * 1000
    await expect(page.locator("#chat-log li")).to_have_count(2)
    await screenshot(page, "chat")


async def test_helper_ends_the_session(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    _sharer, side = await start_session(page, live_service, "control")
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    await page.click("#end-button")
    await expect(page.locator("#view-ended")).to_be_visible()
    await expect(page.locator("#ended-message")).to_have_text(EndReason.HELPER_ENDED.sentence)
    # Nothing of the sharer's screen stays in the page after the end.
    size = await page.evaluate(
        "[...document.querySelectorAll('canvas')].map(c => c.width * c.height)"
    )
    assert size == [1, 1, 1]
    ended = await side.wait_type("ended")
    assert ended["reason"] == "helper_ended"
    await screenshot(page, "ended")
    await page.click("#ended-home")
    await expect(page.locator("#view-home")).to_be_visible()


async def test_sharer_ends_the_session_and_a_new_code_follows(
    console_page: Page, live_service: Any
) -> None:
    page = console_page
    _sharer, side = await start_session(page, live_service, "view")
    await side.send_json({"type": "end"})
    await expect(page.locator("#ended-message")).to_have_text(EndReason.SHARER_ENDED.sentence)
    await expect(page.locator("#ended-new-code")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#view-code")).to_be_visible()
    await expect(page.locator("#code-value")).to_have_text(CODE_PATTERN)


async def test_decline_shows_the_sentence(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    await screenshot_after_join(page, live_service, screenshot)


async def screenshot_after_join(page: Page, live_service: Any, screenshot: Screenshot) -> None:
    _sharer, side = await join(page, live_service)
    await screenshot(page, "mode")
    await page.click("#mode-full-control")
    await expect(page.locator("#view-consent")).to_be_visible()
    await expect(page.locator("#consent-title")).to_have_text("Waiting for the sharer to allow")
    await screenshot(page, "consent")
    await side.wait_type("consent_request", mode="control")
    await side.send_json({"type": "decline"})
    await expect(page.locator("#view-ended")).to_be_visible()
    await expect(page.locator("#ended-message")).to_have_text(EndReason.DECLINED.sentence)
    await expect(page.locator("#view-ended")).to_have_attribute("data-reason", "declined")
    await screenshot(page, "declined")


async def test_request_control_and_a_refused_action(console_page: Page, live_service: Any) -> None:
    page = console_page
    _sharer, side = await start_session(page, live_service, "view")
    await send_picture(side)
    await page.click("#request-control")
    request = await side.wait_type("consent_request", mode="control", since=len(side.texts))
    assert request["helper"]["name"] == "Ada L."
    # Asking again while the first request is pending is refused: the service's sentence shows.
    await page.click("#request-control")
    notice = page.locator("#notice")
    await expect(notice).not_to_have_text("Asking the sharer for full control...")
    sentence = await notice.text_content()
    assert sentence and sentence.endswith(".")
    await side.send_json({"type": "allow", "mode": "control"})
    await expect(page.locator("#mode-badge")).to_have_text("Full control")
    await expect(page.locator("#request-control")).to_be_hidden()
    await expect(notice).to_have_text("You now have full control.")

    # The sharer takes control back: view only again, and the page stops sending input.
    await side.send_json({"type": "revoke_control"})
    await expect(page.locator("#mode-badge")).to_have_text("View only")
    await expect(page.locator("#request-control")).to_be_visible()


async def test_pen_laser_and_clear_reach_the_sharer_in_monitor_pixels(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    sent = SentFrames()
    sent.attach(page)
    _sharer, side = await start_session(page, live_service, "control")
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()

    await page.click("#tool-pen")
    await expect(page.locator("#tool-pen")).to_have_attribute("aria-pressed", "true")
    await page.locator("#pen-color").evaluate(
        "el => { el.value = '#00ff00'; el.dispatchEvent(new Event('input')); }"
    )
    await page.select_option("#pen-width", "8")
    x0, y0 = await canvas_point(page, 100, 300)
    x1, y1 = await canvas_point(page, 400, 320)
    await page.mouse.move(x0, y0)
    await page.mouse.down()
    await page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=4)
    await page.mouse.move(x1, y1, steps=4)
    await screenshot(page, "pen")
    await page.mouse.up()

    def done(f: Any) -> bool:
        return f.kind == FrameKind.ANNOTATION and json.loads(f.payload).get("done") is True

    last = parse_annotation((await side.wait_frame(done)).payload)
    assert last.color == "#00ff00" and last.width == 8
    assert abs(last.points[0][0] - 100.5) <= 1 and abs(last.points[0][1] - 300.5) <= 1
    assert abs(last.points[-1][0] - 400.5) <= 1 and abs(last.points[-1][1] - 320.5) <= 1
    # The pen draws; it does not click: no pointer input went out while drawing.
    assert not [e for e in frames_of(side, FrameKind.INPUT) if e["t"] in ("button", "move")]

    await page.click("#tool-laser")
    await expect(page.locator("#tool-pen")).to_have_attribute("aria-pressed", "false")
    lx, ly = await canvas_point(page, 320, 180)
    await page.mouse.move(lx, ly)
    laser = await side.wait_frame(
        lambda f: f.kind == FrameKind.ANNOTATION and json.loads(f.payload)["t"] == "laser"
    )
    assert json.loads(laser.payload) == {"t": "laser", "x": 320.5, "y": 180.5}
    # Held still, the dot is kept alive (the sharer hides a laser without updates).
    await side.wait_frame(
        lambda f: frames_of(side, FrameKind.ANNOTATION).count(json.loads(laser.payload)) >= 2
    )
    await page.keyboard.press("Escape")
    await expect(page.locator("#tool-laser")).to_have_attribute("aria-pressed", "false")
    await side.wait_frame(
        lambda f: f.kind == FrameKind.ANNOTATION and json.loads(f.payload)["t"] == "laser_off"
    )
    await page.click("#annotation-clear")
    await side.wait_frame(
        lambda f: f.kind == FrameKind.ANNOTATION and json.loads(f.payload) == {"t": "clear"}
    )
    assert_only_ciphertext(sent)


async def test_monitor_picker_selects_a_monitor(console_page: Page, live_service: Any) -> None:
    page = console_page
    _sharer, side = await start_session(page, live_service, "view")
    await expect(page.locator("#monitor-select")).to_be_hidden()
    monitors = {
        "t": "monitors",
        "monitors": [
            {
                "id": 0,
                "x": 0,
                "y": 0,
                "width": 1920,
                "height": 1080,
                "primary": True,
                "name": "DP-1",
            },
            {
                "id": 1,
                "x": 1920,
                "y": 0,
                "width": 1280,
                "height": 1024,
                "primary": False,
                "name": "",
            },
        ],
        "current": 0,
    }
    await side.send_frame(FrameKind.CONTROL_E2E, json.dumps(monitors).encode())
    select = page.locator("#monitor-select")
    await expect(select).to_be_visible()
    await expect(select.locator("option")).to_have_text(
        ["DP-1 (1920x1080, main)", "Screen 2 (1280x1024)"]
    )
    await select.select_option("1")
    frame = await side.wait_frame(
        lambda f: f.kind == FrameKind.CONTROL_E2E and json.loads(f.payload)["t"] == "select_monitor"
    )
    assert json.loads(frame.payload) == {"t": "select_monitor", "id": 1}


async def test_sharer_drop_shows_the_banner_and_return_asks_for_a_keyframe(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    sharer, side = await start_session(page, live_service, "view")
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    side.ws.transport.abort()  # a dropped line, not a goodbye
    banner = page.locator("#reconnecting-banner")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("lost the connection")
    await screenshot(page, "sharer-dropped")

    back = await sharer.connect()
    # Back with no keys: the console runs a new handshake (bound to the first by its secret).
    assert side.e2e is not None
    await back.secure_as_sharer(side.e2e)
    await expect(banner).to_be_hidden()
    await back.wait_frame(is_refresh)
    await send_picture(back)
    await expect(page.locator("#view-session")).to_be_visible()


async def test_every_action_has_a_shortcut_and_help(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    _sharer, side = await start_session(page, live_service, "view")
    await send_picture(side)
    await page.focus("#scale-toggle")
    await page.keyboard.press("F1")
    await expect(page.locator("#help-dialog")).to_be_visible()
    await expect(page.locator("#help-close")).to_be_focused()
    await screenshot(page, "help")
    await page.keyboard.press("Escape")
    await expect(page.locator("#help-dialog")).to_be_hidden()

    await page.keyboard.press("Alt+Shift+KeyH")
    await expect(page.locator("#help-dialog")).to_be_visible()
    await page.keyboard.press("Escape")
    await page.keyboard.press("Alt+Shift+KeyF")
    await expect(page.locator("#scale-toggle")).to_have_attribute("aria-pressed", "false")
    await page.keyboard.press("Alt+Shift+KeyP")
    await expect(page.locator("#tool-pen")).to_have_attribute("aria-pressed", "true")
    await page.keyboard.press("Escape")
    await expect(page.locator("#tool-pen")).to_have_attribute("aria-pressed", "false")
    await page.keyboard.press("Alt+Shift+KeyC")
    await expect(page.locator("#chat-input")).to_be_focused()
    await page.keyboard.type("c stays in the field")
    await expect(page.locator("#chat-input")).to_have_value("c stays in the field")
    await page.focus("#scale-toggle")
    await page.keyboard.press("Alt+Shift+KeyK")
    await expect(page.locator("#keys-ctrl-alt-del")).to_be_focused()
    await page.keyboard.press("ArrowDown")
    await expect(page.locator("#keys-windows")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.locator("#keys-menu")).to_be_hidden()
    await expect(page.locator("#keys-button")).to_be_focused()

    # Tab walks the toolbar; every control there has an accessible name.
    names = await page.evaluate(
        """() => [...document.querySelectorAll('#toolbar button, #toolbar select, #toolbar input')]
            .filter(el => el.offsetParent !== null)
            .map(el => el.labels?.[0]?.textContent.trim() || el.getAttribute('aria-label')
                 || el.textContent.trim())"""
    )
    assert all(names), names
    await page.keyboard.press("Alt+Shift+KeyR")
    await side.wait_type("consent_request", mode="control")
