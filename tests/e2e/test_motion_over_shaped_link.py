"""Full-screen motion over a 10 Mbit/s link: the console keeps up with the sharer's screen.

Real parts: the service, the real sharer (`SharerSession` with its capture pipeline) on a
1920x1080 Xvfb, the console in Chromium, and between the service and Chromium a constrained
link (tests/fixtures/shaped_link.py: tbf at 10 Mbit/s in a network namespace, a 40 ms round
trip). A photo-like picture pans across the whole screen 30 times a second for five seconds.

Counted, not timed:
* each time the console draws a frame, how many newer captures the sharer had already sent:
  never more than a few (the flow window: the sharer sends what the console draws, skipping
  captures when behind; without it the console fell dozens of frames behind);
* the relay never dropped a frame for the helper as too slow (its bounded queue is the last
  line of defence, never reached);
* every frame the sharer sent was acknowledged, none given up as lost;
* and the toolbar's Quality choice reaches the sharer's capture.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from playwright.async_api import Page, expect

from quickassist.protocol.frames import FrameKind
from quickassist.protocol.roles import Mode
from quickassist.sharer.client import SessionClient
from quickassist.sharer.handoff import EncodedFrame
from quickassist.sharer.pipeline import CapturePipeline
from quickassist.sharer.session_events import ConsentRequested
from quickassist.sharer.tls_trust import TrustSettings, parse_fingerprint
from tests.e2e.console.console_steps import get_code, sign_in
from tests.e2e.sharer.x11_painter import Painter
from tests.fixtures.running_sharer import start_sharer, stop
from tests.fixtures.service import LiveService
from tests.fixtures.shaped_link import browser_behind_link
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = [pytest.mark.browser, pytest.mark.x11]

RATE_MBIT, RTT = 10, 0.040
STEPS, STEPS_PER_SECOND = 150, 30
PAN, PAD = (7, 5), 256
#: Captures the console may be behind when it draws one: the two in flight, and one more sent
#: just as the acknowledgement crossed on its way back.
MAX_BEHIND = 3

DRAWN_PROBE = """
(() => {
  window.__drawn = [];
  const dispatch = EventTarget.prototype.dispatchEvent;
  EventTarget.prototype.dispatchEvent = function (event) {
    if (event.type === "drawn" && this.screen && this.screen.id === "screen-canvas") {
      window.__drawn.push([performance.timeOrigin + performance.now(), event.detail.timestampUs]);
    }
    return dispatch.call(this, event);
  };
})();
"""


class RecordingPipeline(CapturePipeline):
    """The real capture pipeline, noting each video capture as it leaves for the console."""

    def __init__(self, display: str) -> None:
        super().__init__(display=display)
        # (wall clock seconds, capture time in us as the console knows it: whole milliseconds)
        self.sent: list[tuple[float, int]] = []
        self.quality_modes: list[str] = []
        self.quality_chosen = asyncio.Event()

    def set_quality_mode(self, mode: str) -> None:
        self.quality_modes.append(mode)
        self.quality_chosen.set()
        super().set_quality_mode(mode)

    async def next_frame(self, *, video: bool = True) -> EncodedFrame:
        frame = await super().next_frame(video=video)
        if frame.kind is FrameKind.VIDEO:
            self.sent.append((time.time(), frame.timestamp_us // 1000 * 1000))
        return frame


@pytest.fixture
async def shaped_page(live_service: LiveService, tmp_path: Path) -> AsyncIterator[Page]:
    """The console in Chromium behind a 10 Mbit/s, 40 ms link to the service."""
    async with browser_behind_link(
        live_service.port,
        tmp_path,
        rate_mbit=RATE_MBIT,
        rtt=RTT,
        viewport={"width": 1280, "height": 800},
        timeout_s=WAIT,
    ) as context:
        await context.add_init_script(DRAWN_PROBE)
        yield await context.new_page()


def picture(width: int, height: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Smooth colour fields with grain, larger than the screen by PAD to pan across."""
    rng = np.random.default_rng(9)
    coarse = rng.integers(0, 256, ((height + PAD) // 64 + 2, (width + PAD) // 64 + 2, 3))
    big = np.repeat(np.repeat(coarse, 64, axis=0), 64, axis=1)[: height + PAD, : width + PAD]
    grain = rng.integers(-6, 7, big.shape)
    out: np.ndarray[Any, np.dtype[np.uint8]] = np.clip(big + grain, 0, 255).astype(np.uint8)
    return out


async def animate(xvfb: XvfbServer) -> None:
    """Pan a picture across the whole screen, STEPS_PER_SECOND times a second."""
    painter = Painter(xvfb.display)
    width, height = xvfb.width, xvfb.height
    pixmap = painter.root.create_pixmap(width + PAD, height + PAD, 24)
    gc = pixmap.create_gc()
    try:
        source = picture(width, height)
        bgrx = np.zeros((*source.shape[:2], 4), dtype=np.uint8)
        bgrx[:, :, :3] = source[:, :, ::-1]
        rows = max(1, 60_000 // (bgrx.shape[1] * 4))
        for top in range(0, bgrx.shape[0], rows):
            chunk = bgrx[top : top + rows]
            pixmap.put_image(gc, 0, top, bgrx.shape[1], chunk.shape[0], 2, 24, 0, chunk.tobytes())
        start = time.monotonic()
        for step in range(1, STEPS + 1):
            # The animation's own clock (what it paints when), not a wait for an event.
            await asyncio.sleep(max(0.0, start + step / STEPS_PER_SECOND - time.monotonic()))
            sx, sy = (step * PAN[0]) % PAD, (step * PAN[1]) % PAD
            painter.root.copy_area(gc, pixmap, sx, sy, width, height, 0, 0)
            await asyncio.to_thread(painter.display.sync)
    finally:
        gc.free()
        pixmap.free()
        painter.close()


async def slow_receiver_drops(service: LiveService) -> int:
    async with httpx.AsyncClient(verify=service.ssl_context, timeout=WAIT) as http:
        text = (await http.get(f"{service.base_url}/metrics")).text
    found = re.search(r'quickassist_frames_dropped_total\{reason="slow_receiver"\} (\d+)', text)
    return int(found.group(1)) if found else 0


async def test_full_screen_motion_over_10_mbit_never_runs_ahead_of_the_console(
    shaped_page: Page, live_service: LiveService, xvfb: XvfbServer
) -> None:
    page = shaped_page
    await sign_in(page, live_service)
    code = await get_code(page)
    client = SessionClient(
        live_service.base_url,
        trust=TrustSettings(fingerprint=parse_fingerprint(live_service.fingerprint)),
    )
    pipelines: list[RecordingPipeline] = []

    def recording(display: str) -> RecordingPipeline:
        pipelines.append(RecordingPipeline(display))
        return pipelines[-1]

    sharer = start_sharer(client, await client.join(code), xvfb, pipeline=recording)
    try:
        await page.click("#mode-view-only")
        asked = await sharer.wait_event(ConsentRequested)
        sharer.session.answer_consent(asked.mode, True)
        assert asked.mode is Mode.VIEW
        await expect(page.locator("#waiting-picture")).to_be_hidden()
        drops_before = await slow_receiver_drops(live_service)
        (capture,) = pipelines
        first = len(capture.sent)

        await animate(xvfb)

        # Until the console has drawn the last capture the sharer sent (or a keyframe after).
        await page.wait_for_function(
            "(last) => window.__drawn.length && window.__drawn.at(-1)[1] >= last",
            arg=capture.sent[-1][1],
            timeout=WAIT * 3 * 1000,
        )
        drawn = await page.evaluate("window.__drawn")
        sent = capture.sent[first:]
        assert len(sent) >= 10, "the animation hardly reached the console"
        behind = []
        for drawn_at_ms, captured_us in drawn:
            drawn_at = drawn_at_ms / 1000
            newer = {ts for at, ts in sent if at <= drawn_at and ts > captured_us}
            behind.append(len(newer))
        assert max(behind) <= MAX_BEHIND, behind
        assert await slow_receiver_drops(live_service) == drops_before
        pacing = sharer.session.pacing
        assert pacing.timed_out == 0
        assert pacing.acknowledged >= len(sent) - pacing.frames_in_flight

        # The helper's quality choice reaches the sharer's capture (Auto at the start).
        assert capture.quality_modes[:1] == ["auto"]
        capture.quality_chosen.clear()
        await page.select_option("#quality-select", "smooth")
        async with asyncio.timeout(WAIT):
            await capture.quality_chosen.wait()
        assert capture.quality_modes[-1] == "smooth"
    finally:
        await stop(sharer)
