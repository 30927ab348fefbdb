"""The whole story with real parts: the service on loopback with TLS, the Qt sharer app on its
own Xvfb (xcb, as a person sees it), and the console in headless Chromium.

A helper signs in and gets a code; the sharer types it into the app's window; the helper
chooses Full control; the app's consent dialog names "Ada L." with the same check digits the
console shows; the sharer clicks Allow. The canvas then shows the pattern painted on the X
screen; a click and typing in the canvas reach an X client window on the sharer; a pen stroke
appears on the sharer's real screen; chat goes both ways; Pause on the sharer's bar shows the
console's overlay and stops the picture; the helper ends. A second session in View only:
input never reaches the sharer, and asking for control goes through the sharer's consent
again; the sharer ends it from the bar.

Screenshots of every step (console and the sharer's X screen) go to test-artifacts/whole-story/.
"""

from __future__ import annotations

import asyncio
import math
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import mss
import mss.tools
import pytest
import Xlib.display
from playwright.async_api import Page, expect

from quickassist.protocol.frames import FrameHeader, FrameKind
from tests.e2e.console.console_steps import CODE_PATTERN, close_to, get_code, sign_in, wait_until
from tests.e2e.sharer.x11_painter import Painter
from tests.e2e.sharer_windows import BAR, CHAT, CODE_WINDOW, SharerWindows, Window, texts
from tests.e2e.x_event_window import EventWindow
from tests.fixtures.service import LiveService
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import QUIET, WAIT

pytestmark = [pytest.mark.browser, pytest.mark.x11]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "whole-story"

# The sharer's desktop: a known pattern away from where the app's windows open (top left,
# top centre), and an application window that logs its input.
DESKTOP = (0x33, 0x66, 0x99)
RED_BOX = (1300, 200, 300, 200)
RED = (0xD0, 0x20, 0x30)
YELLOW = (0xF0, 0xD0, 0x20)
BLUE_BOX = (200, 600, 250, 150)
BLUE = (0x20, 0x40, 0xE0)
APP_WINDOW = (700, 450, 500, 300)
APP_GREEN = (0x22, 0xAA, 0x44)
PEN = (0xE0, 0x1B, 0x24)  # the console's default pen colour
#: The pen circles what was typed into the app window: an ellipse (centre, radii) in monitor
#: pixels, starting and ending at its leftmost point (on the desktop, left of the window).
PEN_ELLIPSE = ((830, 495), (170, 70))


LTWH = {"left": "x", "top": "y", "width": "width", "height": "height"}


def centre(box: tuple[int, int, int, int]) -> tuple[int, int]:
    x, y, w, h = box
    return x + w // 2, y + h // 2


@pytest.fixture
def painter(xvfb: XvfbServer) -> Iterator[Painter]:
    subprocess.run(["xsetroot", "-solid", "#336699"], env=xvfb.env, check=True, timeout=WAIT)
    painter = Painter(xvfb.display)
    painter.fill(*RED_BOX, RED)
    painter.fill(*BLUE_BOX, BLUE)
    yield painter
    painter.close()


@pytest.fixture
def app_window(xvfb: XvfbServer) -> Iterator[EventWindow]:
    window = EventWindow(xvfb.display, *APP_WINDOW, APP_GREEN)
    yield window
    window.close()


@pytest.fixture
async def sharer(
    live_service: LiveService, xvfb: XvfbServer, tmp_path: Path
) -> AsyncIterator[SharerWindows]:
    app = SharerWindows(live_service, xvfb, tmp_path)
    yield app
    assert await asyncio.to_thread(app.stop) == 0, app.log.read_text()


