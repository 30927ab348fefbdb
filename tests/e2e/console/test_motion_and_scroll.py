"""Motion and scrolling with real parts: `quickassist share --no-gui` capturing a private Xvfb,
the service, the console in Chromium. An animation goes as H.264 and, once it stops, the canvas
equals the X screen pixel for pixel; a scrolling xterm goes as copies (counted in the page) and
the canvas equals the screen."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import threading
from pathlib import Path
from typing import Any

import mss
import numpy as np
import numpy.typing as npt
import pytest
from playwright.async_api import Page, expect

from tests.e2e.console.console_steps import COUNT_TILES, ShareProcess, get_code, sign_in
from tests.e2e.sharer.x11_painter import Painter
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = [pytest.mark.browser, pytest.mark.x11]

READ_CANVAS = """
([x, y, w, h]) => {
  const canvas = document.getElementById("screen-canvas");
  const rgba = canvas.getContext("2d").getImageData(x, y, w, h).data;
  let binary = "";
  for (let i = 0; i < rgba.length; i += 4) {
    binary += String.fromCharCode(rgba[i], rgba[i + 1], rgba[i + 2]);
  }
  return btoa(binary);
}
"""
COPY, H264 = "4", "5"


def screen_rgb(display: str, x: int, y: int, w: int, h: int) -> npt.NDArray[np.uint8]:
    with mss.MSS(display=display) as grabber:
        shot = grabber.grab({"left": x, "top": y, "width": w, "height": h})
        bgra = np.frombuffer(shot.raw, dtype=np.uint8).reshape(h, w, 4)
        return bgra[:, :, 2::-1].copy()


async def canvas_rgb(page: Page, x: int, y: int, w: int, h: int) -> npt.NDArray[np.uint8]:
    data = base64.b64decode(await page.evaluate(READ_CANVAS, [x, y, w, h]))
    return np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3)


async def canvas_matches_screen(
    page: Page, xvfb: XvfbServer, box: tuple[int, int, int, int]
) -> int:
    """Wait until the canvas shows exactly what the X screen shows in `box`; the number of
    differing pixels at the last look (0 when it matched)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        screen = await asyncio.to_thread(screen_rgb, xvfb.display, *box)
        differing = int(np.count_nonzero((await canvas_rgb(page, *box) != screen).any(axis=2)))
        if differing == 0 or loop.time() > deadline:
            return differing
        # Canvas pixels raise no event; the refresh comes a fraction of a second after the
        # motion stops.
        await asyncio.sleep(0.1)


async def start_viewing(page: Page, live_service: Any, xvfb: XvfbServer) -> ShareProcess:
    await sign_in(page, live_service)
    await page.evaluate(COUNT_TILES)
    code = await get_code(page)
    share = await ShareProcess.start(live_service, xvfb.display, code)
    await share.expect("Connected to the session of Ada L. from Contoso")
    await page.click("#mode-view-only")
    await share.expect("Allow? [y/N] ")
    await share.type("y")
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    await expect(page.locator("#status-video")).to_have_text("Video: H.264")
    return share


async def counts(page: Page) -> dict[str, int]:
    result: dict[str, int] = await page.evaluate("window.tileCounts")
    return result


async def test_an_animation_goes_as_video_and_ends_exactly_the_screen(
    console_page: Page, live_service: Any, xvfb: XvfbServer
) -> None:
    page = console_page
    share = await start_viewing(page, live_service, xvfb)
    box = (256, 192, 512, 384)
    stop = threading.Event()

    def animate() -> None:
        painter = Painter(xvfb.display)
        yy, xx = np.mgrid[0 : box[3], 0 : box[2]]
        try:
            n = 0
            while n < 150 and not stop.wait(1 / 30):
                rgb = np.stack(
                    [(xx + 7 * n) % 256, (yy + 3 * n) % 256, (xx // 4 + yy // 4 + n) % 256], axis=-1
                ).astype(np.uint8)
                painter.put(box[0], box[1], rgb)
                n += 1
        finally:
            painter.close()

    try:
        await asyncio.to_thread(animate)
        seen = await counts(page)
        assert seen.get(H264, 0) >= 10, seen
        assert await canvas_matches_screen(page, xvfb, box) == 0
        assert await canvas_matches_screen(page, xvfb, (0, 0, 1024, 768)) == 0
    finally:
        stop.set()
        await share.stop()


async def test_a_scrolling_terminal_goes_as_copies_and_matches_the_screen(
    console_page: Page, live_service: Any, xvfb: XvfbServer, tmp_path: Path
) -> None:
    page = console_page
    go, done = tmp_path / "go", tmp_path / "done"
    script = (
        f"while [ ! -e {go} ]; do sleep 0.05; done; "
        "i=0; while [ $i -lt 150 ]; do "
        'echo "line $i: the quick brown fox jumps over the lazy dog $i $i $i"; '
        f"i=$((i+1)); sleep 0.03; done; touch {done}; exec sleep 600"
    )
    xterm = await asyncio.create_subprocess_exec(
        *["xterm", "-geometry", "90x40+0+0", "-title", "qa-scroll", "-e", "sh", "-c", script],
        env=xvfb.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await asyncio.to_thread(
            subprocess.run,
            ["xdotool", "search", "--sync", "--onlyvisible", "--name", "qa-scroll"],
            env=xvfb.env,
            check=True,
            capture_output=True,
            timeout=WAIT,
        )
        share = await start_viewing(page, live_service, xvfb)
        try:
            go.touch()
            async with asyncio.timeout(WAIT * 2):
                while not done.exists():  # noqa: ASYNC110 (a file: there is no event to await)
                    await asyncio.sleep(0.1)
            assert await canvas_matches_screen(page, xvfb, (0, 0, 800, 700)) == 0
            seen = await counts(page)
            assert seen.get(COPY, 0) >= 20, seen
        finally:
            await share.stop()
    finally:
        xterm.terminate()
        async with asyncio.timeout(WAIT):
            await xterm.wait()
