"""The sharer's palette codec: packing at every bit depth and exact round trips through the
protocol's decoder."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quickassist.protocol import palette
from quickassist.sharer.codecs.palette import (
    decode_rgb,
    encode_indices,
    pack_indices,
    unpack_indices,
)


def test_pixels_are_packed_high_bits_first_in_one_run_rows_not_padded() -> None:
    indices = np.array([[1, 0, 1], [0, 1, 1]], dtype=np.uint8)
    assert pack_indices(indices, 1) == bytes((0b1010_1100,))
    indices = np.array([[3, 2, 1], [0, 1, 2]], dtype=np.uint8)
    assert pack_indices(indices, 2) == bytes((0b1110_0100, 0b0110_0000))
    assert pack_indices(np.array([[15, 1, 7]], dtype=np.uint8), 4) == bytes((0xF1, 0x70))
    assert pack_indices(np.array([[200, 3], [0, 9]], dtype=np.uint8), 8) == bytes((200, 3, 0, 9))
    # 10 x 14 pixels of 2 colours: 140 bits, 18 bytes (28 with each row padded to a byte).
    assert len(pack_indices(np.zeros((14, 10), dtype=np.uint8), 1)) == 18


def test_a_keystroke_is_stored_when_deflate_would_not_shrink_it() -> None:
    # The bench's glyph: 8 x 14 strokes of one colour on white, 14 bytes of indices.
    rng = np.random.default_rng(1)
    indices = (rng.random((14, 8)) < 0.35).astype(np.uint8)
    data = encode_indices(indices, ((0, 0, 0), (255, 255, 255)))
    assert data[7:] == pack_indices(indices, 1)  # stored: 1 + 6 + 14 bytes
    assert len(data) == 21
    # A big tile of text-like rows deflates, and is shorter for it.
    rows = np.tile(indices, (8, 8))
    big = encode_indices(rows, ((0, 0, 0), (255, 255, 255)))
    assert len(big) < 7 + len(pack_indices(rows, 1))
    assert np.array_equal(decode_rgb(big, 64, 112, None)[0][..., 0] == 255, rows == 1)


@settings(deadline=None)  # numpy and zlib warm-up can exceed 200 ms on a loaded machine
@given(
    count=st.integers(1, 255),
    width=st.integers(1, 40),
    height=st.integers(1, 20),
    seed=st.integers(0, 2**32 - 1),
    fast=st.booleans(),
)
def test_any_pixels_of_few_colours_round_trip_exactly(
    count: int, width: int, height: int, seed: int, fast: bool
) -> None:
    rng = np.random.default_rng(seed)
    table = palette.palette_of(rng.integers(0, 256, (count, 3)).tolist())
    indices = rng.integers(0, count, (height, width), dtype=np.uint8)
    data = encode_indices(indices, table, fast=fast)
    pixels, used = decode_rgb(data, width, height, None)
    assert used == table
    assert np.array_equal(pixels, np.array(table, dtype=np.uint8)[indices])
    # The pure decoder (what the service side and tools have) reads the same pixels.
    tile = palette.decode(data, width, height, None)
    assert tile.rgb() == pixels.tobytes()
    assert np.array_equal(unpack_indices(tile.packed, width, height, tile.bits), indices)
    # The same indices with the palette left out decode against the one held.
    reused = encode_indices(indices, None, count=count)
    assert reused[0] == palette.REUSE
    assert np.array_equal(decode_rgb(reused, width, height, table)[0], pixels)
