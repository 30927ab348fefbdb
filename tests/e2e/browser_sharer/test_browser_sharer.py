"""A person shares their screen from a web browser, nothing installed: the real service, the
sharer's Chromium headed on Xvfb capturing the real X screen (getDisplayMedia, WebCodecs
H.264), and the helper's console in a second, headless Chromium.

The helper sees a pattern painted on the X screen; chat goes both ways; both see the same
check digits; the console offers view only and sends no input; a pause stops frames; stopping
the share from the browser's bar ends the session with a sentence on both sides; the page sets
no cookie and uses no localStorage; and the relay, tapped on both pages' sockets, carries no
pixel and no chat text in the clear.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import threading
from typing import Any

import mss
import numpy as np
import pytest
from playwright.async_api import Page, expect

from quickassist.protocol.frames import HEADER_SIZE, FrameFlags, FrameHeader, FrameKind
from tests.e2e.browser_sharer.page_scripts import (
    NO_FRAME_CALLBACK,
    NO_H264_ENCODE,
    NO_TRACK_PROCESSOR,
    RECORD_AIMS,
)
from tests.e2e.console.console_steps import (
    COUNT_TILES,
    SentFrames,
    Tap,
    close_to,
    get_code,
    pixel,
    sign_in,
)
from tests.e2e.sharer.x11_painter import Painter
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import QUIET, WAIT

pytestmark = [pytest.mark.browser, pytest.mark.x11]

PATTERN = (0xC0, 0x1D, 0xE5)  # a colour nothing else on the screen has
CHANGED = (0x10, 0xE0, 0x20)  # painted over it while paused
#: x, y, w, h on the 1920x1080 X screen, clear of the sharer's own browser window (1000x800).
PATTERN_BOX = (1300, 700, 400, 240)
BACKGROUND = "#336699"
CHAT_OUT = "meet me at the old mill 7731"
CHAT_BACK = "understood gate four 4242"
#: H.264 at the encoder's default rate shifts a flat colour by a few levels.
VIDEO_SLACK = 24
#: VP8 (libvpx realtime) shifts this saturated colour more: (192, 29, 229) arrives as
#: (201-203, 56-57, 222-224), steadily, here; still far from anything else on the screen.
VP8_SLACK = 40


async def paint_screen(xvfb: XvfbServer) -> None:
    root = ["xsetroot", "-solid", BACKGROUND]
    await asyncio.to_thread(subprocess.run, root, env=xvfb.env, check=True, timeout=WAIT)
    painter = Painter(xvfb.display)
    try:
        painter.fill(*PATTERN_BOX, PATTERN)
    finally:
        painter.close()


async def pattern_point(helper: Page) -> tuple[int, int]:
    """The pattern's centre in the canvas's pixels (the capture may be scaled from the screen)."""
    width, height = await helper.evaluate(
        "() => { const c = document.getElementById('screen-canvas'); return [c.width, c.height]; }"
    )
    x, y, w, h = PATTERN_BOX
    return round((x + w / 2) * width / 1920), round((y + h / 2) * height / 1080)


async def wait_for_pattern(
    helper: Page, colour: tuple[int, int, int] = PATTERN, slack: int = VIDEO_SLACK
) -> None:
    """Until the helper's canvas shows `colour` where the pattern is painted."""
    async with asyncio.timeout(WAIT):
        # Canvas pixels raise no event to wait for: poll them.
        while True:
            drawn = await helper.evaluate(
                "() => document.getElementById('screen-canvas').width > 1"
            )
            if drawn and close_to(await pixel(helper, *await pattern_point(helper)), colour, slack):
                return
            await asyncio.sleep(0.05)


async def until_quiet(tap: Tap) -> int:
    """Video frames received once nothing more arrives for QUIET (frames in flight landed)."""
    seen = tap.video_received()
    while True:
        await asyncio.sleep(QUIET)  # watching for frames that must not come
        now = tap.video_received()
        if now == seen:
            return now
        seen = now


