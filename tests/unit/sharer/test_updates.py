"""ScreenUpdates with the real codecs: scrolls as copies, motion as H.264, and a picture that
ends exact once the motion stops (checked by a numpy receiver that draws as the console does)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quickassist.protocol.media import Tile, TileEncoding
from quickassist.sharer.codecs.adaptive import AdaptiveTileEncoder
from quickassist.sharer.motion import MotionSettings
from quickassist.sharer.tiles import Frame, TileGrid
from quickassist.sharer.updates import REFRESH_BUDGET, SWEEP_QUALITY, ScreenUpdates
from tests.fixtures.terminal_page import terminal_page
from tests.fixtures.video_canvas import photo, psnr
from tests.unit.sharer.screen_model import ScreenModel, bgra_to_rgb

WIDTH, HEIGHT = 640, 384
FRAME = 1 / 30
STILL = MotionSettings().still_after


def text_page(height: int, seed: int) -> npt.NDArray[np.uint8]:
    return terminal_page(height, WIDTH, seed)


def updates(video: bool) -> tuple[ScreenUpdates, ScreenModel]:
    screen = ScreenUpdates(TileGrid(WIDTH, HEIGHT, 64), AdaptiveTileEncoder())
    screen.allow_video(video)
    return screen, ScreenModel(WIDTH, HEIGHT)


def test_a_scroll_is_one_copy_and_only_the_exposed_strip_as_tiles() -> None:
    document = text_page(HEIGHT * 3, seed=1)
    screen, model = updates(video=True)
    now = 0.0
    model.apply(screen.update(document[:HEIGHT], None, full=True, quality=75, now=now))
    for step in range(1, 31):
        frame = document[step * 16 : step * 16 + HEIGHT].copy()
        now += FRAME
        tiles = screen.update(frame, None, full=False, quality=75, now=now)
        assert tiles[0].encoding is TileEncoding.COPY
        copy = tiles[0]
        assert copy.copy_source[1] - copy.y == 16 and copy.height >= HEIGHT - 64
        # Only the bottom line is sent as pixels.
        assert all(t.y >= HEIGHT - 64 for t in tiles[1:])
        assert TileEncoding.H264 not in {t.encoding for t in tiles}
        model.apply(tiles)
        assert np.array_equal(model.rgb, bgra_to_rgb(frame))
    assert screen.counters.copies == 30


def test_motion_goes_as_h264_and_the_region_ends_exact() -> None:
    screen, model = updates(video=True)
    backdrop = text_page(HEIGHT, seed=2)
    model.apply(screen.update(backdrop, None, full=True, quality=75, now=0.0))
    rng = np.random.default_rng(3)
    now, frame = 0.0, backdrop
    encodings = []
    for _ in range(12):  # a 256 x 192 animation of noise, every frame new
        frame = backdrop.copy()
        frame[64:256, 128:384, :3] = rng.integers(0, 256, (192, 256, 3), dtype=np.uint8)
        now += FRAME
        tiles = screen.update(frame, None, full=False, quality=75, now=now)
        encodings.append([t.encoding for t in tiles])
        model.apply(tiles)
    assert TileEncoding.H264 not in encodings[0] + encodings[1]  # not motion yet
    assert all(TileEncoding.H264 in e for e in encodings[2:])
    assert screen.counters.video_keyframes == 1
    assert model.decoded_pictures == 10
    assert screen.deadline() == now + STILL
    # The motion stopped on the last frame: the capture at the deadline finds it still.
    still = screen.update(frame, set(), full=False, quality=75, now=now + STILL)
    assert {t.encoding for t in still} <= {
        TileEncoding.PNG,
        TileEncoding.PALETTE,
        TileEncoding.SOLID,
    }
    assert screen.counters.refreshes == 1 and screen.video_region is None
    model.apply(still)
    assert np.array_equal(model.rgb, bgra_to_rgb(frame))


def test_without_h264_in_the_console_motion_stays_tiles() -> None:
    screen, model = updates(video=False)
    backdrop = text_page(HEIGHT, seed=4)
    model.apply(screen.update(backdrop, None, full=True, quality=75, now=0.0))
    rng = np.random.default_rng(5)
    for n in range(1, 10):
        frame = backdrop.copy()
        frame[64:256, 128:384, :3] = rng.integers(0, 4, (192, 256, 3), dtype=np.uint8) * 60
        tiles = screen.update(frame, None, full=False, quality=75, now=n * FRAME)
        assert TileEncoding.H264 not in {t.encoding for t in tiles}
    assert screen.counters.video_pictures == 0


def test_a_keyframe_ends_the_video_and_the_next_motion_starts_with_an_h264_keyframe() -> None:
    screen, _model = updates(video=True)
    backdrop = text_page(HEIGHT, seed=6)
    screen.update(backdrop, None, full=True, quality=75, now=0.0)
    rng = np.random.default_rng(7)
    now = 0.0
    for full in [False] * 4 + [True] + [False] * 4:
        frame = backdrop.copy()
        frame[64:256, 128:384, :3] = rng.integers(0, 256, (192, 256, 3), dtype=np.uint8)
        now += FRAME
        tiles = screen.update(frame, None, full=full, quality=75, now=now)
        if full:
            assert TileEncoding.H264 not in {t.encoding for t in tiles}
            assert screen.video_region is None
    assert screen.counters.video_keyframes == 2


def test_slow_captures_halve_the_video_and_the_region_still_ends_exact() -> None:
    screen, model = updates(video=True)
    backdrop = text_page(HEIGHT, seed=8)
    model.apply(screen.update(backdrop, None, full=True, quality=75, now=0.0))
    rng = np.random.default_rng(9)
    now, frame = 0.0, backdrop
    coded = []
    for _ in range(16):
        frame = backdrop.copy()
        frame[64:256, 128:384, :3] = rng.integers(0, 256, (192, 256, 3), dtype=np.uint8)
        now += FRAME
        tiles = screen.update(frame, None, full=False, quality=75, now=now)
        screen.capture_cost(0.9 * FRAME, now)  # every capture over the interval's share
        model.apply(tiles)
        coded.append(screen.video.coded_size)
        video = [t for t in tiles if t.encoding is TileEncoding.H264]
        # The tile keeps the region's rectangle whatever size is coded.
        assert all((t.width, t.height) == (256, 192) for t in video)
    # Full size until a window of video captures was slow, then half, from a keyframe.
    window = screen.scale.settings.window
    assert coded[2 : 2 + window] == [(256, 192)] * window
    assert coded[-1] == (128, 96) and screen.scale.downs == 1
    assert screen.counters.video_keyframes == 2
    ended_at = screen.deadline()
    assert ended_at is not None
    # (A moment after it: `deadline()` is a sum, and at it exactly the difference may round
    # below `still_after`.)
    still = screen.update(frame, set(), full=False, quality=75, now=ended_at + 0.001)
    assert screen.counters.refreshes == 1
    model.apply(still)
    assert np.array_equal(model.rgb, bgra_to_rgb(frame))


def window_switch(seed: int) -> npt.NDArray[np.uint8]:
    """A new window over the whole screen: a photo over the left 3/4, text in the rest."""
    frame = text_page(HEIGHT, seed=seed)
    frame[:, :480, 2::-1] = photo(480, HEIGHT, seed=seed)
    return frame


def jpeg_bytes(tiles: list[Tile]) -> int:
    return sum(len(t.data) for t in tiles if t.encoding is TileEncoding.JPEG)


def test_a_window_switch_goes_rough_then_sharp_and_its_text_exact_throughout() -> None:
    screen, model = updates(video=True)
    model.apply(screen.update(text_page(HEIGHT, seed=10), None, full=True, quality=75, now=0.0))
    frame = window_switch(seed=11)
    first = screen.update(frame, None, full=False, quality=75, now=1.0)
    model.apply(first)
    truth = bgra_to_rgb(frame)
    # Today's encoding of the same change (a console without H.264 never sees it rough).
    plain, reference = updates(video=False)
    reference.apply(plain.update(text_page(HEIGHT, seed=10), None, full=True, quality=75, now=0))
    sharp = plain.update(frame, None, full=False, quality=75, now=1.0)
    reference.apply(sharp)
    assert 0 < jpeg_bytes(first) < 0.8 * jpeg_bytes(sharp)
    assert np.array_equal(model.rgb[:, 512:], truth[:, 512:])  # the text: lossless at once
    rough = psnr(model.rgb[:, :448], truth[:, :448])
    assert screen.deadline() == 1.0 + STILL
    # Nothing changed until the deadline: the photo's tiles again, at the caller's quality.
    again = screen.update(frame, set(), full=False, quality=75, now=1.0 + STILL)
    assert {t.encoding for t in again} == {TileEncoding.JPEG}
    assert screen.counters.sweep_refreshes == 1 and screen.deadline() is None
    model.apply(again)
    assert np.array_equal(model.rgb[:, 512:], truth[:, 512:])
    sharpened = psnr(model.rgb[:, :448], truth[:, :448])
    assert sharpened > rough + 1  # (the photo's grain keeps both under 40 dB)
    assert abs(sharpened - psnr(reference.rgb[:, :448], truth[:, :448])) < 0.5
    assert screen.update(frame, set(), full=False, quality=75, now=2.0) == []


def pan(
    screen: ScreenUpdates, model: ScreenModel, seed: int, steps: int
) -> tuple[Frame, list[set[TileEncoding]]]:
    """A text page, then a photo panned diagonally over the whole grid `steps` captures long;
    the last frame and each capture's tile encodings."""
    model.apply(screen.update(text_page(HEIGHT, seed=12), None, full=True, quality=75, now=0.0))
    picture = photo(WIDTH + 64, HEIGHT + 64, seed=seed)
    now, frame, kinds = 1.0, window_switch(seed=12), []
    for step in range(steps):
        frame = frame.copy()
        frame[:, :, 2::-1] = picture[step * 5 : step * 5 + HEIGHT, step * 7 : step * 7 + WIDTH]
        tiles = screen.update(frame, None, full=False, quality=75, now=now)
        kinds.append({t.encoding for t in tiles})
        model.apply(tiles)
        now += FRAME
    return frame, kinds


