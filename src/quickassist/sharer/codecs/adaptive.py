"""`AdaptiveTileEncoder`: each tile judged by its colours, neighbours merged, runs encoded.

- one colour -> SOLID (4 bytes, whatever the tile size; not an image, so no codec);
- a handful of colours (terminal text, flat UI) -> PALETTE (`palette.py`): lossless and far
  smaller than a PNG for a few character cells;
- more colours (anti-aliased text, UI, diagrams) -> PNG (`png.py`), lossless;
- many colours (photos, video, gradients) -> JPEG (`jpeg.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ...protocol import palette as palette_format
from ...protocol.media import Tile, TileEncoding
from ..tiles import Frame, Rect
from .base import TileCodec, TileJob
from .jpeg import JPEG_QUALITY, JpegCodec
from .palette import PaletteCodec
from .png import PNG_ZLIB_LEVEL, PngCodec

# Defaults, measured on 64x64 tiles of a 1080p Xvfb desktop (an xterm of coloured `ls` output in
# DejaVu Sans Mono 10 beside a photo-like region; 2 shared cores):
#: Up to this many distinct colours a tile goes as a palette tile (4 bits a pixel at most).
MAX_PALETTE_COLORS = 16
#: Up to this many distinct colours a tile is text-like and goes lossless. Grey anti-aliased
#: text stays under 256; coloured anti-aliased text reached 330.
MAX_PNG_COLORS = 256
#: Between MAX_PNG_COLORS and this, PNG is tried and kept if it stays within PNG_BUDGET of
#: the raw size (coloured text: yes; gradients, which filter-0 PNG compresses badly: no).
#: Photo crops have thousands of colours and go straight to JPEG.
MAX_PNG_TRY_COLORS = 1024
PNG_BUDGET = 0.25
#: A frame changing at least this many pixels (a quarter of 1080p: a scroll, a window moved) is
#: deflated at the fast levels: such changes come many times a second, and encode time is
#: what caps their frame rate. Measured on a scrolled 1080p page of text (68 palette tiles):
#: 4.5 ms of DEFLATE instead of 16 ms, for 7% more bytes.
BIG_CHANGE_PIXELS = 518_400
#: Merged PNG and JPEG images are at most this wide: big enough to cut per-image overhead, small
#: enough that the browser decodes several in parallel. Solid runs have no limit; palette runs
#: go on past it while their bits a pixel hold (see _joins_row).
MAX_IMAGE_WIDTH = 512
#: ... except JPEG runs of a big change (BIG_CHANGE_PIXELS), which go on to the monitor's width:
#: each JPEG carries ~625 bytes of tables and headers, and the first capture of a panned
#: photo-like 1080p screen was 68 JPEGs, 209 kB, where rows of 1920 x 64 are 17 and 176 kB
#: (the console still has 17 images to decode in parallel).
MAX_BIG_JPEG_WIDTH = 1 << 16
#: A tile of more than MAX_PNG_TRY_COLORS colours is JPEG whatever else it holds, and every
#: SAMPLE_STEP-th pixel of a photo-like 64 x 64 tile already has more (1323-1366 of its 1366):
#: counting those first, exact (a subset never has more colours than the whole), leaves the
#: full sort to the tiles with fewer. A panned photo-like 1080p screen: 476 full-tile sorts took
#: 14 ms, the sampled ones 4.6 ms.
SAMPLE_STEP = 3
#: ... and only where every GLANCE_STEP-th pixel is over GLANCE_SHARE distinct colours.
GLANCE_STEP = 32
GLANCE_SHARE = 0.75


@dataclass(frozen=True)
class _Kind:
    """What a tile looks like: one colour, few colours (PNG), many (JPEG), or in between."""

    encoding: TileEncoding | None  # None: try PNG, fall back to JPEG
    rgba: bytes = b""


_PALETTE = _Kind(TileEncoding.PALETTE)
_JPEG = _Kind(TileEncoding.JPEG)


@dataclass
class _Run:
    """Neighbouring tiles of one kind, encoded as one image (or one solid rectangle).

    `colors` are the distinct colours (0xRRGGBB words, ascending) of each palette tile in the
    run, found while judging its kind: the run's palette is their union, no second sort needed.
    """

    rect: Rect
    kind: _Kind
    colors: list[npt.NDArray[np.uint32]]


class AdaptiveTileEncoder:
    """SOLID, PALETTE, PNG or JPEG per tile, by how many colours it holds.

    Neighbouring tiles of the same kind are merged: runs along a row (up to MAX_IMAGE_WIDTH for
    images), and solid runs of one colour down the rows, so a plain desktop background is one
    rectangle rather than hundreds.
    """

    def __init__(
        self,
        *,
        jpeg_quality: int = JPEG_QUALITY,
        png_level: int = PNG_ZLIB_LEVEL,
        max_png_colors: int = MAX_PNG_COLORS,
    ) -> None:
        self.jpeg_quality = jpeg_quality
        self.max_png_colors = max_png_colors
        self._palette = PaletteCodec()
        self._png = PngCodec(level=png_level)
        self._jpeg = JpegCodec()
        self._codecs: tuple[TileCodec, ...] = (self._palette, self._png, self._jpeg)

    def encode(
        self,
        frame: Frame,
        rects: Sequence[Rect],
        *,
        quality: int | None = None,
        keyframe: bool = False,
        lossless: bool = False,
    ) -> list[Tile]:
        jpeg_quality = self.jpeg_quality if quality is None else quality
        if keyframe:
            for codec in self._codecs:
                codec.forget()
        fast = sum(r.width * r.height for r in rects) >= BIG_CHANGE_PIXELS
        jpeg_width = MAX_BIG_JPEG_WIDTH if fast else MAX_IMAGE_WIDTH
        runs: list[_Run] = []
        for rect, (kind, colors) in zip(rects, self._kinds(frame, rects), strict=True):
            last = runs[-1] if runs else None
            if last is not None and _joins_row(last, rect, kind, colors, jpeg_width):
                last.rect = Rect(last.rect.x, rect.y, last.rect.width + rect.width, rect.height)
                last.colors.append(colors)
            else:
                runs.append(_Run(rect, kind, [colors]))
        return [
            self._encode_run(frame, run, jpeg_quality, fast=fast, lossless=lossless)
            for run in _merge_solid_columns(runs)
        ]

    def encode_tile(self, pixels: Frame, x: int, y: int) -> Tile:
        """One tile on its own: `pixels` is its (h, w, 4) BGRA view, (x, y) its position."""
        height, width, _ = pixels.shape
        kind, colors = self._kind(pixels)
        run = _Run(Rect(0, 0, width, height), kind, [colors])
        return self._encode_run(pixels, run, self.jpeg_quality, x, y)

    def _kinds(
        self, frame: Frame, rects: Sequence[Rect]
    ) -> list[tuple[_Kind, npt.NDArray[np.uint32]]]:
        """`_kind` of each rectangle; neighbours of one size along a row are judged together.

        (A scroll changes every tile: judging a row of 30 tiles at once cut a scrolled 1080p
        page of text from 11.5 ms to 4.2 ms, a screen of anti-aliased xterm text from 12.5 ms
        to 8.1 ms.)
        """
        out: list[tuple[_Kind, npt.NDArray[np.uint32]]] = []
        start = 0
        while start < len(rects):
            first = rects[start]
            end = start + 1
            while end < len(rects) and _alike(rects[end], first):
                end += 1
            if end - start == 1:
                out.append(self._kind(_view(frame, first)))
            else:
                out.extend(self._kinds_alike(frame, rects[start:end]))
            start = end
        return out

    def _kinds_alike(
        self, frame: Frame, rects: Sequence[Rect]
    ) -> list[tuple[_Kind, npt.NDArray[np.uint32]]]:
        """`_kind` of rectangles of one size. Solid and two-colour tiles (most of a page of
        text) are found by their lowest and highest colour over all of them at once; the
        others are sorted together to count their colours, after those with many colours in
        a sample of their pixels (photos: JPEG) are set aside."""
        tiles = np.stack([_view(frame, rect) for rect in rects])
        words = tiles.view(np.uint32).reshape(len(rects), -1) & np.uint32(0x00FFFFFF)
        low, high = words.min(axis=1), words.max(axis=1)
        two = ((words == low[:, None]) | (words == high[:, None])).all(axis=1)
        pairs = np.stack((low, high), axis=1)
        varied = np.flatnonzero(~two)
        photo = _many_colours(words, varied)
        photos = set(varied[photo].tolist())
        many = varied[~photo]
        ordered = np.sort(words[many], axis=1)
        keep = np.empty(ordered.shape, dtype=bool)  # the first of each colour
        keep[:, :1] = True
        np.not_equal(ordered[:, 1:], ordered[:, :-1], out=keep[:, 1:])
        counts = np.count_nonzero(keep, axis=1).tolist()
        sorted_at = {int(index): row for row, index in enumerate(many.tolist())}
        solid = low.tolist()
        out: list[tuple[_Kind, npt.NDArray[np.uint32]]] = []
        for index, is_two in enumerate(two.tolist()):
            if index in photos:
                out.append((_JPEG, pairs[index, :0]))
            elif not is_two:
                row = sorted_at[index]
                count = counts[row]
                colors = ordered[row][keep[row]] if count <= MAX_PALETTE_COLORS else pairs[0, :0]
                out.append((self._kind_of_count(count), colors))
            elif solid[index] == int(pairs[index, 1]):
                word = solid[index]
                rgba = bytes(((word >> 16) & 0xFF, (word >> 8) & 0xFF, word & 0xFF, 255))
                out.append((_Kind(TileEncoding.SOLID, rgba), pairs[index, :1]))
            else:
                out.append((_PALETTE, pairs[index]))
        return out

    def _kind_of_count(self, count: int) -> _Kind:
        """The kind of a tile of `count` (> 1) distinct colours."""
        if count <= MAX_PALETTE_COLORS:
            return _PALETTE
        if count <= self.max_png_colors:
            return _Kind(TileEncoding.PNG)
        if count <= MAX_PNG_TRY_COLORS:
            return _Kind(None)
        return _Kind(TileEncoding.JPEG)

    def _kind(self, pixels: Frame) -> tuple[_Kind, npt.NDArray[np.uint32]]:
        """The tile's kind and its distinct colours (ascending 0xRRGGBB words)."""
        # Compare colours as 32-bit words with the unused 4th byte masked off: X servers leave
        # it 0 or 255 at random, and it is not part of the picture.
        words = np.ascontiguousarray(pixels).view(np.uint32).reshape(-1) & np.uint32(0x00FFFFFF)
        if bool(np.all(words == words[0])):
            b, g, r = (int(v) for v in pixels[0, 0, :3])
            return _Kind(TileEncoding.SOLID, bytes((r, g, b, 255))), words[:1]
        colors = _distinct(words)
        return self._kind_of_count(len(colors)), colors

    def _encode_run(
        self,
        frame: Frame,
        run: _Run,
        jpeg_quality: int,
        dx: int = 0,
        dy: int = 0,
        *,
        fast: bool = False,
        lossless: bool = False,
    ) -> Tile:
        r = run.rect
        x, y = r.x + dx, r.y + dy
        encoding = run.kind.encoding
        if encoding is TileEncoding.SOLID:
            return Tile(x, y, r.width, r.height, TileEncoding.SOLID, run.kind.rgba)
        colors = _union(run.colors) if encoding is TileEncoding.PALETTE else run.colors[0][:0]
        job = TileJob(_view(frame, r), colors, jpeg_quality, fast)
        if encoding is TileEncoding.PALETTE:
            data = self._palette.encode(job)
            if data is not None:
                return Tile(x, y, r.width, r.height, TileEncoding.PALETTE, data)
            # Too many colours for one palette (a merged run): lossless still.
            return Tile(x, y, r.width, r.height, TileEncoding.PNG, self._png.encode(job))
        if encoding is not TileEncoding.JPEG or lossless:
            png = self._png.encode(job)
            if (
                lossless
                or encoding is TileEncoding.PNG
                or len(png) <= PNG_BUDGET * r.width * r.height * 3
            ):
                return Tile(x, y, r.width, r.height, TileEncoding.PNG, png)
        return Tile(x, y, r.width, r.height, TileEncoding.JPEG, self._jpeg.encode(job))