async def start_shared_session(
    helper: Page, sharer: Page, live_service: Any, xvfb: XvfbServer
) -> str:
    """Paint, sign in, get a code, open its link, join, compare digits, view only, Allow."""
    await paint_screen(xvfb)
    await sign_in(helper, live_service)
    code = await get_code(helper)
    await sharer.goto(f"/s/{code.replace('-', '')}")
    await expect(sharer.locator("#share-warning")).to_contain_text("trust this person")
    await expect(sharer.locator("#share-code")).to_have_value(code.replace("-", ""))
    await sharer.click("#share-submit")

    # The console: the person joined from a browser, so full control is not on offer.
    await expect(helper.locator("#view-mode")).to_be_visible()
    await expect(helper.locator("#mode-browser-note")).to_have_text(
        "This person shares from a web browser: view only."
    )
    await expect(helper.locator("#mode-full-control")).to_be_disabled()
    digits = helper.locator("#mode-check strong")
    await expect(digits).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    check = await digits.text_content()
    assert check is not None
    await helper.click("#mode-view-only")

    await expect(sharer.locator("#view-consent")).to_be_visible()
    await expect(sharer.locator("#consent-who")).to_have_text(
        "Ada L. · Contoso (organisation not verified) is asking."
    )
    await expect(sharer.locator("#consent-check strong")).to_have_text(check)
    await sharer.click("#consent-allow")
    await expect(sharer.locator("#view-sharing")).to_be_visible()
    await expect(sharer.locator("#sharing-check strong")).to_have_text(check)
    await expect(helper.locator("#view-session")).to_be_visible()
    await expect(helper.locator("#mode-badge")).to_have_text(
        "View only: this person shares from a web browser"
    )
    await expect(helper.locator("#request-control")).to_be_hidden()
    return check


