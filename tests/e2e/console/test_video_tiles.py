"""Copies and H.264 in Chromium: core/display.js draws what the sharer's ScreenUpdates wrote.

The payloads come from the real sharer side (ScreenUpdates with the adaptive tile encoder and
libx264): a terminal-like page scrolled line by line (copies plus the exposed strip), then an
animation that goes as H.264 and stops (the lossless refresh). The page draws them with the
console's Display (WebCodecs for the video) and the canvas is read back pixel for pixel.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from playwright.async_api import Page

from quickassist.protocol.media import TileEncoding, VideoPayload
from quickassist.sharer.codecs.adaptive import AdaptiveTileEncoder
from quickassist.sharer.motion import MotionSettings
from quickassist.sharer.pipeline import split_tiles
from quickassist.sharer.tiles import TileGrid
from quickassist.sharer.updates import ScreenUpdates
from tests.fixtures.terminal_page import terminal_page

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 640, 384
FRAME = 1 / 30

DRAW = """
async ({ payloads, width, height, probe }) => {
  const { Display } = await import("/core/display.js");
  const { parseVideo } = await import("/core/media.js");
  const screen = document.createElement("canvas");
  const cursor = document.createElement("canvas");
  const display = new Display(screen, cursor);
  const errors = [];
  display.addEventListener("error", (e) => errors.push(String(e.detail.error)));
  const read = () => {
    const rgba = screen.getContext("2d").getImageData(0, 0, width, height).data;
    let binary = "";
    for (let i = 0; i < rgba.length; i += 4) {
      binary += String.fromCharCode(rgba[i], rgba[i + 1], rgba[i + 2]);
    }
    return btoa(binary);
  };
  let probed = null;
  for (const [index, b64] of payloads.entries()) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    await display.drawVideo(parseVideo(bytes));
    if (index === probe) probed = read();
  }
  return { rgb: read(), probed, errors };
}
"""


def text_page(height: int, seed: int) -> npt.NDArray[np.uint8]:
    return terminal_page(height, WIDTH, seed)


def rgb(frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    out: npt.NDArray[np.uint8] = frame[:, :, 2::-1].copy()
    return out


async def draw(
    page: Page, payloads: list[VideoPayload], probe: int = -1
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8] | None]:
    result = await page.evaluate(
        DRAW,
        {
            "payloads": [base64.b64encode(bytes(p)).decode() for p in payloads],
            "width": WIDTH,
            "height": HEIGHT,
            "probe": probe,
        },
    )
    assert result["errors"] == []

    def picture(b64: str) -> npt.NDArray[np.uint8]:
        return np.frombuffer(base64.b64decode(b64), dtype=np.uint8).reshape(HEIGHT, WIDTH, 3)

    return picture(result["rgb"]), picture(result["probed"]) if result["probed"] else None


def payloads_of(
    screen: ScreenUpdates, frame: npt.NDArray[np.uint8], **kw: Any
) -> list[VideoPayload]:
    tiles = screen.update(frame, None, quality=75, **kw)
    return split_tiles(WIDTH, HEIGHT, tiles, 1 << 20)


async def test_a_scrolled_page_draws_exactly_from_copies_and_strips(
    console_page: Page, live_service: Any
) -> None:
    page = console_page
    await page.goto("/")
    screen = ScreenUpdates(TileGrid(WIDTH, HEIGHT), AdaptiveTileEncoder())
    document = text_page(HEIGHT * 3, seed=1)
    payloads = payloads_of(screen, document[:HEIGHT], full=True, now=0.0)
    for step in range(1, 25):
        frame = document[step * 16 : step * 16 + HEIGHT]
        payloads += payloads_of(screen, frame, full=False, now=step * FRAME)
    copies = [t for p in payloads for t in p.tiles if t.encoding is TileEncoding.COPY]
    assert len(copies) == 24
    # Each step sent the copy and the new line: a few kB, not a screen.
    assert sum(p.wire_size for p in payloads[1:]) < 24 * 8000
    drawn, _ = await draw(page, payloads)
    assert np.array_equal(drawn, rgb(document[24 * 16 : 24 * 16 + HEIGHT]))


async def test_motion_draws_as_h264_and_ends_exact(console_page: Page, live_service: Any) -> None:
    page = console_page
    await page.goto("/")
    screen = ScreenUpdates(TileGrid(WIDTH, HEIGHT), AdaptiveTileEncoder())
    screen.allow_video(True)
    backdrop = text_page(HEIGHT, seed=2)
    payloads = payloads_of(screen, backdrop, full=True, now=0.0)
    yy, xx = np.mgrid[0:192, 0:256]
    now, frame = 0.0, backdrop
    for n in range(15):  # a moving gradient, as a video would be
        frame = backdrop.copy()
        frame[64:256, 128:384, 0] = (xx * 3 + n * 8) % 256
        frame[64:256, 128:384, 1] = (yy * 2 + n * 5) % 256
        frame[64:256, 128:384, 2] = 128
        now += FRAME
        payloads += payloads_of(screen, frame, full=False, now=now)
    mid_motion = len(payloads) - 1
    moving = frame
    payloads += payloads_of(screen, frame, full=False, now=now + MotionSettings().still_after)
    video = [t for p in payloads for t in p.tiles if t.encoding is TileEncoding.H264]
    assert len(video) == 13 and video[0].data[0] == 1  # from the third frame, a keyframe first
    assert screen.counters.refreshes == 1
    drawn, probed = await draw(page, payloads, probe=mid_motion)
    # While moving, the region is video: close to the picture, not exact.
    assert probed is not None
    region = (slice(64, 256), slice(128, 384))
    error = np.abs(probed[region].astype(int) - rgb(moving)[region].astype(int)).mean()
    assert error < 12, error
    # Once it stopped: exactly the screen.
    assert np.array_equal(drawn, rgb(frame))
