"""CapturePipeline against a real Xvfb: what is drawn is what the payloads decode to."""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator

import mss
import numpy as np
import pytest
import Xlib.display

from quickassist.protocol.frames import FrameFlags, FrameKind
from quickassist.protocol.media import TileEncoding, VideoPayload
from quickassist.protocol.payloads import (
    PNG_SIGNATURE,
    MonitorList,
    PointerMove,
    parse_cursor,
    parse_e2e_control,
)
from quickassist.sharer.inject import InputInjector
from quickassist.sharer.pipeline import CaptureFailed, CapturePipeline, EncodedFrame
from tests.e2e.sharer.x11_painter import Painter
from tests.fixtures.video_canvas import Canvas, photo, psnr, text_like
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import QUIET, WAIT

pytestmark = pytest.mark.x11


@pytest.fixture
def painter(xvfb: XvfbServer) -> Iterator[Painter]:
    p = Painter(xvfb.display)
    yield p
    p.close()


@pytest.fixture
async def pipeline(xvfb: XvfbServer) -> AsyncIterator[CapturePipeline]:
    p = CapturePipeline(display=xvfb.display)
    await p.start()
    yield p
    await p.stop()


async def next_of(pipeline: CapturePipeline, kind: FrameKind) -> EncodedFrame:
    """The next frame of `kind` (others are skipped), within WAIT."""
    async with asyncio.timeout(WAIT):
        while True:
            frame = await pipeline.next_frame()
            if frame.kind is kind:
                return frame


async def nothing_within(pipeline: CapturePipeline, seconds: float) -> EncodedFrame | None:
    try:
        async with asyncio.timeout(seconds):
            return await pipeline.next_frame()
    except TimeoutError:
        return None


def covered(video: VideoPayload) -> set[tuple[int, int]]:
    """The pixels (x, y) a payload's tiles cover, each at most once."""
    pixels: set[tuple[int, int]] = set()
    for t in video.tiles:
        tile = {(x, y) for y in range(t.y, t.y + t.height) for x in range(t.x, t.x + t.width)}
        assert not pixels & tile, "tiles overlap"
        pixels |= tile
    return pixels


def area(x: int, y: int, width: int, height: int) -> set[tuple[int, int]]:
    return {(px, py) for py in range(y, y + height) for px in range(x, x + width)}


async def run(command: list[str], xvfb: XvfbServer) -> None:
    await asyncio.to_thread(subprocess.run, command, env=xvfb.env, check=True, timeout=WAIT)


def screen_rgb(display: str, left: int, top: int, width: int, height: int) -> np.ndarray:
    with mss.MSS(display=display) as grabber:
        shot = grabber.grab({"left": left, "top": top, "width": width, "height": height})
        bgra = np.frombuffer(shot.raw, dtype=np.uint8).reshape(height, width, 4)
        return bgra[:, :, 2::-1].copy()


async def test_keyframe_decodes_to_the_screen(
    xvfb: XvfbServer, painter: Painter, pipeline: CapturePipeline
) -> None:
    painter.fill(0, 0, 1920, 1080, (30, 90, 160))
    painter.put(128, 128, text_like(256, 128))
    painter.put(640, 320, photo(256, 192))
    pipeline.set_enabled(True)

    frame = await next_of(pipeline, FrameKind.VIDEO)

    assert frame.flags & FrameFlags.KEYFRAME
    canvas = Canvas()
    video = canvas.draw(frame.payload)
    assert (video.screen_width, video.screen_height) == (1920, 1080)
    encodings = {tile.encoding for tile in video.tiles}
    assert encodings == {TileEncoding.SOLID, TileEncoding.PALETTE, TileEncoding.JPEG}
    truth = screen_rgb(xvfb.display, 0, 0, 1920, 1080)
    lossless = canvas.encodings != int(TileEncoding.JPEG)
    assert np.array_equal(canvas.pixels[lossless], truth[lossless])
    photo_area = (slice(320, 512), slice(640, 896))
    assert (canvas.encodings[photo_area] == int(TileEncoding.JPEG)).all()
    assert psnr(canvas.pixels[photo_area], truth[photo_area]) > 35


