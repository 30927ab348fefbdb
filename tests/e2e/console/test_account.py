"""The Account view in Chromium: an administrator made to set up an authenticator (the QR code
from the service, a real TOTP code, recovery codes), then administration and history."""

from __future__ import annotations

import pyotp
import pytest
from playwright.async_api import Browser, expect

from quickassist.service.service_settings import ServiceSettings, Setting
from tests.fixtures.service import RELAXED_LIMITS
from tests.fixtures.service_store import store_of
from tests.timeouts import WAIT

ADMIN_PASSWORD = "an administrator's long password"


@pytest.fixture
async def admin_service(inprocess_service_factory):
    service = inprocess_service_factory(env=RELAXED_LIMITS)
    async with store_of(service) as accounts:
        await accounts.add(
            "root",
            display_name="Rita Root",
            organisation="Contoso",
            password=ADMIN_PASSWORD,
            is_admin=True,
        )
        await ServiceSettings(accounts.sessions).set(Setting.ADMIN_TWO_FACTOR, True)
    return service


async def test_an_administrator_enrols_then_administers(admin_service, browser: Browser) -> None:
    service = admin_service
    context = await browser.new_context(base_url=service.base_url, ignore_https_errors=True)
    context.set_default_timeout(WAIT * 1000)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto("/")
    await page.fill("#signin-username", "root")
    await page.fill("#signin-password", ADMIN_PASSWORD)
    await page.click("#signin-submit")

    # Taken straight to the Account view: administrators here must enrol first.
    await expect(page.locator("#view-account")).to_be_visible()
    await expect(page.locator("#account-2fa-status")).to_contain_text("must use an authenticator")
    await page.click("#account-2fa-start")
    qr = page.locator("#account-2fa-qr")
    await expect(qr).to_be_visible()
    await page.wait_for_function("document.getElementById('account-2fa-qr').naturalWidth > 100")
    secret = (await page.locator("#account-2fa-secret").text_content() or "").strip()
    await page.fill("#account-2fa-code", pyotp.TOTP(secret).at(service.clock()))
    await page.click("#account-2fa-confirm")
    await expect(page.locator("#account-2fa-recovery-list li")).to_have_count(10)

    # Administration: the helpers, with ada's full-control permission switched off here.
    await page.click("#account-button")
    row = page.locator("#admin-helpers tr[data-username=ada]")
    await expect(row).to_contain_text("Ada Lovelace")
    await row.get_by_role("button", name="View only").click()
    await expect(row).to_contain_text("view only")
    await expect(page.locator("#admin-log li").first).to_contain_text("root · view_only · ada")
    # No way to disable oneself from here.
    own = page.locator("#admin-helpers tr[data-username=root]")
    await expect(own.get_by_role("button", name="Disable")).to_have_count(0)
    await expect(page.locator("#account-history-counts")).to_contain_text("sessions recorded")
    assert errors == []
    await context.close()