class Story:
    """The test's eyes: screenshots of both sides, pixels of the canvas and of the X screen."""

    def __init__(self, page: Page, xvfb: XvfbServer) -> None:
        self.page = page
        self.xvfb = xvfb
        self.step = 0
        #: Sizes of the video frames the page received (the header's kind is in the clear).
        self.video_frames: list[int] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._on_frame))

    def _on_frame(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes) and FrameHeader.parse(payload).kind is FrameKind.VIDEO:
            self.video_frames.append(len(payload))

    async def shot(self, name: str, *, sharer_too: bool = False) -> None:
        self.step += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(ARTIFACTS / f"{self.step:02d}-{name}-console.png"))
        if sharer_too:
            await self.x_shot(f"{self.step:02d}-{name}-sharer.png")

    async def x_shot(self, name: str, window: Window | None = None) -> None:
        """The sharer's X screen (or just `window` on it) to ARTIFACTS/name."""
        if window is None:
            area = {"left": 0, "top": 0, "width": self.xvfb.width, "height": self.xvfb.height}
        else:
            area = {k: window[n] for k, n in LTWH.items()}

        def grab() -> None:
            with mss.MSS(display=self.xvfb.display) as screen:
                picture = screen.grab(area)
                mss.tools.to_png(picture.rgb, picture.size, output=str(ARTIFACTS / name))

        await asyncio.to_thread(grab)

    async def canvas_shows(self, x: int, y: int, rgb: tuple[int, int, int]) -> None:
        """Wait until the screen canvas has about `rgb` at monitor pixel (x, y)."""
        await wait_until(
            self.page,
            """([x, y, rgb]) => {
                const canvas = document.getElementById("screen-canvas");
                if (canvas.width <= x || canvas.height <= y) return false;
                const d = canvas.getContext("2d").getImageData(x, y, 1, 1).data;
                return [0, 1, 2].every((i) => Math.abs(d[i] - rgb[i]) <= 8);
            }""",
            [x, y, list(rgb)],
        )

    async def canvas_pixel(self, x: int, y: int) -> tuple[int, int, int]:
        rgba = await self.page.evaluate(
            """([x, y]) => Array.from(document.getElementById("screen-canvas")
                .getContext("2d").getImageData(x, y, 1, 1).data)""",
            [x, y],
        )
        return (rgba[0], rgba[1], rgba[2])

    async def point(self, x: int, y: int) -> tuple[float, float]:
        """Page coordinates of the centre of monitor pixel (x, y) on the (scaled) canvas."""
        box = await self.page.locator("#screen-canvas").bounding_box()
        assert box is not None
        return (
            box["x"] + (x + 0.5) * box["width"] / self.xvfb.width,
            box["y"] + (y + 0.5) * box["height"] / self.xvfb.height,
        )

    async def x_screen_shows(self, x: int, y: int, rgb: tuple[int, int, int]) -> None:
        """Wait until the sharer's real X screen has about `rgb` at (x, y)."""
        display = Xlib.display.Display(self.xvfb.display)
        try:
            root = display.screen().root
            async with asyncio.timeout(WAIT):
                while True:
                    data = root.get_image(x, y, 1, 1, 2, 0xFFFFFFFF).data  # 2: ZPixmap
                    if close_to((data[2], data[1], data[0]), rgb, slack=8):
                        return
                    await asyncio.sleep(0.05)
        finally:
            display.close()


async def wait_for(condition: Callable[[], bool]) -> None:
    """Poll `condition` (filled by the event window's thread) until it holds."""
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def join_with_the_app(page: Page, sharer: SharerWindows, code: str) -> str:
    """The sharer types `code` into the app; returns the check digits the console shows."""
    await sharer.wait_window(CODE_WINDOW)
    await sharer.type_into(CODE_WINDOW, code)
    await expect(page.locator("#view-mode")).to_be_visible()
    check = await page.locator("#mode-check strong").text_content()
    assert check
    return check


async def consent_shows(sharer: SharerWindows, title: str, check: str) -> Window:
    """The app's consent dialog `title` names the helper and shows the console's digits."""
    dialog = await sharer.wait_window(title)
    shown = texts(dialog)
    assert "Ada L. · Contoso (organisation not verified) is asking." in shown, shown
    assert f"Your helper should read you these digits: {check}" in shown, shown
    return dialog


