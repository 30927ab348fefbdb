"""The console and video (H.264, VP8) in a real session (the service, the console in Chromium,
a scripted sharer): it says what it decodes in every refresh, and a video tile that does not
decode turns it to still pictures with a note and a keyframe request, never a frozen canvas;
after a back-off it names the codecs again and draws video, until too many failures keep it on
still pictures for the session (core/video-fallback.js)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import av
import numpy as np
import pytest
from playwright.async_api import Page, expect

from quickassist.protocol.frames import FrameFlags, FrameKind
from quickassist.protocol.media import Tile, VideoPayload
from quickassist.sharer.codecs.h264 import H264Encoder
from tests.e2e.console.console_steps import (
    SCREEN_H,
    SCREEN_W,
    close_to,
    is_refresh,
    payload_json,
    pixel,
    send_picture,
    start_session,
    wait_until,
)
from tests.fixtures.session_clients import Side
from tests.timeouts import QUIET, WAIT

pytestmark = pytest.mark.browser

GREEN = (20, 200, 60)
VIDEO_BLUE = (40, 80, 220)
VIDEO_W, VIDEO_H = 320, 180
CODECS = ["h264", "vp8"]
FALLING_BACK = re.compile(
    r"^Still pictures for now: the video could not be decoded; trying again in \d+ s$"
)
FALLBACK_SETTINGS = """async () => {
  const m = await import("/core/video-fallback.js");
  return [m.RETRY_AFTER_MS, m.MAX_FAILURES];
}"""


def refresh_naming(codecs: list[str]) -> Any:
    return lambda f: is_refresh(f) and payload_json(f).get("video") == codecs


def solid_picture(rgb: tuple[int, int, int]) -> VideoPayload:
    return VideoPayload(SCREEN_W, SCREEN_H, (Tile.solid(0, 0, SCREEN_W, SCREEN_H, (*rgb, 255)),))


async def send_delta(side: Side, video: VideoPayload) -> None:
    await side.send_frame(FrameKind.VIDEO, bytes(video), flags=FrameFlags.NONE)


def corrupt_h264() -> Tile:
    """An H.264 keyframe whose parameter set and slice are noise: the decoder cannot use it."""
    garbage = os.urandom(3000)
    unit = b"\x00\x00\x00\x01\x67\x42\x00\x28" + garbage[:40] + b"\x00\x00\x00\x01\x65" + garbage
    return Tile.h264(0, 0, 320, 180, unit, keyframe=True)


def corrupt_vp8() -> Tile:
    """A VP8 key frame (flags bit 0) whose bytes are noise: no start code, nothing to decode
    (Chromium refuses the chunk in decode() itself, not in the error callback)."""
    return Tile.vp8(0, 0, 320, 180, b"\x00\x00\x00" + os.urandom(3000), keyframe=True)


def h264_picture(rgb: tuple[int, int, int]) -> Tile:
    """A real H.264 keyframe of one colour, from the sharer's encoder (libx264)."""
    bgra = np.zeros((VIDEO_H, VIDEO_W, 4), dtype=np.uint8)
    bgra[:, :, :3] = rgb[::-1]
    picture = H264Encoder().encode(bgra, 0, keyframe=True)
    assert picture.keyframe and picture.data
    return Tile.h264(0, 0, VIDEO_W, VIDEO_H, picture.data, keyframe=True)


def vp8_picture(rgb: tuple[int, int, int]) -> Tile:
    """A real VP8 key frame of one colour (libvpx through PyAV: what the browser sharer's
    VideoEncoder would send)."""
    context = av.CodecContext.create("libvpx", "w")
    assert isinstance(context, av.VideoCodecContext)
    context.width, context.height = VIDEO_W, VIDEO_H
    context.pix_fmt = "yuv420p"
    context.time_base = Fraction(1, 30)
    rgb24 = np.zeros((VIDEO_H, VIDEO_W, 3), dtype=np.uint8)
    rgb24[:, :] = rgb
    frame = av.VideoFrame.from_ndarray(rgb24, format="rgb24").reformat(format="yuv420p")
    packets = [*context.encode(frame), *context.encode(None)]
    assert len(packets) == 1 and packets[0].is_keyframe
    return Tile.vp8(0, 0, VIDEO_W, VIDEO_H, bytes(packets[0]), keyframe=True)


async def fallback_settings(page: Page) -> tuple[float, int]:
    """The console's first back-off (seconds) and failures allowed a session."""
    retry_ms, max_failures = await page.evaluate(FALLBACK_SETTINGS)
    return retry_ms / 1000, max_failures


async def wait_colour(page: Page, rgb: tuple[int, int, int], slack: int = 24) -> None:
    """Wait until the canvas at (10, 10) is `rgb` (video is lossy: within `slack`)."""
    await wait_until(
        page,
        """([rgb, slack]) => {
          const d = document.getElementById("screen-canvas").getContext("2d")
            .getImageData(10, 10, 1, 1).data;
          return rgb.every((c, i) => Math.abs(d[i] - c) <= slack);
        }""",
        [list(rgb), slack],
    )


