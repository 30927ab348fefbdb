"""The video payload: vectors shared with the console, round trips, and fuzzing."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quickassist.protocol.errors import FrameError, ProtocolError, TruncatedFrame
from quickassist.protocol.media import (
    Tile,
    TileEncoding,
    VideoPayload,
    screen_head_size,
    varint_size,
)
from tests.vectors import generate_payloads

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "media.json").read_text("utf-8"))


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_vectors_parse_to_their_fields_and_encode_back(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["hex"])
    payload = VideoPayload.parse(data)
    assert (payload.screen_width, payload.screen_height) == (
        vector["screen_width"],
        vector["screen_height"],
    )
    got = [
        {
            "x": t.x,
            "y": t.y,
            "w": t.width,
            "h": t.height,
            "encoding": int(t.encoding),
            "data_base64": base64.b64encode(t.data).decode(),
        }
        for t in payload.tiles
    ]
    assert got == vector["tiles"]
    assert bytes(payload) == data
    assert payload.wire_size == len(data)


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_vectors_are_rejected(vector: dict[str, Any]) -> None:
    with pytest.raises(FrameError):
        VideoPayload.parse(bytes.fromhex(vector["hex"]))


def test_a_payload_cannot_be_built_with_a_tile_off_screen() -> None:
    with pytest.raises(FrameError, match="outside"):
        VideoPayload(100, 100, (Tile.solid(90, 90, 20, 20, (0, 0, 0, 255)),))


def test_truncation_is_reported_as_truncated() -> None:
    data = bytes(VideoPayload(64, 64, (Tile.solid(0, 0, 64, 64, (1, 2, 3, 4)),)))
    for cut in (*range(2), *range(3, len(data))):
        with pytest.raises(TruncatedFrame):
            VideoPayload.parse(data[:cut])
    # Cut right after the screen size: a payload of no tiles (tiles run to the end; a frame is
    # one whole message, sealed, so nothing cuts it on the way).
    assert VideoPayload.parse(data[:2]) == VideoPayload(64, 64, ())


_ENCODINGS = st.sampled_from(list(TileEncoding))


@st.composite
def payloads(draw: st.DrawFn) -> VideoPayload:
    width = draw(st.integers(1, 0xFFFF))
    height = draw(st.integers(1, 0xFFFF))
    tiles = []
    for _ in range(draw(st.integers(0, 8))):
        x = draw(st.integers(0, width - 1))
        y = draw(st.integers(0, height - 1))
        w = draw(st.integers(1, width - x))
        h = draw(st.integers(1, height - y))
        encoding = draw(_ENCODINGS)
        if encoding is TileEncoding.SOLID:
            data = draw(st.binary(min_size=4, max_size=4))
        elif encoding is TileEncoding.PALETTE:
            count = draw(st.integers(0, 20))
            data = bytes((count,)) + draw(st.binary(min_size=3 * count + 1, max_size=80))
        elif encoding is TileEncoding.COPY:
            source = (draw(st.integers(0, width - w)), draw(st.integers(0, height - h)))
            tiles.append(Tile.copy(x, y, w, h, source))
            continue
        elif encoding in (TileEncoding.H264, TileEncoding.VP8):
            w, h = w - w % 2, h - h % 2
            if not (w and h):
                continue
            picture = draw(st.binary(min_size=1, max_size=64))
            video_tile = Tile.h264 if encoding is TileEncoding.H264 else Tile.vp8
            tiles.append(video_tile(x, y, w, h, picture, keyframe=draw(st.booleans())))
            continue
        else:
            data = draw(st.binary(min_size=1, max_size=64))
        tiles.append(Tile(x, y, w, h, encoding, data))
    return VideoPayload(width, height, tuple(tiles))


@given(payloads())
def test_round_trip(payload: VideoPayload) -> None:
    assert VideoPayload.parse(bytes(payload)) == payload


@given(payloads(), st.data())
def test_every_truncation_is_rejected_or_a_prefix_of_the_tiles(
    payload: VideoPayload, data: st.DataObject
) -> None:
    encoded = bytes(payload)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    ends = [screen_head_size(payload.screen_width, payload.screen_height)]
    for tile in payload.tiles:
        ends.append(ends[-1] + tile.wire_size)
    if cut in ends:  # between two tiles: the tiles before the cut
        kept = payload.tiles[: ends.index(cut)]
        assert VideoPayload.parse(encoded[:cut]) == VideoPayload(
            payload.screen_width, payload.screen_height, kept
        )
    else:
        with pytest.raises(FrameError):
            VideoPayload.parse(encoded[:cut])


@given(st.binary(max_size=200))
def test_fuzz_raises_only_protocol_errors(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        VideoPayload.parse(data)


@given(
    st.integers(1, 200),
    st.integers(1, 200),
    st.lists(
        st.tuples(
            st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, max(TileEncoding))
        ),
        max_size=4,
    ),
)
def test_fuzz_structured_heads_raise_only_frame_errors(
    width: int, height: int, heads: list[tuple[int, int, int]]
) -> None:
    data = _var(width) + _var(height)
    for x, w, encoding in heads:
        data += _var(x) + b"\x00" + _var(w) + b"\x01" + bytes((encoding, 4)) + b"\x00\x00\x00\xff"
    try:
        payload = VideoPayload.parse(data)
    except FrameError:
        return
    assert len(payload.tiles) == len(heads)


def _var(value: int) -> bytes:
    """LEB128 by hand (docs/protocol.md section 5)."""
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out) + bytes((value,))


def test_a_keystroke_costs_twelve_bytes_of_heads_at_1080p() -> None:
    # Screen 1920 x 1080 (2 + 2), tile at (1200, 300) (2 + 2), 8 x 14 (1 + 1), encoding (1),
    # length (1): 12 bytes where version 1's fixed fields took 19.
    tile = Tile(1200, 300, 8, 14, TileEncoding.PALETTE, bytes(21))
    payload = VideoPayload(1920, 1080, (tile,))
    assert len(bytes(payload)) == payload.wire_size == 12 + 21
    assert tile.wire_size == 8 + 21
    assert bytes(payload)[:4] == _var(1920) + _var(1080) == b"\x80\x0f\xb8\x08"


@given(st.integers(0, 2**28 - 1))
def test_varints_round_trip_in_their_shortest_form(value: int) -> None:
    width = min(max(value, 1), 0xFFFF)
    data = _var(width) + b"\x01"
    assert VideoPayload.parse(data).screen_width == width
    assert varint_size(value) == len(_var(value))


@pytest.mark.parametrize(
    "data",
    [
        b"\x81\x00\x01",  # 1 in two bytes
        b"\x80\x80\x80\x80\x01\x01",  # five bytes
        b"\x80",  # cut inside
    ],
)
def test_other_varint_forms_are_refused(data: bytes) -> None:
    with pytest.raises(FrameError):
        VideoPayload.parse(data)


@given(payloads())
def test_wire_size_is_exact(payload: VideoPayload) -> None:
    # The sharer batches tiles into frames by it (sharer/pipeline.py split_tiles).
    assert payload.wire_size == len(bytes(payload))
    head = screen_head_size(payload.screen_width, payload.screen_height)
    assert head + sum(t.wire_size for t in payload.tiles) == payload.wire_size


def test_committed_vectors_are_what_the_generator_writes() -> None:
    assert generate_payloads.render(generate_payloads.media_vectors()) == (
        Path(__file__).parents[2] / "vectors" / "media.json"
    ).read_text("utf-8")