async def test_the_whole_story(
    console_page: Page,
    live_service: LiveService,
    xvfb: XvfbServer,
    painter: Painter,
    app_window: EventWindow,
    sharer: SharerWindows,
) -> None:
    page = console_page
    story = Story(page, xvfb)
    await sign_in(page, live_service)
    await story.shot("home")
    code = await get_code(page)
    await story.shot("code")

    # The sharer types the code; the helper picks Full control; the sharer allows.
    check = await join_with_the_app(page, sharer, code)
    assert await page.evaluate("document.body.dataset.check") == check
    await story.shot("choose-mode")
    await page.click("#mode-full-control")
    await expect(page.locator("#view-consent")).to_be_visible()
    dialog = await consent_shows(sharer, "Allow full control?", check)
    await story.shot("waiting-for-consent", sharer_too=True)
    await story.x_shot("consent-dialog.png", dialog)
    await sharer.click("Allow full control?", "Allow")
    await expect(page.locator("#view-session")).to_be_visible()
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    await expect(page.locator("#mode-badge")).to_have_text("Full control")

    # The canvas shows the sharer's real screen: the painted pattern and the app window.
    assert await page.evaluate("document.getElementById('screen-canvas').width") == xvfb.width
    await story.canvas_shows(*centre(RED_BOX), RED)
    await story.canvas_shows(*centre(BLUE_BOX), BLUE)
    await story.canvas_shows(*centre(APP_WINDOW), APP_GREEN)
    await story.canvas_shows(100, xvfb.height - 100, DESKTOP)
    await story.shot("full-control", sharer_too=True)

    # A click and typing in the canvas reach the X window on the sharer.
    await page.mouse.click(*await story.point(900, 600))
    await wait_for(lambda: [(e.x, e.y, e.button) for e in app_window.presses()] == [(200, 150, 1)])
    await page.keyboard.type("hello 42")
    await wait_for(lambda: app_window.typed() == "hello 42")

    # A pen stroke appears on the sharer's real screen (and so back on the canvas).
    await page.click("#tool-pen")
    await page.select_option("#pen-width", "8")
    (cx, cy), (rx, ry) = PEN_ELLIPSE
    ring = [
        (cx - rx * math.cos(2 * math.pi * i / 48), cy - ry * math.sin(2 * math.pi * i / 48))
        for i in range(49)
    ]
    await page.mouse.move(*await story.point(round(ring[0][0]), round(ring[0][1])))
    await page.mouse.down()
    for x, y in ring[1:]:
        await page.mouse.move(*await story.point(round(x), round(y)))
    await page.mouse.up()
    await story.x_screen_shows(cx - rx, cy, PEN)
    await story.x_screen_shows(cx + rx, cy, PEN)
    await story.canvas_shows(cx + rx, cy, PEN)
    await story.shot("pen", sharer_too=True)
    await page.click("#tool-pen")
    assert app_window.presses() == app_window.presses()[:1], "the pen's drag is not input"

    # Chat both ways.
    await page.click("#chat-toggle")
    await page.fill("#chat-input", "Can you see the red line?")
    await page.click("#chat-send")
    await sharer.wait_window(CHAT, "Helper: Can you see the red line?")
    await sharer.type_into(CHAT, "Yes I can")
    await expect(page.locator("#chat-log")).to_contain_text("Yes I can")
    await story.shot("chat", sharer_too=True)

    # Pause from the sharer's bar: the overlay shows and the picture stops.
    await sharer.click(BAR, "Pause")
    await expect(page.locator("#paused-overlay")).to_be_visible()
    video_before = len(story.video_frames)
    assert video_before > 0
    painter.fill(*RED_BOX, YELLOW)
    await asyncio.sleep(QUIET)  # time for a frame that must not come
    assert len(story.video_frames) == video_before
    assert close_to(await story.canvas_pixel(*centre(RED_BOX)), RED)
    await story.shot("paused", sharer_too=True)
    await sharer.click(BAR, "Resume")
    await expect(page.locator("#paused-overlay")).to_be_hidden()
    await story.canvas_shows(*centre(RED_BOX), YELLOW)

    # The helper ends: the console shows the ended screen, the app its code window again.
    await page.click("#end-button")
    await expect(page.locator("#ended-message")).to_have_text("The helper ended the session.")
    await sharer.wait_window(CODE_WINDOW, "Your helper ended the session.")
    await sharer.wait_gone(BAR)
    await story.shot("ended-by-helper")

    # A second session in View only.
    first_code = code
    await page.click("#ended-new-code")
    await expect(page.locator("#code-value")).not_to_have_text(first_code)
    await expect(page.locator("#code-value")).to_have_text(CODE_PATTERN)
    code = await page.locator("#code-value").text_content() or ""
    check = await join_with_the_app(page, sharer, code)
    await page.click("#mode-view-only")
    await consent_shows(sharer, "Allow screen sharing?", check)
    await sharer.click("Allow screen sharing?", "Allow")
    await expect(page.locator("#mode-badge")).to_have_text("View only")
    await story.canvas_shows(*centre(RED_BOX), YELLOW)
    before = len(app_window.events)
    await page.mouse.click(*await story.point(1000, 650))
    await page.keyboard.type("2024 ok")
    # A picture change made after the input proves the session is live; give stray input the
    # same time again to arrive.
    painter.fill(*BLUE_BOX, RED)
    await story.canvas_shows(*centre(BLUE_BOX), RED)
    await asyncio.sleep(QUIET)
    assert app_window.events[before:] == []
    await story.shot("view-only")

    # Asking for control goes through the sharer's consent again.
    await page.click("#request-control")
    await consent_shows(sharer, "Allow full control?", check)
    await story.shot("control-requested", sharer_too=True)
    await sharer.click("Allow full control?", "Allow")
    await expect(page.locator("#mode-badge")).to_have_text("Full control")
    await page.mouse.click(*await story.point(1000, 650))
    await wait_for(lambda: [(e.x, e.y) for e in app_window.presses()[-1:]] == [(300, 200)])
    await page.keyboard.type("ok")
    await wait_for(lambda: app_window.typed() == "hello 42ok")

    # The sharer ends from the bar.
    await sharer.click(BAR, "End")
    await expect(page.locator("#ended-message")).to_have_text(
        "The person sharing their screen ended the session."
    )
    await sharer.wait_window(CODE_WINDOW, "You ended the session.")
    await story.shot("ended-by-sharer")
