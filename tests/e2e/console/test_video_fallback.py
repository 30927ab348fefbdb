"""The console and video (H.264, VP8) in a real session (the service, the console in Chromium,
a scripted sharer): it says what it decodes in every refresh, and a video tile that does not
decode turns it to still pictures with a note and a keyframe request, never a frozen canvas."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from playwright.async_api import Page, expect

from quickassist.protocol.frames import FrameFlags, FrameKind
from quickassist.protocol.media import Tile, VideoPayload
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

pytestmark = pytest.mark.browser

GREEN = (20, 200, 60)


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


@pytest.mark.parametrize("corrupt", [corrupt_h264, corrupt_vp8], ids=["h264", "vp8"])
async def test_a_corrupt_video_tile_falls_back_to_tiles_with_a_note_and_a_keyframe_request(
    console_page: Page, live_service: Any, corrupt: Callable[[], Tile]
) -> None:
    page = console_page
    _sharer, side = await start_session(page, live_service, "view")
    # The console decodes H.264 and VP8 and says so when it asks for a picture.
    await side.wait_frame(refresh_naming(["h264", "vp8"]))
    await expect(page.locator("#status-video")).to_have_text("Video: H.264")
    await send_picture(side)
    await expect(page.locator("#waiting-picture")).to_be_hidden()
    since = len(side.frames)

    await send_delta(side, VideoPayload(SCREEN_W, SCREEN_H, (corrupt(),)))
    await expect(page.locator("#status-video")).to_have_text(
        "Still pictures only: the video could not be decoded here"
    )
    # The sharer is asked for a keyframe in a refresh that names no video codec.
    await side.wait_frame(refresh_naming([]), since=since)
    # Deltas wait for that keyframe; the keyframe draws: the canvas goes on.
    await send_delta(side, solid_picture((200, 0, 0)))
    await side.send_frame(FrameKind.VIDEO, bytes(solid_picture(GREEN)), flags=FrameFlags.KEYFRAME)
    await wait_until(
        page,
        """() => {
          const d = document.getElementById("screen-canvas").getContext("2d")
            .getImageData(10, 10, 1, 1).data;
          return d[1] > 150 && d[0] < 80;
        }""",
    )
    assert close_to(await pixel(page, 10, 10), GREEN)
    later = [payload_json(f)["video"] for f in side.frames[since:] if is_refresh(f)]
    assert later and all(codecs == [] for codecs in later)


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
