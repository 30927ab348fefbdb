"""Binary frames: the 20-byte little-endian header and its size checks (protocol/frames.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickassist.protocol.errors import FrameError, OversizedFrame, ProtocolError, TruncatedFrame
from quickassist.protocol.frames import (
    DEFAULT_MAX_PAYLOAD,
    FRAME_VERSION,
    HEADER_SIZE,
    Frame,
    FrameFlags,
    FrameHeader,
    FrameKind,
    decode_frame,
    encode_frame,
    parse_header,
)
from tests.vectors import generate

VECTORS_PATH = Path(generate.__file__).parent / "frames.json"
VECTORS = json.loads(VECTORS_PATH.read_text("utf-8"))

U32 = 2**32
U64 = 2**64

kinds = st.sampled_from(list(FrameKind))
flag_sets = st.sampled_from(
    [FrameFlags.NONE, FrameFlags.KEYFRAME, FrameFlags.ENCRYPTED, FrameFlags.KEYFRAME | 2]
)
sequences = st.integers(0, U32 - 1)
timestamps = st.integers(0, U64 - 1)


def raw_header(
    *,
    version: int = FRAME_VERSION,
    kind: int = 1,
    flags: int = 0,
    reserved: int = 0,
    sequence: int = 0,
    timestamp: int = 0,
    length: int = 0,
) -> bytes:
    """A header packed by hand from docs/protocol.md section 5, independent of frames.py."""
    return (
        bytes([version, kind, flags, reserved])
        + sequence.to_bytes(4, "little")
        + timestamp.to_bytes(8, "little")
        + length.to_bytes(4, "little")
    )


# Layout ------------------------------------------------------------------------------------


def test_header_is_20_bytes() -> None:
    assert HEADER_SIZE == 20
    assert len(bytes(FrameHeader(FrameKind.VIDEO, 0))) == 20


def test_header_layout_matches_the_protocol_document() -> None:
    header = FrameHeader(
        kind=FrameKind.INPUT,
        length=0x0A0B0C0D,
        sequence=0x01020304,
        timestamp_us=0x1112131415161718,
        flags=FrameFlags.KEYFRAME | FrameFlags.ENCRYPTED,
    )
    assert bytes(header).hex() == (
        "01"  # version
        "03"  # kind: input
        "03"  # flags: keyframe | encrypted
        "00"  # reserved
        "04030201"  # sequence, little-endian
        "1817161514131211"  # capture timestamp (us), little-endian
        "0d0c0b0a"  # payload length, little-endian
    )


def test_kind_and_flag_numbers_match_the_protocol_document() -> None:
    assert {k.name: int(k) for k in FrameKind} == {
        "VIDEO": 1,
        "CURSOR": 2,
        "INPUT": 3,
        "CHAT": 4,
        "ANNOTATION": 5,
        "CLIPBOARD": 6,
        "CONTROL_E2E": 7,
    }
    assert int(FrameFlags.KEYFRAME) == 1
    assert int(FrameFlags.ENCRYPTED) == 2
    assert FRAME_VERSION == 1
    assert DEFAULT_MAX_PAYLOAD == 4 * 1024 * 1024


def test_encode_frame_is_header_then_payload() -> None:
    data = encode_frame(
        FrameKind.CHAT, b"hi", sequence=7, timestamp_us=1_700_000_000_000_000, flags=FrameFlags(2)
    )
    assert (
        data
        == raw_header(kind=4, flags=2, sequence=7, timestamp=1_700_000_000_000_000, length=2)
        + b"hi"
    )


def test_sequence_wraps_at_two_to_the_32() -> None:
    assert bytes(FrameHeader(FrameKind.VIDEO, 0, sequence=U32))[4:8] == b"\0\0\0\0"
    assert bytes(FrameHeader(FrameKind.VIDEO, 0, sequence=U32 + 5))[4:8] == b"\5\0\0\0"
    assert decode_frame(encode_frame(FrameKind.VIDEO, b"", sequence=U32 - 1)).header.sequence == (
        U32 - 1
    )


# Round trips -------------------------------------------------------------------------------


@given(kinds, flag_sets, sequences, timestamps, st.binary(max_size=512))
@settings(max_examples=300)
def test_encode_then_decode_round_trips(
    kind: FrameKind, flags: FrameFlags, sequence: int, timestamp: int, payload: bytes
) -> None:
    data = encode_frame(kind, payload, sequence=sequence, timestamp_us=timestamp, flags=flags)
    assert len(data) == HEADER_SIZE + len(payload)
    frame = decode_frame(data)
    assert frame == Frame(FrameHeader(kind, len(payload), sequence, timestamp, flags), payload)
    assert frame.kind is kind
    assert type(frame.header.kind) is FrameKind
    assert parse_header(data) == frame.header
    # The same bytes in any buffer type.
    assert decode_frame(bytearray(data)) == frame
    assert decode_frame(memoryview(data)) == frame


@given(kinds, flag_sets, sequences, timestamps, st.integers(0, U32 - 1))
@settings(max_examples=200)
def test_header_bytes_parse_back_to_the_header(
    kind: FrameKind, flags: FrameFlags, sequence: int, timestamp: int, length: int
) -> None:
    header = FrameHeader(kind, length, sequence, timestamp, flags)
    data = bytes(header)
    assert data == raw_header(
        kind=int(kind),
        flags=int(flags),
        sequence=sequence,
        timestamp=timestamp,
        length=length,
    )
    assert FrameHeader.parse(data) == header
    assert FrameHeader.parse(data + b"payload follows") == header


def test_payload_of_exactly_the_limit_is_accepted_both_ways() -> None:
    payload = bytes(1000)
    data = encode_frame(FrameKind.VIDEO, payload, max_payload=1000)
    assert decode_frame(data, max_payload=1000).payload == payload
    big = bytes(DEFAULT_MAX_PAYLOAD)
    assert decode_frame(encode_frame(FrameKind.VIDEO, big)).header.length == DEFAULT_MAX_PAYLOAD


def test_reserved_byte_is_written_zero_and_ignored_on_read() -> None:
    assert bytes(FrameHeader(FrameKind.CHAT, 0))[3] == 0
    header = FrameHeader.parse(raw_header(kind=4, reserved=0xFF))
    assert header == FrameHeader(FrameKind.CHAT, 0)


# Rejections --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 4, 19])
def test_truncated_header_is_refused(size: int) -> None:
    data = raw_header(length=0)[:size]
    for parse in (FrameHeader.parse, decode_frame, parse_header):
        with pytest.raises(TruncatedFrame, match="20-byte header"):
            parse(data)


def test_payload_shorter_than_announced_is_truncated() -> None:
    data = raw_header(length=10) + b"123456789"
    with pytest.raises(TruncatedFrame, match="announces 10 payload bytes but carries 9"):
        decode_frame(data)
    with pytest.raises(TruncatedFrame):
        parse_header(data)


def test_payload_longer_than_announced_is_refused() -> None:
    data = raw_header(length=2) + b"abc"
    with pytest.raises(FrameError, match="announces 2 payload bytes but carries 3") as caught:
        decode_frame(data)
    assert not isinstance(caught.value, TruncatedFrame | OversizedFrame)
    with pytest.raises(FrameError):
        parse_header(data)


def test_oversized_payload_is_refused_on_encode() -> None:
    with pytest.raises(OversizedFrame, match="at most 100 bytes"):
        encode_frame(FrameKind.VIDEO, bytes(101), max_payload=100)
    with pytest.raises(OversizedFrame):
        encode_frame(FrameKind.VIDEO, bytes(DEFAULT_MAX_PAYLOAD + 1))


def test_oversized_announcement_is_refused_before_the_payload_is_looked_at() -> None:
    # The relay must not wait for (or buffer) 4 GiB because a header says so.
    for parse in (decode_frame, parse_header):
        with pytest.raises(OversizedFrame, match="at most 100 bytes"):
            parse(raw_header(length=101) + bytes(101), max_payload=100)
        with pytest.raises(OversizedFrame):
            parse(raw_header(length=U32 - 1))
        with pytest.raises(OversizedFrame):
            parse(raw_header(length=DEFAULT_MAX_PAYLOAD + 1))


@pytest.mark.parametrize("version", [0, 2, 255])
def test_unknown_version_is_refused(version: int) -> None:
    with pytest.raises(FrameError, match=f"version {version} is not supported"):
        decode_frame(raw_header(version=version))


@pytest.mark.parametrize("kind", [0, 8, 9, 127, 255])
def test_unknown_kind_is_refused(kind: int) -> None:
    with pytest.raises(FrameError, match=f"Unknown frame kind {kind}"):
        decode_frame(raw_header(kind=kind))


@pytest.mark.parametrize("flags", [4, 8, 5, 0x80, 0xFF])
def test_unknown_flags_are_refused(flags: int) -> None:
    with pytest.raises(FrameError, match="Unknown frame flags"):
        decode_frame(raw_header(flags=flags))


@pytest.mark.parametrize(
    "header",
    [
        FrameHeader(FrameKind.VIDEO, 0, timestamp_us=-1),
        FrameHeader(FrameKind.VIDEO, 0, timestamp_us=U64),
        FrameHeader(FrameKind.VIDEO, -1),
        FrameHeader(FrameKind.VIDEO, U32),
        FrameHeader(FrameKind.VIDEO, 0, flags=FrameFlags(4)),
        FrameHeader(FrameKind.VIDEO, 0, version=2),
        FrameHeader(9, 0),  # type: ignore[arg-type]
    ],
)
def test_writing_a_header_the_parser_would_refuse_raises_frame_error(header: FrameHeader) -> None:
    with pytest.raises(FrameError):
        bytes(header)


def test_encode_frame_refuses_bad_fields_with_frame_error() -> None:
    with pytest.raises(FrameError):
        encode_frame(FrameKind.VIDEO, b"", timestamp_us=-1)
    with pytest.raises(FrameError):
        encode_frame(FrameKind.VIDEO, b"", flags=FrameFlags(8))


def test_frame_errors_are_plain_sentences_under_the_root() -> None:
    for data in (b"", raw_header(kind=0), raw_header(length=5), raw_header(length=U32 - 1)):
        with pytest.raises(ProtocolError) as caught:
            decode_frame(data)
        assert isinstance(caught.value, FrameError)
        assert caught.value.message.endswith(".")
        assert caught.value.message[0].isupper()
    assert TruncatedFrame.code == "truncated_frame"
    assert OversizedFrame.code == "oversized_frame"
    assert FrameError.code == "malformed_frame"


# Fuzz --------------------------------------------------------------------------------------


def _decode_or_frame_error(data: bytes, max_payload: int = DEFAULT_MAX_PAYLOAD) -> Frame | None:
    try:
        return decode_frame(data, max_payload=max_payload)
    except FrameError:
        return None


@given(st.binary(max_size=64), st.integers(0, 64))
@settings(max_examples=500)
def test_decoding_arbitrary_bytes_raises_only_frame_errors(data: bytes, limit: int) -> None:
    # Any other exception (struct.error, ValueError, IndexError) fails this test.
    frame = _decode_or_frame_error(data, limit)
    if frame is not None:
        assert (
            encode_frame(
                frame.kind,
                frame.payload,
                sequence=frame.header.sequence,
                timestamp_us=frame.header.timestamp_us,
                flags=frame.header.flags,
            )
            == data[:3] + b"\0" + data[4:]
        )


@given(
    st.integers(0, 255),
    st.integers(0, 255),
    st.integers(0, 255),
    st.integers(0, 255),
    st.integers(0, 16),
    st.binary(max_size=16),
)
@settings(max_examples=500)
def test_decoding_near_valid_headers_raises_only_frame_errors(
    version: int, kind: int, flags: int, reserved: int, length: int, payload: bytes
) -> None:
    data = (
        raw_header(version=version, kind=kind, flags=flags, reserved=reserved, length=length)
        + payload
    )
    frame = _decode_or_frame_error(data)
    valid = version == 1 and 1 <= kind <= 7 and flags <= 3 and length == len(payload)
    assert (frame is not None) == valid


# Shared vectors ----------------------------------------------------------------------------


def test_committed_vectors_equal_what_the_implementation_produces() -> None:
    assert VECTORS_PATH.read_text("utf-8") == generate.render(generate.frames_vectors()), (
        "tests/vectors/frames.json is out of date: run tests/vectors/generate.py "
        "(and update the console's JS to match)"
    )


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_frame_vectors_decode_and_encode(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["encoded_hex"])
    payload = bytes.fromhex(vector["payload_hex"])
    timestamp = int(vector["timestamp_us"])
    # Independent of frames.py: the bytes are the documented layout.
    assert (
        data
        == raw_header(
            version=vector["version"],
            kind=vector["kind"],
            flags=vector["flags"],
            sequence=vector["sequence"],
            timestamp=timestamp,
            length=vector["length"],
        )
        + payload
    )
    frame = decode_frame(data)
    assert frame.header == FrameHeader(
        FrameKind(vector["kind"]),
        vector["length"],
        vector["sequence"],
        timestamp,
        FrameFlags(vector["flags"]),
        vector["version"],
    )
    assert frame.payload == payload
    assert frame.kind.name.lower().replace("_", "-") == vector["kind_name"]
    assert (
        encode_frame(
            frame.kind,
            payload,
            sequence=vector["sequence"],
            timestamp_us=timestamp,
            flags=FrameFlags(vector["flags"]),
        )
        == data
    )


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_frame_vectors_are_refused_with_the_stated_error(vector: dict[str, Any]) -> None:
    with pytest.raises(FrameError) as caught:
        decode_frame(bytes.fromhex(vector["hex"]), max_payload=VECTORS["max_payload"])
    assert caught.value.code == vector["error"]


def test_frame_vectors_cover_every_kind_flag_and_error() -> None:
    assert {v["kind"] for v in VECTORS["valid"]} == {int(k) for k in FrameKind}
    assert {v["flags"] for v in VECTORS["valid"]} == {0, 1, 2, 3}
    assert {v["error"] for v in VECTORS["invalid"]} == {
        "truncated_frame",
        "oversized_frame",
        "malformed_frame",
    }
    assert VECTORS["header_size"] == HEADER_SIZE
    assert VECTORS["version"] == FRAME_VERSION
