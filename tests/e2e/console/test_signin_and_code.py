"""The console's first steps in a real browser: sign in, get a code, watch it count down, cancel."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.fixtures.browser import Screenshot
from tests.fixtures.session_clients import ScriptedSharer

pytestmark = pytest.mark.browser

CODE_PATTERN = re.compile(r"^[2-9A-HJKMNP-TV-Z]{3}-[2-9A-HJKMNP-TV-Z]{3}$")


async def sign_in(page: Page, live_service: Any) -> None:
    await page.goto("/")
    await page.fill("#signin-username", live_service.helper_username)
    await page.fill("#signin-password", live_service.helper_password)
    await page.click("#signin-submit")
    await expect(page.locator("#view-home")).to_be_visible()


async def test_wrong_password_shows_a_sentence_then_sign_in_works(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    await page.goto("/")
    await expect(page.locator("#view-signin")).to_be_visible()
    await expect(page.locator("#signin-username")).to_be_focused()
    await page.fill("#signin-username", live_service.helper_username)
    await page.fill("#signin-password", "not the password")
    await page.press("#signin-password", "Enter")
    error = page.locator("#signin-error")
    await expect(error).to_be_visible()
    sentence = await error.text_content()
    assert sentence and sentence.endswith(".") and "password" in sentence.lower()
    await screenshot(page, "wrong-password")

    await page.fill("#signin-password", live_service.helper_password)
    await page.click("#signin-submit")
    await expect(page.locator("#view-home")).to_be_visible()
    await expect(page.locator("#assist-button")).to_have_text("Assist another person")
    await expect(page.locator("#user-name")).to_have_text("Ada Lovelace")
    await screenshot(page, "home")

    # Signed in survives a reload (the cookie), and sign out returns to the form.
    await page.reload()
    await expect(page.locator("#view-home")).to_be_visible()
    await page.click("#signout-button")
    await expect(page.locator("#view-signin")).to_be_visible()
    await page.reload()
    await expect(page.locator("#view-signin")).to_be_visible()


async def test_code_is_large_counts_down_renews_and_cancels(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    await sign_in(page, live_service)
    await page.click("#assist-button")
    code = page.locator("#code-value")
    await expect(code).to_have_text(CODE_PATTERN)
    first = await code.text_content()
    assert first is not None
    font_px = await code.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert font_px >= 40, font_px

    countdown = page.locator("#code-countdown")
    await expect(countdown).to_have_text(re.compile(r"The code expires in (9:5\d|10:00)"))
    before = await countdown.text_content()
    await expect(countdown).not_to_have_text(before or "")
    await screenshot(page, "code")

    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await page.click("#code-copy")
    await expect(page.locator("#code-copied")).to_have_text(f"Copied {first}.")
    assert await page.evaluate("navigator.clipboard.readText()") == first

    await page.click("#code-new")
    await expect(code).to_have_text(CODE_PATTERN)
    await expect(code).not_to_have_text(first)
    second = await code.text_content()
    assert second is not None

    # The replaced code is gone: a sharer typing it is told so.
    sharer = ScriptedSharer(live_service.base_url, live_service.ssl_context)
    response = await sharer.join(first)
    assert response.status_code in (404, 410), response.text

    await page.click("#code-cancel")
    await expect(page.locator("#view-home")).to_be_visible()
    response = await sharer.join(second)
    assert response.status_code in (404, 410), response.text
