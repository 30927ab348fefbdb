"""Binary frames: the 10-byte header of version 2 and its checks (protocol/frames.py)."""

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
    unwrap_timestamp_ms,
    wrap_timestamp_ms,
)
from tests.vectors import generate

VECTORS_PATH = Path(generate.__file__).parent / "frames.json"
VECTORS = json.loads(VECTORS_PATH.read_text("utf-8"))

U32 = 2**32

kinds = st.sampled_from(list(FrameKind))
flag_sets = st.sampled_from(
    [FrameFlags.NONE, FrameFlags.KEYFRAME, FrameFlags.ENCRYPTED, FrameFlags.KEYFRAME | 2]
)
sequences = st.integers(0, U32 - 1)
timestamps = st.integers(0, U32 - 1)


def raw_header(
    *,
    version: int = FRAME_VERSION,
    kind: int = 1,
    flags: int = 0,
    sequence: int = 0,
    timestamp: int = 0,
) -> bytes:
    """A header packed by hand from docs/protocol.md section 5, independent of frames.py."""
    return (
        bytes([version, kind | flags << 4])
        + sequence.to_bytes(4, "little")
        + timestamp.to_bytes(4, "little")
    )


# Layout ------------------------------------------------------------------------------------


def test_header_is_10_bytes() -> None:
    assert HEADER_SIZE == 10
    assert len(bytes(FrameHeader(FrameKind.VIDEO))) == 10


def test_header_layout_matches_the_protocol_document() -> None:
    header = FrameHeader(
        kind=FrameKind.INPUT,
        sequence=0x01020304,
        timestamp_ms=0x11121314,
        flags=FrameFlags.KEYFRAME | FrameFlags.ENCRYPTED,
    )
    assert bytes(header).hex() == (
        "02"  # version
        "33"  # kind (input, 3) in the low nibble, flags (keyframe | encrypted) in the high one
        "04030201"  # sequence, little-endian
        "14131211"  # capture timestamp (ms mod 2**32), little-endian
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
    assert FRAME_VERSION == 2
    assert DEFAULT_MAX_PAYLOAD == 4 * 1024 * 1024


def test_encode_frame_is_header_then_payload() -> None:
    data = encode_frame(
        FrameKind.CHAT, b"hi", sequence=7, timestamp_ms=1_700_000_000, flags=FrameFlags(2)
    )
    assert data == raw_header(kind=4, flags=2, sequence=7, timestamp=1_700_000_000) + b"hi"


def test_sequence_wraps_at_two_to_the_32() -> None:
    assert bytes(FrameHeader(FrameKind.VIDEO, sequence=U32))[2:6] == b"\0\0\0\0"
    assert bytes(FrameHeader(FrameKind.VIDEO, sequence=U32 + 5))[2:6] == b"\5\0\0\0"
    assert decode_frame(encode_frame(FrameKind.VIDEO, b"", sequence=U32 - 1)).header.sequence == (
        U32 - 1
    )


# Timestamps ----------------------------------------------------------------------------------


def test_a_timestamp_is_milliseconds_mod_two_to_the_32() -> None:
    now_ms = 1_764_133_200_123
    assert wrap_timestamp_ms(now_ms) == now_ms % U32
    assert wrap_timestamp_ms(U32) == 0


@given(st.integers(1, 2**50), st.integers(-(2**30), 2**30))
@settings(max_examples=300)
def test_a_timestamp_reads_back_as_the_instant_nearest_the_receivers_clock(
    captured_ms: int, clock_offset_ms: int
) -> None:
    # Capture on one clock, read on another up to 12 days off: the same instant comes back.
    wire = wrap_timestamp_ms(captured_ms)
    if wire == 0:
        return  # 0 means "no timestamp" (1 capture time in 2**32)
    assert unwrap_timestamp_ms(wire, captured_ms + clock_offset_ms) == captured_ms


def test_no_timestamp_stays_none() -> None:
    assert unwrap_timestamp_ms(0, 1_764_133_200_000) == 0


# Round trips -------------------------------------------------------------------------------


@given(kinds, flag_sets, sequences, timestamps, st.binary(max_size=512))
@settings(max_examples=300)
def test_encode_then_decode_round_trips(
    kind: FrameKind, flags: FrameFlags, sequence: int, timestamp: int, payload: bytes
) -> None:
    data = encode_frame(kind, payload, sequence=sequence, timestamp_ms=timestamp, flags=flags)
    assert len(data) == HEADER_SIZE + len(payload)
    frame = decode_frame(data)
    assert frame == Frame(FrameHeader(kind, sequence, timestamp, flags), payload)
    assert frame.kind is kind
    assert type(frame.header.kind) is FrameKind
    assert parse_header(data) == frame.header
    # The same bytes in any buffer type.
    assert decode_frame(bytearray(data)) == frame
    assert decode_frame(memoryview(data)) == frame


@given(kinds, flag_sets, sequences, timestamps)
@settings(max_examples=200)
def test_header_bytes_parse_back_to_the_header(
    kind: FrameKind, flags: FrameFlags, sequence: int, timestamp: int
) -> None:
    header = FrameHeader(kind, sequence, timestamp, flags)
    data = bytes(header)
    assert data == raw_header(
        kind=int(kind), flags=int(flags), sequence=sequence, timestamp=timestamp
    )
    assert FrameHeader.parse(data) == header
    assert FrameHeader.parse(data + b"payload follows") == header


def test_payload_of_exactly_the_limit_is_accepted_both_ways() -> None:
    payload = bytes(1000)
    data = encode_frame(FrameKind.VIDEO, payload, max_payload=1000)
    assert decode_frame(data, max_payload=1000).payload == payload
    big = bytes(DEFAULT_MAX_PAYLOAD)
    assert len(decode_frame(encode_frame(FrameKind.VIDEO, big)).payload) == DEFAULT_MAX_PAYLOAD


def test_the_payload_is_the_rest_of_the_message() -> None:
    # No length field: every frame is one WebSocket message, so nothing can be cut or added
    # without the message itself changing (and a sealed one then fails its tag).
    for payload in (b"", b"x", bytes(300)):
        assert decode_frame(raw_header(kind=4) + payload).payload == payload


# Rejections --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 4, 9])
def test_truncated_header_is_refused(size: int) -> None:
    data = raw_header()[:size]
    for parse in (FrameHeader.parse, decode_frame, parse_header):
        with pytest.raises(TruncatedFrame, match="10-byte header"):
            parse(data)


def test_an_empty_message_is_truncated() -> None:
    with pytest.raises(TruncatedFrame, match="cannot be empty"):
        decode_frame(b"")


def test_oversized_payload_is_refused_on_encode() -> None:
    with pytest.raises(OversizedFrame, match="at most 100 bytes"):
        encode_frame(FrameKind.VIDEO, bytes(101), max_payload=100)
    with pytest.raises(OversizedFrame):
        encode_frame(FrameKind.VIDEO, bytes(DEFAULT_MAX_PAYLOAD + 1))


def test_oversized_payload_is_refused_on_read() -> None:
    for parse in (decode_frame, parse_header):
        with pytest.raises(OversizedFrame, match="at most 100 bytes"):
            parse(raw_header() + bytes(101), max_payload=100)
        with pytest.raises(OversizedFrame):
            parse(raw_header() + bytes(DEFAULT_MAX_PAYLOAD + 1))


@pytest.mark.parametrize("version", [0, 1, 3, 255])
def test_unknown_version_is_refused(version: int) -> None:
    with pytest.raises(FrameError, match=f"version {version} is not supported") as caught:
        decode_frame(raw_header(version=version))
    assert "Update the app." in caught.value.message


def test_a_version_1_frame_is_refused_with_a_sentence_even_when_short() -> None:
    # An old peer's 20-byte header, or the first bytes of one: the version is read first.
    old = bytes([1, 1, 0, 0]) + bytes(16)
    for data in (old, old[:2]):
        with pytest.raises(FrameError, match="version 1 is not supported") as caught:
            decode_frame(data)
        assert not isinstance(caught.value, TruncatedFrame)


@pytest.mark.parametrize("kind", [0, 8, 9, 15])
def test_unknown_kind_is_refused(kind: int) -> None:
    with pytest.raises(FrameError, match=f"Unknown frame kind {kind}"):
        decode_frame(raw_header(kind=kind))


@pytest.mark.parametrize("flags", [4, 8, 5, 0xF])
def test_unknown_flags_are_refused(flags: int) -> None:
    with pytest.raises(FrameError, match="Unknown frame flags"):
        decode_frame(raw_header(flags=flags))


@pytest.mark.parametrize(
    "header",
    [
        FrameHeader(FrameKind.VIDEO, timestamp_ms=-1),
        FrameHeader(FrameKind.VIDEO, timestamp_ms=U32),
        FrameHeader(FrameKind.VIDEO, flags=FrameFlags(4)),
        FrameHeader(FrameKind.VIDEO, version=1),
        FrameHeader(9),  # type: ignore[arg-type]
    ],
)
def test_writing_a_header_the_parser_would_refuse_raises_frame_error(header: FrameHeader) -> None:
    with pytest.raises(FrameError):
        bytes(header)


def test_encode_frame_refuses_bad_fields_with_frame_error() -> None:
    with pytest.raises(FrameError):
        encode_frame(FrameKind.VIDEO, b"", timestamp_ms=-1)
    with pytest.raises(FrameError):
        encode_frame(FrameKind.VIDEO, b"", flags=FrameFlags(8))


def test_frame_errors_are_plain_sentences_under_the_root() -> None:
    for data in (b"", b"\x02", raw_header(kind=0), raw_header(version=1), raw_header(flags=4)):
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
                timestamp_ms=frame.header.timestamp_ms,
                flags=frame.header.flags,
            )
            == data
        )


