"""Scroll detection: shifts found exactly, applied like the console, never invented."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quickassist.sharer.scroll import MIN_RUN, find_shift
from quickassist.sharer.tiles import Frame, Rect


def page(height: int, width: int, seed: int = 1) -> Frame:
    """Text-like rows: every row different (as lines of text with glyphs are)."""
    rng = np.random.default_rng(seed)
    frame = np.full((height, width, 4), 255, dtype=np.uint8)
    ink = rng.random((height, width)) < 0.2
    frame[ink] = (20, 20, 20, 255)
    return frame


def scrolled(before: Frame, dy: int, dx: int = 0, seed: int = 2) -> Frame:
    """`before` moved by (dx, dy), the exposed strip filled with new content."""
    after = page(*before.shape[:2], seed=seed)
    h, w = before.shape[:2]
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    after[yd, xd] = before[ys, xs]
    return after


def test_a_page_scrolled_up_is_one_copy_and_the_bottom_strip() -> None:
    before = page(480, 640)
    after = scrolled(before, -24)
    shift = find_shift(before, after, Rect(0, 0, 640, 480))
    assert shift is not None
    assert (shift.dx, shift.dy) == (0, -24)
    assert shift.rect == Rect(0, 0, 640, 456)
    assert shift.source == (0, 24)
    shift.apply(before)
    assert np.array_equal(before[:456], after[:456])


def test_a_sideways_scroll_inside_an_area() -> None:
    before = page(300, 800)
    after = before.copy()
    area = Rect(100, 50, 500, 200)
    inner = scrolled(before[50:250, 100:600], 0, dx=40)
    after[50:250, 100:600] = inner
    shift = find_shift(before, after, area)
    assert shift is not None
    assert (shift.dx, shift.dy) == (40, 0)
    assert shift.rect == Rect(140, 50, 460, 200)
    shift.apply(before)
    assert np.array_equal(before[50:250, 140:600], after[50:250, 140:600])


def test_a_change_that_is_no_scroll_gives_no_shift() -> None:
    before = page(400, 400, seed=1)
    assert find_shift(before, page(400, 400, seed=7), Rect(0, 0, 400, 400)) is None


def test_a_blank_area_gives_no_shift() -> None:
    # Every row alike: any shift would "match"; none is claimed.
    blank = np.full((200, 300, 4), 255, dtype=np.uint8)
    assert find_shift(blank, blank.copy(), Rect(0, 0, 300, 200)) is None


def test_a_run_shorter_than_the_minimum_is_left_to_the_tiles() -> None:
    before = page(MIN_RUN * 2 + 10, 200)
    after = scrolled(before, -(MIN_RUN * 2 + 10 - MIN_RUN + 2))
    assert find_shift(before, after, Rect(0, 0, 200, before.shape[0])) is None


@settings(max_examples=40, deadline=None)
@given(dy=st.integers(-150, 150).filter(lambda d: d != 0), seed=st.integers(0, 1000))
def test_any_vertical_scroll_is_found_and_applying_it_gives_the_new_picture(
    dy: int, seed: int
) -> None:
    before = page(400, 256, seed=seed)
    after = scrolled(before, dy, seed=seed + 1)
    shift = find_shift(before, after, Rect(0, 0, 256, 400))
    assert shift is not None
    assert shift.dy == dy and shift.dx == 0
    r = shift.rect
    assert r.height >= 400 - abs(dy)
    shift.apply(before)
    assert np.array_equal(
        before[r.y : r.y + r.height, r.x : r.x + r.width],
        after[r.y : r.y + r.height, r.x : r.x + r.width],
    )
