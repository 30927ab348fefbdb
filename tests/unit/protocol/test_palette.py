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
    # Two rows of two 1-bit indices, [0, 1] and [1, 0]: one run of bits, high bits first.
    return palette.encode_packed(bytes((0b0110_0000,)), ((0, 0, 0), (9, 9, 9)))


HEAD = bytes((2, 0, 0, 0, 9, 9, 9))  # two colours: 1 bit a pixel


@pytest.mark.parametrize(
    ("data", "previous", "match"),
    [
        (b"", None, "cannot be empty"),
        (bytes((2, 0, 0, 0, 9)), None, "inside its palette"),
        (bytes((0,)) + bytes(4), None, "never sent"),
        (HEAD + b"\xff\xff", None, "not valid DEFLATE"),
        (HEAD + raw_deflate(bytes(3)), None, "exactly 4 bytes"),
        (HEAD + raw_deflate(bytes(5)), None, "exactly 4 bytes"),
        (HEAD + raw_deflate(bytes(4)) + b"!", None, "exactly 4 bytes"),
        (HEAD + bytes(3), None, "DEFLATE|exactly 4 bytes"),  # stored, one byte short
        (HEAD + bytes(5), None, "DEFLATE|exactly 4 bytes"),  # stored, one byte long
        (
            bytes((3, 0, 0, 0, 9, 9, 9, 5, 5, 5)) + bytes((0, 0, 0, 0xC0, 0, 0, 0, 0)),
            None,
            "does not have",
        ),
    ],
)
def test_malformed_tiles_are_refused(
    data: bytes, previous: palette.Palette | None, match: str
) -> None:
    # An 8 x 4 tile: 4 bytes of indices at 1 bit (8 at 2 bits).
    with pytest.raises(FrameError, match=match):
        palette.decode(data, 8, 4, previous)


def test_a_huge_inflation_stops_at_the_rectangle() -> None:
    bomb = HEAD + raw_deflate(bytes(10_000_000))
    assert len(bomb) < 20_000
    with pytest.raises(FrameError, match="exactly 1 bytes"):
        palette.decode(bomb, 2, 2, None)


def test_the_good_tile_decodes() -> None:
    tile = palette.decode(good_tile(), 2, 2, None)
    assert good_tile() == HEAD + bytes((0b0110_0000,))  # stored: deflate would be longer
    assert tile.palette == ((0, 0, 0), (9, 9, 9))
    assert tile.indices() == bytes((0, 1, 1, 0))
    assert tile.rgb() == bytes((0, 0, 0, 9, 9, 9, 9, 9, 9, 0, 0, 0))


def test_the_indices_go_stored_or_deflated_whichever_is_shorter() -> None:
    # 64 x 64 of one colour in a two-colour palette: 512 zero bytes deflate to a handful.
    plain = bytes(512)
    deflated = palette.encode_packed(plain, ((0, 0, 0), (9, 9, 9)))
    assert len(deflated) < 20 and deflated[7:] == raw_deflate(plain)
    # Eleven bytes with no repeats: DEFLATE's own header makes them longer, so they are stored.
    noisy = bytes((0x5A, 0x3C, 0x99, 0x01, 0xF0, 0x7E, 0x42, 0x18, 0xA5, 0xC3, 0x66))
    stored = palette.encode_packed(noisy, ((0, 0, 0), (9, 9, 9)))
    assert stored == HEAD + noisy
    assert len(raw_deflate(noisy)) > len(noisy)
    # Both read back to their pixels.
    assert palette.decode(deflated, 64, 64, None).packed == plain
    assert palette.decode(stored, 8, 11, None).packed == noisy
    assert palette.decode(bytes((0,)) + noisy, 8, 11, ((0, 0, 0), (9, 9, 9))).packed == noisy


@pytest.mark.parametrize(
    ("width", "height", "packed", "valid"),
    [
        # 3 colours at 2 bits: index 3 is not a colour, in a whole byte or before the padding.
        (4, 1, bytes((0b0001_1000,)), True),
        (4, 1, bytes((0b0001_1011,)), False),
        (3, 1, bytes((0b0001_1000,)), True),
        (3, 1, bytes((0b1100_0000,)), False),
        # Padding bits are not pixels: what they hold is not judged (as the console does).
        (3, 1, bytes((0b0001_1011,)), True),
        (5, 1, bytes((0b0001_1000, 0b1000_0011)), True),
        (5, 1, bytes((0b1101_1000, 0b1000_0000)), False),
        # Rows are not padded: the second row of 3 starts inside the first byte.
        (3, 2, bytes((0b0001_1001, 0b1000_0000)), True),
        (3, 2, bytes((0b0001_1011, 0b0000_0000)), False),
        (3, 2, bytes((0b0001_1000, 0b0011_1111)), False),
        (3, 2, bytes((0b0001_1000, 0b1000_1111)), True),
    ],
)
def test_every_index_names_a_colour_of_the_palette(
    width: int, height: int, packed: bytes, valid: bool
) -> None:
    data = palette.encode_packed(packed, ((1, 1, 1), (2, 2, 2), (3, 3, 3)))
    if valid:
        assert len(palette.decode(data, width, height, None).indices()) == width * height
    else:
        with pytest.raises(FrameError, match="does not have"):
            palette.decode(data, width, height, None)