async def fall_back(page: Page, side: Side, corrupt: Callable[[], Tile]) -> int:
    """Send a corrupt video tile; the console asks for tiles (a refresh naming no codec) and
    gets its keyframe. The index of the first frame from the console after the corrupt tile."""
    since = len(side.frames)
    await send_delta(side, VideoPayload(SCREEN_W, SCREEN_H, (corrupt(),)))
    await side.wait_frame(refresh_naming([]), since=since)
    await side.send_frame(FrameKind.VIDEO, bytes(solid_picture(GREEN)), flags=FrameFlags.KEYFRAME)
    await wait_colour(page, GREEN, slack=6)
    return since


@pytest.mark.parametrize(
    ("corrupt", "picture", "name"),
    [(corrupt_h264, h264_picture, "H.264"), (corrupt_vp8, vp8_picture, "VP8")],
    ids=["h264", "vp8"],
)
async def test_a_corrupt_video_tile_falls_back_to_tiles_for_a_while_then_video_comes_back(
    console_page: Page,
    live_service: Any,
    corrupt: Callable[[], Tile],
    picture: Callable[[tuple[int, int, int]], Tile],
    name: str,
) -> None:
    page = console_page
    _sharer, side = await start_session(page, live_service, "view")
    retry_s, _ = await fallback_settings(page)
    # The console decodes H.264 and VP8 and says so when it asks for a picture.
    await side.wait_frame(refresh_naming(CODECS))
    await expect(page.locator("#status-video")).to_have_text("Video: H.264")
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    since = len(side.frames)

    await send_delta(side, VideoPayload(SCREEN_W, SCREEN_H, (corrupt(),)))
    await expect(page.locator("#status-video")).to_have_text(FALLING_BACK)
    # The sharer is asked for a keyframe in a refresh that names no video codec.
    await side.wait_frame(refresh_naming([]), since=since)
    # Deltas wait for that keyframe; the keyframe draws: the canvas goes on.
    await send_delta(side, solid_picture((200, 0, 0)))
    await side.send_frame(FrameKind.VIDEO, bytes(solid_picture(GREEN)), flags=FrameFlags.KEYFRAME)
    await wait_colour(page, GREEN, slack=6)
    assert close_to(await pixel(page, 10, 10), GREEN)

    # After the back-off the console names the codecs again (tiles until then) ...
    back = await side.wait_frame(refresh_naming(CODECS), since=since, timeout=WAIT + retry_s)
    upto = side.frames.index(back, since)
    between = [payload_json(f)["video"] for f in side.frames[since:upto] if is_refresh(f)]
    assert between and all(codecs == [] for codecs in between), between
    await expect(page.locator("#status-video")).to_have_text("Video: H.264")
    # ... and draws video again, on a new decoder from the stream's keyframe.
    await send_delta(side, VideoPayload(SCREEN_W, SCREEN_H, (picture(VIDEO_BLUE),)))
    await wait_colour(page, VIDEO_BLUE)
    await expect(page.locator("#status-video")).to_have_text(f"Video: {name}")


async def test_a_stream_that_keeps_failing_stays_on_tiles_for_the_session_with_a_note(
    console_page: Page, live_service: Any
) -> None:
    page = console_page
    _sharer, side = await start_session(page, live_service, "view")
    retry_s, max_failures = await fallback_settings(page)
    await side.wait_frame(refresh_naming(CODECS))
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()

    for failure in range(1, max_failures):
        since = await fall_back(page, side, corrupt_h264)
        await expect(page.locator("#status-video")).to_have_text(FALLING_BACK)
        # The back-off doubles: 5 s, then 10 s.
        backoff = retry_s * 2 ** (failure - 1)
        await side.wait_frame(refresh_naming(CODECS), since=since, timeout=WAIT + backoff)
        await send_delta(side, VideoPayload(SCREEN_W, SCREEN_H, (h264_picture(VIDEO_BLUE),)))
        await wait_colour(page, VIDEO_BLUE)

    # The last failure allowed: tiles for the rest of the session, and the note says so.
    since = await fall_back(page, side, corrupt_h264)
    await expect(page.locator("#status-video")).to_have_text(
        "Still pictures for the rest of this session: "
        f"the video could not be decoded {max_failures} times"
    )
    # A broken frame makes it ask for a keyframe again: still naming no codec; and the first
    # back-off passes without video being offered.
    asked = len(side.frames)
    await side.send_frame(FrameKind.VIDEO, b"\x07not a video payload", flags=FrameFlags.NONE)
    await side.wait_frame(refresh_naming([]), since=asked)
    with pytest.raises(TimeoutError):
        await side.wait_frame(refresh_naming(CODECS), since=since, timeout=retry_s + QUIET)
    assert all(payload_json(f)["video"] == [] for f in side.frames[since:] if is_refresh(f))
    await expect(page.locator("#status-video")).to_have_text(re.compile("rest of this session"))


async def test_a_browser_without_webcodecs_gets_tiles_and_says_so(
    console_page: Page, live_service: Any
) -> None:
    page = console_page
    await page.add_init_script("delete window.VideoDecoder; delete window.EncodedVideoChunk;")
    _sharer, side = await start_session(page, live_service, "view")
    first = await side.wait_frame(is_refresh)
    assert payload_json(first)["video"] == []
    await expect(page.locator("#status-video")).to_have_text(
        "Still pictures only: this browser cannot decode H.264 or VP8 video"
    )
    assert not [f for f in side.frames if is_refresh(f) and payload_json(f)["video"]]
