"""Palette tiles (video tile encoding 3): few-colour pixels as a colour table and packed indices.

    u8 count
    count x { u8 R, u8 G, u8 B }                  (nothing when count is 0)
    the packed indices, stored, or as raw DEFLATE (RFC 1951) when that is shorter

`count` 1..255 is the palette of this tile. `count` 0 means "the palette of the previous palette
tile": the receiver keeps the last palette it read, in payload order across frames, and the
sender writes a palette in full in the first palette tile after every keyframe (so a receiver
that lost frames is right again from the keyframe that repairs its picture anyway).

The indices are the pixels rows top to bottom, left to right, packed most significant bits first
at 1, 2, 4 or 8 bits per pixel (the fewest that hold `count - 1`: 1 for 2 colours, 2 for 4, 4
for 16, else 8) as one run of bits, rows not padded, the last byte padded with bits that are not
read: `packed_size(w, h, bits)` = ceil(w * h * bits / 8) bytes. Every index is below the palette
size. The sender stores them as they are when DEFLATE would not make them shorter, and deflates
them otherwise; the receiver tells the two apart by length: exactly `packed_size` bytes are the
indices themselves, anything else must be a DEFLATE stream of exactly `packed_size` bytes (which
the sender only writes when it is shorter, so the two never meet).

Why: a keystroke in a terminal changes two character cells (about 12 x 13 pixels, 2 colours).
As a PNG that is ~180 bytes, mostly container; as a palette tile it is ~15-22 bytes, which
matters at ten keystrokes a second (docs/benchmarks.md). Most of that is the indices, and at
a few dozen bits DEFLATE's own block header and Huffman tables cost more than they save:
the bench's 8 x 14 glyph is 14 bytes stored against 16-17 deflated. Padding each row to a byte
cost up to 7 bits a row (a 10 x 14 cell: 28 bytes padded against 18).

This module is the format, pure and standard library only (the service installs no numpy):
`encode_packed` frames packed indices, `decode` reads and checks a tile and bounds its output,
so a hostile tile cannot inflate past its rectangle. The sharer's numpy encoder that finds and
packs the indices is `sharer/codecs/palette.py`; the console's decoder is `core/palette.js`.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import FrameError

#: A palette holds at most this many colours (the count is one byte; 0 means "reuse").
MAX_COLORS = 255
REUSE = 0
#: zlib level for the indices. Measured on a 1080p keyframe of an xterm of coloured `ls`
#: beside a photo (2 cores): level 6 encodes it ~5 ms faster than 9 for 0.4% more bytes; on
#: keystroke tiles (a few dozen packed bytes) 9 saves ~0.5 byte a tile in microseconds.
DEFLATE_LEVEL = 6
DEFLATE_LEVEL_SMALL = 9
#: Packed indices up to this many bytes count as small.
SMALL_INDICES = 512
#: zlib level when encode time matters more than bytes (a big change, such as a scroll, sent
#: many times a second): on a scrolled 1080p page of text level 1 deflated 68 tiles in 4.5 ms
#: against 16 ms at 6, for 7% more bytes.
DEFLATE_LEVEL_FAST = 1

Palette = tuple[tuple[int, int, int], ...]


def bits_per_index(count: int) -> int:
    """Bits per pixel for a palette of `count` colours: 1, 2, 4 or 8."""
    if not 1 <= count <= MAX_COLORS:
        raise FrameError(f"A palette holds 1 to {MAX_COLORS} colours; got {count}.")
    for bits in (1, 2, 4):
        if count <= 1 << bits:
            return bits
    return 8


def packed_size(width: int, height: int, bits: int) -> int:
    """Bytes of the packed indices of a `width` x `height` tile at `bits` per pixel."""
    return -(-width * height * bits // 8)


def encode_packed(
    packed: bytes, palette: Palette | None, *, count: int | None = None, fast: bool = False
) -> bytes:
    """A palette tile's bytes from its packed indices (`packed_size` bytes, MSB first).

    `palette` in full, or None to reuse the last one (then `count` is its number of colours).
    The indices go stored or deflated, whichever is shorter (stored on a tie). `fast` deflates
    large index runs at DEFLATE_LEVEL_FAST (quicker, a few percent bigger).
    """
    if palette is None and count is None:
        raise ValueError("a reused palette needs its colour count")
    if len(packed) <= SMALL_INDICES:
        level = DEFLATE_LEVEL_SMALL
    else:
        level = DEFLATE_LEVEL_FAST if fast else DEFLATE_LEVEL
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    deflated = compressor.compress(packed) + compressor.flush()
    body = deflated if len(deflated) < len(packed) else packed
    if palette is None:
        return bytes((REUSE,)) + body
    head = bytes((len(palette),)) + b"".join(bytes(color) for color in palette)
    return head + body


@dataclass(frozen=True, slots=True)
class PaletteTile:
    """A palette tile as read: its palette and its packed indices (checked: every index names
    a colour of the palette)."""

    palette: Palette
    bits: int
    width: int
    height: int
    packed: bytes

    def indices(self) -> bytes:
        """One byte a pixel, rows top to bottom (pure Python: for tests and tools)."""
        if self.bits == 8:
            return self.packed
        spread = _spread(self.bits)
        return b"".join(map(spread.__getitem__, self.packed))[: self.width * self.height]

    def rgb(self) -> bytes:
        """RGB bytes of the pixels, rows top to bottom (pure Python: for tests and tools)."""
        colors = [bytes(color) for color in self.palette]
        return b"".join(map(colors.__getitem__, self.indices()))


def decode(data: bytes, width: int, height: int, previous: Palette | None) -> PaletteTile:
    """Read a palette tile of `width` x `height`; raises `FrameError` for anything malformed.

    `previous` is the palette of the previous palette tile (None if there was none).
    """
    if not data:
        raise FrameError("A palette tile cannot be empty.")
    count = data[0]
    offset = 1
    if count == REUSE:
        if previous is None:
            raise FrameError("A palette tile reuses a palette that was never sent.")
        palette = previous
    else:
        offset += 3 * count
        if len(data) < offset:
            raise FrameError("A palette tile ends inside its palette.")
        palette = tuple((data[1 + 3 * i], data[2 + 3 * i], data[3 + 3 * i]) for i in range(count))
    bits = bits_per_index(len(palette))
    expected = packed_size(width, height, bits)
    body = data[offset:]
    if len(body) == expected:
        packed = bytes(body)  # stored
    else:
        inflater = zlib.decompressobj(-15)
        try:
            packed = inflater.decompress(body, expected + 1)  # one more: too long is seen
        except zlib.error as exc:
            raise FrameError("A palette tile's indices are not valid DEFLATE data.") from exc
        if len(packed) != expected or not inflater.eof or inflater.unused_data:
            raise FrameError(f"A palette tile must hold exactly {expected} bytes of indices.")
    if not _indices_in_palette(packed, width * height, bits, len(palette)):
        raise FrameError("A palette tile uses a colour its palette does not have.")
    return PaletteTile(palette, bits, width, height, packed)


def palette_of(colors: Sequence[tuple[int, int, int]]) -> Palette:
    """A palette from a sequence of RGB triples."""
    return tuple((int(r), int(g), int(b)) for r, g, b in colors)


def _indices_in_palette(packed: bytes, pixels: int, bits: int, count: int) -> bool:
    """Whether every index (padding bits aside) is below `count`, by byte tables (C loops)."""
    if count >= 1 << bits:
        return True  # every value of `bits` bits names a colour
    per_byte = 8 // bits
    tail = pixels % per_byte
    if tail == 0:
        return not packed.translate(None, _valid_bytes(bits, count, per_byte))
    # The last byte holds `tail` pixels and then padding, which is not checked.
    return not packed[:-1].translate(None, _valid_bytes(bits, count, per_byte)) and not packed[
        -1:
    ].translate(None, _valid_bytes(bits, count, tail))


@functools.cache
def _valid_bytes(bits: int, count: int, groups: int) -> bytes:
    """The byte values whose first `groups` indices (from the high bits) are all below `count`."""
    mask = (1 << bits) - 1
    return bytes(
        value
        for value in range(256)
        if all((value >> (8 - bits * (i + 1))) & mask < count for i in range(groups))
    )


@functools.cache
def _spread(bits: int) -> tuple[bytes, ...]:
    """For each byte value, the indices it packs, one byte each."""
    mask = (1 << bits) - 1
    shifts = range(8 - bits, -1, -bits)
    return tuple(bytes((value >> shift) & mask for shift in shifts) for value in range(256))