def _union(colors: list[npt.NDArray[np.uint32]]) -> npt.NDArray[np.uint32]:
    """The ascending distinct colours of several tiles' ascending distinct colours."""
    if len(colors) == 1:
        return colors[0]
    return _distinct(np.concatenate(colors))


def _view(frame: Frame, rect: Rect) -> Frame:
    return frame[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]


def _alike(a: Rect, b: Rect) -> bool:
    """True if `a` and `b` have one size and lie in one row."""
    return a.y == b.y and a.width == b.width and a.height == b.height


def _joins_row(
    run: _Run,
    rect: Rect,
    kind: _Kind,
    colors: npt.NDArray[np.uint32],
    jpeg_width: int = MAX_IMAGE_WIDTH,
) -> bool:
    """True if `rect` (of `colors`, for a palette tile) continues `run` to the right with the
    same kind of content; JPEG runs are at most `jpeg_width` wide."""
    r = run.rect
    if (r.y, r.height, r.x + r.width) != (rect.y, rect.height, rect.x) or kind != run.kind:
        return False
    if kind.encoding is TileEncoding.SOLID:
        return True
    width = jpeg_width if kind.encoding is TileEncoding.JPEG else MAX_IMAGE_WIDTH
    # In-between tiles are judged one by one (PNG only if it stays small).
    if kind.encoding is not None and r.width + rect.width <= width:
        return True
    # Palette tiles are decoded by the console itself, not as images in parallel: past the
    # image width they keep joining while the run, the tile and both together need the same
    # bits a pixel. A scrolled page of text: 66 palette tiles a frame became 34, and the
    # console's decode of a frame (a DEFLATE stream a tile) went from ~15 to ~11 ms.
    if kind.encoding is not TileEncoding.PALETTE:
        return False
    held = _union(run.colors)
    joined = len(_union([held, colors]))
    if len(held) > palette_format.MAX_COLORS or joined > palette_format.MAX_COLORS:
        return False
    depth = palette_format.bits_per_index(len(held))
    return (
        palette_format.bits_per_index(len(colors)) == depth == palette_format.bits_per_index(joined)
    )


