"""The console with the real sharer app (`quickassist share --no-gui`, capturing a private
Xvfb): the sharer's actual screen shows on the canvas, and a click in full control moves the
real X pointer to the same monitor pixel. The fuller story (Qt app, typing, annotation on the
real screen) belongs to the whole-system test; this one proves the two halves fit."""

from __future__ import annotations

import asyncio
import re
import subprocess
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.e2e.console.console_steps import ShareProcess, close_to, get_code, pixel, sign_in
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = [pytest.mark.browser, pytest.mark.x11]

ROOT_COLOUR = (0x33, 0x66, 0x99)


def pointer_position(xvfb: XvfbServer) -> tuple[int, int]:
    out = subprocess.run(
        ["xdotool", "getmouselocation", "--shell"],
        env=xvfb.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=WAIT,
    ).stdout
    values = dict(re.findall(r"(\w+)=(\d+)", out))
    return int(values["X"]), int(values["Y"])


async def test_the_real_sharer_screen_shows_and_a_click_lands(
    console_page: Page, live_service: Any, xvfb: XvfbServer
) -> None:
    page = console_page
    root = ["xsetroot", "-solid", "#336699"]
    await asyncio.to_thread(subprocess.run, root, env=xvfb.env, check=True, timeout=WAIT)
    await sign_in(page, live_service)
    code = await get_code(page)
    share = await ShareProcess.start(live_service, xvfb.display, code)
    process = share.process
    try:
        await share.expect("Connected to the session of Ada L. from Contoso")
        await expect(page.locator("#view-mode")).to_be_visible()
        await page.click("#mode-full-control")
        await share.expect("Allow? [y/N] ")
        # The person is asked with the same check digits the helper sees.
        check = await page.locator("#consent-check strong").text_content()
        assert check and check in share.output, share.output
        await share.type("y")
        await expect(page.locator("#view-session")).to_be_visible()
        await expect(page.locator("#waiting-picture")).to_be_hidden()
        assert await page.evaluate("document.getElementById('screen-canvas').width") == xvfb.width
        assert close_to(await pixel(page, 100, 100), ROOT_COLOUR)
        assert close_to(await pixel(page, xvfb.width - 5, xvfb.height - 5), ROOT_COLOUR)

        # A click at monitor pixel (700, 400) puts the sharer's real pointer there.
        box = await page.locator("#screen-canvas").bounding_box()
        assert box is not None
        x = box["x"] + 700.5 * box["width"] / xvfb.width
        y = box["y"] + 400.5 * box["height"] / xvfb.height
        await page.mouse.click(x, y)
        async with asyncio.timeout(WAIT):
            # The X server has no "pointer moved" event for another client to await: poll it.
            while await asyncio.to_thread(pointer_position, xvfb) != (700, 400):  # noqa: ASYNC110
                await asyncio.sleep(0.05)

        await page.click("#end-button")
        await expect(page.locator("#ended-message")).to_have_text("The helper ended the session.")
        async with asyncio.timeout(WAIT):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
