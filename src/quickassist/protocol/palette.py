"""Palette tiles (video tile encoding 3): few-colour pixels as a colour table and packed indices.

    u8 count
    count x { u8 R, u8 G, u8 B }                  (nothing when count is 0)
    raw DEFLATE (RFC 1951) of the indices

`count` 1..255 is the palette of this tile. `count` 0 means "the palette of the previous palette
tile": the receiver keeps the last palette it read, in payload order across frames, and the
sender writes a palette in full in the first palette tile after every keyframe (so a receiver
that lost frames is right again from the keyframe that repairs its picture anyway).

The indices are rows top to bottom, each packed most significant bits first at 1, 2, 4 or 8 bits
per pixel (the fewest that hold `count - 1`: 1 for 2 colours, 2 for 4, 4 for 16, else 8) and
padded to a whole byte. Every index is below the palette size.

Why: a keystroke in a terminal changes two character cells (about 12 x 13 pixels, 2 colours).
As a PNG that is ~180 bytes, mostly container; as a palette tile it is ~15-22 bytes, which
matters at ten keystrokes a second (docs/benchmarks.md). Pure: no I/O; `decode` bounds its
output, so a hostile tile cannot inflate past its rectangle.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

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


def row_bytes(width: int, bits: int) -> int:
    """Bytes of one packed row of `width` indices."""
    return -(-width * bits // 8)


def pack_indices(indices: npt.NDArray[np.uint8], bits: int) -> bytes:
    """Rows of (h, w) indices packed MSB first at `bits` per pixel, each row padded to a byte."""
    height, width = indices.shape
    per_byte = 8 // bits
    if per_byte == 1:
        return np.ascontiguousarray(indices).tobytes()
    if bits == 1:  # two colours (most text): numpy packs bits MSB first, rows padded
        return np.packbits(indices, axis=1).tobytes()
    padded_width = -(-width // per_byte) * per_byte
    padded = np.zeros((height, padded_width), dtype=np.uint8)
    padded[:, :width] = indices
    # One shift-and-or pass per pixel of a byte (first pixel in the high bits): a reduce over
    # the short last axis measured 6x slower on 512 x 64 tiles.
    packed = padded[:, ::per_byte] << np.uint8(8 - bits)
    for i in range(1, per_byte):
        packed |= padded[:, i::per_byte] << np.uint8(8 - bits - i * bits)
    return packed.tobytes()


def encode(
    indices: npt.NDArray[np.uint8],
    palette: Palette | None,
    *,
    count: int | None = None,
    fast: bool = False,
) -> bytes:
    """A palette tile's bytes: `palette` in full, or None to reuse the last (of `count` colours).

    `fast` deflates large index runs at DEFLATE_LEVEL_FAST (quicker, a few percent bigger).
    """
    size = len(palette) if palette is not None else count
    if size is None:
        raise ValueError("a reused palette needs its colour count")
    packed = pack_indices(indices, bits_per_index(size))
    if len(packed) <= SMALL_INDICES:
        level = DEFLATE_LEVEL_SMALL
    else:
        level = DEFLATE_LEVEL_FAST if fast else DEFLATE_LEVEL
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    body = compressor.compress(packed) + compressor.flush()
    if palette is None:
        return bytes((REUSE,)) + body
    head = bytes((len(palette),)) + b"".join(bytes(color) for color in palette)
    return head + body


def decode(
    data: bytes, width: int, height: int, previous: Palette | None
) -> tuple[npt.NDArray[np.uint8], Palette]:
    """The (h, w, 3) RGB pixels of a palette tile and the palette it used.

    `previous` is the palette of the previous palette tile (None if there was none). Raises
    `FrameError` for anything malformed.
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
    stride = row_bytes(width, bits)
    expected = stride * height
    inflater = zlib.decompressobj(-15)
    try:
        packed = inflater.decompress(data[offset:], expected + 1)  # one more: too long is seen
    except zlib.error:
        raise FrameError("A palette tile's indices are not valid DEFLATE data.") from None
    if len(packed) != expected or not inflater.eof or inflater.unused_data:
        raise FrameError(f"A palette tile must hold exactly {expected} bytes of indices.")
    indices = unpack_indices(packed, width, height, bits)
    if int(indices.max(initial=0)) >= len(palette):
        raise FrameError("A palette tile uses a colour its palette does not have.")
    table = np.array(palette, dtype=np.uint8)
    return table[indices], palette


def unpack_indices(packed: bytes, width: int, height: int, bits: int) -> npt.NDArray[np.uint8]:
    """The (h, w) indices of `pack_indices` output."""
    per_byte = 8 // bits
    rows = np.frombuffer(packed, dtype=np.uint8).reshape(height, -1)
    shifts = np.arange(8 - bits, -1, -bits, dtype=np.uint8)
    mask = np.uint8((1 << bits) - 1)
    spread = (rows[:, :, None] >> shifts) & mask
    return spread.reshape(height, rows.shape[1] * per_byte)[:, :width]


def palette_of(colors: Sequence[tuple[int, int, int]]) -> Palette:
    """A palette from a sequence of RGB triples."""
    return tuple((int(r), int(g), int(b)) for r, g, b in colors)