async def test_a_screen_shared_from_the_browser_reaches_the_helper_sealed(
    console_page: Page, share_page: Page, live_service: Any, xvfb: XvfbServer
) -> None:
    helper, sharer = console_page, share_page
    helper_tap, sharer_tap = Tap(helper), Tap(sharer)
    sent_by_helper = SentFrames()
    sent_by_helper.attach(helper)
    await start_shared_session(helper, sharer, live_service, xvfb)
    await wait_for_pattern(helper)

    # The console sends no input to a browser sharer: clicks and keys on the picture stay here.
    box = await helper.locator("#screen-canvas").bounding_box()
    assert box is not None
    await helper.mouse.click(box["x"] + 20, box["y"] + 20)
    await helper.keyboard.type("typed on the picture")

    # Chat both ways.
    await helper.click("#chat-toggle")
    await helper.fill("#chat-input", CHAT_OUT)
    await helper.press("#chat-input", "Enter")
    await expect(sharer.locator("#chat-log")).to_contain_text(f"Helper:{CHAT_OUT}")
    await sharer.fill("#chat-input", CHAT_BACK)
    await sharer.press("#chat-input", "Enter")
    await expect(helper.locator("#chat-log")).to_contain_text(CHAT_BACK)

    # The helper's laser pointer shows in the sharer's pointer window (in the page here).
    await helper.click("#tool-laser")
    await helper.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    async with asyncio.timeout(WAIT):
        while not await sharer.evaluate(RED_PIXELS):
            await helper.mouse.move(box["x"] + box["width"] / 2 + 1, box["y"] + box["height"] / 2)
            await asyncio.sleep(0.05)
    await helper.keyboard.press("Escape")

    # A pause stops frames at once; resume brings them back.
    await sharer.click("#pause-button")
    await expect(helper.locator("#paused-overlay")).to_be_visible()
    paused_at = await until_quiet(helper_tap)
    painter = Painter(xvfb.display)
    try:
        painter.fill(*PATTERN_BOX, CHANGED)  # a change that would make a frame
    finally:
        painter.close()
    await asyncio.sleep(QUIET)  # watching for a frame that must not come
    assert helper_tap.video_received() == paused_at
    await sharer.click("#resume-button")
    await expect(helper.locator("#paused-overlay")).to_be_hidden()
    await wait_for_pattern(helper, CHANGED)

    # Privacy: no cookie, no localStorage; sessionStorage only, and empty after the end.
    assert await sharer.evaluate("() => document.cookie") == ""
    assert await sharer.evaluate("() => localStorage.length") == 0
    assert await sharer.context.cookies() == []

    # Stopping the share from the browser's bar: the track's `ended`, as Chromium fires it.
    await sharer.evaluate(
        "() => { const [t] = window.__capturedStreams.at(-1).getVideoTracks();"
        " t.stop(); t.dispatchEvent(new Event('ended')); }"
    )
    await expect(sharer.locator("#ended-message")).to_have_text(
        "You stopped sharing from the browser's bar, so the session ended."
    )
    await expect(helper.locator("#ended-message")).to_have_text(
        "The person sharing their screen ended the session."
    )
    assert await sharer.evaluate("() => sessionStorage.length") == 0
    assert await sharer.evaluate("() => localStorage.length") == 0

    assert sent_by_helper.of_kind(FrameKind.INPUT) == []
    # The tap: no chat text, no H.264 parameter set, nothing clear but the handshake.
    everything = helper_tap.everything() + sharer_tap.everything()
    for secret in (CHAT_OUT, CHAT_BACK, "typed on the picture"):
        assert secret.encode() not in everything, secret
    for marker in (b"\x00\x00\x00\x01\x67", b"\x00\x00\x01\x67", b'"monitors"', b'"text"'):
        assert marker not in everything, marker
    frames = helper_tap.binary() + sharer_tap.binary()
    headers = [FrameHeader.parse(data) for data in frames]
    assert sum(1 for header in headers if header.kind is FrameKind.VIDEO) > 5
    for data, header in zip(frames, headers, strict=True):
        if not header.flags & FrameFlags.ENCRYPTED:
            assert header.kind is FrameKind.CONTROL_E2E, data[:HEADER_SIZE]
            assert json.loads(data[HEADER_SIZE:])["t"] in ("e2e_commit", "e2e_key", "e2e_reveal")


#: Whether the sharer's pointer canvas shows the laser's red dot.
RED_PIXELS = """() => {
  const c = document.getElementById("annotation-canvas");
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] > 200 && d[i + 1] < 80 && d[i + 3] > 200) return true;
  }
  return false;
}"""


async def test_decline_shares_nothing_and_says_so_on_both_sides(
    console_page: Page, share_page: Page, live_service: Any
) -> None:
    helper, sharer = console_page, share_page
    await sign_in(helper, live_service)
    code = await get_code(helper)
    await sharer.goto("/share")
    await sharer.fill("#share-code", code.lower())  # as people type it
    await sharer.click("#share-submit")
    await helper.click("#mode-view-only")
    await expect(sharer.locator("#consent-check strong")).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    await sharer.click("#consent-decline")
    await expect(sharer.locator("#ended-message")).to_have_text(
        "You declined, so nothing was shared."
    )
    await expect(helper.locator("#ended-message")).to_contain_text("declined")
    assert await sharer.evaluate("() => window.__capturedStreams.length") == 0
    assert await sharer.evaluate("() => sessionStorage.length + localStorage.length") == 0


async def test_the_page_is_under_the_strict_csp_and_refuses_a_bad_link(
    share_page: Page, live_service: Any
) -> None:
    for path in ("/share", "/s/ABC234"):
        response = await share_page.goto(path)
        assert response is not None and response.status == 200
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'self'" in policy
        assert "set-cookie" not in response.headers
    await expect(share_page.locator("#share-code")).to_have_value("ABC234")
    # A code that was never issued: the join's plain sentence, nothing else happens.
    await share_page.click("#share-submit")
    await expect(share_page.locator("#share-error")).to_contain_text("not valid or has expired")
    bad = await share_page.request.get("/s/<script>")
    assert bad.status == 404


