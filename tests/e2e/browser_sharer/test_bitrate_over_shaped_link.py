"""The browser sharer's video bitrate follows the link: over 2 Mbit/s, 80 ms it comes down.

Real parts: the service, the sharer's Chromium headed on Xvfb capturing the real X screen
(WebCodecs H.264, on loopback to the service), and the helper's console in a headless Chromium
behind a constrained link (tests/fixtures/shaped_link.py: tbf at 2 Mbit/s in a network
namespace, an 80 ms round trip by a delaying proxy), so every frame crosses the slow link on
its way from the relay to the console, and every acknowledgement comes back over it.

Noise is painted on a part of the screen (as much as any target asks for, the encoder cannot
make it smaller), and the page's encoder aims (`body[data-quality]`, share/app.js) are
recorded as they change. Counted, not timed:

* the aim goes down at least once (a backoff: the controller saw the link fall behind) and
  comes under the link's rate; before, it was fixed at 6 Mbit/s, three times the link;
* frames keep reaching the console after it did, and the picture is whole once the noise
  stops (the pattern drawn);
* the encoder is configured again in place for each move: fewer keyframes leave the page than
  moves of the aim (Chromium keeps the stream, OpenH264VideoEncoder::ChangeOptions).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from quickassist.protocol.frames import FrameFlags
from tests.e2e.browser_sharer.page_scripts import RECORD_AIMS
from tests.e2e.browser_sharer.test_browser_sharer import (
    SentVideo,
    paint_noise,
    start_shared_session,
    wait_for_pattern,
)
from tests.e2e.console.console_steps import Tap
from tests.fixtures.browser import record_page_errors
from tests.fixtures.service import LiveService
from tests.fixtures.shaped_link import browser_behind_link
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = [pytest.mark.browser, pytest.mark.x11]

RATE_MBIT, RTT = 2, 0.080
#: Video frames the console must receive after the aim came down, the noise still painted:
#: frames of a target under the link cross it in tens of milliseconds each.
FRAMES_AFTER = 20
#: Whether the aims recorded from index `from` went down at least once (a backoff) and one was
#: under the link's rate `link`.
CAME_DOWN = """([from, link]) => {
  const a = window.__aims.slice(from).map(([, , bitrate]) => bitrate);
  return a.some((aim, i) => i > 0 && aim < a[i - 1]) && a.some((aim) => aim < link);
}"""


@pytest.fixture
async def shaped_console(live_service: LiveService, tmp_path: Path) -> AsyncIterator[Page]:
    """The helper's console in Chromium behind a 2 Mbit/s, 80 ms link to the service."""
    async with browser_behind_link(
        live_service.port,
        tmp_path,
        rate_mbit=RATE_MBIT,
        rtt=RTT,
        viewport={"width": 1280, "height": 720},
        timeout_s=WAIT * 3,  # (pages cross the slow link)
    ) as context:
        page = await context.new_page()
        errors = record_page_errors(page)
        yield page
        assert not errors, f"the console reported errors: {errors}"


async def aims(sharer: Page) -> list[int]:
    """The video aims' bitrates recorded so far (page_scripts.RECORD_AIMS)."""
    found: list[int] = await sharer.evaluate("() => window.__aims.map((aim) => aim[2])")
    return found


async def test_over_2_mbit_the_pages_bitrate_comes_down_and_frames_go_on(
    shaped_console: Page, share_page: Page, live_service: Any, xvfb: XvfbServer
) -> None:
    helper, sharer = shaped_console, share_page
    await sharer.add_init_script(RECORD_AIMS)
    video = SentVideo(sharer)
    tap = Tap(helper)
    await start_shared_session(helper, sharer, live_service, xvfb)
    await wait_for_pattern(helper)
    await expect(sharer.locator("body")).to_have_attribute(
        "data-quality", re.compile(r"^auto h264 \d+ 30$")
    )

    stop = threading.Event()
    painting = asyncio.create_task(asyncio.to_thread(paint_noise, xvfb, stop))
    try:
        first_aim, sent_before = len(await aims(sharer)), len(video.frames)
        # Until the aim went down and under the link (a timeout: it never did) ...
        await sharer.wait_for_function(
            CAME_DOWN, arg=[first_aim, RATE_MBIT * 1e6], timeout=WAIT * 6 * 1000
        )
        # ... then frames go on reaching the console at the lower aim.
        received_at_backoff = tap.video_received()
        async with asyncio.timeout(WAIT * 3):
            while True:
                if tap.video_received() - received_at_backoff >= FRAMES_AFTER:
                    break
                await asyncio.sleep(0.1)  # frames raise no event here to wait for
        during = (await aims(sharer))[first_aim:]
        sent = video.frames[sent_before:]
    finally:
        stop.set()
        await painting
    # One run here: aims 1500000, 1986660, 993330; 31 frames sent, none of them a keyframe.
    keyframes = sum(1 for flags, _ in sent if flags & FrameFlags.KEYFRAME)
    assert keyframes < len(during), (keyframes, during)
    await wait_for_pattern(helper)  # the picture whole again once the noise stops