async def test_a_draw_is_sent_at_once_and_an_idle_screen_sends_nothing(
    xvfb: XvfbServer, painter: Painter, pipeline: CapturePipeline
) -> None:
    pipeline.set_enabled(True)
    canvas = Canvas()
    canvas.draw((await next_of(pipeline, FrameKind.VIDEO)).payload)
    # Drain whatever follows the keyframe (the first cursor update), then watch for quiet.
    while await nothing_within(pipeline, QUIET) is not None:
        pass

    started = time.monotonic()
    painter.fill(700, 300, 10, 20, (255, 255, 0))
    frame = await next_of(pipeline, FrameKind.VIDEO)
    latency = time.monotonic() - started

    assert not frame.flags & FrameFlags.KEYFRAME
    video = canvas.draw(frame.payload)
    # Only the changed pixels, cut at the 64-pixel grid line x = 704 (tiles (10, 4), (11, 4)).
    assert covered(video) == area(700, 300, 10, 20)
    assert {(t.x, t.width) for t in video.tiles} <= {(700, 4), (704, 6), (700, 10)}
    assert (canvas.pixels[300:320, 700:710] == (255, 255, 0)).all()
    assert latency < 1.0, f"a draw took {latency:.3f} s to come out"
    assert await nothing_within(pipeline, QUIET) is None


async def test_disabled_captures_nothing_and_enabling_sends_a_keyframe(
    painter: Painter, pipeline: CapturePipeline
) -> None:
    pipeline.set_enabled(True)
    await next_of(pipeline, FrameKind.VIDEO)
    pipeline.set_enabled(False)

    painter.fill(0, 0, 300, 300, (200, 0, 0))
    assert await nothing_within(pipeline, QUIET) is None

    pipeline.set_enabled(True)
    frame = await next_of(pipeline, FrameKind.VIDEO)
    assert frame.flags & FrameFlags.KEYFRAME
    canvas = Canvas()
    canvas.draw(frame.payload)
    assert (canvas.pixels[0:300, 0:300] == (200, 0, 0)).all()


async def test_frames_captured_before_a_disable_are_never_handed_out(
    painter: Painter, pipeline: CapturePipeline
) -> None:
    pipeline.set_enabled(True)
    await next_of(pipeline, FrameKind.VIDEO)
    painter.fill(0, 0, 500, 500, (1, 2, 3))
    # The scenario, not a wait for an event: the consumer dawdles while the thread captures.
    await asyncio.sleep(0.2)
    pipeline.set_enabled(False)
    assert await nothing_within(pipeline, QUIET) is None


async def test_keyframe_on_request(painter: Painter, pipeline: CapturePipeline) -> None:
    pipeline.set_enabled(True)
    await next_of(pipeline, FrameKind.VIDEO)
    pipeline.request_keyframe()
    frame = await next_of(pipeline, FrameKind.VIDEO)
    assert frame.flags & FrameFlags.KEYFRAME
    video = Canvas().draw(frame.payload)
    covered = sum(t.width * t.height for t in video.tiles)
    assert covered == 1920 * 1080


async def test_a_slow_consumer_gets_fresh_merged_frames_not_a_backlog(
    xvfb: XvfbServer, painter: Painter, pipeline: CapturePipeline
) -> None:
    pipeline.set_enabled(True)
    canvas = Canvas()
    canvas.draw((await next_of(pipeline, FrameKind.VIDEO)).payload)
    for i in range(20):
        painter.fill(i * 80, 600, 40, 40, (i * 10, 255 - i * 10, 7))
        await asyncio.sleep(0.02)  # the scenario: 20 draws over 0.4 s while nobody takes frames

    video_frames = 0
    while (frame := await nothing_within(pipeline, QUIET)) is not None:
        if frame.kind is FrameKind.VIDEO:
            video_frames += 1
            canvas.draw(frame.payload)
    assert 1 <= video_frames <= 2
    truth = screen_rgb(xvfb.display, 0, 0, 1920, 1080)
    assert np.array_equal(canvas.pixels[600:640], truth[600:640])


async def test_polling_without_damage_still_sees_changes(
    xvfb: XvfbServer, painter: Painter
) -> None:
    pipeline = CapturePipeline(display=xvfb.display, use_damage=False, poll_fps=20)
    await pipeline.start()
    try:
        pipeline.set_enabled(True)
        canvas = Canvas()
        canvas.draw((await next_of(pipeline, FrameKind.VIDEO)).payload)
        painter.fill(100, 100, 64, 64, (0, 200, 0))
        frame = await next_of(pipeline, FrameKind.VIDEO)
        video = canvas.draw(frame.payload)
        assert covered(video) == area(100, 100, 64, 64)
        assert (canvas.pixels[100:164, 100:164] == (0, 200, 0)).all()
    finally:
        await pipeline.stop()