@given(
    st.integers(0, 255),
    st.integers(0, 15),
    st.integers(0, 15),
    st.integers(0, 12),
    st.binary(max_size=16),
)
@settings(max_examples=500)
def test_decoding_near_valid_headers_raises_only_frame_errors(
    version: int, kind: int, flags: int, cut: int, payload: bytes
) -> None:
    data = (raw_header(version=version, kind=kind, flags=flags) + payload)[: HEADER_SIZE + cut]
    frame = _decode_or_frame_error(data, max_payload=8)
    valid = version == 2 and 1 <= kind <= 7 and flags <= 3 and HEADER_SIZE <= len(data) <= 18
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
    timestamp = vector["timestamp_ms"]
    # Independent of frames.py: the bytes are the documented layout.
    assert (
        data
        == raw_header(
            version=vector["version"],
            kind=vector["kind"],
            flags=vector["flags"],
            sequence=vector["sequence"],
            timestamp=timestamp,
        )
        + payload
    )
    frame = decode_frame(data, max_payload=VECTORS["max_payload"])
    assert frame.header == FrameHeader(
        FrameKind(vector["kind"]),
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
            timestamp_ms=timestamp,
            flags=FrameFlags(vector["flags"]),
        )
        == data
    )


@pytest.mark.parametrize("vector", VECTORS["unwrap"], ids=lambda v: str(v["now_ms"]))
def test_timestamp_unwrap_vectors(vector: dict[str, Any]) -> None:
    assert unwrap_timestamp_ms(vector["timestamp_ms"], vector["now_ms"]) == vector["epoch_ms"]


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
