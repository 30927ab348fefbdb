"""Palette tiles (terminal text, flat UI): a colour table and DEFLATE-packed indices.

The format is `protocol/palette.py` (pure, shared with the service and the console's twin);
this is the sharer's numpy side: finding each pixel's index, packing the rows, and remembering
the palette the receiver holds so a tile whose colours it already has can reuse it (6 of ~21
bytes a keystroke).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt

from ...protocol import palette as palette_format
from ...protocol.media import TileEncoding
from ..tiles import Frame
from .base import TileJob

#: Up to this many pixels a palette tile is encoded both with a deeper held palette and with
#: its own, and the smaller kept (a few character cells; beyond, its own palette is kept).
SMALL_TILE_PIXELS = 1024
#: Up to this many colours a tile's indices are found by compares (one pass a colour) rather
#: than a binary search a pixel: on 512 x 64 pixels 5 colours took 21 us against 246 us, 8
#: took 37 us against 354 us.
SMALL_PALETTE = 16


class PaletteCodec:
    """Palette tiles, reusing the palette the receiver holds when that is smaller.

    It remembers the last palette it wrote until `forget` (a keyframe): the receiver keeps the
    last palette it read, in payload order across frames.
    """

    encoding: ClassVar[TileEncoding] = TileEncoding.PALETTE

    def __init__(self) -> None:
        # The palette the receiver holds: the colours (0xRRGGBB words, ascending) of the last
        # palette written since the last keyframe, or None.
        self._held: npt.NDArray[np.uint32] | None = None

    def forget(self) -> None:
        self._held = None

    def encode(self, job: TileJob) -> bytes | None:
        """A palette tile of the job's pixels (whose distinct colours are `job.colors`), reusing
        the held palette if that is smaller; None if they hold too many colours for a palette
        (a merged run)."""
        colors, fast = job.colors, job.fast
        if len(colors) > palette_format.MAX_COLORS:
            return None
        words = _rgb_words(job.pixels)
        held = self._held
        if held is not None and _holds(held, colors):
            # Held colours are a superset: the same depth or deeper. At the same depth leaving
            # the palette out can only help; deeper may still win on a small tile (3 bytes a
            # colour saved), so there both are tried.
            deeper = palette_format.bits_per_index(len(held)) > palette_format.bits_per_index(
                len(colors)
            )
            if not deeper or words.size <= SMALL_TILE_PIXELS:
                indices = _indices(held, words)
                reused = encode_indices(indices, None, count=len(held), fast=fast)
                if not deeper:
                    return reused
                own = _own_palette(words, colors, fast=fast)
                if len(reused) <= len(own):
                    return reused
                self._held = colors
                return own
        self._held = colors
        return _own_palette(words, colors, fast=fast)


def encode_indices(
    indices: npt.NDArray[np.uint8],
    palette: palette_format.Palette | None,
    *,
    count: int | None = None,
    fast: bool = False,
) -> bytes:
    """A palette tile of (h, w) `indices`: `palette` in full, or None to reuse the last one (of
    `count` colours)."""
    size = len(palette) if palette is not None else count
    if size is None:
        raise ValueError("a reused palette needs its colour count")
    packed = pack_indices(indices, palette_format.bits_per_index(size))
    return palette_format.encode_packed(packed, palette, count=size, fast=fast)


def pack_indices(indices: npt.NDArray[np.uint8], bits: int) -> bytes:
    """(h, w) indices packed MSB first at `bits` per pixel, rows top to bottom as one run of
    bits (rows not padded), the last byte padded with zeros."""
    per_byte = 8 // bits
    flat = np.ascontiguousarray(indices).reshape(-1)
    if per_byte == 1:
        return flat.tobytes()
    if bits == 1:  # two colours (most text): numpy packs bits MSB first, the end padded
        return np.packbits(flat).tobytes()
    padded = np.zeros(-(-flat.size // per_byte) * per_byte, dtype=np.uint8)
    padded[: flat.size] = flat
    # One shift-and-or pass per pixel of a byte (first pixel in the high bits): a reduce over
    # a short last axis measured 6x slower on 512 x 64 tiles.
    packed = padded[::per_byte] << np.uint8(8 - bits)
    for i in range(1, per_byte):
        packed |= padded[i::per_byte] << np.uint8(8 - bits - i * bits)
    return packed.tobytes()


def unpack_indices(packed: bytes, width: int, height: int, bits: int) -> npt.NDArray[np.uint8]:
    """The (h, w) indices of `pack_indices` output."""
    data = np.frombuffer(packed, dtype=np.uint8)
    shifts = np.arange(8 - bits, -1, -bits, dtype=np.uint8)
    mask = np.uint8((1 << bits) - 1)
    spread = ((data[:, None] >> shifts) & mask).reshape(-1)
    return spread[: width * height].reshape(height, width)


def decode_rgb(
    data: bytes, width: int, height: int, previous: palette_format.Palette | None
) -> tuple[npt.NDArray[np.uint8], palette_format.Palette]:
    """The (h, w, 3) RGB pixels of a palette tile and its palette: `protocol.palette.decode`
    (which checks it) unpacked with numpy. The inverse of this codec, for tests and benches."""
    tile = palette_format.decode(data, width, height, previous)
    indices = unpack_indices(tile.packed, width, height, tile.bits)
    return np.array(tile.palette, dtype=np.uint8)[indices], tile.palette


def _holds(held: npt.NDArray[np.uint32], colors: npt.NDArray[np.uint32]) -> bool:
    """True if every colour of `colors` is in `held` (both ascending)."""
    where = np.minimum(np.searchsorted(held, colors), len(held) - 1)
    return bool(np.all(held[where] == colors))


def _own_palette(
    words: npt.NDArray[np.uint32], colors: npt.NDArray[np.uint32], *, fast: bool = False
) -> bytes:
    """A palette tile of `words` with its own (ascending) palette `colors`."""
    table = tuple(((int(c) >> 16) & 0xFF, (int(c) >> 8) & 0xFF, int(c) & 0xFF) for c in colors)
    return encode_indices(_indices(colors, words), table, fast=fast)


def _indices(colors: npt.NDArray[np.uint32], words: npt.NDArray[np.uint32]) -> Frame:
    """The index in `colors` (ascending, holding every word) of each word."""
    if len(colors) == 1:
        return np.zeros(words.shape, dtype=np.uint8)
    if len(colors) == 2:
        # Two colours (plain text) are most palette tiles: one compare, no copy.
        same: npt.NDArray[np.bool_] = words == colors[1]
        return same.view(np.uint8)
    if len(colors) <= SMALL_PALETTE:
        # A few colours: counting the colours each word is at or above beats the binary search.
        indices: Frame = (words >= colors[1]).view(np.uint8).copy()
        for color in colors[2:]:
            indices += words >= color
        return indices
    indices = np.searchsorted(colors, words).astype(np.uint8)
    return indices


def _rgb_words(pixels: Frame) -> npt.NDArray[np.uint32]:
    """(h, w) 0x00RRGGBB words of BGRA pixels (the unused 4th byte masked off)."""
    height, width, _ = pixels.shape
    words = np.ascontiguousarray(pixels).view(np.uint32).reshape(height, width)
    return words & np.uint32(0x00FFFFFF)