async def test_monitor_switch_sends_a_keyframe_of_the_new_monitor(
    xvfb: XvfbServer, painter: Painter
) -> None:
    for name, x in (("left", 0), ("right", 960)):
        await run(["xrandr", "--setmonitor", name, f"960/254x1080/286+{x}+0", "none"], xvfb)
    painter.fill(0, 0, 960, 1080, (10, 20, 30))
    painter.fill(960, 0, 960, 1080, (200, 100, 50))
    pipeline = CapturePipeline(display=xvfb.display)
    await pipeline.start()
    try:
        names = [m.name for m in pipeline.monitors()]
        assert names[:2] == ["left", "right"]
        assert pipeline.monitor.name == "left"  # none is primary: the first one
        pipeline.set_enabled(True)
        first = Canvas()
        first.draw((await next_of(pipeline, FrameKind.VIDEO)).payload)
        assert first.pixels.shape == (1080, 960, 3)
        assert (first.pixels == (10, 20, 30)).all()

        right = next(m for m in pipeline.monitors() if m.name == "right")
        pipeline.select_monitor(right.id)
        assert pipeline.monitor == right  # at once, for the injector and the monitor list
        frame = await next_of(pipeline, FrameKind.VIDEO)
        assert frame.flags & FrameFlags.KEYFRAME
        second = Canvas()
        second.draw(frame.payload)
        assert second.pixels.shape == (1080, 960, 3)
        assert (second.pixels == (200, 100, 50)).all()
        pipeline.select_monitor(99)  # unknown: ignored
        assert pipeline.monitor == right
    finally:
        await pipeline.stop()


async def test_cursor_shape_and_moves_are_sent_apart_from_pixels(
    xvfb: XvfbServer, pipeline: CapturePipeline
) -> None:
    pipeline.set_enabled(True)
    first = parse_cursor((await next_of(pipeline, FrameKind.CURSOR)).payload)
    assert first.shape is not None
    assert first.shape.png.startswith(PNG_SIGNATURE)
    assert 0 <= first.shape.hotspot_x < first.shape.width

    await run(["xdotool", "mousemove", "321", "123"], xvfb)
    async with asyncio.timeout(WAIT):
        while True:
            update = parse_cursor((await next_of(pipeline, FrameKind.CURSOR)).payload)
            if (update.x, update.y) == (321, 123):
                break
    assert update.visible
    assert update.shape is None  # the image did not change


async def test_a_keyframe_larger_than_the_payload_limit_is_split(
    xvfb: XvfbServer, painter: Painter
) -> None:
    painter.put(0, 0, photo(1920, 256))
    pipeline = CapturePipeline(display=xvfb.display, max_payload=32 * 1024)
    await pipeline.start()
    try:
        pipeline.set_enabled(True)
        canvas = Canvas()
        first = await next_of(pipeline, FrameKind.VIDEO)
        assert first.flags & FrameFlags.KEYFRAME
        covered = sum(t.width * t.height for t in canvas.draw(first.payload).tiles)
        parts = 1
        while covered < 1920 * 1080:
            part = await next_of(pipeline, FrameKind.VIDEO)
            assert not part.flags & FrameFlags.KEYFRAME
            assert part.timestamp_us == first.timestamp_us  # one capture
            assert len(part.payload) <= 32 * 1024
            covered += sum(t.width * t.height for t in canvas.draw(part.payload).tiles)
            parts += 1
        assert parts > 1
        truth = screen_rgb(xvfb.display, 0, 0, 1920, 1080)
        assert psnr(canvas.pixels[:256], truth[:256]) > 35
        assert np.array_equal(canvas.pixels[256:], truth[256:])
    finally:
        await pipeline.stop()


async def test_monitors_added_while_running_are_listed_and_announced(
    xvfb: XvfbServer, pipeline: CapturePipeline
) -> None:
    assert [m.name for m in pipeline.monitors()] == ["screen"]
    pipeline.set_enabled(True)
    await run(["xrandr", "--setmonitor", "extra", "800/211x600/159+100+100", "none"], xvfb)
    listing = parse_e2e_control((await next_of(pipeline, FrameKind.CONTROL_E2E)).payload)
    assert isinstance(listing, MonitorList)
    assert listing.monitors == tuple(pipeline.monitors())
    assert listing.current == pipeline.monitor.id
    extra = next(m for m in pipeline.monitors() if m.name == "extra")
    assert (extra.x, extra.y, extra.width, extra.height) == (100, 100, 800, 600)