def _merge_solid_columns(runs: list[_Run]) -> list[_Run]:
    """Solid runs of one colour directly below one another, as one rectangle."""
    out: list[_Run] = []
    open_runs: dict[tuple[int, int, int, bytes], _Run] = {}  # (x, width, bottom, rgba) -> run
    for run in runs:
        r = run.rect
        if run.kind.encoding is not TileEncoding.SOLID:
            out.append(run)
            continue
        above = open_runs.pop((r.x, r.width, r.y, run.kind.rgba), None)
        if above is not None:
            a = above.rect
            above.rect = Rect(a.x, a.y, a.width, a.height + r.height)
            run = above
        else:
            out.append(run)
        r = run.rect
        open_runs[(r.x, r.width, r.y + r.height, run.kind.rgba)] = run
    return out


def _many_colours(
    words: npt.NDArray[np.uint32], rows: npt.NDArray[np.intp]
) -> npt.NDArray[np.bool_]:
    """Per row of `words` named in `rows`, True if its sampled pixels alone hold more than
    MAX_PNG_TRY_COLORS colours (so the row is surely JPEG); False says nothing (count them all).

    Only rows whose every GLANCE_STEP-th pixel is nearly all distinct colours are sampled:
    text and UI tiles, mostly background, would pay the sample's sort for nothing. (The
    samples are taken before the rows, so only they are copied.)
    """
    result = np.zeros(len(rows), dtype=bool)
    if -(-words.shape[1] // SAMPLE_STEP) <= MAX_PNG_TRY_COLORS:
        return result
    glance = words[:, ::GLANCE_STEP][rows]
    varied = np.flatnonzero(_counts(glance) > GLANCE_SHARE * glance.shape[1])
    result[varied] = _counts(words[:, ::SAMPLE_STEP][rows[varied]]) > MAX_PNG_TRY_COLORS
    return result


def _counts(words: npt.NDArray[np.uint32]) -> npt.NDArray[np.intp]:
    """The number of distinct values in each row."""
    if words.size == 0:
        return np.zeros(len(words), dtype=np.intp)
    ordered = np.sort(words, axis=1)
    counts: npt.NDArray[np.intp] = 1 + np.count_nonzero(ordered[:, 1:] != ordered[:, :-1], axis=1)
    return counts


def _distinct(words: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """The distinct values, ascending: sort and keep steps (np.unique hashes: 4x slower here)."""
    ordered = np.sort(words, axis=None)
    keep = np.empty(ordered.shape, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]
