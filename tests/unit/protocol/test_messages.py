"""Control messages: typed round trips, strict parsing, fuzzing, shared vectors (messages.py)."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickassist.protocol import messages as m
from quickassist.protocol.errors import MessageError, ProtocolError
from quickassist.protocol.roles import EndReason, HelperCard, Mode, Phase, Role
from tests.vectors import generate

VECTORS_DIR = Path(generate.__file__).parent
VECTORS = json.loads((VECTORS_DIR / "messages.json").read_text("utf-8"))
PARSERS = {"client": m.parse_client_message, "server": m.parse_server_message}

CLIENT_CLASSES = [
    m.ChooseMode,
    m.Allow,
    m.Decline,
    m.Pause,
    m.Resume,
    m.RequestControl,
    m.RevokeControl,
    m.End,
    m.SecurityFailure,
]
SERVER_CLASSES = [
    m.StateUpdate,
    m.ConsentRequest,
    m.ControlAnswer,
    m.PeerLeft,
    m.PeerReturned,
    m.SessionEnded,
    m.Resync,
    m.ErrorNotice,
]

# Strategies for every message -------------------------------------------------------------

modes = st.sampled_from(list(Mode))
texts = st.text(max_size=40)
cards = st.builds(HelperCard, texts, texts)
graces = st.floats(0, 3600, allow_nan=False) | st.integers(0, 3600)

client_messages: st.SearchStrategy[m.ClientMessage] = st.one_of(
    st.builds(m.ChooseMode, modes),
    st.builds(m.Allow, modes),
    *(
        st.just(cls())  # type: ignore[call-arg]
        for cls in CLIENT_CLASSES
        if cls not in (m.ChooseMode, m.Allow)
    ),
)
server_messages: st.SearchStrategy[m.ServerMessage] = st.one_of(
    st.builds(
        m.StateUpdate,
        st.sampled_from(list(Phase)),
        st.none() | modes,
        st.none() | modes,
        st.booleans(),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(m.ConsentRequest, modes, cards),
    st.builds(m.ControlAnswer, st.booleans()),
    st.builds(m.PeerLeft, st.sampled_from(list(Role)), graces),
    st.builds(m.PeerReturned, st.sampled_from(list(Role))),
    st.builds(m.SessionEnded, st.sampled_from(list(EndReason)), texts),
    st.just(m.Resync()),
    st.builds(m.ErrorNotice, texts, texts),
)


def test_the_strategies_cover_every_message_type() -> None:
    assert {cls.type for cls in CLIENT_CLASSES} == {
        "choose_mode",
        "allow",
        "decline",
        "pause",
        "resume",
        "request_control",
        "revoke_control",
        "end",
        "security_failure",
    }
    assert set(m._CLIENT_TYPES) == {cls.type for cls in CLIENT_CLASSES}
    assert set(m._SERVER_TYPES) == {cls.type for cls in SERVER_CLASSES}
    vector_types = {v["fields"]["type"] for v in VECTORS["valid"]}
    assert vector_types == set(m._CLIENT_TYPES) | set(m._SERVER_TYPES)


# Round trips -------------------------------------------------------------------------------


@given(client_messages)
@settings(max_examples=100)
def test_client_messages_round_trip(message: m.ClientMessage) -> None:
    text = m.encode(message)
    assert m.parse_client_message(text) == message
    assert m.parse_client_message(text.encode()) == message
    assert json.loads(text)["type"] == message.type


@given(server_messages)
@settings(max_examples=300)
def test_server_messages_round_trip(message: m.ServerMessage) -> None:
    text = m.encode(message)
    parsed = m.parse_server_message(text)
    assert parsed == message
    assert type(parsed) is type(message)
    assert m.encode(parsed) == text
    assert m.parse_server_message(text.encode("utf-8")) == message


def test_encoding_is_compact_with_type_first_and_fields_in_order() -> None:
    update = m.StateUpdate(Phase.ACTIVE, Mode.CONTROL, None, True, True, False)
    assert m.encode(update) == (
        '{"type":"state","phase":"active","mode":"control","requested_mode":null,'
        '"paused":true,"helper_connected":true,"sharer_connected":false}'
    )
    assert m.encode(m.ConsentRequest(Mode.VIEW, HelperCard("Zoë Å.", "Org"))) == (
        '{"type":"consent_request","mode":"view","helper":{"name":"Zoë Å.","organisation":"Org"}}'
    )
    assert m.encode(m.Allow(Mode.VIEW)) == '{"type":"allow","mode":"view"}'


def test_to_dict_gives_plain_json_values() -> None:
    data = m.to_dict(m.ConsentRequest(Mode.CONTROL, HelperCard("Ada L.", "Org")))
    assert data == {
        "type": "consent_request",
        "mode": "control",
        "helper": {"name": "Ada L.", "organisation": "Org"},
    }
    assert json.loads(json.dumps(data)) == data


def test_parsed_enums_are_enum_members() -> None:
    update = m.parse_server_message(
        '{"type":"state","phase":"consent","mode":null,"requested_mode":"view",'
        '"paused":false,"helper_connected":true,"sharer_connected":true}'
    )
    assert isinstance(update, m.StateUpdate)
    assert update.phase is Phase.CONSENT
    assert update.requested_mode is Mode.VIEW
    assert update.mode is None
    ended = m.parse_server_message('{"type":"ended","reason":"declined","message":"No."}')
    assert isinstance(ended, m.SessionEnded)
    assert ended.reason is EndReason.DECLINED


def test_session_ended_because_uses_the_reason_sentence() -> None:
    for reason in EndReason:
        ended = m.SessionEnded.because(reason)
        assert ended.reason is reason
        assert ended.message == reason.sentence
        assert ended.message.endswith(".")


# Rejections --------------------------------------------------------------------------------


def _refused(direction: str, text: str | bytes) -> MessageError:
    with pytest.raises(MessageError) as caught:
        PARSERS[direction](text)
    error = caught.value
    assert isinstance(error, ProtocolError)
    assert error.code == "malformed_message"
    assert error.message.endswith(".")
    assert error.message[0].isupper()
    return error


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "pause",
        "[]",
        "{}",
        "1",
        "true",
        "null",
        '"pause"',
        '{"type":null}',
        '{"type":["pause"]}',
        '{"type":{"type":"pause"}}',
        '{"type":"nope"}',
        '{"Type":"pause"}',
        '{"type":"pause"}{"type":"end"}',  # two messages in one frame
        '{"type":"choose_mode"}',
        '{"type":"choose_mode","mode":"admin"}',
        '{"type":"choose_mode","mode":null}',
        '{"type":"choose_mode","mode":true}',
        '{"type":"choose_mode","mode":["view"]}',
        '{"type":"choose_mode","mode":{"view":1}}',
        '{"type":"choose_mode","mode":""}',
        b'{"type":"pause","x":"\xff"}',  # not UTF-8
        b"\xef\xbb\xbf\xff\xfe",
    ],
)
def test_malformed_client_messages_raise_message_error(text: str | bytes) -> None:
    _refused("client", text)


@pytest.mark.parametrize(
    "text",
    [
        '{"type":"state","phase":"active","mode":"view","requested_mode":null,'
        '"paused":"yes","helper_connected":true,"sharer_connected":true}',
        '{"type":"state","phase":"active","mode":"admin","requested_mode":null,'
        '"paused":false,"helper_connected":true,"sharer_connected":true}',
        '{"type":"state","phase":"active","mode":"view","requested_mode":null,'
        '"paused":0,"helper_connected":true,"sharer_connected":true}',
        '{"type":"state","phase":"active","mode":"view","requested_mode":null,'
        '"paused":false,"helper_connected":true}',
        '{"type":"state","phase":null,"mode":null,"requested_mode":null,'
        '"paused":false,"helper_connected":true,"sharer_connected":true}',
        '{"type":"consent_request","mode":null,"helper":{"name":"A","organisation":"B"}}',
        '{"type":"consent_request","mode":"view","helper":null}',
        '{"type":"consent_request","mode":"view","helper":[]}',
        '{"type":"consent_request","mode":"view","helper":{"name":"A","organisation":null}}',
        '{"type":"consent_request","mode":"view","helper":{"name":["A"],"organisation":"B"}}',
        '{"type":"control_answer","granted":"true"}',
        '{"type":"control_answer","granted":null}',
        '{"type":"control_answer"}',
        '{"type":"peer_left","role":"helper","grace_seconds":false}',
        '{"type":"peer_left","role":"helper","grace_seconds":null}',
        '{"type":"peer_left","role":"helper","grace_seconds":Infinity}',
        '{"type":"peer_left","role":"helper","grace_seconds":-Infinity}',
        '{"type":"peer_left","role":"helper","grace_seconds":NaN}',
        '{"type":"peer_left","role":"nobody","grace_seconds":1}',
        '{"type":"peer_returned","role":null}',
        '{"type":"ended","reason":"helper_ended","message":1}',
        '{"type":"ended","reason":"HELPER_ENDED","message":"x"}',
        '{"type":"error","code":null,"message":"x"}',
        '{"type":"error","code":"x","message":false}',
        '{"type":"error","code":"x"}',
    ],
)
def test_malformed_server_messages_raise_message_error(text: str) -> None:
    _refused("server", text)


def test_client_and_server_registries_do_not_mix() -> None:
    _refused("client", m.encode(m.Resync()))
    _refused("client", m.encode(m.StateUpdate(Phase.WAITING, None, None, False, True, False)))
    _refused("server", m.encode(m.Allow(Mode.CONTROL)))
    _refused("server", m.encode(m.ChooseMode(Mode.VIEW)))


def test_unknown_fields_are_ignored() -> None:
    assert m.parse_client_message('{"type":"end","reason":"whatever","n":[1,2]}') == m.End()


def test_oversized_messages_are_refused_unread() -> None:
    limit = m.MAX_CONTROL_MESSAGE
    pad = "x" * (limit - len('{"type":"end","p":""}'))
    at_limit = '{"type":"end","p":"' + pad + '"}'
    assert len(at_limit.encode()) == limit
    assert m.parse_client_message(at_limit) == m.End()
    error = _refused("client", '{"type":"end","p":"' + pad + 'x"}')
    assert str(limit) in error.message
    _refused("client", ('{"type":"end","p":"' + pad + 'x"}').encode())
    _refused("client", " " * (10 * limit))


def test_the_size_limit_counts_utf8_bytes_not_characters() -> None:
    # 6000 three-byte characters: under the limit in characters, over it in bytes.
    text = '{"type":"end","p":"' + "\u2713" * 6000 + '"}'
    assert len(text) < m.MAX_CONTROL_MESSAGE < len(text.encode())
    _refused("client", text)
    _refused("client", text.encode())


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deep_nesting_is_refused_with_message_error_not_recursion_error(opener: str) -> None:
    depth = m.MAX_CONTROL_MESSAGE // len(opener) - 1
    _refused("client", opener * depth)
    _refused("server", opener * depth)


def test_unknown_type_error_does_not_dump_the_message() -> None:
    error = _refused("client", '{"type":"nope","secret":"hunter2"}')
    assert "hunter2" not in error.message


# Fuzz --------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
    | st.sampled_from(["view", "control", "helper", "sharer", "active", "declined"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
known_types = st.sampled_from(sorted(set(m._CLIENT_TYPES) | set(m._SERVER_TYPES)))
field_names = st.sampled_from(
    sorted({f.name for cls in CLIENT_CLASSES + SERVER_CLASSES for f in fields(cls)} | {"name"})
)


def _parse_all_ways(text: str | bytes) -> None:
    for parse in PARSERS.values():
        try:
            message = parse(text)
        except MessageError:
            continue
        # Whatever parses is a typed message that encodes and parses back to itself.
        assert parse(m.encode(message)) == message


@given(st.text(max_size=200))
@settings(max_examples=300)
def test_arbitrary_text_raises_only_message_error(text: str) -> None:
    _parse_all_ways(text)


@given(st.binary(max_size=200))
@settings(max_examples=200)
def test_arbitrary_bytes_raise_only_message_error(data: bytes) -> None:
    _parse_all_ways(data)


@given(json_values)
@settings(max_examples=300)
def test_arbitrary_json_values_raise_only_message_error(value: Any) -> None:
    _parse_all_ways(json.dumps(value))


@given(known_types, st.dictionaries(field_names, json_values, max_size=7))
@settings(max_examples=300)
def test_known_types_with_arbitrary_fields_raise_only_message_error(
    type_name: str, body: dict[str, Any]
) -> None:
    _parse_all_ways(json.dumps({"type": type_name, **body}))


@given(server_messages, field_names, json_values)
@settings(max_examples=400)
def test_one_field_replaced_by_any_json_value_parses_to_that_value_or_fails(
    message: m.ServerMessage, name: str, value: Any
) -> None:
    data = m.to_dict(message)
    if name not in data:
        return
    data[name] = value
    try:
        parsed = m.parse_server_message(json.dumps(data))
    except MessageError:
        return
    # Accepted: the replaced field must have kept its declared type, never been coerced.
    if name == "helper":
        assert parsed.helper == HelperCard(value["name"], value["organisation"])  # type: ignore[union-attr]
    else:
        assert m.to_dict(parsed)[name] == value
    assert type(getattr(parsed, name)) is not str or isinstance(value, str)
    if isinstance(getattr(message, name), bool):
        assert isinstance(value, bool)


# Shared vectors ----------------------------------------------------------------------------


def test_committed_vectors_equal_what_the_implementation_produces() -> None:
    path = VECTORS_DIR / "messages.json"
    assert path.read_text("utf-8") == generate.render(generate.messages_vectors()), (
        "tests/vectors/messages.json is out of date: run tests/vectors/generate.py "
        "(and update the console's JS to match)"
    )


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_vectors_parse_to_their_fields_and_encode_back(vector: dict[str, Any]) -> None:
    message = PARSERS[vector["direction"]](vector["json"])
    assert m.to_dict(message) == vector["fields"]
    assert m.encode(message) == vector["json"]
    assert json.loads(vector["json"]) == vector["fields"]
    assert next(iter(vector["fields"])) == "type"


@pytest.mark.parametrize("vector", VECTORS["accepted"], ids=lambda v: v["name"])
def test_accepted_vectors_parse_to_their_fields(vector: dict[str, Any]) -> None:
    message = PARSERS[vector["direction"]](vector["json"])
    assert m.to_dict(message) == vector["fields"]


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_vectors_are_refused(vector: dict[str, Any]) -> None:
    error = _refused(vector["direction"], vector["json"])
    assert error.code == vector["error"]


def test_vectors_cover_both_directions_and_every_end_reason() -> None:
    assert {v["direction"] for v in VECTORS["invalid"]} == {"client", "server"}
    reasons = {v["fields"]["reason"] for v in VECTORS["valid"] if v["fields"]["type"] == "ended"}
    assert reasons == {r.value for r in EndReason}
    assert VECTORS["max_bytes"] == m.MAX_CONTROL_MESSAGE


def test_security_failure_round_trips() -> None:
    assert m.encode(m.SecurityFailure()) == '{"type":"security_failure"}'
    assert m.parse_client_message('{"type":"security_failure"}') == m.SecurityFailure()