def test_a_pan_goes_rough_once_then_video_and_nothing_is_sent_again_sharp() -> None:
    screen, model = updates(video=True)
    frame, kinds = pan(screen, model, seed=13, steps=8)
    # Video at its second capture.
    assert [TileEncoding.H264 in k for k in kinds] == [False] + [True] * 7
    ended_at = screen.deadline()
    assert ended_at is not None
    # The lossless refresh after motion, in parts: a whole screen of photo is megabytes.
    now, parts = ended_at + 0.001, []
    while True:
        still = screen.update(frame, set(), full=False, quality=75, now=now)
        parts.append(sum(len(t.data) for t in still))
        model.apply(still)
        deadline = screen.deadline()
        if deadline is None:
            break
        assert deadline <= now  # the next part at once, as the flow window lets it
        now += FRAME
    assert len(parts) > 2 and max(parts) <= REFRESH_BUDGET + 100_000  # (the last group may pass it)
    assert screen.counters.refreshes == 1 and screen.counters.sweep_refreshes == 0
    assert np.array_equal(model.rgb, bgra_to_rgb(frame))
    assert screen.update(frame, set(), full=False, quality=75, now=now + 1.0) == []


def test_a_refresh_in_parts_leaves_out_what_changed_again_and_ends_exact() -> None:
    screen, model = updates(video=True)
    frame, _ = pan(screen, model, seed=14, steps=6)
    ended_at = screen.deadline()
    assert ended_at is not None
    first = screen.update(frame, set(), full=False, quality=75, now=ended_at)
    model.apply(first)
    assert screen.deadline() is not None  # more to come
    # A keystroke's tile changes in the part not yet sent: it goes at once, as any change.
    frame = frame.copy()
    frame[HEIGHT - 40 : HEIGHT - 30, WIDTH - 40 : WIDTH - 30, :3] = 0
    now = ended_at + FRAME
    changed = screen.update(frame, None, full=False, quality=75, now=now)
    x, y = WIDTH - 40, HEIGHT - 40
    assert any(t.x <= x < t.x + t.width and t.y <= y < t.y + t.height for t in changed)
    model.apply(changed)
    while screen.deadline() is not None:
        now += FRAME
        model.apply(screen.update(frame, set(), full=False, quality=75, now=now))
    # Exact but for the tile that changed again: that one went as any change does (a photo
    # tile as JPEG), not held back for the refresh's turn.
    truth, shown = bgra_to_rgb(frame), model.rgb.copy()
    assert not np.array_equal(shown[320:, 576:], truth[320:, 576:])
    shown[320:, 576:] = truth[320:, 576:]
    assert np.array_equal(shown, truth)