async def test_pointer_moved_through_xtest_is_followed(
    xvfb: XvfbServer, pipeline: CapturePipeline
) -> None:
    injector = InputInjector(display=xvfb.display)
    try:
        pipeline.set_enabled(True)
        await next_of(pipeline, FrameKind.CURSOR)  # the first update: position and shape
        seen = []
        for x in (100, 200, 300):
            injector.apply(PointerMove(x, 50))
            async with asyncio.timeout(WAIT):
                while True:
                    update = parse_cursor((await next_of(pipeline, FrameKind.CURSOR)).payload)
                    if update.x == x:
                        seen.append((update.x, update.y))
                        break
        assert seen == [(100, 50), (200, 50), (300, 50)]
    finally:
        injector.close()


async def test_a_new_cursor_image_is_sent_when_it_changes(
    xvfb: XvfbServer, pipeline: CapturePipeline
) -> None:
    pipeline.set_enabled(True)
    first = parse_cursor((await next_of(pipeline, FrameKind.CURSOR)).payload)
    assert first.shape is not None
    # A window under the pointer with its own cursor (the cursor font's crosshair).
    client = Xlib.display.Display(xvfb.display)
    try:
        font = client.open_font("cursor")
        crosshair = font.create_glyph_cursor(font, 34, 35, (0, 0, 0), (0xFFFF, 0xFFFF, 0xFFFF))
        screen = client.screen()
        window = screen.root.create_window(
            0, 0, 1920, 1080, 0, screen.root_depth, cursor=crosshair, override_redirect=True
        )
        window.map()
        client.sync()
        update = parse_cursor((await next_of(pipeline, FrameKind.CURSOR)).payload)
        assert update.shape is not None
        assert update.shape.png != first.shape.png
        assert (update.shape.hotspot_x, update.shape.hotspot_y) == (7, 7)
        assert (update.x, update.y) == (first.x, first.y)
    finally:
        client.close()


async def test_a_flood_of_small_changes_is_merged_and_still_exact(
    xvfb: XvfbServer, painter: Painter, pipeline: CapturePipeline
) -> None:
    pipeline.set_enabled(True)
    canvas = Canvas()
    canvas.draw((await next_of(pipeline, FrameKind.VIDEO)).payload)
    for i in range(800):  # more damage rectangles than the thread keeps apart
        painter.fill((i * 37) % 1900, (i * 53) % 1060, 3, 3, (i % 256, 255, 0))
    while (frame := await nothing_within(pipeline, QUIET)) is not None:
        if frame.kind is FrameKind.VIDEO:
            canvas.draw(frame.payload)
    truth = screen_rgb(xvfb.display, 0, 0, 1920, 1080)
    assert np.array_equal(canvas.pixels, truth)


async def test_losing_the_x_server_ends_capture_with_a_plain_error(xvfb: XvfbServer) -> None:
    pipeline = CapturePipeline(display=xvfb.display)
    await pipeline.start()
    try:
        pipeline.set_enabled(True)
        await next_of(pipeline, FrameKind.VIDEO)
        xvfb.process.terminate()
        with pytest.raises(CaptureFailed, match="Screen capture stopped"):
            async with asyncio.timeout(WAIT):
                while True:
                    await pipeline.next_frame()
    finally:
        await pipeline.stop()


async def test_a_slow_link_gets_smaller_frames(xvfb: XvfbServer, pipeline: CapturePipeline) -> None:
    wide = photo(1024, 256)
    stop = threading.Event()

    def animate() -> None:
        # The scenario: a video playing, the picture panning 20 times a second and fading
        # (a pan alone would go as a copy and a strip; video is off: no console said H.264).
        painter = Painter(xvfb.display)
        try:
            shift = 0
            while not stop.wait(0.05):
                view = wide[:, shift : shift + 512] // 2 + (shift % 64)
                painter.put(256, 256, np.ascontiguousarray(view))
                shift = (shift + 8) % 512
        finally:
            painter.close()

    def jpeg_bytes_per_pixel(payload: bytes) -> float:
        tiles = [t for t in VideoPayload.parse(payload).tiles if t.encoding is TileEncoding.JPEG]
        return sum(len(t.data) for t in tiles) / max(1, sum(t.width * t.height for t in tiles))

    pipeline.set_enabled(True)
    await next_of(pipeline, FrameKind.VIDEO)
    thread = threading.Thread(target=animate)
    thread.start()
    try:
        rates = []
        for _ in range(12):
            rates.append(jpeg_bytes_per_pixel((await next_of(pipeline, FrameKind.VIDEO)).payload))
            await asyncio.sleep(0.3)  # the scenario: a link that takes 0.3 s per frame
    finally:
        stop.set()
        await asyncio.to_thread(thread.join)
    assert max(rates[-3:]) < 0.8 * min(r for r in rates[:2] if r > 0), rates
