"""What the console does when time runs out or the line drops, and how it looks:
code expiry, its own connection dropping and coming back, dark mode and the 1280x720 layout."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page, WebSocketRoute, expect

from quickassist.protocol.roles import EndReason
from tests.e2e.console.console_steps import (
    CODE_PATTERN,
    RED,
    close_to,
    get_code,
    is_refresh,
    pixel,
    send_picture,
    sign_in,
    start_session,
)
from tests.fixtures.browser import Screenshot
from tests.fixtures.service import RELAXED_LIMITS, ServiceFactory
from tests.timeouts import WAIT

pytestmark = pytest.mark.browser


async def test_code_expiry_shows_the_sentence_and_a_way_forward(
    browser: Browser, service_factory: ServiceFactory, screenshot: Screenshot
) -> None:
    service = service_factory(env={**RELAXED_LIMITS, "QUICKASSIST_CODE_LIFETIME_SECONDS": "3"})
    context = await browser.new_context(
        base_url=service.base_url, ignore_https_errors=True, viewport={"width": 1280, "height": 720}
    )
    context.set_default_timeout(WAIT * 1000)
    try:
        page = await context.new_page()
        await sign_in(page, service)
        await get_code(page)
        await expect(page.locator("#code-countdown")).to_have_text(
            re.compile(r"The code expires in 0:0[1-3]")
        )
        await expect(page.locator("#view-ended")).to_be_visible(timeout=WAIT * 2000)
        await expect(page.locator("#ended-message")).to_have_text(EndReason.CODE_EXPIRED.sentence)
        await screenshot(page, "expired")
        await page.click("#ended-new-code")
        await expect(page.locator("#view-code")).to_be_visible()
        await expect(page.locator("#code-value")).to_have_text(CODE_PATTERN)
    finally:
        await context.close()


async def test_own_connection_drop_reconnects_and_asks_for_a_keyframe(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    routes: list[WebSocketRoute] = []

    def relay(route: WebSocketRoute) -> None:
        # Pass everything through to the real service; keep the route to cut the line later.
        route.connect_to_server()
        routes.append(route)

    await page.route_web_socket(re.compile(r"/ws/helper/"), relay)
    _sharer, side = await start_session(page, live_service, "view")
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    refreshes = sum(1 for f in side.frames if is_refresh(f))

    # Cut the page's socket with an abnormal-looking code: the console must retry on its own.
    await routes[-1].close(code=4000, reason="line cut by the test")
    banner = page.locator("#reconnecting-banner")
    await expect(banner).to_have_text("Connection lost. Reconnecting...")
    await screenshot(page, "reconnecting")
    await expect(banner).to_be_hidden()
    assert len(routes) >= 2, "the console opened a new socket"
    # A new socket, new keys: the console starts a handshake the sharer answers.
    assert side.e2e is not None
    first_check = side.e2e.check
    await side.secure_as_sharer(side.e2e)
    assert side.e2e.check != first_check  # new keys underneath
    await side.wait_frame(lambda f: sum(1 for g in side.frames if is_refresh(g)) > refreshes)
    # The refresh came sealed with the new keys; the digits shown are still the ones the two
    # people compared (docs/security.md: the resume secret proves continuity).
    assert await page.evaluate("document.body.dataset.check") == first_check
    await expect(page.locator("#status-secure")).to_have_text(f"Encrypted, check {first_check}")
    await expect(page.locator("#view-session")).to_be_visible()
    # The session goes on over the new socket: the sharer's end reaches the page.
    await side.send_json({"type": "end"})
    await expect(page.locator("#ended-message")).to_have_text(EndReason.SHARER_ENDED.sentence)


async def test_dark_mode_and_the_smallest_supported_window(
    browser: Browser, live_service: Any, screenshot: Screenshot
) -> None:
    context = await browser.new_context(
        base_url=live_service.base_url,
        ignore_https_errors=True,
        viewport={"width": 1280, "height": 720},
        color_scheme="dark",
    )
    context.set_default_timeout(WAIT * 1000)
    try:
        page = await context.new_page()
        _sharer, side = await start_session(page, live_service, "view")
        await send_picture(side)
        await expect(page.locator("#waiting-picture")).to_be_hidden()
        await page.click("#chat-toggle")
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
        assert max(channels) < 60, background
        # Everything fits: one toolbar row, no horizontal scrolling, the End button on screen.
        toolbar = await page.locator("#toolbar").bounding_box()
        assert toolbar is not None and toolbar["height"] < 60, toolbar
        assert await page.evaluate("document.documentElement.scrollWidth") <= 1280
        end = await page.locator("#end-button").bounding_box()
        assert end is not None and end["x"] + end["width"] <= 1280
        await screenshot(page, "dark")
    finally:
        await context.close()


async def test_a_reload_resumes_the_session(console_page: Page, live_service: Any) -> None:
    page = console_page
    _sharer, side = await start_session(page, live_service, "control")
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    refreshes = sum(1 for f in side.frames if is_refresh(f))
    assert side.e2e is not None
    compared = side.e2e.check
    await page.reload()
    # The reloaded page kept the handshake's resume secret: its new keys match the sharer's.
    await side.secure_as_sharer(side.e2e)
    await expect(page.locator("#view-session")).to_be_visible()
    await expect(page.locator("#mode-badge")).to_have_text("Full control")
    await side.wait_frame(lambda f: sum(1 for g in side.frames if is_refresh(g)) > refreshes)
    # ... and the digits compared before the reload, not the new handshake's.
    assert side.e2e.check != compared
    await expect(page.locator("#status-secure")).to_have_text(f"Encrypted, check {compared}")
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    assert close_to(await pixel(page, 80, 80), RED, 0)
    # After the session ends, a reload lands on the home page.
    await page.click("#end-button")
    await expect(page.locator("#view-ended")).to_be_visible()
    await page.reload()
    await expect(page.locator("#view-home")).to_be_visible()