def test_a_big_change_at_the_governors_floor_or_without_h264_is_not_sent_again() -> None:
    for video, quality in ((True, SWEEP_QUALITY), (False, 75)):
        screen, _model = updates(video=video)
        screen.update(text_page(HEIGHT, seed=14), None, full=True, quality=quality, now=0.0)
        screen.update(window_switch(seed=15), None, full=False, quality=quality, now=1.0)
        assert screen.deadline() is None


def test_a_scroll_of_rough_tiles_is_sent_again_where_it_landed() -> None:
    screen, model = updates(video=True)
    model.apply(screen.update(text_page(HEIGHT, seed=16), None, full=True, quality=75, now=0.0))
    # A new page, a photo in its top 256 rows, then scrolled back one tile row: the photo's
    # rough pixels are copied down onto the row below it, which was text.
    page = text_page(HEIGHT, seed=17)
    page[:256, :480, 2::-1] = photo(480, 256, seed=17)
    document = np.concatenate([text_page(64, seed=18), page])
    model.apply(screen.update(document[64:], None, full=False, quality=75, now=1.0))
    scrolled = document[:HEIGHT].copy()
    tiles = screen.update(scrolled, None, full=False, quality=75, now=1.0 + FRAME)
    assert screen.counters.copies == 1 and TileEncoding.H264 not in {t.encoding for t in tiles}
    model.apply(tiles)
    truth = bgra_to_rgb(scrolled)
    landed = (slice(256, 320), slice(0, 448))
    rough = psnr(model.rgb[landed], truth[landed])
    ended_at = screen.deadline()
    assert ended_at is not None
    model.apply(screen.update(scrolled, set(), full=False, quality=75, now=ended_at))
    assert psnr(model.rgb[landed], truth[landed]) > rough + 1
    assert np.array_equal(model.rgb[:, 512:], truth[:, 512:])