async def test_a_drop_and_a_reload_resume_the_session_and_the_pointer_goes_on_top(
    console_page: Page, share_page: Page, live_service: Any, xvfb: XvfbServer
) -> None:
    helper, sharer = console_page, share_page
    check = await start_shared_session(helper, sharer, live_service, xvfb)
    await wait_for_pattern(helper)

    # The pointer in an always-on-top window (Document Picture-in-Picture; a click opens it).
    await sharer.click("#annotation-window-button")
    await sharer.wait_for_function(
        "() => documentPictureInPicture.window?.document.getElementById('annotation-canvas')"
    )
    assert await sharer.locator("#annotation-canvas").count() == 0  # moved, not copied
    await sharer.click("#annotation-window-button")
    await expect(sharer.locator("#annotation-canvas")).to_be_attached()

    # A dropped connection (any close but the final codes): the page comes back by itself
    # within the grace period, a new handshake bound to the first, the picture goes on.
    await sharer.evaluate("() => window.__sockets.at(-1).close(4000, 'network gone')")
    await expect(helper.locator("#reconnecting-banner")).to_contain_text("lost the connection")
    await expect(helper.locator("#reconnecting-banner")).to_be_hidden()
    painter = Painter(xvfb.display)
    try:
        painter.fill(*PATTERN_BOX, CHANGED)
    finally:
        painter.close()
    await wait_for_pattern(helper, CHANGED)
    await expect(sharer.locator("#sharing-check strong")).to_have_text(check)
    await expect(sharer.locator("#sharing-notice")).to_have_text("Reconnected.")

    # A reload (or a crashed tab) within the grace period: the tab's sessionStorage resumes the
    # same session, bound to its first handshake; the picture needs the person's click again.
    await sharer.reload()
    await expect(sharer.locator("#view-sharing")).to_be_visible()
    await expect(sharer.locator("#share-again-button")).to_be_visible()
    await expect(sharer.locator("#sharing-check strong")).to_have_text(check)
    await expect(helper.locator("#status-secure")).to_contain_text(check)
    painter = Painter(xvfb.display)
    try:
        painter.fill(*PATTERN_BOX, PATTERN)
    finally:
        painter.close()
    await sharer.click("#share-again-button")
    await expect(sharer.locator("#share-again-button")).to_be_hidden()
    await wait_for_pattern(helper, PATTERN)
    assert await sharer.evaluate("() => localStorage.length") == 0

    await helper.click("#end-button")
    await expect(sharer.locator("#ended-message")).to_have_text("Your helper ended the session.")
    assert await sharer.evaluate("() => sessionStorage.length") == 0


H264, VP8 = "5", "6"
#: Points of the X screen outside the sharer's own window (1000x800 at the top left): the
#: pattern's inside, its edges' neighbourhood and the background.
SCREEN_POINTS = [(x, y) for x in range(1100, 1900, 80) for y in range(40, 1060, 85)]


async def canvas_matches_screen(helper: Page, xvfb: XvfbServer, slack: int) -> list[str]:
    """The points where the helper's canvas is not the X screen (within the video's slack)."""
    with mss.MSS(display=xvfb.display) as grabber:
        shot = grabber.grab({"left": 0, "top": 0, "width": 1920, "height": 1080})
    bgra = np.frombuffer(shot.raw, dtype=np.uint8).reshape(1080, 1920, 4)
    width, height = await helper.evaluate(
        "() => { const c = document.getElementById('screen-canvas'); return [c.width, c.height]; }"
    )
    wrong = []
    for x, y in SCREEN_POINTS:
        b, g, r = (int(v) for v in bgra[y, x, :3])
        seen = await pixel(helper, round(x * width / 1920), round(y * height / 1080))
        if not close_to(seen, (r, g, b), slack):
            wrong.append(f"({x}, {y}): screen {(r, g, b)}, canvas {seen}")
    return wrong


