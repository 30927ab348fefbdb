"""Scroll detection: the part of a new capture that is the viewer's picture moved up, down or
sideways, so it can go as one COPY instruction plus the newly exposed strip.

`find_shift(before, after, area)` looks inside `area` (the box of changed pixels) for one shift
(dx, 0) or (0, dy). Each row (column, for sideways) gets a digest, a weighted sum of sampled
pixels; each new row whose digest is unique among the old rows votes for the shift that brings
it there. For the winning shift the rows that match pixel for pixel are found by an exact
compare, and their longest run is the copy: a digest collision can cost a missed copy, never a
wrong picture. Timings: bench/scroll_detect.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .tiles import Frame, Rect

# Defaults -------------------------------------------------------------------------------------
#: Largest shift looked for, in pixels: a page scrolled by a wheel notch moves 3 lines (~50 px),
#: a page-down moves a screen less a line; further than this is no cheaper as a copy.
MAX_SHIFT = 512
#: A copy is worth its 17 bytes only for a block this many rows (columns) long; shorter runs
#: are left to the tiles.
MIN_RUN = 24
#: Votes the winning shift needs, as a share of the rows that could vote (rows unique in the old
#: picture): below it the change is not a scroll.
MIN_VOTE_SHARE = 0.25

#: A row's digest samples HASH_CHUNKS runs of HASH_RUN pixels: enough to tell lines of text
#: apart; the run that is copied is then found by an exact compare of every pixel.
HASH_CHUNKS = 8
HASH_RUN = 32
_WEIGHTS = np.random.default_rng(0x5C2011).uniform(1.0, 2.0, HASH_CHUNKS * HASH_RUN)


@dataclass(frozen=True, slots=True)
class Shift:
    """`rect` of the new picture holds the old picture's pixels from `rect` moved by (dx, dy)."""

    rect: Rect
    dx: int
    dy: int

    @property
    def source(self) -> tuple[int, int]:
        """The top-left corner of the pixels in the old picture."""
        return self.rect.x - self.dx, self.rect.y - self.dy

    def apply(self, frame: Frame) -> None:
        """Move the pixels in `frame` as the receiver does (numpy copies overlapping slices)."""
        r, (sx, sy) = self.rect, self.source
        frame[r.y : r.y + r.height, r.x : r.x + r.width] = frame[
            sy : sy + r.height, sx : sx + r.width
        ]


def find_shift(
    before: Frame,
    after: Frame,
    area: Rect,
    *,
    max_shift: int = MAX_SHIFT,
    min_run: int = MIN_RUN,
) -> Shift | None:
    """The largest block of `area` that is `before` shifted vertically, else horizontally."""
    old = _words(before, area)
    new = _words(after, area)
    found = _shift_along_rows(old, new, _digests(old, 0), _digests(new, 0), max_shift, min_run)
    if found is not None:
        dy, start, end = found
        return Shift(Rect(area.x, area.y + start, area.width, end - start), 0, dy)
    found = _shift_along_rows(old.T, new.T, _digests(old, 1), _digests(new, 1), max_shift, min_run)
    if found is not None:
        dx, start, end = found
        return Shift(Rect(area.x + start, area.y, end - start, area.height), dx, 0)
    return None


def _words(frame: Frame, area: Rect) -> npt.NDArray[np.uint32]:
    """The area as (rows, columns) of 32-bit pixels (whole words, as `TileGrid.changed`)."""
    pixels = frame[area.y : area.y + area.height, area.x : area.x + area.width]
    if pixels.strides[1:] != (4, 1):  # (a frame from the grabber never needs this copy)
        pixels = np.ascontiguousarray(pixels)
    # A view, not a copy: a 1080p area narrower than the screen cost two 8 MB copies a frame.
    words: npt.NDArray[np.uint32] = pixels.view(np.uint32)[:, :, 0]
    return words


