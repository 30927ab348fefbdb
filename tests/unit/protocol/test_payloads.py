"""JSON payloads of kinds 2-7: vectors shared with the console, round trips, and fuzzing."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quickassist.protocol import payloads as p
from quickassist.protocol.errors import MessageError
from quickassist.protocol.frames import FrameKind
from tests.vectors import generate_payloads

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "payloads.json").read_text("utf-8"))
JSON_KINDS = [
    FrameKind.CURSOR,
    FrameKind.INPUT,
    FrameKind.CHAT,
    FrameKind.ANNOTATION,
    FrameKind.CLIPBOARD,
    FrameKind.CONTROL_E2E,
]


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_vectors_parse_and_encode_back_to_the_same_bytes(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["hex"])
    value = p.parse_payload(FrameKind(vector["kind"]), data)
    assert value.kind == vector["kind"]
    assert p.to_json(value) == vector["fields"]
    assert p.encode_payload(value) == data
    assert data.decode("utf-8") == vector["json"]


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_vectors_are_rejected(vector: dict[str, Any]) -> None:
    with pytest.raises(MessageError):
        p.parse_payload(FrameKind(vector["kind"]), bytes.fromhex(vector["hex"]))


def test_typed_parsers_return_typed_values() -> None:
    assert p.parse_input(b'{"t":"key","code":"KeyA","key":"a","down":true}') == p.KeyEvent(
        "KeyA", "a", True
    )
    assert p.parse_e2e_control(b'{"t":"refresh"}') == p.Refresh()
    assert p.parse_cursor(b'{"x":1,"y":2,"visible":false,"shape":null}') == p.CursorUpdate(
        1, 2, False
    )
    assert p.parse_chat(b'{"id":"a","text":"b","sent_at":3}') == p.ChatMessage("a", "b", 3)
    assert p.parse_clipboard(b'{"text":"x"}') == p.ClipboardText("x")
    assert p.parse_annotation(b'{"t":"clear"}') == p.ClearAnnotations()


def test_unknown_extra_fields_are_ignored() -> None:
    assert p.parse_input(b'{"t":"move","x":1,"y":2,"pressure":0.5}') == p.PointerMove(1, 2)


def test_video_is_not_a_json_kind() -> None:
    with pytest.raises(MessageError):
        p.parse_payload(FrameKind.VIDEO, b"{}")


def test_oversized_input_is_rejected_before_parsing() -> None:
    big = b'{"t":"move","x":1,"y":2,"pad":"' + b"a" * 2000 + b'"}'
    with pytest.raises(MessageError, match="at most"):
        p.parse_input(big)


def test_a_whole_float_is_written_as_an_integer() -> None:
    assert p.encode_payload(p.Laser(100.0, 2.5)) == b'{"t":"laser","x":100,"y":2.5}'


# Hypothesis ------------------------------------------------------------------------------------

_coord = st.integers(0, p.MAX_COORDINATE)
_signed = st.integers(-p.MAX_COORDINATE, p.MAX_COORDINATE)
_text = st.text(max_size=20)
_id = st.text(min_size=1, max_size=20)
_float = st.floats(-p.MAX_COORDINATE, p.MAX_COORDINATE, allow_nan=False) | _signed
_png = st.binary(max_size=40).map(lambda b: p.PNG_SIGNATURE + b)


@st.composite
def _shape(draw: st.DrawFn) -> p.CursorShape:
    w = draw(st.integers(1, p.MAX_CURSOR_SIZE))
    h = draw(st.integers(1, p.MAX_CURSOR_SIZE))
    return p.CursorShape(draw(_png), draw(st.integers(0, w - 1)), draw(st.integers(0, h - 1)), w, h)


_monitor = st.builds(
    p.MonitorInfo,
    st.integers(0, 0xFFFF),
    _signed,
    _signed,
    st.integers(1, p.MAX_COORDINATE),
    st.integers(1, p.MAX_COORDINATE),
    st.booleans(),
    _text,
)


@st.composite
def _monitor_list(draw: st.DrawFn) -> p.MonitorList:
    monitors = draw(st.lists(_monitor, max_size=4))
    current = draw(st.sampled_from([m.id for m in monitors])) if monitors else 0
    return p.MonitorList(tuple(monitors), current)


_wheel = st.integers(-p.MAX_WHEEL_NOTCHES, p.MAX_WHEEL_NOTCHES)
PAYLOADS = st.one_of(
    st.builds(p.CursorUpdate, _signed, _signed, st.booleans(), st.none() | _shape()),
    st.builds(p.PointerMove, _coord, _coord),
    st.builds(p.PointerButton, st.integers(0, 2), st.booleans(), _coord, _coord),
    st.builds(p.Wheel, _wheel, _wheel),
    st.builds(p.KeyEvent, st.text(max_size=32), st.text(max_size=32), st.booleans()),
    st.just(p.ReleaseAll()),
    st.builds(p.ChatMessage, _id, _text, st.integers(0, 2**53 - 1)),
    st.builds(
        p.Stroke,
        _id,
        st.from_regex(r"#[0-9a-f]{6}", fullmatch=True),
        st.floats(0.5, p.MAX_STROKE_WIDTH),
        st.lists(st.tuples(_float, _float), max_size=5).map(tuple),
        st.booleans(),
    ),
    st.builds(p.Laser, _float, _float),
    st.just(p.LaserOff()),
    st.just(p.ClearAnnotations()),
    st.builds(p.ClipboardText, _text),
    _monitor_list(),
    st.builds(p.SelectMonitor, st.integers(0, 0xFFFF)),
    st.just(p.Refresh()),
    st.just(p.Refresh(("h264", "vp8"))),
    st.builds(p.FrameDrawn, st.integers(0, 2**32 - 1), st.integers(0, p.MAX_DRAW_MS)),
    st.builds(p.QualityChoice, st.sampled_from(p.QUALITY_MODES)),
)


@given(PAYLOADS)
def test_round_trip(value: p.Payload) -> None:
    encoded = p.encode_payload(value)
    assert p.parse_payload(value.kind, encoded) == value
    assert p.encode_payload(p.parse_payload(value.kind, encoded)) == encoded


@given(PAYLOADS, st.data())
def test_truncated_payloads_are_rejected(value: p.Payload, data: st.DataObject) -> None:
    encoded = p.encode_payload(value)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with pytest.raises(MessageError):
        p.parse_payload(value.kind, encoded[:cut])


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    ["t", "x", "y", "down", "button", "code", "key", "shape", "png", "width", "points", "id"]
)


@given(st.sampled_from(JSON_KINDS), st.binary(max_size=200))
def test_fuzz_bytes_raise_only_message_errors(kind: FrameKind, data: bytes) -> None:
    with contextlib.suppress(MessageError):
        p.parse_payload(kind, data)


@given(
    st.sampled_from(JSON_KINDS),
    st.sampled_from(["move", "button", "wheel", "key", "stroke", "laser", "monitors", "x"]),
    st.dictionaries(_keys, _json, max_size=8),
)
def test_fuzz_json_objects_raise_only_message_errors(
    kind: FrameKind, tag: str, obj: dict[str, Any]
) -> None:
    obj.setdefault("t", tag)
    with contextlib.suppress(MessageError):
        p.parse_payload(kind, json.dumps(obj).encode())


def test_deeply_nested_json_is_a_message_error() -> None:
    with pytest.raises(MessageError):
        p.parse_payload(FrameKind.CHAT, b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize(
    "text",
    [
        '{"t":"laser","x":1e400,"y":0}',
        '{"t":"laser","x":' + "9" * 400 + ',"y":0}',
        '{"t":"stroke","id":"s","color":"#ff0000","width":2,"points":[[0,1' + "0" * 400 + "]],"
        '"done":true}',
    ],
    ids=["float overflow", "400-digit integer", "400-digit point"],
)
def test_numbers_beyond_a_double_are_message_errors(text: str) -> None:
    # A 400-digit integer made math.isfinite raise OverflowError (found by the fuzzer).
    with pytest.raises(MessageError):
        p.parse_annotation(text.encode())


def test_committed_vectors_are_what_the_generator_writes() -> None:
    assert generate_payloads.render(generate_payloads.payload_vectors()) == (
        Path(__file__).parents[2] / "vectors" / "payloads.json"
    ).read_text("utf-8")
