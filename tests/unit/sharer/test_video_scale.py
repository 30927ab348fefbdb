"""VideoScale as pure code: capture costs and their times in, the video's scale out."""

from __future__ import annotations

from quickassist.sharer.video_scale import FULL, HALF, ScaleSettings, VideoScale

FRAME = 1 / 30
SETTINGS = ScaleSettings()


def feed(scale: VideoScale, cost: float, start: float, count: int) -> tuple[int, float]:
    """`count` captures of `cost` seconds, one a frame from `start`: the last scale and time."""
    now, result = start, scale.scale
    for _ in range(count):
        result = scale.observe(cost, now)
        now += FRAME
    return result, now


def test_captures_that_fit_the_interval_stay_full_size() -> None:
    scale = VideoScale(FRAME)
    result, _ = feed(scale, 0.7 * FRAME, 0.0, 100)
    assert result == FULL and scale.downs == 0


def test_a_window_of_captures_over_the_interval_halves_the_size() -> None:
    scale = VideoScale(FRAME)
    # One slow capture among fast ones is not overuse.
    feed(scale, 0.01, 0.0, SETTINGS.window - 1)
    assert scale.observe(0.2, 1.0) == FULL
    scale = VideoScale(FRAME)
    result, _ = feed(scale, 0.9 * FRAME, 0.0, SETTINGS.window - 1)
    assert result == FULL  # not a full window yet
    assert scale.observe(0.9 * FRAME, 1.0) == HALF and scale.downs == 1


def test_back_to_full_size_only_with_headroom_and_after_the_hold() -> None:
    scale = VideoScale(FRAME)
    _, now = feed(scale, 0.03, 0.0, SETTINGS.window)
    assert scale.scale == HALF
    # Half size at 0.4x of the interval: a full size would not fit; stay.
    result, now = feed(scale, 0.4 * FRAME, now, 200)
    assert result == HALF
    # Room now, but the hold since the switch is counted from the switch.
    scale = VideoScale(FRAME)
    _, switched = feed(scale, 0.03, 0.0, SETTINGS.window)
    result, now = feed(scale, 0.2 * FRAME, switched, int(SETTINGS.hold / FRAME) - 1)
    assert result == HALF
    result, now = feed(scale, 0.2 * FRAME, now, 2)
    assert result == FULL and scale.ups == 1


def test_a_quick_fall_back_doubles_the_hold() -> None:
    scale = VideoScale(FRAME)
    _, now = feed(scale, 0.03, 0.0, SETTINGS.window)
    _, now = feed(scale, 0.002, now, int(SETTINGS.hold / FRAME) + 1)
    assert scale.scale == FULL
    _, now = feed(scale, 0.03, now, SETTINGS.window)  # overuse again at once
    assert scale.scale == HALF and scale.downs == 2
    # The old hold has passed, with room: still half, the hold is now twice as long.
    result, now = feed(scale, 0.002, now, int(SETTINGS.hold / FRAME) + 1)
    assert result == HALF
    result, _ = feed(scale, 0.002, now, int(SETTINGS.hold / FRAME) + 1)
    assert result == FULL and scale.ups == 2


def test_the_hold_stops_growing() -> None:
    settings = ScaleSettings(hold=1.0, max_hold=4.0)
    scale = VideoScale(FRAME, settings)
    now = 0.0
    for _ in range(6):  # up and straight down again, six times
        _, now = feed(scale, 0.03, now, settings.window)
        assert scale.scale == HALF
        _, now = feed(scale, 0.002, now, int(4.0 / FRAME) + 2)
        assert scale.scale == FULL
    assert scale.downs == 6 and scale.ups == 6
