"""The palette tile format (pure: no numpy): the vectors, bit depths, refusal of bad tiles.

The numpy encoder and its round trips are tested with the sharer (tests/unit/sharer/codecs/)."""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from quickassist.protocol import palette
from quickassist.protocol.errors import FrameError

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "media.json").read_text("utf-8"))[
    "palette"
]


def test_the_vector_sequence_decodes_in_order_to_its_pixels() -> None:
    held = None
    for tile in VECTORS["sequence"]:
        data = base64.b64decode(tile["data_base64"])
        decoded = palette.decode(data, tile["w"], tile["h"], held)
        held = decoded.palette
        assert decoded.rgb().hex() == tile["rgb_hex"]


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


def good_tile() -> bytes:
    # Two rows of two 1-bit indices, [0, 1] and [1, 0], packed high bits first.
    return palette.encode_packed(bytes((0b0100_0000, 0b1000_0000)), ((0, 0, 0), (9, 9, 9)))


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
    tile = palette.decode(good_tile(), 2, 2, None)
    assert tile.palette == ((0, 0, 0), (9, 9, 9))
    assert tile.indices() == bytes((0, 1, 1, 0))
    assert tile.rgb() == bytes((0, 0, 0, 9, 9, 9, 9, 9, 9, 0, 0, 0))


@pytest.mark.parametrize(
    ("width", "packed", "valid"),
    [
        # 3 colours at 2 bits: index 3 is not a colour, in a whole byte or before the padding.
        (4, bytes((0b0001_1000,)), True),
        (4, bytes((0b0001_1011,)), False),
        (3, bytes((0b0001_1000,)), True),
        (3, bytes((0b1100_0000,)), False),
        # Padding bits are not pixels: what they hold is not judged (as the console does).
        (3, bytes((0b0001_1011,)), True),
        (5, bytes((0b0001_1000, 0b1000_0011)), True),
        (5, bytes((0b1101_1000, 0b1000_0000)), False),
    ],
)
def test_every_index_names_a_colour_of_the_palette(width: int, packed: bytes, valid: bool) -> None:
    data = palette.encode_packed(packed, ((1, 1, 1), (2, 2, 2), (3, 3, 3)))
    if valid:
        assert len(palette.decode(data, width, 1, None).indices()) == width
    else:
        with pytest.raises(FrameError, match="does not have"):
            palette.decode(data, width, 1, None)
