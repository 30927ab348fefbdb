"""A helper signs in through a real OpenID provider (oidc-provider on loopback) in Chromium.

The happy path end to end (console button, the provider's login and consent pages, back to the
console signed in, the sharer shown "Ada L. · Contoso (verified: contoso.com)"), then each way a
sign-in must fail, refused with its own sentence: a tampered ``state``, a wrong ``nonce``, an
expired ID token (the service's clock moved past it), an email domain the provider settings do
not admit. And a key rotation at the provider, picked up without restarting the service.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from playwright.async_api import Browser, Page, Route, expect

from tests.fixtures.idp import IdentityProvider
from tests.fixtures.inprocess_service import InProcessFactory, InProcessService
from tests.fixtures.session_clients import ScriptedSharer
from tests.timeouts import WAIT


@pytest.fixture
def signed_in_world(
    tmp_path: Path, inprocess_service_factory: InProcessFactory
) -> Iterator[tuple[InProcessService, IdentityProvider]]:
    """A service whose providers file names a real provider, and that provider, running."""
    idp = IdentityProvider(tmp_path, redirect_uris=[])
    providers = tmp_path / "oidc-providers.toml"
    providers.write_text(idp.providers_toml(), encoding="utf-8")
    service = inprocess_service_factory(env={"QUICKASSIST_OIDC_PROVIDERS_FILE": str(providers)})
    idp.redirect_uris = [f"{service.base_url}/api/auth/oidc/callback"]
    idp.start()
    yield service, idp
    idp.stop()


@pytest.fixture
async def page_of(browser: Browser) -> AsyncIterator[Callable[[InProcessService], Page]]:
    contexts = []

    async def make(service: InProcessService) -> Page:
        context = await browser.new_context(base_url=service.base_url, ignore_https_errors=True)
        context.set_default_timeout(WAIT * 1000)
        contexts.append(context)
        return await context.new_page()

    yield make  # type: ignore[misc]
    for context in contexts:
        await context.close()


async def to_provider(page: Page) -> None:
    """From the console's sign-in view to the provider's login form."""
    await page.goto("/")
    button = page.locator("#signin-providers a", has_text="Sign in with Test Identity")
    await expect(button).to_be_visible()
    await button.click()
    await expect(page.locator("input[name=login]")).to_be_visible()


async def log_in_at_provider(page: Page, login: str) -> None:
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", "any password")
    await page.click("button[type=submit]")
    consent = page.locator("button[type=submit]", has_text="Continue")
    await expect(consent).to_be_visible()
    await consent.click()


async def sign_in(page: Page, login: str = "ada") -> None:
    await to_provider(page)
    await log_in_at_provider(page, login)


async def refused_with(page: Page, sentence: str) -> None:
    reason = page.locator("#signin-refused-reason")
    await expect(reason).to_contain_text(sentence)
    assert "Traceback" not in await page.content()
    # The sign-in did not happen: the console still asks to sign in.
    await page.goto("/")
    await expect(page.locator("#view-signin")).to_be_visible()


def rewrite_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


async def test_a_helper_signs_in_with_the_provider_and_the_sharer_sees_the_domain(
    signed_in_world, page_of
) -> None:
    service, _idp = signed_in_world
    page = await page_of(service)
    await sign_in(page)
    await expect(page.locator("#view-home")).to_be_visible()
    await expect(page.locator("#user-name")).to_have_text("Ada Lovelace")
    me = await page.evaluate("fetch('/api/auth/me').then((r) => r.json())")
    assert me["username"] == "ada@contoso.com"
    assert me["local"] is False and me["verified_domain"] == "contoso.com"
    created = await page.evaluate("fetch('/api/sessions', {method: 'POST'}).then((r) => r.json())")
    sharer = ScriptedSharer(service.base_url, service.ssl_context)
    assert (await sharer.join(created["code"])).status_code == 200
    assert sharer.helper == {
        "name": "Ada L.",
        "organisation": "Contoso",
        "verified_domain": "contoso.com",
    }
    # Signing out ends the sign-in here and at the provider (which sends the browser back).
    await page.click("#signout-button")
    await page.get_by_role("button", name="Yes, sign me out").click()
    await expect(page.locator("#view-signin")).to_be_visible()
    status = await page.evaluate("fetch('/api/auth/me').then((r) => r.status)")
    assert status == 401


def tamper_request(**changes: str) -> Callable[[Route], Awaitable[None]]:
    """A route handler that changes the query of the service's redirect to the provider: what
    the provider receives (and echoes) then differs from what the service's flow cookie holds.
    (Playwright does not route the requests a redirect makes, so the redirect itself is edited.)
    """

    async def handler(route: Route) -> None:
        response = await route.fetch(max_redirects=0)
        headers = dict(response.headers)
        headers["location"] = rewrite_query(headers["location"], **changes)
        await route.fulfill(response=response, headers=headers)

    return handler


async def test_a_tampered_state_is_refused(signed_in_world, page_of) -> None:
    service, _idp = signed_in_world
    page = await page_of(service)
    await page.route("**/api/auth/oidc/test/login", tamper_request(state="forged-state"))
    await sign_in(page)
    await refused_with(page, "This sign-in was not started in this browser")


async def test_a_wrong_nonce_is_refused(signed_in_world, page_of) -> None:
    service, _idp = signed_in_world
    page = await page_of(service)
    await page.route("**/api/auth/oidc/test/login", tamper_request(nonce="another-sign-ins"))
    await sign_in(page)
    await refused_with(page, "does not belong to this sign-in")


async def test_an_expired_id_token_is_refused(signed_in_world, page_of) -> None:
    service, _idp = signed_in_world
    page = await page_of(service)
    await to_provider(page)
    # The provider's ID tokens live 10 minutes; by the service's clock an hour has passed.
    service.clock.advance(3600)
    await log_in_at_provider(page, "ada")
    await refused_with(page, "has expired")


async def test_a_domain_the_settings_do_not_admit_is_refused(signed_in_world, page_of) -> None:
    service, _idp = signed_in_world
    page = await page_of(service)
    await sign_in(page, "mallory")
    await refused_with(page, "email domain (evil.example) is not one this service admits")


async def test_a_key_rotation_at_the_provider_is_picked_up(signed_in_world, page_of) -> None:
    service, idp = signed_in_world
    page = await page_of(service)
    await sign_in(page)
    await expect(page.locator("#view-home")).to_be_visible()
    idp.rotate_keys()
    service.clock.advance(30)  # past the refetch window (oidc_client.REFETCH_AFTER_SECONDS)
    second = await page_of(service)
    await sign_in(second)
    await expect(second.locator("#view-home")).to_be_visible()
    await expect(second.locator("#user-name")).to_have_text("Ada Lovelace")
