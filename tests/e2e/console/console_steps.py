"""Steps the console tests share: sign in, get to an active session with a scripted sharer,
build a known test picture with the real video encoder, read canvas pixels, and record what the
page itself sends (to tell the console's own restraint apart from the relay's).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from playwright.async_api import Page, WebSocket, expect

from quickassist.protocol.frames import Frame, FrameFlags, FrameKind
from quickassist.protocol.media import Tile, TileEncoding, VideoPayload
from quickassist.sharer.codec import encode_png
from tests.fixtures.session_clients import ScriptedSharer, Side

CODE_PATTERN = re.compile(r"^[2-9A-HJKMNP-TV-Z]{3}-[2-9A-HJKMNP-TV-Z]{3}$")

# The test picture: a 640x360 "desktop" with known colours at known places.
SCREEN_W, SCREEN_H = 640, 360
RED_BOX = (40, 40, 120, 80)  # x, y, w, h: a solid tile
PNG_BOX = (200, 40, 160, 100)  # left half blue, right half white
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)
RED = (220, 30, 40)
BACKGROUND = (32, 96, 160)


async def sign_in(page: Page, live_service: Any) -> None:
    await page.goto("/")
    await page.fill("#signin-username", live_service.helper_username)
    await page.fill("#signin-password", live_service.helper_password)
    await page.click("#signin-submit")
    await expect(page.locator("#view-home")).to_be_visible()


@dataclass
class SentFrames:
    """Binary frames the page sent on its WebSocket(s), as (kind, JSON payload or None)."""

    frames: list[tuple[int, Any]] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("websocket", self._on_socket)

    def _on_socket(self, ws: WebSocket) -> None:
        ws.on("framesent", self._on_frame)

    def _on_frame(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes) and len(payload) >= 20:
            body = payload[20:]
            try:
                decoded: Any = json.loads(body)
            except ValueError:
                decoded = None
            self.frames.append((payload[1], decoded))

    def of_kind(self, kind: FrameKind) -> list[Any]:
        return [body for k, body in self.frames if k == kind]


def payload_json(frame: Frame) -> Any:
    return json.loads(frame.payload)


def is_refresh(frame: Frame) -> bool:
    return frame.kind == FrameKind.CONTROL_E2E and payload_json(frame).get("t") == "refresh"


async def get_code(page: Page) -> str:
    await page.click("#assist-button")
    await expect(page.locator("#code-value")).to_have_text(CODE_PATTERN)
    code = await page.locator("#code-value").text_content()
    assert code is not None
    return code


async def join(page: Page, live_service: Any) -> tuple[ScriptedSharer, Side]:
    """Sign in, get a code, and have the scripted sharer join with it."""
    await sign_in(page, live_service)
    code = await get_code(page)
    sharer = ScriptedSharer(live_service.base_url, live_service.ssl_context)
    response = await sharer.join(code)
    assert response.status_code == 200, response.text
    side = await sharer.connect()
    await expect(page.locator("#view-mode")).to_be_visible()
    return sharer, side


async def start_session(page: Page, live_service: Any, mode: str) -> tuple[ScriptedSharer, Side]:
    """Through the console's screens to an active session in `mode` ("view" or "control")."""
    sharer, side = await join(page, live_service)
    await page.click("#mode-full-control" if mode == "control" else "#mode-view-only")
    await expect(page.locator("#view-consent")).to_be_visible()
    request = await side.wait_type("consent_request")
    assert request["mode"] == mode
    assert request["helper"] == {"name": "Ada L.", "organisation": "Contoso"}
    await side.send_json({"type": "allow", "mode": mode})
    await expect(page.locator("#view-session")).to_be_visible()
    # The console asks for a keyframe as soon as the session is active.
    await side.wait_frame(is_refresh)
    return sharer, side


def known_picture() -> VideoPayload:
    """The known picture, built with the real encoders: JPEG background, solid and PNG tiles."""
    background = np.zeros((SCREEN_H, SCREEN_W, 3), dtype=np.uint8)
    background[:, :] = BACKGROUND
    import simplejpeg  # the sharer's JPEG encoder

    jpeg = simplejpeg.encode_jpeg(background, quality=95, colorspace="RGB")
    x, y, w, h = PNG_BOX
    png_pixels = np.zeros((h, w, 3), dtype=np.uint8)
    png_pixels[:, : w // 2] = BLUE
    png_pixels[:, w // 2 :] = WHITE
    return VideoPayload(
        SCREEN_W,
        SCREEN_H,
        (
            Tile(0, 0, SCREEN_W, SCREEN_H, TileEncoding.JPEG, jpeg),
            Tile.solid(*RED_BOX, (*RED, 255)),
            Tile(x, y, w, h, TileEncoding.PNG, encode_png(png_pixels)),
        ),
    )


async def send_picture(side: Side, video: VideoPayload | None = None) -> None:
    await side.send_frame(
        FrameKind.VIDEO,
        bytes(video or known_picture()),
        flags=FrameFlags.KEYFRAME,
        timestamp_us=time.time_ns() // 1000,
    )


async def pixel(page: Page, x: int, y: int) -> tuple[int, int, int]:
    """The RGB of the screen canvas at monitor pixel (x, y)."""
    rgba = await page.evaluate(
        """([x, y]) => Array.from(
            document.getElementById("screen-canvas").getContext("2d").getImageData(x, y, 1, 1).data
        )""",
        [x, y],
    )
    return (rgba[0], rgba[1], rgba[2])


def close_to(actual: tuple[int, int, int], expected: tuple[int, int, int], slack: int = 6) -> bool:
    return all(abs(a - e) <= slack for a, e in zip(actual, expected, strict=True))


async def canvas_point(page: Page, x: float, y: float) -> tuple[float, float]:
    """The page coordinates of monitor pixel (x, y) (its centre) on the screen canvas."""
    box = await page.locator("#screen-canvas").bounding_box()
    assert box is not None
    return (
        box["x"] + (x + 0.5) * box["width"] / SCREEN_W,
        box["y"] + (y + 0.5) * box["height"] / SCREEN_H,
    )


def frames_of(side: Side, kind: FrameKind, since: int = 0) -> list[Any]:
    return [payload_json(f) for f in side.frames[since:] if f.kind == kind]
