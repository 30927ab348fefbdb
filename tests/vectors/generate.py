"""Regenerate the shared protocol vectors (codes, frames, messages, close_codes) from Python.

The vectors are committed: the console's JS is tested against them, and the Python tests assert
that the committed files equal what this script produces now, so a change to the protocol core
that alters the wire shows up as a failing test until the vectors (and the JS) are updated.

    .venv/bin/python tests/vectors/generate.py          # rewrite the four files
    .venv/bin/python tests/vectors/generate.py --check  # exit 1 if any file is out of date

media.json and payloads.json are kept by the payload tests, not by this script.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from quickassist.protocol import messages as m
from quickassist.protocol.close_codes import CloseCode
from quickassist.protocol.codes import ALPHABET, CODE_LENGTH, SessionCode
from quickassist.protocol.errors import FrameError, InvalidCode, MessageError
from quickassist.protocol.frames import (
    FRAME_VERSION,
    HEADER_SIZE,
    FrameFlags,
    FrameKind,
    decode_frame,
    encode_frame,
    unwrap_timestamp_ms,
    wrap_timestamp_ms,
)
from quickassist.protocol.roles import EndReason, HelperCard, Mode, Phase, Role

HERE = Path(__file__).resolve().parent

# Codes -------------------------------------------------------------------------------------

_TYPED_CODES = [
    ("canonical", "ABC234"),
    ("display form", "ABC-234"),
    ("lower case", "abc234"),
    ("mixed case with a dash", "xYz-789"),
    ("spaces", " abc 234 "),
    ("tab and line break, as pasted", "ABC\t234\r\n"),
    ("many dashes", "a-b-c-2-3-4"),
    ("no-break space", "ABC\u00a0234"),
    ("narrow no-break space", "ABC\u202f234"),
    ("thin space", "ABC\u2009234"),
    ("hyphen", "ABC\u2010234"),
    ("non-breaking hyphen", "ABC\u2011234"),
    ("figure dash", "ABC\u2012234"),
    ("en dash", "ABC\u2013234"),
    ("em dash", "ABC\u2014234"),
    ("horizontal bar", "ABC\u2015234"),
    ("minus sign", "ABC\u2212234"),
    ("full-width hyphen-minus", "ABC\uff0d234"),
    ("every symbol kind", "2z9-hjk"),
]

_BAD_CODES = [
    ("empty", ""),
    ("only separators", " - "),
    ("too short", "ABC23"),
    ("too long", "ABC2345"),
    ("letter O", "ABC23O"),
    ("digit zero", "ABC230"),
    ("digit one", "ABC231"),
    ("letter I", "ABC23I"),
    ("letter L", "ABC23L"),
    ("letter U", "ABC23U"),
    ("dot is not a separator", "ABC.234"),
    ("underscore is not a separator", "ABC_234"),
    ("accented letter", "\u00c4BC234"),
    ("full-width digit", "ABC\uff1234"),
    ("zero-width space", "AB\u200bC234"),
]


def codes_vectors() -> dict[str, Any]:
    valid = []
    for name, typed in _TYPED_CODES:
        code = SessionCode.parse(typed)
        valid.append({"name": name, "typed": typed, "value": code.value, "display": code.display()})
    invalid = []
    for name, typed in _BAD_CODES:
        _expect_error(InvalidCode, partial(SessionCode.parse, typed))
        invalid.append({"name": name, "typed": typed})
    return {
        "description": (
            "Security codes (docs/protocol.md section 1). A parser upper-cases 'typed', drops the "
            "listed spaces and dashes (nothing else), and must then find exactly 'length' symbols "
            "of 'alphabet': 'value' is the result, 'display' how it is shown. Every 'invalid' "
            "input must be refused."
        ),
        "alphabet": ALPHABET,
        "length": CODE_LENGTH,
        "valid": valid,
        "invalid": invalid,
    }


# Frames ------------------------------------------------------------------------------------

# A capture time in milliseconds since the epoch (2025-11-26T05:00:00Z), as a sharer stamps it,
# and what the header carries of it (32 bits).
_NOW_MS = 1_764_133_200_000
_NOW_WIRE = wrap_timestamp_ms(_NOW_MS)

_FRAMES: list[tuple[str, FrameKind, bytes, int, int, FrameFlags]] = [
    # name, kind, payload, sequence, timestamp_ms (as on the wire), flags
    ("empty video keyframe", FrameKind.VIDEO, b"", 0, 0, FrameFlags.KEYFRAME),
    ("video with payload", FrameKind.VIDEO, bytes(range(16)), 1, _NOW_WIRE, FrameFlags.NONE),
    ("cursor", FrameKind.CURSOR, b'{"x":1,"y":2,"visible":true,"shape":null}', 2, _NOW_WIRE, 0),
    ("input", FrameKind.INPUT, b'{"t":"move","x":10,"y":20}', 3, 0, FrameFlags.NONE),
    ("chat, non-ASCII", FrameKind.CHAT, "h\u00e9 \u2713".encode(), 4, _NOW_WIRE, FrameFlags.NONE),
    ("annotation", FrameKind.ANNOTATION, b'{"t":"clear"}', 5, 0, FrameFlags.NONE),
    ("clipboard", FrameKind.CLIPBOARD, b'{"text":"x"}', 6, 0, FrameFlags.NONE),
    ("control-e2e", FrameKind.CONTROL_E2E, b'{"t":"refresh"}', 7, 0, FrameFlags.NONE),
    (
        "encrypted keyframe",
        FrameKind.VIDEO,
        bytes.fromhex("deadbeef00ff"),
        0x01020304,
        0x11223344,
        FrameFlags.KEYFRAME | FrameFlags.ENCRYPTED,
    ),
    ("encrypted input", FrameKind.INPUT, bytes(12), 9, 0, FrameFlags.ENCRYPTED),
    ("largest sequence", FrameKind.CHAT, b"", 2**32 - 1, 1, FrameFlags.NONE),
    ("largest timestamp", FrameKind.CURSOR, b"", 0, 2**32 - 1, FrameFlags.NONE),
    ("payload at the limit", FrameKind.VIDEO, bytes(64), 8, 0, FrameFlags.NONE),
]

#: The max_payload the invalid vectors are read with (small, so the vectors stay small).
_VECTOR_MAX_PAYLOAD = 64


def _header(version: int, kind_flags: int) -> bytes:
    """A hand-packed header for the invalid vectors (sequence 0x11, timestamp 0)."""
    return bytes([version, kind_flags, 0x11, 0, 0, 0]) + bytes(4)


_BAD_FRAMES: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("header cut short", _header(2, 1)[:9]),
    ("only the version", b"\x02"),
    ("payload over the limit", _header(2, 1) + bytes(_VECTOR_MAX_PAYLOAD + 1)),
    ("version 0", _header(0, 1)),
    ("version 1 (a 20-byte header)", bytes([1, 1, 0, 0]) + bytes(16)),
    ("version 1 cut short", b"\x01\x01"),
    ("version 3", _header(3, 1)),
    ("kind 0", _header(2, 0x00)),
    ("kind 8", _header(2, 0x08)),
    ("kind 15 with encrypted", _header(2, 0x2F)),
    ("unknown flag 4", _header(2, 0x41)),
    ("unknown flag 8 with keyframe", _header(2, 0x91)),
]


def frames_vectors() -> dict[str, Any]:
    valid = []
    for name, kind, payload, sequence, timestamp, flags in _FRAMES:
        encoded = encode_frame(
            kind, payload, sequence=sequence, timestamp_ms=timestamp, flags=FrameFlags(flags)
        )
        header = decode_frame(encoded, max_payload=_VECTOR_MAX_PAYLOAD).header
        valid.append(
            {
                "name": name,
                "version": header.version,
                "kind": int(header.kind),
                "kind_name": header.kind.name.lower().replace("_", "-"),
                "flags": int(header.flags),
                "sequence": header.sequence,
                "timestamp_ms": header.timestamp_ms,
                "payload_hex": payload.hex(),
                "encoded_hex": encoded.hex(),
            }
        )
    invalid = []
    for name, data in _BAD_FRAMES:
        error = _expect_error(
            FrameError, partial(decode_frame, data, max_payload=_VECTOR_MAX_PAYLOAD)
        )
        invalid.append({"name": name, "hex": data.hex(), "error": error.code})
    unwrap = [
        {"timestamp_ms": wire, "now_ms": now, "epoch_ms": unwrap_timestamp_ms(wire, now)}
        for wire, now in [
            (_NOW_WIRE, _NOW_MS),  # the same instant
            (_NOW_WIRE, _NOW_MS + 250),  # drawn 250 ms after capture
            (wrap_timestamp_ms(_NOW_MS + 40), _NOW_MS),  # the sharer's clock 40 ms ahead
            (2**32 - 5, 2**33 + 10),  # captured just before a wrap, read just after it
            (3, 2**33 - 2),  # captured just after a wrap, read just before it
            (0, _NOW_MS),  # no timestamp
        ]
    ]
    return {
        "description": (
            "Binary frames (docs/protocol.md section 5), version 2: a 10-byte little-endian "
            "header (u8 version, u8 kind | flags << 4, u32 sequence, u32 timestamp_ms: capture "
            "time in ms since the epoch mod 2**32) then the payload, the rest of the message. "
            "'encoded_hex' is header plus payload. Every 'invalid' message, read with "
            "max_payload, must be refused with the error 'error' (checks in this order: empty, "
            "version, header size, kind, flags, payload over max_payload). 'unwrap': the "
            "instant (epoch_ms) a timestamp_ms names when read at now_ms."
        ),
        "version": FRAME_VERSION,
        "header_size": HEADER_SIZE,
        "max_payload": _VECTOR_MAX_PAYLOAD,
        "valid": valid,
        "invalid": invalid,
        "unwrap": unwrap,
    }


# Messages ----------------------------------------------------------------------------------

_CARD = HelperCard("Ada L.", "Example Support")

_CLIENT_MESSAGES: list[tuple[str, m.ClientMessage]] = [
    ("choose view only", m.ChooseMode(Mode.VIEW)),
    ("choose full control", m.ChooseMode(Mode.CONTROL)),
    ("request control", m.RequestControl()),
    ("allow view only", m.Allow(Mode.VIEW)),
    ("allow full control", m.Allow(Mode.CONTROL)),
    ("decline", m.Decline()),
    ("pause", m.Pause()),
    ("resume", m.Resume()),
    ("revoke control", m.RevokeControl()),
    ("end", m.End()),
    ("security failure", m.SecurityFailure()),
]

_SERVER_MESSAGES: list[tuple[str, m.ServerMessage]] = [
    ("state: waiting", m.StateUpdate(Phase.WAITING, None, None, False, True, False)),
    (
        "state: consent for control",
        m.StateUpdate(Phase.CONSENT, None, Mode.CONTROL, False, True, True),
    ),
    ("state: active, paused", m.StateUpdate(Phase.ACTIVE, Mode.VIEW, None, True, True, True)),
    ("state: ended", m.StateUpdate(Phase.ENDED, Mode.CONTROL, None, False, False, True)),
    ("consent request", m.ConsentRequest(Mode.VIEW, _CARD)),
    (
        "consent request, non-ASCII names",
        m.ConsentRequest(Mode.CONTROL, HelperCard("Zo\u00eb \u00c5.", "S\u00e3o Paulo IT \u2713")),
    ),
    ("control granted", m.ControlAnswer(granted=True)),
    ("control refused", m.ControlAnswer(granted=False)),
    ("peer left", m.PeerLeft(Role.SHARER, 30.0)),
    ("peer left, integer grace", m.PeerLeft(Role.HELPER, 30)),
    ("peer returned", m.PeerReturned(Role.HELPER)),
    *((f"ended: {reason.value}", m.SessionEnded.because(reason)) for reason in EndReason),
    ("resync", m.Resync()),
    ("error", m.ErrorNotice("illegal_event", "There is no request to allow.")),
]

# Other spellings a parser must accept, with the canonical message they mean.
_ACCEPTED: list[tuple[str, str, str, m.ClientMessage | m.ServerMessage]] = [
    ("whitespace and unknown fields", "client", ' { "type" : "pause" , "why": 1 } ', m.Pause()),
    (
        "keys in another order",
        "client",
        '{"mode":"view","type":"choose_mode"}',
        m.ChooseMode(Mode.VIEW),
    ),
    ("escaped characters", "client", '{"type":"\\u0065nd"}', m.End()),
    (
        "extra card fields are dropped",
        "server",
        '{"type":"consent_request","mode":"view","helper":'
        '{"name":"Ada L.","organisation":"Example Support","email":"ada@example.org"}}',
        m.ConsentRequest(Mode.VIEW, _CARD),
    ),
]

_BAD_MESSAGES: list[tuple[str, str, str]] = [
    ("not JSON", "client", "pause"),
    ("empty", "client", ""),
    ("truncated JSON", "client", '{"type":"pause"'),
    ("NaN is not JSON", "server", '{"type":"peer_left","role":"helper","grace_seconds":NaN}'),
    ("an array", "client", '["pause"]'),
    ("a string", "client", '"pause"'),
    ("null", "client", "null"),
    ("no type", "client", '{"mode":"view"}'),
    ("type not a string", "client", '{"type":1}'),
    ("unknown type", "client", '{"type":"grant_admin"}'),
    ("server type sent by a client", "client", '{"type":"state"}'),
    ("client type sent by the server", "server", '{"type":"allow"}'),
    ("type in the wrong case", "client", '{"type":"Pause"}'),
    ("missing mode", "client", '{"type":"choose_mode"}'),
    ("unknown mode", "client", '{"type":"choose_mode","mode":"admin"}'),
    ("null mode in choose_mode", "client", '{"type":"choose_mode","mode":null}'),
    ("mode in upper case", "client", '{"type":"choose_mode","mode":"VIEW"}'),
    ("mode not a string", "client", '{"type":"choose_mode","mode":1}'),
    (
        "paused as a string",
        "server",
        '{"type":"state","phase":"active","mode":"view","requested_mode":null,'
        '"paused":"yes","helper_connected":true,"sharer_connected":true}',
    ),
    (
        "connected as a number",
        "server",
        '{"type":"state","phase":"active","mode":"view","requested_mode":null,'
        '"paused":false,"helper_connected":1,"sharer_connected":true}',
    ),
    (
        "unknown phase",
        "server",
        '{"type":"state","phase":"paused","mode":null,"requested_mode":null,'
        '"paused":false,"helper_connected":true,"sharer_connected":true}',
    ),
    ("granted as a number", "server", '{"type":"control_answer","granted":1}'),
    ("grace as a boolean", "server", '{"type":"peer_left","role":"sharer","grace_seconds":true}'),
    ("grace as a string", "server", '{"type":"peer_left","role":"sharer","grace_seconds":"30"}'),
    ("unknown role", "server", '{"type":"peer_returned","role":"admin"}'),
    ("unknown end reason", "server", '{"type":"ended","reason":"bored","message":"Bye."}'),
    ("message not a string", "server", '{"type":"ended","reason":"declined","message":null}'),
    ("card not an object", "server", '{"type":"consent_request","mode":"view","helper":"Ada L."}'),
    (
        "card without organisation",
        "server",
        '{"type":"consent_request","mode":"view","helper":{"name":"Ada L."}}',
    ),
    (
        "card name not a string",
        "server",
        '{"type":"consent_request","mode":"view","helper":{"name":1,"organisation":"X"}}',
    ),
    ("error code not a string", "server", '{"type":"error","code":409,"message":"No."}'),
]

_PARSERS: dict[str, Callable[[str], m.ClientMessage | m.ServerMessage]] = {
    "client": m.parse_client_message,
    "server": m.parse_server_message,
}


def messages_vectors() -> dict[str, Any]:
    valid = []
    for direction, named in (("client", _CLIENT_MESSAGES), ("server", _SERVER_MESSAGES)):
        for name, message in named:
            text = m.encode(message)
            assert _PARSERS[direction](text) == message, name
            valid.append(
                {"name": name, "direction": direction, "json": text, "fields": m.to_dict(message)}
            )
    accepted = []
    for name, direction, text, message in _ACCEPTED:
        assert _PARSERS[direction](text) == message, name
        accepted.append(
            {"name": name, "direction": direction, "json": text, "fields": m.to_dict(message)}
        )
    invalid = []
    for name, direction, text in _BAD_MESSAGES:
        error = _expect_error(MessageError, partial(_PARSERS[direction], text))
        invalid.append({"name": name, "direction": direction, "json": text, "error": error.code})
    return {
        "description": (
            "Control messages (docs/protocol.md section 3), WebSocket text frames. 'direction' is "
            "client (to the service) or server (from it). 'valid': 'json' is the canonical "
            "encoding (compact, 'type' first, then the fields in the order shown, non-ASCII "
            "as is) and 'fields' what a parser returns. 'accepted': other spellings that parse "
            "to 'fields'. 'invalid': must be refused. A message over 'max_bytes' UTF-8 bytes is "
            "refused unread."
        ),
        "max_bytes": m.MAX_CONTROL_MESSAGE,
        "valid": valid,
        "accepted": accepted,
        "invalid": invalid,
    }


# Close codes -------------------------------------------------------------------------------


def close_codes_vectors() -> dict[str, Any]:
    """Every close code with its name, whether it is final, and its default sentence."""
    return {
        "about": (
            "protocol/close_codes.py; the console's core/close-codes.js must hold the same "
            "codes, final set and sentences"
        ),
        "codes": [
            {"name": code.name, "code": int(code), "final": code.final, "sentence": code.sentence}
            for code in CloseCode
        ],
    }


# Files -------------------------------------------------------------------------------------

BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "codes.json": codes_vectors,
    "frames.json": frames_vectors,
    "messages.json": messages_vectors,
    "close_codes.json": close_codes_vectors,
}


def render(vectors: dict[str, Any]) -> str:
    """The file text: one-space indent like the other vector files, UTF-8, final newline."""
    return json.dumps(vectors, indent=1, ensure_ascii=False) + "\n"


def _expect_error(kind: type[Exception], call: Callable[[], object]) -> Any:
    try:
        call()
    except kind as error:
        return error
    raise AssertionError(f"expected {kind.__name__}")


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, build in BUILDERS.items():
        path = HERE / name
        text = render(build())
        current = path.read_text("utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(name)
        if not check:
            path.write_text(text, "utf-8")
    if check and stale:
        print(f"out of date: {', '.join(stale)} (run tests/vectors/generate.py)", file=sys.stderr)
        return 1
    for name in stale:
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
