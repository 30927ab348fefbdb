"""The tile grid and change detection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quickassist.sharer.tiles import Rect, TileGrid, changed_box, join_small


def test_edge_tiles_are_cut_to_the_monitor() -> None:
    grid = TileGrid(1920, 1080, 64)
    assert (grid.columns, grid.rows) == (30, 17)
    assert grid.rect((29, 16)) == Rect(1856, 1024, 64, 56)
    assert sum(grid.rect(t).width * grid.rect(t).height for t in grid.all()) == 1920 * 1080


def test_touching_clips_rectangles_to_the_monitor() -> None:
    grid = TileGrid(200, 100, 64)
    assert grid.touching([Rect(60, 10, 10, 10)]) == {(0, 0), (1, 0)}
    assert grid.touching([Rect(-50, -50, 51, 51)]) == {(0, 0)}
    assert grid.touching([Rect(500, 500, 10, 10), Rect(0, 0, 0, 5)]) == set()


@pytest.mark.parametrize("width", [200, 199])  # uint64 and (odd width) uint32 views
@given(pixels=st.lists(st.tuples(st.integers(0, 99), st.integers(0, 198)), max_size=6))
def test_changed_finds_exactly_the_tiles_with_different_pixels(
    width: int, pixels: list[tuple[int, int]]
) -> None:
    grid = TileGrid(width, 100, 64)
    before = np.zeros((100, width, 4), dtype=np.uint8)
    after = before.copy()
    expected = set()
    for y, x in pixels:
        after[y, x % width, 1] = 9
        expected.add(((x % width) // 64, y // 64))
    assert set(grid.changed(before, after)) == expected
    assert set(grid.changed(before, after, grid.all())) == expected
    assert grid.changed(before, after, []) == []


@given(chosen=st.sets(st.tuples(st.integers(0, 3), st.integers(0, 1))))
def test_copy_moves_exactly_the_chosen_tiles(chosen: set[tuple[int, int]]) -> None:
    grid = TileGrid(250, 100, 64)  # edge tiles cut on both axes
    src = np.arange(100 * 250 * 4, dtype=np.uint32).astype(np.uint8).reshape(100, 250, 4)
    dst = np.zeros_like(src)
    tiles = sorted(chosen, key=lambda t: (t[1], t[0]))
    grid.copy(dst, src, tiles)
    for tile in grid.all():
        expected = grid.pixels(src, tile) if tile in chosen else 0
        assert (grid.pixels(dst, tile) == expected).all()


def test_odd_tile_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        TileGrid(100, 100, 63)


@given(pixels=st.lists(st.tuples(st.integers(0, 99), st.integers(0, 199)), max_size=6))
def test_changed_box_is_the_smallest_rectangle_holding_every_change(
    pixels: list[tuple[int, int]],
) -> None:
    before = np.zeros((100, 200, 4), dtype=np.uint8)
    after = before.copy()
    area = Rect(64, 0, 64, 64)
    inside = [(y, x) for y, x in pixels if 64 <= x < 128 and y < 64]
    for y, x in pixels:
        after[y, x, 3] = 1  # any byte of the pixel counts, as in `changed`
    box = changed_box(before, after, area)
    if not inside:
        assert box is None
        return
    ys, xs = [y for y, _ in inside], [x for _, x in inside]
    assert box == Rect(min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)


def test_a_keystroke_cut_by_a_tile_line_is_joined_again() -> None:
    assert join_small([Rect(57, 3, 7, 13), Rect(64, 3, 5, 13)], 64) == [Rect(57, 3, 12, 13)]
    assert join_small([Rect(0, 55, 6, 9), Rect(0, 64, 6, 4)], 64) == [Rect(0, 55, 6, 13)]


def test_boxes_too_far_apart_or_a_join_that_covers_another_stay_apart() -> None:
    far = [Rect(0, 0, 10, 10), Rect(100, 0, 10, 10)]
    assert join_small(far, 64) == far
    # Joining the outer two would cover the middle one; the middle joins one of them instead.
    row = [Rect(0, 0, 4, 4), Rect(20, 20, 4, 4), Rect(40, 0, 4, 4)]
    joined = join_small(row, 64)
    assert len(joined) < 3 and not overlapping(joined)


def overlapping(boxes: list[Rect]) -> bool:
    return any(
        a.x < b.x + b.width
        and b.x < a.x + a.width
        and a.y < b.y + b.height
        and b.y < a.y + a.height
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
    )


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 63), st.integers(1, 63)),
        unique_by=lambda t: (t[0], t[1]),
        max_size=10,
    )
)
def test_joined_boxes_cover_every_box_never_overlap_and_stay_small(
    cells: list[tuple[int, int, int, int]],
) -> None:
    # One box per 64-pixel tile, as `changed_box` makes them.
    boxes = [Rect(c * 64 + (63 - w) // 2, r * 64, w, h) for c, r, w, h in cells]
    joined = join_small(boxes, 64)
    assert not overlapping(joined)
    for box in boxes:
        assert any(
            j.x <= box.x
            and j.y <= box.y
            and box.x + box.width <= j.x + j.width
            and box.y + box.height <= j.y + j.height
            for j in joined
        )
    assert all(j in boxes or (j.width <= 64 and j.height <= 64) for j in joined)
    assert joined == sorted(joined, key=lambda r: (r.y, r.x))
