"""The tile grid and change detection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quickassist.sharer.tiles import Rect, TileGrid, changed_box


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
