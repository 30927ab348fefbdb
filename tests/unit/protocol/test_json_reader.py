"""The one JSON reader: size first, UTF-8 only, no NaN, depth measured without recursion."""

from __future__ import annotations

import contextlib
import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quickassist.protocol.e2e import (
    MAX_HANDSHAKE_BYTES,
    Commit,
    encode_handshake,
    is_handshake,
    parse_handshake,
)
from quickassist.protocol.errors import HandshakeFailed, MessageError
from quickassist.protocol.json_reader import MAX_DEPTH, nesting_depth, read_json_object

DEEP = b"[" * 200_000 + b"]" * 200_000


def read(data: str | bytes, limit: int = 1 << 20) -> dict[str, object]:
    return read_json_object(data, limit=limit, what="A test payload")


def refusal(data: str | bytes, limit: int = 1 << 20) -> str:
    with pytest.raises(MessageError) as refused:
        read(data, limit)
    return refused.value.message


def test_an_object_is_read_from_bytes_or_text() -> None:
    assert read(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert read('{"name": "Zoë"}') == {"name": "Zoë"}


def test_the_size_limit_counts_utf8_bytes_and_comes_first() -> None:
    assert refusal(b"{}" + b" " * 9, limit=10) == "A test payload may be at most 10 bytes."
    # Five characters, ten bytes: a str is measured as it travels.
    assert "at most 9 bytes" in refusal('{"":"ééé"}', limit=9)
    # Too big wins over everything else that is wrong with it.
    assert "at most" in refusal(DEEP, limit=1000)


def test_only_utf8() -> None:
    assert refusal(b'{"a":"\xff"}') == "A test payload must be UTF-8 JSON."
    assert "UTF-8" in refusal('{"a":"\ud800"}')  # a lone surrogate cannot be sent
    assert "UTF-8" in refusal('{"a":1}'.encode("utf-16"))  # json.loads(bytes) would guess


@pytest.mark.parametrize(
    "text", ['{"a":NaN}', '{"a":Infinity}', '{"a":-Infinity}', '{"a":1e999}', '{"a":-1e400}']
)
def test_no_value_that_is_not_a_finite_number(text: str) -> None:
    assert refusal(text) == "A test payload must be UTF-8 JSON."


@pytest.mark.parametrize("text", ["[]", "1", '"x"', "null", "true", "", "{", '{"a":1}x'])
def test_only_one_whole_object(text: str) -> None:
    assert refusal(text).startswith("A test payload must be")


def test_nesting_up_to_the_limit_is_read_and_deeper_is_refused() -> None:
    inside = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert read('{"a":' + inside + "}")["a"] is not None
    assert refusal('{"a":[' + inside + "]}") == "A test payload is nested too deeply."


@pytest.mark.parametrize(
    "data",
    [
        DEEP,
        b"[" * 200_000,
        b"{" * 200_000,
        b'{"a":' * 100_000,
        b'{"a":' + b"[" * 100_000 + b'"',
        b'["' + b'\\"' * 100_000,
    ],
    ids=["balanced", "open arrays", "open objects", "open keys", "open string", "escapes"],
)
def test_deep_or_hostile_input_is_refused_quickly_without_recursion(data: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(MessageError):
        read(data)
    # Linear work: well under a second for 200 000 brackets on a slow CI machine.
    assert time.perf_counter() - started < 1.0


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"a": "[[[[" * 100, "b": ["]]]", {"c": '\\"[{'}]})
    assert nesting_depth(text) == 3
    assert read(text)["a"] == "[[[[" * 100


@pytest.mark.parametrize(
    "payload",
    [b'{"t":[]}', b'{"t":{}}', b'{"t":null}', b"[]", b"1", b'"e2e_commit"', DEEP, b"\xff"],
    ids=["tag list", "tag object", "tag null", "array", "number", "string", "deep", "not utf8"],
)
def test_a_clear_control_payload_that_is_not_a_handshake(payload: bytes) -> None:
    # Issue 14: {"t":[]} raised TypeError (unhashable list) and crashed the sharer's session;
    # deep nesting raised RecursionError.
    assert is_handshake(payload) is False
    with pytest.raises(HandshakeFailed):
        parse_handshake(payload)


def test_a_real_handshake_is_recognised_and_an_oversized_one_is_not() -> None:
    payload = encode_handshake(Commit("X25519", bytes(32)))
    assert is_handshake(payload) and parse_handshake(payload) == Commit("X25519", bytes(32))
    padded = payload[:-1] + b" " * MAX_HANDSHAKE_BYTES + b"}"
    assert json.loads(padded)["t"] == "e2e_commit"
    assert is_handshake(padded) is False


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@given(st.dictionaries(st.text(), json_values, max_size=5))
def test_any_shallow_object_reads_back_as_it_was_written(value: dict[str, object]) -> None:
    text = json.dumps(value)
    if nesting_depth(text) <= MAX_DEPTH:
        assert read(text) == value
        assert read(text.encode("utf-8")) == value


@given(json_values)
def test_the_depth_scan_agrees_with_the_structure(value: object) -> None:
    def depth(v: object) -> int:
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        return 0

    assert nesting_depth(json.dumps(value)) == depth(value)
    assert nesting_depth(json.dumps(value, ensure_ascii=False)) == depth(value)


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_give_an_object_or_a_message_error(data: bytes) -> None:
    with contextlib.suppress(MessageError):
        assert isinstance(read(data), dict)
