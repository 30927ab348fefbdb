"""No third-party origin: the console and the API docs fetch only from the service itself.

Real Chromium against the real service over TLS. Every request the page makes (documents,
scripts, styles, images, fetches, workers) is recorded from the browser context and must be to
our origin, or a data:/blob: URL made on the page. The `console_page` fixture also fails the
test on any console error, so a script or style the CSP refused would fail it too.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, Request, expect

from tests.e2e.console.test_signin_and_code import sign_in
from tests.fixtures.browser import Screenshot

pytestmark = pytest.mark.browser

LOCAL_SCHEMES = {"data", "blob"}


def record_requests(page: Page) -> list[str]:
    urls: list[str] = []

    def seen(request: Request) -> None:
        urls.append(request.url)

    page.context.on("request", seen)
    return urls


def foreign(urls: list[str], base_url: str) -> list[str]:
    ours = urlsplit(base_url)
    return [
        url
        for url in urls
        if urlsplit(url).scheme not in LOCAL_SCHEMES
        and (urlsplit(url).scheme, urlsplit(url).netloc) != (ours.scheme, ours.netloc)
    ]


async def test_the_api_docs_render_from_our_origin_only(
    console_page: Page, live_service: Any, screenshot: Screenshot
) -> None:
    page = console_page
    urls = record_requests(page)
    answer = await page.goto("/api/docs")
    assert answer is not None and answer.status == 200
    # Rendered from the OpenAPI document: operations by path, and one opened.
    join = page.locator(".opblock-summary-path", has_text="/api/join")
    await expect(join.first).to_be_visible()
    await expect(
        page.locator(".opblock-summary-path", has_text="/api/sessions").first
    ).to_be_visible()
    await join.first.click()
    await expect(page.locator(".opblock-body").first).to_be_visible()
    await screenshot(page, "api-docs")
    assert any(url.endswith("/api/docs/assets/swagger-ui-bundle.js") for url in urls)
    assert any(url.endswith("/api/openapi.json") for url in urls)
    assert foreign(urls, live_service.base_url) == []


async def test_the_console_fetches_from_our_origin_only(
    console_page: Page, live_service: Any
) -> None:
    page = console_page
    urls = record_requests(page)
    await sign_in(page, live_service)
    await page.click("#assist-button")
    await expect(page.locator("#code-value")).to_have_text(re.compile(r"^\S{3}-\S{3}$"))
    assert len(urls) > 5  # the page, its modules and styles, the API calls
    assert foreign(urls, live_service.base_url) == []