def _digests(words: npt.NDArray[np.uint32], axis: int) -> npt.NDArray[np.float64]:
    """A digest per row (`axis` 0) or per column (1), for voting only: a weighted sum (position
    matters: rows of text with the same ink in other places must differ) of HASH_CHUNKS runs of
    contiguous pixels spread across it. Runs of memory, not every n-th pixel, and a float
    product: ~0.9 ms of CPU for 1080 rows of 1920 pixels, where a strided uint64 sum took
    2.9 ms. Equal rows give equal digests; unequal rows that collide cost at most a vote (the
    run copied is checked pixel for pixel)."""
    across = words.shape[1 - axis]
    if across <= HASH_CHUNKS * HASH_RUN:
        runs = [slice(0, across)]
    else:
        starts = np.linspace(0, across - HASH_RUN, HASH_CHUNKS).astype(np.intp).tolist()
        runs = [slice(start, start + HASH_RUN) for start in starts]
    digest: npt.NDArray[np.float64] = np.zeros(words.shape[axis], dtype=np.float64)
    # Slices, not a gather (np.take on a strided view took 2.8 ms); einsum, not BLAS: one
    # thread (BLAS threads would spin on a shared 2-core machine).
    for index, run in enumerate(runs):
        weights = _WEIGHTS[index * HASH_RUN : index * HASH_RUN + (run.stop - run.start)]
        if axis == 0:
            digest += np.einsum("ij,j->i", words[:, run].astype(np.float64), weights)
        else:
            digest += np.einsum("i,ij->j", weights, words[run].astype(np.float64))
    return digest


def _shift_along_rows(
    old: npt.NDArray[np.uint32],
    new: npt.NDArray[np.uint32],
    old_hash: npt.NDArray[np.float64],
    new_hash: npt.NDArray[np.float64],
    max_shift: int,
    min_run: int,
) -> tuple[int, int, int] | None:
    """(shift, first row, end row) of the longest verified block of `new` that is `old` moved
    down by `shift` rows (negative: up), or None."""
    rows = old.shape[0]
    if rows < 2 * min_run:
        return None
    # Rows unique in the old picture vote (blank lines match anywhere: they would vote for all).
    order = np.argsort(old_hash, kind="stable")
    ordered = old_hash[order]
    unique = np.ones(rows, dtype=bool)
    same = ordered[1:] == ordered[:-1]
    unique[1:] &= ~same
    unique[:-1] &= ~same
    keys, positions = ordered[unique], order[unique]
    if keys.size == 0:
        return None
    at = np.searchsorted(keys, new_hash).clip(0, keys.size - 1)
    hit = keys[at] == new_hash
    shifts = np.arange(rows)[hit] - positions[at[hit]]
    shifts = shifts[(shifts != 0) & (np.abs(shifts) <= max_shift)]
    if shifts.size < max(min_run // 2, MIN_VOTE_SHARE * keys.size):
        return None
    votes = np.bincount(shifts + max_shift, minlength=2 * max_shift + 1)
    shift = int(np.argmax(votes)) - max_shift
    if votes[shift + max_shift] < max(min_run // 2, MIN_VOTE_SHARE * keys.size):
        return None
    # The longest run of rows y with new[y] == old[y - shift], pixel for pixel.
    lo, hi = max(0, shift), min(rows, rows + shift)
    matches = (new[lo:hi] == old[lo - shift : hi - shift]).all(axis=1)
    start, end = _longest_run(matches)
    if end - start < min_run:
        return None
    return shift, start + lo, end + lo


def _longest_run(flags: npt.NDArray[np.bool_]) -> tuple[int, int]:
    """[start, end) of the longest run of True in `flags` ((0, 0) if none)."""
    padded = np.concatenate(([False], flags, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    if edges.size == 0:
        return 0, 0
    starts, ends = edges[::2], edges[1::2]
    best = int(np.argmax(ends - starts))
    return int(starts[best]), int(ends[best])
