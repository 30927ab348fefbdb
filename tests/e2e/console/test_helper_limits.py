"""What the console shows a helper the service limits, in real Chromium against the real service
in process over TLS: Full control greyed out, with the reason, for a helper who may ask for view
only (the service refuses it to that helper whatever the page sends); and a session ended by
the helper's sign-in ending elsewhere, in the helper's words ("You were signed out...").
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect

from quickassist.protocol.close_codes import CloseCode
from quickassist.protocol.roles import EndReason
from tests.e2e.console.console_steps import get_code
from tests.fixtures.e2e_peer import E2EPeer
from tests.fixtures.inprocess_service import InProcessFactory, InProcessService
from tests.fixtures.service import signed_in_client
from tests.fixtures.service_store import store_of
from tests.fixtures.session_clients import ScriptedSharer, Side, close_all_sides

pytestmark = pytest.mark.browser

VIEWER, VIEWER_PASSWORD = "grace", "view only, thank you"
#: The service's sentence (service/helper_permissions.py), shown by the console.
NOT_PERMITTED = "Your account may ask for view only. An administrator can allow you full control."


@pytest.fixture
async def live_service(
    inprocess_service_factory: InProcessFactory,
) -> AsyncIterator[InProcessService]:
    """The service `console_page` opens: in process, helper ``ada`` as in every service. The
    scripted sharers' sockets are closed before it stops: its shutdown waits for their close
    handshake, which this test's event loop answers (the conftest closes them too late)."""
    yield inprocess_service_factory()
    await close_all_sides()


async def add_viewer(service: InProcessService) -> None:
    async with store_of(service) as accounts:
        await accounts.add(
            VIEWER, display_name="Grace Hopper", organisation="Contoso", password=VIEWER_PASSWORD
        )
        await accounts.set_full_control(VIEWER, allowed=False)


async def sign_in(page: Page, username: str, password: str) -> None:
    await page.goto("/")
    await page.fill("#signin-username", username)
    await page.fill("#signin-password", password)
    await page.click("#signin-submit")
    await expect(page.locator("#view-home")).to_be_visible()


async def joined(page: Page, service: InProcessService) -> tuple[ScriptedSharer, Side]:
    """A code from the console, a scripted sharer in with it, keys agreed: the mode choice."""
    code = await get_code(page)
    sharer = ScriptedSharer(service.base_url, service.ssl_context)
    assert (await sharer.join(code)).status_code == 200
    side = await sharer.connect()
    await expect(page.locator("#view-mode")).to_be_visible()
    check = await side.secure_as_sharer(E2EPeer(sharer.session_id, helper=False))
    await expect(page.locator("#mode-check strong")).to_have_text(check)
    return sharer, side


async def in_view_only(page: Page, side: Side) -> None:
    """Choose View only in the console, the scripted sharer allows it: the session view."""
    await page.click("#mode-view-only")
    request = await side.wait_type("consent_request")
    assert request["mode"] == "view"
    await side.send_json({"type": "allow", "mode": "view"})
    await expect(page.locator("#view-session")).to_be_visible()


async def test_full_control_is_greyed_out_with_the_reason_for_a_view_only_helper(
    console_page: Page, live_service: InProcessService
) -> None:
    page = console_page
    await add_viewer(live_service)
    await sign_in(page, VIEWER, VIEWER_PASSWORD)
    sharer, side = await joined(page, live_service)
    full_control = page.locator("#mode-full-control")
    await expect(full_control).to_be_disabled()
    await expect(full_control).to_have_attribute("title", NOT_PERMITTED)
    await expect(page.locator("#mode-browser-note")).to_be_visible()
    await expect(page.locator("#mode-browser-note")).to_have_text(NOT_PERMITTED)
    await expect(full_control).to_have_accessible_description(NOT_PERMITTED)
    # Greyed out, not only hidden from the mouse: the service refuses a scripted request too.
    refused = await page.evaluate(
        """async (id) => {
            const answer = await fetch(`/api/sessions/${id}/actions`, {
                method: "POST", headers: {"Content-Type": "application/json"},
                body: JSON.stringify({type: "choose_mode", mode: "control"}),
            });
            return [answer.status, (await answer.json()).message];
        }""",
        sharer.session_id,
    )
    assert refused == [409, NOT_PERMITTED]
    await in_view_only(page, side)
    await expect(page.locator("#mode-badge")).to_have_text(
        "View only: your account may ask for view only"
    )
    await expect(page.locator("#request-control")).to_be_hidden()


async def test_a_helper_with_the_permission_is_offered_full_control(
    console_page: Page, live_service: InProcessService
) -> None:
    page = console_page
    await sign_in(page, live_service.helper_username, live_service.helper_password)
    await joined(page, live_service)
    await expect(page.locator("#mode-full-control")).to_be_enabled()
    await expect(page.locator("#mode-browser-note")).to_be_hidden()


async def test_signed_out_elsewhere_the_console_says_so_and_the_sharer_is_told(
    console_page: Page, live_service: InProcessService
) -> None:
    page = console_page
    await sign_in(page, live_service.helper_username, live_service.helper_password)
    _sharer, side = await joined(page, live_service)
    await in_view_only(page, side)
    # The same helper, on another computer: "Sign out everywhere".
    other = await signed_in_client(live_service)
    try:
        assert (await other.post("/api/auth/logout-everywhere")).status_code == 204
    finally:
        await other.aclose()
    await expect(page.locator("#view-ended")).to_be_visible()
    await expect(page.locator("#ended-message")).to_have_text(CloseCode.SIGNED_OUT.sentence)
    assert (await side.wait_type("ended"))["reason"] == EndReason.HELPER_ENDED
