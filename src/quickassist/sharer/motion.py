"""Motion detection: which part of the screen keeps changing, capture after capture, and so goes
as video rather than as tiles; and when it stops, so it can be refreshed losslessly.

Pure: the changed tiles of each capture and the capture's time go in (`observe`), decisions come
out; no clock is read. Work is in tile units of the capture grid (`TileGrid`).

- A tile is *hot* once it changed in `hot_after` captures in a row, none of them more than
  `max_gap` seconds apart (a keystroke now and one in a second are not motion).
- Video starts when at least `min_tiles` tiles are hot and their bounding box is at least
  `min_side` tiles wide and high: a video, an animation, a window being dragged, a scroll that no
  copy could express. A line of typing or a terminal's bottom line (one tile high) never is.
- A sweeping change starts video sooner: when `sweep_share` of the whole grid changed in
  `sweep_after` captures in a row (a full-screen pan or video, which no copy explained: the
  caller takes copies out first). Those first captures as image tiles were 210 + 167 kB at
  1080p, 1.5 s of a 2 Mbit/s link, before the stream began. One whole-screen change (a window
  switch, a page load) is still one capture and stays lossless tiles.
- While video runs, hot tiles outside the region grow it to the bounding box of both (a window
  dragged across the screen): a new size, so the video starts over with a keyframe.
- Video ends at the first capture that finds the region unchanged `still_after` seconds after its
  last change; the caller then sends the region as lossless tiles (`MotionChange.ended`).
  `deadline()` says when to make that capture if nothing else happens.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class MotionSettings:
    """When content counts as in motion, and as still again."""

    #: Captures in a row that changed a tile before it counts as in motion. Three: an animation
    #: at 30 fps switches to video within 0.1 s; a double change (a menu opening) does not.
    hot_after: int = 3
    #: Captures further apart than this (seconds) break a run: that is editing, not motion.
    max_gap: float = 0.5
    #: Hot tiles needed, and the region's least width and height in tiles (3 tiles = 192 px).
    min_tiles: int = 12
    min_side: int = 3
    #: Share of the grid that, changed in `sweep_after` captures in a row, is motion at once.
    sweep_share: float = 0.5
    sweep_after: int = 2
    #: Seconds without change in the region before it goes back to tiles: longer than a pause
    #: between a video's frames at 4 fps, short enough that text is sharp at once when a
    #: window stops moving.
    still_after: float = 0.3


@dataclass(frozen=True, slots=True)
class TileBox:
    """Tiles [column, column + columns) x [row, row + rows) of the grid."""

    column: int
    row: int
    columns: int
    rows: int

    def contains(self, tile: tuple[int, int]) -> bool:
        column, row = tile
        return (
            self.column <= column < self.column + self.columns
            and self.row <= row < self.row + self.rows
        )

    def union(self, other: TileBox) -> TileBox:
        c0, r0 = min(self.column, other.column), min(self.row, other.row)
        c1 = max(self.column + self.columns, other.column + other.columns)
        r1 = max(self.row + self.rows, other.row + other.rows)
        return TileBox(c0, r0, c1 - c0, r1 - r0)

    def tiles(self) -> list[tuple[int, int]]:
        """The tiles of the box, row-major."""
        return [
            (c, r)
            for r in range(self.row, self.row + self.rows)
            for c in range(self.column, self.column + self.columns)
        ]


@dataclass(frozen=True, slots=True)
class MotionChange:
    """What one capture changed about the video region."""

    #: The region to send as video now (None: no video).
    region: TileBox | None
    #: The region is new or changed size: its video starts over with a keyframe.
    restarted: bool = False
    #: Video of this region just ended: refresh it losslessly.
    ended: TileBox | None = None


class MotionTracker:
    """Tracks runs of change per tile over a `columns` x `rows` grid and the one video region."""

    def __init__(self, columns: int, rows: int, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self.columns, self.rows = columns, rows
        self._runs: npt.NDArray[np.int32] = np.zeros((rows, columns), dtype=np.int32)
        self._last_capture = float("-inf")
        self._region: TileBox | None = None
        self._region_changed_at = float("-inf")

    @property
    def region(self) -> TileBox | None:
        return self._region

    def reset(self) -> None:
        """Forget all runs and the region (a keyframe: everything goes as tiles anew)."""
        self._runs[:] = 0
        self._region = None
        self._last_capture = float("-inf")

    def deadline(self) -> float | None:
        """When a capture that finds the region unchanged would end its video (None: no video)."""
        if self._region is None:
            return None
        return self._region_changed_at + self.settings.still_after

    def observe(self, changed: Collection[tuple[int, int]], now: float) -> MotionChange:
        """One capture at `now` (seconds) changed `changed` tiles (column, row)."""
        s = self.settings
        changed_mask = np.zeros((self.rows, self.columns), dtype=bool)
        if changed:
            columns, rows = np.array(list(changed), dtype=np.intp).T
            changed_mask[rows, columns] = True
        in_a_row = now - self._last_capture <= s.max_gap
        self._last_capture = now
        self._runs = np.where(changed_mask, self._runs + 1 if in_a_row else 1, 0).astype(np.int32)
        hot = self._runs >= s.hot_after
        swept = self._runs >= s.sweep_after
        if np.count_nonzero(swept) >= s.sweep_share * swept.size:
            hot = hot | swept
        region = self._region
        if region is None:
            box = _bounding_box(hot)
            if box is None or np.count_nonzero(hot) < s.min_tiles:
                return MotionChange(None)
            if box.columns < s.min_side or box.rows < s.min_side:
                return MotionChange(None)
            self._region = box
            self._region_changed_at = now
            return MotionChange(box, restarted=True)
        inside = changed_mask[
            region.row : region.row + region.rows, region.column : region.column + region.columns
        ]
        if inside.any():
            self._region_changed_at = now
        elif now - self._region_changed_at >= s.still_after:
            self.reset()
            return MotionChange(None, ended=region)
        box = _bounding_box(hot)
        grown = region if box is None else region.union(box)
        if grown != region:
            self._region = grown
            return MotionChange(grown, restarted=True)
        return MotionChange(region)


def _bounding_box(mask: npt.NDArray[np.bool_]) -> TileBox | None:
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    columns = np.flatnonzero(mask.any(axis=0))
    r0, r1 = int(rows[0]), int(rows[-1]) + 1
    c0, c1 = int(columns[0]), int(columns[-1]) + 1
    return TileBox(c0, r0, c1 - c0, r1 - r0)
