"""Every parser that reads bytes from the network, as a fuzz target, with valid seed inputs.

One table for both fuzzers: the bounded hypothesis tests in CI (tests/fuzz/test_parsers.py) and
the long run of a million inputs and more (bench/fuzz_parsers.py). A target takes arbitrary
bytes and may return anything or raise a `ProtocolError` (the package's one root); any other
exception is a finding.

The seeds are the committed protocol vectors (tests/vectors/), so mutations start from inputs
that get past the first checks, plus a few hostile shapes from issue 14 (a tag that is a list,
deep nesting).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quickassist.protocol import palette
from quickassist.protocol.codes import SessionCode
from quickassist.protocol.e2e import (
    SecureChannel,
    derive_keys,
    is_handshake,
    parse_handshake,
)
from quickassist.protocol.errors import ProtocolError
from quickassist.protocol.frames import FrameKind, decode_frame, parse_header
from quickassist.protocol.json_reader import read_json_object
from quickassist.protocol.media import VideoPayload
from quickassist.protocol.messages import parse_client_message, parse_server_message
from quickassist.protocol.payloads import parse_payload
from quickassist.protocol.secure_link import SecureLink
from tests.fixtures.e2e_peer import E2EPeer

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
SESSION_ID = "3f2a9c1e-7b4d-4e8a-9c61-0d5b2e8f4a17"
#: What a target may raise: the protocol core's own errors, nothing else.
EXPECTED = ProtocolError

HOSTILE_JSON = [
    b'{"t":[]}',
    b'{"t":{}}',
    b'{"type":[]}',
    b"[]",
    b"1",
    b"null",
    b'"x"',
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000,
    b'{"a":NaN}',
    b'{"a":1e999}',
    b'{"a":"\\ud800"}',
    # Found by bench/fuzz_parsers.py: math.isfinite(10**400) raised OverflowError.
    b'{"t":"laser","x":' + b"9" * 400 + b',"y":0}',
]


@dataclass
class Target:
    name: str
    parse: Callable[[bytes], object]
    seeds: list[bytes] = field(default_factory=list)


def _vectors(name: str) -> Any:
    return json.loads((VECTORS / f"{name}.json").read_text("utf-8"))


def _text(data: bytes) -> str:
    # A WebSocket text frame is valid UTF-8 by the time the parser sees it (Starlette and
    # websockets check); the bytes path covers the rest.
    return data.decode("utf-8", "replace")


def _palette_tile(data: bytes) -> object:
    # The first two bytes choose the rectangle (1-64 x 1-64), the rest is the tile.
    if len(data) < 2:
        return None
    width, height = data[0] % 64 + 1, data[1] % 64 + 1
    previous = ((0, 0, 0), (255, 255, 255), (9, 9, 9)) if width % 2 else None
    return palette.decode(data[2:], width, height, previous)


class _Sealed:
    """A sharer's channel fed frames that claim to come from the helper."""

    def __init__(self) -> None:
        keys = derive_keys(bytes(32), b"fuzz transcript")
        self.helper = SecureChannel(keys, helper=True)
        self.sharer = SecureChannel(keys, helper=False)

    def open(self, data: bytes) -> object:
        return self.sharer.open(decode_frame(data))

    def seeds(self) -> list[bytes]:
        return [
            self.helper.seal(kind, payload, sequence=n)
            for n, (kind, payload) in enumerate(
                [(FrameKind.INPUT, b'{"t":"move","x":1,"y":2}'), (FrameKind.CHAT, b"{}")]
            )
        ]


class _Handshake:
    """A fresh sharer link that got the helper's commit, fed what comes next."""

    def __init__(self) -> None:
        self.helper = E2EPeer(SESSION_ID, helper=True)
        commit_frame = decode_frame(self.helper.commit())
        self.commit = commit_frame.payload
        offer = SecureLink(SESSION_ID).on_handshake(self.commit)
        assert offer is not None
        self.reveal = decode_frame(self.helper.on_key(decode_frame(offer).payload)).payload

    def answer(self, data: bytes) -> object:
        link = SecureLink(SESSION_ID)
        link.on_handshake(self.commit)
        return link.on_handshake(data)


def build_targets() -> list[Target]:
    """The targets, each with its seeds (fresh objects: a channel's replay window is state)."""
    frames = _vectors("frames")
    frame_seeds = [bytes.fromhex(v["encoded_hex"]) for v in frames["valid"]]
    frame_seeds += [bytes.fromhex(v["hex"]) for v in frames["invalid"]]
    messages = _vectors("messages")
    message_seeds = [
        v["json"].encode() for key in ("valid", "accepted", "invalid") for v in messages[key]
    ]
    payloads = _vectors("payloads")
    by_kind: dict[FrameKind, list[bytes]] = {}
    for v in payloads["valid"] + payloads["invalid"]:
        by_kind.setdefault(FrameKind(v["kind"]), []).append(bytes.fromhex(v["hex"]))
    media = _vectors("media")
    video_seeds = [bytes.fromhex(v["hex"]) for v in media["valid"] + media["invalid"]]
    palette_seeds = [
        bytes((v["w"] - 1, v["h"] - 1)) + base64.b64decode(v["data_base64"])
        for v in media["palette"]["sequence"] + media["palette"]["invalid"]
    ]
    sealed = _Sealed()
    handshake = _Handshake()
    handshake_seeds = [handshake.commit, handshake.reveal, *HOSTILE_JSON]
    targets = [
        Target("frames.parse_header", parse_header, frame_seeds),
        Target("frames.decode_frame", decode_frame, frame_seeds),
        Target("messages.parse_client_message", parse_client_message, message_seeds),
        Target(
            "messages.parse_client_message (text)",
            lambda d: parse_client_message(_text(d)),
            message_seeds,
        ),
        Target("messages.parse_server_message", parse_server_message, message_seeds),
        Target("media.VideoPayload.parse", VideoPayload.parse, video_seeds),
        Target("palette.decode", _palette_tile, palette_seeds),
        Target("e2e.is_handshake", is_handshake, handshake_seeds),
        Target("e2e.parse_handshake", parse_handshake, handshake_seeds),
        Target("e2e.SecureChannel.open", sealed.open, sealed.seeds() + frame_seeds),
        Target("secure_link.on_handshake (after a commit)", handshake.answer, handshake_seeds),
        Target(
            "json_reader.read_json_object",
            lambda d: read_json_object(d, limit=64 * 1024, what="A fuzzed payload"),
            message_seeds + HOSTILE_JSON,
        ),
        Target(
            "codes.SessionCode.parse",
            lambda d: SessionCode.parse(_text(d)),
            [b"ABC-234", b"abc 234"],
        ),
    ]
    for kind in FrameKind:
        if kind is FrameKind.VIDEO:
            continue
        seeds = by_kind.get(kind, []) + HOSTILE_JSON
        targets.append(
            Target(f"payloads.parse_payload({kind.name.lower()})", _payload_parser(kind), seeds)
        )
    return targets


def _payload_parser(kind: FrameKind) -> Callable[[bytes], object]:
    return lambda data: parse_payload(kind, data)
