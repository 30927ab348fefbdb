"""`ScreenUpdates`: from a capture and what the viewer has, the tiles that bring it up to date.

In order, each capture becomes:

1. a COPY for a scroll (`scroll.find_shift` over the box of changed pixels), applied to the
   viewer's picture here too, so what is left to send is the newly exposed strip;
2. one H.264 picture for the region in motion (`motion.MotionTracker`, `codecs/h264.py`), when
   the console said it decodes H.264: the region's tiles are not sent as images meanwhile. It is
   coded at half size while the captures cost more than the frame interval allows
   (`video_scale.VideoScale`, fed by the caller's `capture_cost`); the console draws it scaled;
3. image tiles (codecs/adaptive.py) for every other changed tile, each cut to its changed
   pixels when few changed; and when motion stops, the whole region once more, losslessly,
   so what the console shows ends exactly what the screen shows. That refresh goes in parts of
   at most `REFRESH_BUDGET` bytes, one a capture (`deadline()` asks for the next at once, the
   flow window paces them like any capture): a 1080p photo-like region is megabytes of PNG,
   seconds of a 10 Mbit/s link in one burst that every later change would wait behind.

A change over most of the grid that is not yet video (`MotionSettings.sweep_share`: the first
capture of a full-screen pan, or one window switch; the two look alike until the next capture)
sends its photo-like tiles at `SWEEP_QUALITY`: a pan's next capture is video, and those bytes
were the start of the motion's lag on a slow link. Text is untouched (palette and PNG tiles do
not use the quality). The JPEG tiles still unchanged `still_after` seconds later (the window
switch) are sent again at the caller's quality, so the picture ends as it did before; the
capture for that comes at `deadline()`.

A keyframe (`full`) is the whole monitor as tiles and ends any video: the next motion starts a
new stream with an H.264 keyframe. Runs on the capture thread; time is an argument.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from quickassist.protocol.media import Tile, TileEncoding

from .codecs.base import TileEncoder
from .codecs.h264 import H264Encoder, VideoEncodeError
from .motion import MotionChange, MotionSettings, MotionTracker, TileBox
from .quality import WORST_QUALITY
from .scroll import find_shift
from .tiles import Frame, Rect, TileGrid, bounding_box, changed_box, join_small
from .video_scale import ScaleSettings, VideoScale

log = logging.getLogger(__name__)

#: Up to this many changed tiles, each is cut to the box of its changed pixels.
MAX_CUT_TILES = 64
#: Up to this many cut boxes, small neighbours are joined (a pairwise search: keep it short).
MAX_JOIN_BOXES = 16
#: A change of at least this many tiles is looked at as a possible scroll (fewer: typing, a
#: button; the tiles are cheap and a copy would save little).
SCROLL_MIN_TILES = 8
#: JPEG quality of a sweeping change's first capture (see the module's docstring): the
#: governor's floor. A panned photo-like 1080p screen: 176 kB at quality 75, 89 kB at 35
#: (0.35 s of a 2 Mbit/s link instead of 0.7); a window switch to it costs 89 + 177 kB.
SWEEP_QUALITY = WORST_QUALITY
#: The most lossless bytes one capture sends of a refresh after motion (see the module's
#: docstring), and the tiles encoded at a time to stay near it. The panned 1080p texture of
#: bench/motion.py is about 6 MB of PNG: 5 s of a 10 Mbit/s link at once. In parts of 128 kB
#: (0.1 s of that link) a keystroke or the cursor waits behind two at most (the flow window's).
REFRESH_BUDGET = 128 * 1024
REFRESH_GROUP = 8


def _row_major(tile: tuple[int, int]) -> tuple[int, int]:
    """Sort key: tiles row by row, as the grid and the encoders take them."""
    return tile[1], tile[0]


@dataclass
class UpdateCounters:
    """What went out so far, by form: tests and benchmarks count them."""

    copies: int = 0
    video_pictures: int = 0
    video_keyframes: int = 0
    refreshes: int = 0
    #: Captures that sent a sweeping change's JPEG tiles again at the caller's quality.
    sweep_refreshes: int = 0


class ScreenUpdates:
    """What the viewer has of one monitor, and how to bring it up to date."""

    def __init__(
        self,
        grid: TileGrid,
        tiles: TileEncoder,
        *,
        video: H264Encoder | None = None,
        motion: MotionSettings | None = None,
        frame_interval: float = 1 / 30,
        scale: ScaleSettings | None = None,
    ) -> None:
        self.grid = grid
        self.tiles = tiles
        self.video = video if video is not None else H264Encoder()
        self.motion = MotionTracker(grid.columns, grid.rows, motion)
        self.shown: Frame | None = None  # what the viewer has (the latest capture sent)
        self.counters = UpdateCounters()
        self.scale = VideoScale(frame_interval, scale)
        self._video_allowed = False
        self._sent_video = False  # the last update encoded a video picture
        # Tiles sent as JPEG at SWEEP_QUALITY, and when to send them again if still unchanged.
        self._rough: set[tuple[int, int]] = set()
        self._rough_until = float("inf")
        # The tiles of a refresh after motion not yet sent, in sending order: lossy on the
        # console.
        self._unrefined: list[tuple[int, int]] = []

    def forget(self) -> None:
        """The viewer's picture is unknown (disabled, monitor switch): the next is a keyframe."""
        self.shown = None
        self.motion.reset()
        self.video.close()
        self._rough.clear()
        self._rough_until = float("inf")
        self._unrefined = []

    def allow_video(self, allowed: bool) -> None:
        """Whether the console decodes H.264. Turning it off ends any video at the next
        capture (the caller asks for a keyframe)."""
        self._video_allowed = allowed
        if not allowed:
            self.motion.reset()
            self.video.close()

    @property
    def video_region(self) -> TileBox | None:
        return self.motion.region

    def capture_cost(self, cost: float, now: float) -> None:
        """The last capture (grab and `update`) took `cost` seconds of the capture thread: with
        a video picture in it, that decides the scale of the next ones."""
        if self._sent_video:
            self.scale.observe(cost, now)

    def deadline(self) -> float | None:
        """When to capture even without damage: at once while a refresh after motion has parts
        left; else the check that ends the video of a region, or the one that sends a sweeping
        change's rough tiles again."""
        if self._unrefined:
            return float("-inf")  # the rest of a refresh after motion: as soon as paced
        motion = self.motion.deadline()
        if not self._rough:
            return motion
        return self._rough_until if motion is None else min(motion, self._rough_until)

    def update(
        self,
        frame: Frame,
        candidates: set[tuple[int, int]] | None,
        *,
        full: bool,
        quality: int | None,
        now: float,
    ) -> list[Tile]:
        """The tiles for capture `frame` at `now`; `candidates` are the tiles damage touched
        (None: compare everything), `full` asks for a keyframe."""
        if full or self.shown is None:
            self.forget()
            self.shown = frame.copy()
            rects = [self.grid.rect(t) for t in self.grid.all()]
            return self.tiles.encode(frame, rects, quality=quality, keyframe=True)
        out: list[Tile] = []
        self._sent_video = False
        changed = self.grid.changed(self.shown, frame, candidates)
        if len(changed) >= SCROLL_MIN_TILES and self.motion.region is None:
            copy = self._copy(frame, changed)
            if copy is not None:
                out.append(copy)
                changed = self._left_after(copy, frame, changed)
                moved = self.grid.touching([Rect(copy.x, copy.y, copy.width, copy.height)])
                if self._rough:  # the copy may carry rough pixels: what it covers is rough too
                    self._rough |= moved
                if self._unrefined:  # ... and lossy ones of a refresh not yet sent: refresh it
                    self._unrefined += sorted(moved - set(self._unrefined), key=_row_major)
        motion = self.motion.observe(changed, now) if self._video_allowed else MotionChange(None)
        region = motion.region
        if region is not None:
            try:
                picture = self._video(frame, changed, motion, now)
            except VideoEncodeError:
                log.warning("the video encoder failed; motion goes as tiles", exc_info=True)
                self.allow_video(False)
                motion = MotionChange(None, ended=region)
            else:
                if picture is not None:
                    out.append(picture)
                changed = [t for t in changed if not region.contains(t)]
        rects = self._changed_rects(frame, changed)
        if motion.ended is not None:
            # The console holds lossy video there: the whole region, exact, in parts.
            self.counters.refreshes += 1
            self._unrefined = motion.ended.tiles()
        out += self._refine(frame, changed, motion.region, quality)
        out += self._sharpen(frame, changed, motion, quality, now)
        self._remember(frame, changed, motion)
        if rects:
            sweep = self._video_allowed and motion.region is None and self._sweeping(changed)
            rough = sweep and (quality is None or quality > SWEEP_QUALITY)
            tiles = self.tiles.encode(frame, rects, quality=SWEEP_QUALITY if rough else quality)
            if rough:
                self._mark_rough(tiles, now)
            out += tiles
        return out

    def _sweeping(self, changed: list[tuple[int, int]]) -> bool:
        """True if `changed` (not sent as video or copies) covers the motion's sweep share."""
        share = self.motion.settings.sweep_share
        return len(changed) >= share * self.grid.columns * self.grid.rows

    def _mark_rough(self, tiles: list[Tile], now: float) -> None:
        """`tiles` went at SWEEP_QUALITY: their JPEG ones are to be sent again once still."""
        jpeg = [Rect(t.x, t.y, t.width, t.height) for t in tiles if t.encoding is TileEncoding.JPEG]
        if jpeg:
            self._rough |= self.grid.touching(jpeg)
            self._rough_until = now + self.motion.settings.still_after

    def _sharpen(
        self,
        frame: Frame,
        changed: list[tuple[int, int]],
        motion: MotionChange,
        quality: int | None,
        now: float,
    ) -> list[Tile]:
        """The rough tiles again at `quality`, once `still_after` passed without change; until
        then, rough tiles sent anew or taken into video are no longer rough."""
        if not self._rough:
            return []
        self._rough.difference_update(changed)
        for box in (motion.region, motion.ended):
            if box is not None:
                self._rough.difference_update(box.tiles())
        if now < self._rough_until or not self._rough:
            return []
        again = sorted(self._rough, key=_row_major)
        self._rough.clear()
        self._rough_until = float("inf")
        self.counters.sweep_refreshes += 1
        return self.tiles.encode(frame, [self.grid.rect(t) for t in again], quality=quality)

    def _refine(
        self,
        frame: Frame,
        changed: list[tuple[int, int]],
        region: TileBox | None,
        quality: int | None,
    ) -> list[Tile]:
        """The next part of the lossless refresh after motion (`REFRESH_BUDGET`). Tiles that
        changed again go as any change; tiles in motion again, as video (refreshed when it
        ends)."""
        if not self._unrefined:
            return []
        gone = set(changed)
        pending = [t for t in self._unrefined if t not in gone]
        if region is not None:
            pending = [t for t in pending if not region.contains(t)]
        out: list[Tile] = []
        sent = taken = 0
        while taken < len(pending) and sent < REFRESH_BUDGET:
            group = pending[taken : taken + REFRESH_GROUP]
            rects = [self.grid.rect(t) for t in group]
            tiles = self.tiles.encode(frame, rects, quality=quality, lossless=True)
            out += tiles
            sent += sum(len(t.data) for t in tiles)
            taken += len(group)
        self._unrefined = pending[taken:]
        return out

    def _copy(self, frame: Frame, changed: list[tuple[int, int]]) -> Tile | None:
        assert self.shown is not None
        area = changed_box(self.shown, frame, bounding_box([self.grid.rect(t) for t in changed]))
        if area is None:
            return None
        shift = find_shift(self.shown, frame, area)
        if shift is None:
            return None
        shift.apply(self.shown)
        self.counters.copies += 1
        r = shift.rect
        return Tile.copy(r.x, r.y, r.width, r.height, shift.source)

    def _left_after(
        self, copy: Tile, frame: Frame, changed: list[tuple[int, int]]
    ) -> list[tuple[int, int]]:
        """The tiles still to send after `copy`: inside its destination the pixels were checked
        equal to the capture, so only tiles it does not cover wholly are compared again (a
        whole-frame compare here cost 3.5 ms a scrolled 1080p frame)."""
        dest = Rect(copy.x, copy.y, copy.width, copy.height)
        covered, partly, kept = [], [], []
        for tile in changed:
            r = self.grid.rect(tile)
            if dest.covers(r):
                covered.append(tile)
            elif dest.overlaps(r):
                partly.append(tile)
            else:
                kept.append(tile)
        assert self.shown is not None
        still = set(self.grid.changed(self.shown, frame, partly)) | set(kept)
        return sorted(still, key=_row_major)

    def _video(
        self, frame: Frame, changed: list[tuple[int, int]], motion: MotionChange, now: float
    ) -> Tile | None:
        region = motion.region
        assert region is not None
        if not motion.restarted and not any(region.contains(t) for t in changed):
            return None
        rect = self._pixels(region)
        pixels = frame[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]
        picture = self.video.encode(
            pixels, int(now * 1000), keyframe=motion.restarted, scale=self.scale.scale
        )
        self._sent_video = True
        self.counters.video_pictures += 1
        self.counters.video_keyframes += picture.keyframe
        return Tile.h264(
            rect.x, rect.y, rect.width, rect.height, picture.data, keyframe=picture.keyframe
        )

    def _pixels(self, region: TileBox) -> Rect:
        """The region in monitor pixels, cut to even sizes (4:2:0 video)."""
        first = self.grid.rect((region.column, region.row))
        last = self.grid.rect((region.column + region.columns - 1, region.row + region.rows - 1))
        width = last.x + last.width - first.x
        height = last.y + last.height - first.y
        return Rect(first.x, first.y, width - width % 2, height - height % 2)

    def _remember(self, frame: Frame, changed: list[tuple[int, int]], motion: MotionChange) -> None:
        """The viewer's picture after this update: every sent tile, and the video region (its
        pixels on the console are lossy, but they change each capture: the next compare must
        be against this capture to tell motion from stillness)."""
        assert self.shown is not None
        sent = list(changed)
        if motion.region is not None:
            sent += motion.region.tiles()
        if motion.ended is not None:
            sent += motion.ended.tiles()
        self.grid.copy(self.shown, frame, sorted(set(sent), key=_row_major))

    def _changed_rects(self, frame: Frame, tiles: list[tuple[int, int]]) -> list[Rect]:
        """The changed tiles, each cut to the box of its changed pixels when few changed.

        (Many changed tiles mean a big change: the cut saves little there and costs ~15 us a
        tile, and whole tiles merge into fewer, larger images.)
        """
        whole = [self.grid.rect(t) for t in tiles]
        if len(tiles) > MAX_CUT_TILES:
            return whole
        assert self.shown is not None
        boxes = [box for rect in whole if (box := changed_box(self.shown, frame, rect))]
        if len(boxes) > MAX_JOIN_BOXES:
            return boxes
        return join_small(boxes, self.grid.size)
