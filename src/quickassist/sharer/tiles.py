"""The tile grid over a captured monitor and the test for which tiles changed.

Frames are numpy arrays of shape (height, width, 4), BGRA bytes as the X server stores them.
Comparisons run on uint64 (or, for odd widths, uint32) views of the rows: a 64-bit compare tests
two pixels at once, which measured 1.3 ms for a 1080p frame against 30 ms on uint8
(/work/shared/DESIGN.md, "Media").
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]

#: Past this many candidate tiles one vectorised compare of the whole frame (~2 ms at 1080p)
#: beats comparing tile by tile (~10 us each).
_WHOLE_FRAME_BREAK_EVEN = 200

#: Default tile edge in pixels: small enough that a keystroke resends little, large enough that
#: per-tile overhead (13-byte head, one image header) stays small.
TILE_SIZE = 64


@dataclass(frozen=True, slots=True)
class Rect:
    """A rectangle in monitor pixels."""

    x: int
    y: int
    width: int
    height: int

    def overlaps(self, other: Rect) -> bool:
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )

    def covers(self, other: Rect) -> bool:
        """True if `other` lies wholly inside this rectangle."""
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.x + other.width <= self.x + self.width
            and other.y + other.height <= self.y + self.height
        )

    def clip(self, width: int, height: int) -> Rect | None:
        """This rectangle cut to a `width` x `height` area at the origin, or None if outside."""
        x0, y0 = max(self.x, 0), max(self.y, 0)
        x1, y1 = min(self.x + self.width, width), min(self.y + self.height, height)
        if x1 <= x0 or y1 <= y0:
            return None
        return Rect(x0, y0, x1 - x0, y1 - y0)


class TileGrid:
    """The fixed grid of `size` x `size` tiles over a `width` x `height` monitor.

    Tiles on the right and bottom edges are cut to the monitor. A tile is named by its
    (column, row) index.
    """

    def __init__(self, width: int, height: int, size: int = TILE_SIZE) -> None:
        if size <= 0 or size % 2:
            raise ValueError("tile size must be a positive even number")
        self.width = width
        self.height = height
        self.size = size
        self.columns = -(-width // size)
        self.rows = -(-height // size)

    def rect(self, tile: tuple[int, int]) -> Rect:
        column, row = tile
        x, y = column * self.size, row * self.size
        return Rect(x, y, min(self.size, self.width - x), min(self.size, self.height - y))

    def all(self) -> list[tuple[int, int]]:
        return [(c, r) for r in range(self.rows) for c in range(self.columns)]

    def touching(self, rects: Iterable[Rect]) -> set[tuple[int, int]]:
        """Tiles that intersect any of `rects` (monitor coordinates, clipped here)."""
        tiles: set[tuple[int, int]] = set()
        for rect in rects:
            clipped = rect.clip(self.width, self.height)
            if clipped is None:
                continue
            c0, r0 = clipped.x // self.size, clipped.y // self.size
            c1 = (clipped.x + clipped.width - 1) // self.size
            r1 = (clipped.y + clipped.height - 1) // self.size
            tiles.update((c, r) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
        return tiles

    def pixels(self, frame: Frame, tile: tuple[int, int]) -> Frame:
        """The (h, w, 4) view of one tile of `frame`."""
        r = self.rect(tile)
        return frame[r.y : r.y + r.height, r.x : r.x + r.width]

    def copy(self, dst: Frame, src: Frame, tiles: list[tuple[int, int]]) -> None:
        """Copy the pixels of `tiles` (row-major order) from `src` to `dst`.

        Neighbours along a row are copied as one slice: a scroll changes ~500 tiles, which
        took 2.2 ms one by one and 0.35 ms as row slices.
        """
        index = 0
        while index < len(tiles):
            column, row = tiles[index]
            end = index + 1
            while end < len(tiles) and tiles[end] == (column + end - index, row):
                end += 1
            first, last = self.rect((column, row)), self.rect(tiles[end - 1])
            rows = slice(first.y, first.y + first.height)
            columns = slice(first.x, last.x + last.width)
            dst[rows, columns] = src[rows, columns]
            index = end

    def changed(
        self, before: Frame, after: Frame, candidates: Iterable[tuple[int, int]] | None = None
    ) -> list[tuple[int, int]]:
        """Tiles whose pixels differ between two frames of this grid, in row-major order.

        With `candidates` only those tiles are compared (the ones damage reported); without,
        the whole frame is compared at once.
        """
        if candidates is None:
            return self._changed_everywhere(before, after)
        wanted = sorted(set(candidates), key=lambda t: (t[1], t[0]))
        if len(wanted) > _WHOLE_FRAME_BREAK_EVEN:
            keep = set(wanted)
            return [t for t in self._changed_everywhere(before, after) if t in keep]
        a, b = _words(before), _words(after)
        per_word = self.width // a.shape[1]
        out = []
        for tile in wanted:
            r = self.rect(tile)
            x0, x1 = r.x // per_word, -(-(r.x + r.width) // per_word)
            rows = slice(r.y, r.y + r.height)
            if not np.array_equal(a[rows, x0:x1], b[rows, x0:x1]):
                out.append(tile)
        return out

    def _changed_everywhere(self, before: Frame, after: Frame) -> list[tuple[int, int]]:
        a, b = _words(before), _words(after)
        per_word = self.width // a.shape[1]
        differs = a != b
        row_starts = np.arange(0, self.height, self.size)
        column_starts = np.arange(0, a.shape[1], self.size // per_word)
        by_row = np.logical_or.reduceat(differs, row_starts, axis=0)
        by_tile = np.logical_or.reduceat(by_row, column_starts, axis=1)
        rows, columns = np.nonzero(by_tile)
        return [(int(c), int(r)) for r, c in zip(rows, columns, strict=True)]


def changed_box(before: Frame, after: Frame, rect: Rect) -> Rect | None:
    """The smallest rectangle inside `rect` holding every pixel that differs, or None.

    A keystroke changes two character cells (~12 x 13 pixels) of a 64 x 64 tile: sending just
    those is what makes typing cheap. Pixels compare as whole 32-bit words, as `changed` does.
    """
    area = (slice(rect.y, rect.y + rect.height), slice(rect.x, rect.x + rect.width))
    a = np.ascontiguousarray(before[area]).view(np.uint32)[:, :, 0]
    b = np.ascontiguousarray(after[area]).view(np.uint32)[:, :, 0]
    differs = a != b
    rows = np.flatnonzero(differs.any(axis=1))
    if rows.size == 0:
        return None
    columns = np.flatnonzero(differs[rows[0] : rows[-1] + 1].any(axis=0))
    x0, x1 = int(columns[0]), int(columns[-1]) + 1
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    return Rect(rect.x + x0, rect.y + y0, x1 - x0, y1 - y0)


def join_small(boxes: list[Rect], limit: int) -> list[Rect]:
    """`boxes` with any two whose bounding box fits in `limit` x `limit` joined into it.

    A keystroke whose two cells straddle a tile line arrives as two boxes; as one it costs one
    tile head and one palette instead of two (~17 bytes of ~55). Joins never make boxes overlap
    (a join that would cover another box is skipped). Returned in row-major order.
    """
    out = list(boxes)
    joined = True
    while joined:
        joined = False
        for i, j in itertools.combinations(range(len(out)), 2):
            union = _union(out[i], out[j])
            if union.width > limit or union.height > limit:
                continue
            others = (box for k, box in enumerate(out) if k not in (i, j))
            if any(union.overlaps(box) for box in others):
                continue
            out[i] = union
            del out[j]
            joined = True
            break
    return sorted(out, key=lambda r: (r.y, r.x))


def bounding_box(rects: Sequence[Rect]) -> Rect:
    """The smallest rectangle holding all of `rects` (at least one)."""
    x0 = min(r.x for r in rects)
    y0 = min(r.y for r in rects)
    x1 = max(r.x + r.width for r in rects)
    y1 = max(r.y + r.height for r in rects)
    return Rect(x0, y0, x1 - x0, y1 - y0)


def _union(a: Rect, b: Rect) -> Rect:
    x0, y0 = min(a.x, b.x), min(a.y, b.y)
    x1, y1 = max(a.x + a.width, b.x + b.width), max(a.y + a.height, b.y + b.height)
    return Rect(x0, y0, x1 - x0, y1 - y0)


def _words(frame: Frame) -> npt.NDArray[np.uint64] | npt.NDArray[np.uint32]:
    """A (height, words) view of a BGRA frame: two pixels per uint64 when the width allows."""
    height, width, _ = frame.shape
    rows = np.ascontiguousarray(frame).reshape(height, width * 4)
    if width % 2 == 0:
        return rows.view(np.uint64)
    return rows.view(np.uint32)
