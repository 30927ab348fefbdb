"""The video payload: vectors shared with the console, round trips, and fuzzing."""

from __future__ import annotations

import base64
import contextlib
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quickassist.protocol.errors import FrameError, ProtocolError, TruncatedFrame
from quickassist.protocol.media import Tile, TileEncoding, VideoPayload
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
    for cut in range(len(data)):
        with pytest.raises(TruncatedFrame):
            VideoPayload.parse(data[:cut])


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
        elif encoding is TileEncoding.H264:
            w, h = w - w % 2, h - h % 2
            if not (w and h):
                continue
            unit = draw(st.binary(min_size=1, max_size=64))
            tiles.append(Tile.h264(x, y, w, h, unit, keyframe=draw(st.booleans())))
            continue
        elif encoding is TileEncoding.VP8:
            w, h = w - w % 2, h - h % 2
            if not (w and h):
                continue
            frame = draw(st.binary(min_size=1, max_size=64))
            tiles.append(Tile.vp8(x, y, w, h, frame, keyframe=draw(st.booleans())))
            continue
        else:
            data = draw(st.binary(min_size=1, max_size=64))
        tiles.append(Tile(x, y, w, h, encoding, data))
    return VideoPayload(width, height, tuple(tiles))


@given(payloads())
def test_round_trip(payload: VideoPayload) -> None:
    assert VideoPayload.parse(bytes(payload)) == payload


@given(payloads(), st.data())
def test_every_truncation_is_rejected(payload: VideoPayload, data: st.DataObject) -> None:
    encoded = bytes(payload)
    cut = data.draw(st.integers(0, len(encoded) - 1))
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
    data = struct.pack("<HHH", width, height, len(heads))
    for x, w, encoding in heads:
        data += struct.pack("<HHHHBI", x, 0, w, 1, encoding, 4) + b"\x00\x00\x00\xff"
    try:
        payload = VideoPayload.parse(data)
    except FrameError:
        return
    assert len(payload.tiles) == len(heads)


def test_committed_vectors_are_what_the_generator_writes() -> None:
    assert generate_payloads.render(generate_payloads.media_vectors()) == (
        Path(__file__).parents[2] / "vectors" / "media.json"
    ).read_text("utf-8")
