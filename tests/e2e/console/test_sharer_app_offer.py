"""The console for a new helper: the sign-in page explains the self-signed warning, and the code
view's "Send the sharer app" links to the app the service hands out, or, where
none is built, how to get the sharer instead (never a link to a missing file)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.e2e.console.console_steps import get_code, sign_in
from tests.fixtures.browser import Screenshot

pytestmark = pytest.mark.browser

APP_NAME = "quickassist-sharer-linux-x86_64"


async def test_without_a_build_it_says_how_to_get_the_sharer(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    await sign_in(page, live_service)
    await get_code(page)
    button = page.get_by_role("button", name="Send the sharer app")
    await button.click()
    await expect(button).to_have_attribute("aria-expanded", "true")
    await expect(page.locator("#sharer-app-status")).to_contain_text("no sharer app to hand out")
    install = page.locator("#sharer-app-install")
    await expect(install).to_contain_text("pipx install 'quickassist[sharer]'")
    await expect(install).to_contain_text(
        f"quickassist share {live_service.base_url} --fingerprint {live_service.fingerprint}"
    )
    assert await page.locator(f'a[href^="/download/{APP_NAME[:18]}-"]').count() == 0
    settings = page.get_by_role("link", name="these settings")
    preset = await page.request.get(await settings.get_attribute("href") or "")
    assert preset.ok and (await preset.json())["service_url"] == live_service.base_url
    await screenshot(page, "sharer-app-not-built")


async def test_a_built_app_is_offered_as_a_link_to_send(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    downloads = live_service.data_dir / "downloads"
    downloads.mkdir(exist_ok=True)
    (downloads / APP_NAME).write_bytes(b"\x7fELF" + bytes(3_000_000))
    try:
        page = console_page
        await sign_in(page, live_service)
        await get_code(page)
        await page.get_by_role("button", name="Send the sharer app").click()
        link = page.get_by_role("link", name="Sharer app for Linux (x86_64)")
        await expect(link).to_have_attribute("href", f"/download/{APP_NAME}")
        await expect(page.locator("#sharer-app-links")).to_contain_text("3 MB")
        await expect(page.locator("#sharer-app-status")).to_contain_text("type only the code")
        await expect(page.locator("#sharer-app-install")).to_be_hidden()
        download = await page.request.get(f"/download/{APP_NAME}")
        assert download.ok and (await download.body()).startswith(b"\x7fELF")
        await screenshot(page, "sharer-app-offered")
    finally:
        (downloads / APP_NAME).unlink()


async def test_the_sign_in_page_explains_the_self_signed_warning(
    console_page: Page, live_service: Any
) -> None:
    await console_page.goto("/")
    explained = console_page.locator("#signin-certificate")
    await expect(explained).to_be_visible()
    await expect(explained).to_contain_text("NET::ERR_CERT_AUTHORITY_INVALID")
    await expect(explained).to_contain_text("fingerprint matches the one the service printed")
