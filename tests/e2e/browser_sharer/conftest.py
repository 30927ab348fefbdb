"""The browser sharer's Chromium: headed on the test's own Xvfb, so getDisplayMedia captures the
real X screen (PLATFORM-NOTES.md, "Screen capture in the browser": the entire screen chosen by
`--auto-select-desktop-capture-source`, and no `--use-fake-ui-for-media-stream`, with which the
capture fails). The helper's console is the usual headless `console_page`.

`share_page` records the streams the page got from getDisplayMedia and the WebSockets it opened
(an init script wraps the two, nothing else), so a test can fire the track's `ended` event
(what Chromium does when the person presses "Stop sharing" in the browser's own bar, which a
script cannot press) and drop a socket as a network would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, record_page_errors
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

#: The window kept in the top left corner, so a test paints what is captured beside it.
CAPTURE_ARGS = [
    "--auto-select-desktop-capture-source=Entire screen",
    "--window-position=0,0",
    "--window-size=1000,800",
]
RECORD_STREAMS = """
(() => {
  // The page's sockets too, so a test can drop one as a network would.
  const NativeWebSocket = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
    }
  };
  const original = navigator.mediaDevices.getDisplayMedia.bind(navigator.mediaDevices);
  window.__capturedStreams = [];
  navigator.mediaDevices.getDisplayMedia = async (...args) => {
    const stream = await original(...args);
    window.__capturedStreams.push(stream);
    return stream;
  };
})();
"""


@pytest.fixture
async def sharer_browser(xvfb: XvfbServer) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=False,
            env=dict[str, str | float | bool](xvfb.env),
            args=[*CHROMIUM_ARGS, *CAPTURE_ARGS],
        )
        yield launched
        await launched.close()


@pytest.fixture
async def share_page(sharer_browser: Browser, live_service: Any) -> AsyncIterator[Page]:
    """A fresh page of the sharer's Chromium on `live_service`; fails on page errors."""
    context = await sharer_browser.new_context(
        base_url=live_service.base_url,
        ignore_https_errors=True,
        no_viewport=True,  # the page's `screen` is the X screen, as for a person
    )
    context.set_default_timeout(WAIT * 1000)
    await context.add_init_script(RECORD_STREAMS)
    page = await context.new_page()
    errors = record_page_errors(page)
    yield page
    await context.close()
    assert not errors, f"the share page reported errors: {errors}"