async def test_a_browser_without_h264_encode_shares_in_vp8(
    console_page: Page, share_page: Page, live_service: Any, xvfb: XvfbServer, screenshot: Any
) -> None:
    helper, sharer = console_page, share_page
    await sharer.context.add_init_script(NO_H264_ENCODE)
    await start_shared_session(helper, sharer, live_service, xvfb)
    await helper.evaluate(COUNT_TILES)  # (after the sign-in's page load)
    await wait_for_pattern(helper, PATTERN, VP8_SLACK)
    await expect(helper.locator("#status-video")).to_have_text("Video: VP8")
    assert await canvas_matches_screen(helper, xvfb, VP8_SLACK) == []
    # The very first picture may be one JPEG: it can leave before the console's first refresh
    # has said which codecs it decodes. From the first VP8 picture on, nothing else.
    await helper.evaluate("window.tileCounts = {}")

    # Motion: the pattern changes colour; the canvas follows, in VP8 and only VP8.
    painter = Painter(xvfb.display)
    try:
        painter.fill(*PATTERN_BOX, CHANGED)
    finally:
        painter.close()
    await wait_for_pattern(helper, CHANGED, VP8_SLACK)
    await screenshot(helper, "vp8")
    counts = await helper.evaluate("window.tileCounts")
    assert counts.get(VP8, 0) >= 1, counts
    assert set(counts) == {VP8}, counts
    assert await canvas_matches_screen(helper, xvfb, VP8_SLACK) == []


@pytest.mark.parametrize(
    "script", [NO_TRACK_PROCESSOR, NO_FRAME_CALLBACK], ids=["frame-callback", "timer"]
)
async def test_a_browser_without_the_track_processor_shares_from_a_video_element(
    console_page: Page, share_page: Page, live_service: Any, xvfb: XvfbServer, script: str
) -> None:
    helper, sharer = console_page, share_page
    helper_tap = Tap(helper)
    await sharer.context.add_init_script(script)  # as in Firefox and Safari
    await start_shared_session(helper, sharer, live_service, xvfb)
    assert await sharer.evaluate("() => typeof MediaStreamTrackProcessor") == "undefined"
    await wait_for_pattern(helper)
    await expect(helper.locator("#status-video")).to_have_text("Video: H.264")

    # A pause stops frames; a change while paused reaches the helper only after resume.
    await sharer.click("#pause-button")
    await expect(helper.locator("#paused-overlay")).to_be_visible()
    paused_at = await until_quiet(helper_tap)
    painter = Painter(xvfb.display)
    try:
        painter.fill(*PATTERN_BOX, CHANGED)
    finally:
        painter.close()
    await asyncio.sleep(QUIET)  # watching for a frame that must not come
    assert helper_tap.video_received() == paused_at
    await sharer.click("#resume-button")
    await wait_for_pattern(helper, CHANGED)
    assert helper_tap.video_received() > paused_at


#: Noise a video encoder cannot squeeze, painted afresh frame after frame: each video frame is
#: as large as the encoder's rate allows it. Clear of the sharer's window and the pattern's box.
NOISE_BOX = (1100, 60, 256, 192)
#: Delta frames of the noise measured after each choice's keyframe (the median is compared).
MEASURED = 15


