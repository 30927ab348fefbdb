"""Steps the console tests share: sign in, get to an active session with a scripted sharer,
build a known test picture with the real video encoder, read canvas pixels, and record what the
page itself sends (to tell the console's own restraint apart from the relay's) and everything
that crossed the relay both ways (`Tap`).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from playwright.async_api import Page, WebSocket, expect

from quickassist.protocol.e2e import is_handshake
from quickassist.protocol.frames import (
    HEADER_SIZE,
    Frame,
    FrameFlags,
    FrameHeader,
    FrameKind,
    wrap_timestamp_ms,
)
from quickassist.protocol.media import Tile, TileEncoding, VideoPayload
from quickassist.sharer.codecs.png import encode_png
from tests.fixtures.e2e_peer import E2EPeer
from tests.fixtures.service import quickassist_env
from tests.fixtures.session_clients import ScriptedSharer, Side
from tests.timeouts import WAIT

CODE_PATTERN = re.compile(r"^[2-9A-HJKMNP-TV-Z]{3}-[2-9A-HJKMNP-TV-Z]{3}$")

# The test picture: a 640x360 "desktop" with known colours at known places.
SCREEN_W, SCREEN_H = 640, 360
RED_BOX = (40, 40, 120, 80)  # x, y, w, h: a solid tile
PNG_BOX = (200, 40, 160, 100)  # left half blue, right half white
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)
RED = (220, 30, 40)
BACKGROUND = (32, 96, 160)


#: `await page.evaluate(COUNT_TILES)`: from then on `window.tileCounts` counts the video tiles
#: the console's display is handed, by encoding (keys are the encoding's number as a string).
#: Display is the module the app uses: the same URL is the same module instance, so patching
#: its prototype sees every frame.
COUNT_TILES = """
async () => {
  const { Display } = await import("/core/display.js");
  window.tileCounts = {};
  const draw = Display.prototype.drawVideo;
  Display.prototype.drawVideo = function (video, timestampUs) {
    for (const tile of video.tiles) {
      window.tileCounts[tile.encoding] = (window.tileCounts[tile.encoding] || 0) + 1;
    }
    return draw.call(this, video, timestampUs);
  };
}
"""


async def sign_in(page: Page, live_service: Any) -> None:
    await page.goto("/")
    await page.fill("#signin-username", live_service.helper_username)
    await page.fill("#signin-password", live_service.helper_password)
    await page.click("#signin-submit")
    await expect(page.locator("#view-home")).to_be_visible()


class Tap:
    """Every WebSocket message a page received and sent, as they crossed the relay."""

    def __init__(self, page: Page) -> None:
        self.received: list[str | bytes] = []
        self.sent: list[str | bytes] = []
        page.on("websocket", self._on_socket)

    def _on_socket(self, ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: self.received.append(payload))
        ws.on("framesent", lambda payload: self.sent.append(payload))

    def binary(self) -> list[bytes]:
        return [m for m in (*self.received, *self.sent) if isinstance(m, bytes)]

    def video_received(self) -> int:
        """Video frames the page received (the kind is in the clear header)."""
        return sum(
            1
            for m in self.received
            if isinstance(m, bytes) and FrameHeader.parse(m).kind is FrameKind.VIDEO
        )

    def everything(self) -> bytes:
        messages = [*self.received, *self.sent]
        return b"\x00".join(m if isinstance(m, bytes) else m.encode() for m in messages)


@dataclass
class SentFrames:
    """Binary frames the page sent on its WebSocket(s), as the relay sees them: (kind, flags)
    from the clear header (the payload is sealed, except the handshake's)."""

    frames: list[tuple[int, int]] = field(default_factory=list)
    #: The payloads of the frames sent in the clear (only handshake messages may be).
    clear: list[tuple[int, bytes]] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("websocket", self._on_socket)

    def _on_socket(self, ws: WebSocket) -> None:
        ws.on("framesent", self._on_frame)

    def _on_frame(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            header = FrameHeader.parse(payload)
            self.frames.append((header.kind, header.flags))
            if not header.flags & FrameFlags.ENCRYPTED:
                self.clear.append((header.kind, payload[HEADER_SIZE:]))

    def of_kind(self, kind: FrameKind) -> list[int]:
        """The flags of each frame of `kind` the page sent."""
        return [flags for k, flags in self.frames if k == kind]


def assert_only_ciphertext(sent: SentFrames) -> None:
    """Every frame the page sent was sealed, but the handshake's messages (a commit may go
    again while no key answered it)."""
    for kind, payload in sent.clear:
        assert kind == FrameKind.CONTROL_E2E and is_handshake(payload), payload
    tags = {json.loads(payload)["t"] for _, payload in sent.clear}
    assert tags == {"e2e_commit", "e2e_reveal"}, tags
    assert len(sent.frames) > len(sent.clear)


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
    """Sign in, get a code, have the scripted sharer join with it and answer the console's
    end-to-end handshake; both show the same check digits."""
    await sign_in(page, live_service)
    code = await get_code(page)
    sharer = ScriptedSharer(live_service.base_url, live_service.ssl_context)
    response = await sharer.join(code)
    assert response.status_code == 200, response.text
    side = await sharer.connect()
    await expect(page.locator("#view-mode")).to_be_visible()
    check = await side.secure_as_sharer(E2EPeer(sharer.session_id, helper=False))
    await expect(page.locator("#mode-check strong")).to_have_text(check)
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
        timestamp_ms=wrap_timestamp_ms(time.time_ns() // 1_000_000),
    )


async def wait_until(page: Page, function: str, arg: Any = None) -> None:
    """Poll `function(arg)` in the page until it returns true.

    Canvas pixels raise no event to wait for, and page.wait_for_function evaluates a string,
    which the console's CSP (no 'unsafe-eval') rightly refuses; evaluate() is not affected.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not await page.evaluate(function, arg):
        if loop.time() > deadline:
            raise AssertionError(f"never true in the page: {function}")
        await asyncio.sleep(0.02)


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


class ShareProcess:
    """`quickassist share --no-gui` with pipes: wait for text on its output, type lines."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.output = ""

    @classmethod
    async def start(cls, live_service: Any, display: str, code: str) -> ShareProcess:
        """The real terminal sharer on X display `display`, joining with `code`."""
        env = quickassist_env({"DISPLAY": display})
        env.pop("QT_QPA_PLATFORM", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "quickassist",
            "share",
            live_service.base_url,
            "--fingerprint",
            live_service.fingerprint,
            "--no-gui",
            "--code",
            code,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
        )
        return cls(process)

    async def expect(self, text: str) -> None:
        assert self.process.stdout is not None
        async with asyncio.timeout(WAIT):
            while text not in self.output:
                chunk = await self.process.stdout.read(4096)
                if not chunk:
                    raise AssertionError(f"{text!r} never appeared in:\n{self.output}")
                self.output += chunk.decode("utf-8", "replace")

    async def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((line + "\n").encode())
        await self.process.stdin.drain()

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
