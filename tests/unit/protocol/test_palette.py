"""Palette tiles: packing at every bit depth, exact round trips, and refusal of bad tiles."""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickassist.protocol import palette
from quickassist.protocol.errors import FrameError

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "media.json").read_text("utf-8"))[
    "palette"
]


def test_the_vector_sequence_decodes_in_order_to_its_pixels() -> None:
    held = None
    for tile in VECTORS["sequence"]:
        data = base64.b64decode(tile["data_base64"])
        pixels, held = palette.decode(data, tile["w"], tile["h"], held)
        assert pixels.tobytes().hex() == tile["rgb_hex"]


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_vectors_are_refused(vector: dict[str, Any]) -> None:
    with pytest.raises(FrameError):
        palette.decode(base64.b64decode(vector["data_base64"]), vector["w"], vector["h"], None)


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("count", "bits"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 4), (16, 4), (17, 8), (255, 8)]
)
def test_bits_per_index_is_the_fewest_that_hold_the_palette(count: int, bits: int) -> None:
    assert palette.bits_per_index(count) == bits


def test_rows_are_packed_high_bits_first_and_padded_to_a_byte() -> None:
    indices = np.array([[1, 0, 1], [0, 1, 1]], dtype=np.uint8)
    assert palette.pack_indices(indices, 1) == bytes((0b1010_0000, 0b0110_0000))
    indices = np.array([[3, 2, 1]], dtype=np.uint8)
    assert palette.pack_indices(indices, 2) == bytes((0b1110_0100,))
    assert palette.pack_indices(np.array([[15, 1, 7]], dtype=np.uint8), 4) == bytes((0xF1, 0x70))
    assert palette.pack_indices(np.array([[200, 3], [0, 9]], dtype=np.uint8), 8) == bytes(
        (200, 3, 0, 9)
    )


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
    pixels, used = palette.decode(palette.encode(indices, table, fast=fast), width, height, None)
    assert used == table
    assert np.array_equal(pixels, np.array(table, dtype=np.uint8)[indices])
    # The same indices with the palette left out decode against the one held.
    reused = palette.encode(indices, None, count=count)
    assert reused[0] == palette.REUSE
    assert np.array_equal(palette.decode(reused, width, height, table)[0], pixels)


def good_tile() -> bytes:
    return palette.encode(np.array([[0, 1], [1, 0]], dtype=np.uint8), ((0, 0, 0), (9, 9, 9)))


@pytest.mark.parametrize(
    ("data", "previous", "match"),
    [
        (b"", None, "cannot be empty"),
        (bytes((2, 0, 0, 0, 9)), None, "inside its palette"),
        (bytes((0,)) + raw_deflate(b"\x40\x80"), None, "never sent"),
        (bytes((2, 0, 0, 0, 9, 9, 9)) + b"\xff\xff", None, "not valid DEFLATE"),
        (bytes((2, 0, 0, 0, 9, 9, 9)) + raw_deflate(b"\x40"), None, "exactly 2 bytes"),
        (bytes((2, 0, 0, 0, 9, 9, 9)) + raw_deflate(b"\x40\x80\x00"), None, "exactly 2 bytes"),
        (bytes((2, 0, 0, 0, 9, 9, 9)) + raw_deflate(b"\x40\x80") + b"!", None, "exactly 2 bytes"),
        (bytes((3, 0, 0, 0, 9, 9, 9, 5, 5, 5)) + raw_deflate(b"\xc0\x00"), None, "does not have"),
    ],
)
def test_malformed_tiles_are_refused(
    data: bytes, previous: palette.Palette | None, match: str
) -> None:
    with pytest.raises(FrameError, match=match):
        palette.decode(data, 2, 2, previous)


def test_a_huge_inflation_stops_at_the_rectangle() -> None:
    bomb = bytes((2, 0, 0, 0, 9, 9, 9)) + raw_deflate(bytes(10_000_000))
    assert len(bomb) < 20_000
    with pytest.raises(FrameError, match="exactly 2 bytes"):
        palette.decode(bomb, 2, 2, None)


def test_the_good_tile_decodes() -> None:
    pixels, used = palette.decode(good_tile(), 2, 2, None)
    assert used == ((0, 0, 0), (9, 9, 9))
    assert pixels[0, 1].tolist() == [9, 9, 9] and pixels[1, 1].tolist() == [0, 0, 0]