class SentVideo:
    """The sizes and flags of the video frames a page sent, as the relay sees them."""

    def __init__(self, page: Page) -> None:
        self.frames: list[tuple[int, int]] = []  # (flags, bytes)
        page.on("websocket", lambda ws: ws.on("framesent", self._on_frame))

    def _on_frame(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            header = FrameHeader.parse(payload)
            if header.kind is FrameKind.VIDEO:
                self.frames.append((header.flags, len(payload)))

    async def deltas_after_keyframe(self, index: int, count: int) -> list[int]:
        """The sizes of `count` delta frames that follow the first keyframe sent after the
        `index`th video frame."""
        async with asyncio.timeout(WAIT):
            while True:
                flags = [f & FrameFlags.KEYFRAME for f, _ in self.frames[index:]]
                if any(flags):
                    after = index + flags.index(FrameFlags.KEYFRAME) + 1
                    deltas = [
                        size for f, size in self.frames[after:] if not f & FrameFlags.KEYFRAME
                    ]
                    if len(deltas) >= count:
                        return deltas[:count]
                await asyncio.sleep(0.05)  # frames raise no event here to wait for


def paint_noise(xvfb: XvfbServer, stop: threading.Event) -> None:
    """Fresh noise in NOISE_BOX, again and again until `stop`."""
    rng = np.random.default_rng(9)
    x, y, width, height = NOISE_BOX
    painter = Painter(xvfb.display)
    try:
        while not stop.is_set():
            painter.put(x, y, rng.integers(0, 256, (height, width, 3), np.uint8))
    finally:
        painter.close()


async def test_the_helpers_quality_choice_sets_the_browsers_encoder(
    console_page: Page, share_page: Page, live_service: Any, xvfb: XvfbServer, screenshot: Any
) -> None:
    """Smooth: fewer bits a frame at 30 frames a second; Sharp: 10 a second, three times the
    bits in each, of the link's target (core/share-quality.js; the target itself follows the
    link, test_bitrate_over_shaped_link.py). Each choice reconfigures the page's H.264 encoder
    and sends a keyframe at once, and delta frames follow."""
    helper, sharer = console_page, share_page
    await sharer.add_init_script(RECORD_AIMS)
    video = SentVideo(sharer)
    await start_shared_session(helper, sharer, live_service, xvfb)
    await wait_for_pattern(helper)
    body = sharer.locator("body")
    # The console says its choice at the start (Auto, shown in its toolbar).
    await expect(body).to_have_attribute("data-quality", re.compile(r"^auto h264 \d+ 30$"))

    stop = threading.Event()
    painting = asyncio.create_task(asyncio.to_thread(paint_noise, xvfb, stop))
    try:
        for mode, fps in (("smooth", 30), ("sharp", 10)):
            before = len(video.frames)
            await helper.select_option("#quality-select", mode)
            aim = re.compile(rf"^{mode} h264 \d+ {fps}$")
            await expect(body).to_have_attribute("data-quality", aim)
            await video.deltas_after_keyframe(before, MEASURED)
            if mode == "smooth":
                await screenshot(helper, "smooth")
    finally:
        stop.set()
        await painting
    await wait_for_pattern(helper)
    # Where Smooth turned to Sharp the link's target is the same: Sharp's aim is 30/20 of
    # Smooth's at a third of the frames, 4.5 times the bits a frame (within the encoder's
    # RATE_STEP: a smaller move of the target is not applied, nor shown). Frame sizes no longer
    # tell the two apart: on this loaded loopback the target moved between 0.5 and 3.8 Mbit/s
    # within the test, and noise at a low aim sits at the encoder's floor (11 kB a frame here).
    aims = await sharer.evaluate("() => window.__aims")
    turn = next(i for i, aim in enumerate(aims) if aim[0] == "sharp")
    (_, _, smooth_bps, smooth_fps), (_, _, sharp_bps, sharp_fps) = aims[turn - 1], aims[turn]
    assert (aims[turn - 1][0], smooth_fps, sharp_fps) == ("smooth", 30, 10), aims
    per_frame = (sharp_bps / sharp_fps) / (smooth_bps / smooth_fps)
    assert 4.5 * 0.9 < per_frame < 4.5 * 1.1, aims
