"""Motion detection as pure logic: tile changes and times in, video region decisions out."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from quickassist.sharer.motion import MotionChange, MotionSettings, MotionTracker, TileBox

FRAME = 1 / 30
BLOCK = TileBox(4, 2, 6, 5)  # a 384 x 320 pixel animation at 64-pixel tiles


def run(
    tracker: MotionTracker, changes: list[set[tuple[int, int]]], start: float = 0.0
) -> list[MotionChange]:
    return [tracker.observe(changed, start + n * FRAME) for n, changed in enumerate(changes)]


def test_an_animation_becomes_video_on_its_third_frame_with_a_keyframe() -> None:
    tracker = MotionTracker(30, 17)
    first, second, third, fourth = run(tracker, [set(BLOCK.tiles())] * 4)
    assert first.region is None and second.region is None
    assert third.region == BLOCK and third.restarted
    assert fourth.region == BLOCK and not fourth.restarted


def test_typing_never_becomes_video() -> None:
    # A character cell changes every capture, moving along a line: hot tiles, but few.
    tracker = MotionTracker(30, 17)
    changes = [{(n // 4, 3)} for n in range(120)]
    assert all(change.region is None for change in run(tracker, changes))


def test_a_changing_bottom_line_never_becomes_video() -> None:
    # The strip a scroll exposes: a whole row of tiles, every capture, but one tile high.
    tracker = MotionTracker(30, 17)
    strip = {(c, 16) for c in range(30)}
    assert all(change.region is None for change in run(tracker, [strip] * 60))


def test_changes_far_apart_in_time_are_not_motion() -> None:
    tracker = MotionTracker(30, 17)
    for n in range(10):
        assert tracker.observe(set(BLOCK.tiles()), n * 1.0).region is None


def test_motion_ends_at_the_first_still_capture_after_still_after() -> None:
    s = MotionSettings()
    tracker = MotionTracker(30, 17, s)
    run(tracker, [set(BLOCK.tiles())] * 5)
    last_change = 4 * FRAME
    assert tracker.deadline() == last_change + s.still_after
    early = tracker.observe(set(), last_change + s.still_after / 2)
    assert early.region == BLOCK and early.ended is None
    done = tracker.observe(set(), last_change + s.still_after)
    assert done.region is None and done.ended == BLOCK
    assert tracker.deadline() is None


def test_a_change_inside_the_region_keeps_it_going() -> None:
    s = MotionSettings()
    tracker = MotionTracker(30, 17, s)
    run(tracker, [set(BLOCK.tiles())] * 3)
    now = 2 * FRAME
    for _ in range(20):  # one tile of it changes every 0.2 s: still video
        now += s.still_after * 0.66
        assert tracker.observe({(5, 3)}, now).region == BLOCK


def test_motion_outside_the_region_grows_it_and_restarts_the_video() -> None:
    tracker = MotionTracker(30, 17)
    run(tracker, [set(BLOCK.tiles())] * 3)
    moved = {(c + 3, r) for c, r in BLOCK.tiles()}  # a dragged window moved right
    changes = run(tracker, [moved] * 3, start=3 * FRAME)
    grown = changes[2]
    assert grown.region == TileBox(4, 2, 9, 5) and grown.restarted


def test_reset_forgets_runs_and_region() -> None:
    tracker = MotionTracker(30, 17)
    run(tracker, [set(BLOCK.tiles())] * 3)
    tracker.reset()
    assert tracker.region is None and tracker.deadline() is None
    assert tracker.observe(set(BLOCK.tiles()), 1.0).region is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sets(st.tuples(st.integers(0, 11), st.integers(0, 7)), max_size=40),
            st.floats(0.0, 0.6),
        ),
        max_size=40,
    )
)
def test_every_decision_keeps_the_invariants(
    steps: list[tuple[set[tuple[int, int]], float]],
) -> None:
    s = MotionSettings()
    tracker = MotionTracker(12, 8, s)
    now = 0.0
    previous: TileBox | None = None
    for changed, gap in steps:
        now += gap
        change = tracker.observe(changed, now)
        region = change.region
        if region is not None:
            # Big enough, inside the grid, and covering everything it covered before.
            assert region.columns >= s.min_side and region.rows >= s.min_side
            assert region.column >= 0 and region.row >= 0
            assert region.column + region.columns <= 12 and region.row + region.rows <= 8
            assert previous is None or region.union(previous) == region
            assert change.restarted == (region != previous)
        if change.ended is not None:
            assert change.ended == previous and region is None
            assert not (changed & set(previous.tiles()))  # only a still capture ends it
        if previous is not None and region is None:
            assert change.ended == previous  # video never stops without its refresh
        previous = region


SCREEN = TileBox(0, 0, 30, 17)  # 1920 x 1080 at 64-pixel tiles


def test_a_full_screen_pan_becomes_video_on_its_second_capture() -> None:
    tracker = MotionTracker(30, 17)
    first, second, third = run(tracker, [set(SCREEN.tiles())] * 3)
    assert first.region is None
    assert second.region == SCREEN and second.restarted
    assert third.region == SCREEN and not third.restarted


def test_one_whole_screen_change_stays_tiles() -> None:
    # A window switch or a page load: the whole screen once, then still.
    tracker = MotionTracker(30, 17)
    changes = [set(SCREEN.tiles()), set(), set(), set()]
    assert all(change.region is None for change in run(tracker, changes))


def test_a_sweep_needs_most_of_the_screen_and_captures_close_together() -> None:
    tracker = MotionTracker(30, 17)
    under_half = {(c, r) for c in range(30) for r in range(8)}  # 240 of 510 tiles
    assert [c.region for c in run(tracker, [under_half] * 2)] == [None, None]
    tracker = MotionTracker(30, 17)
    whole = set(SCREEN.tiles())
    assert tracker.observe(whole, 0.0).region is None
    assert tracker.observe(whole, 0.6).region is None  # more than max_gap later: editing
    assert tracker.observe(whole, 0.6 + FRAME).region == SCREEN


def test_a_sweep_region_is_the_box_of_the_swept_tiles() -> None:
    tracker = MotionTracker(30, 17)
    lower = TileBox(0, 5, 30, 12)  # 360 of 510 tiles: all but the top bar
    assert [c.region for c in run(tracker, [set(lower.tiles())] * 2)] == [None, lower]
