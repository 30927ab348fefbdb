"""Motion detection as pure logic: tile changes and times in, video region decisions out."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from quickassist.sharer.motion import MotionSettings, MotionTracker, TileBox

FRAME = 1 / 30
BLOCK = TileBox(4, 2, 6, 5)  # a 384 x 320 pixel animation at 64-pixel tiles


def run(tracker: MotionTracker, changes: list[set[tuple[int, int]]], start: float = 0.0) -> list:
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
