"""Control messages: the JSON text frames between each client and the service.

Clients send `ClientMessage`s (one per user action); the service answers with `ServerMessage`s.
Each class names its wire ``type``; `parse_client_message` and `parse_server_message` turn text
into typed values and reject anything else with `MessageError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

from .errors import MessageError
from .json_reader import read_json_object
from .roles import EndReason, HelperCard, Mode, Phase, Role

#: Control messages are small; anything larger is a mistake or an attack.
MAX_CONTROL_MESSAGE = 16 * 1024


# Client -> service --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChooseMode:
    type: ClassVar[str] = "choose_mode"
    mode: Mode


@dataclass(frozen=True, slots=True)
class Allow:
    """Allows exactly `mode`, the request the person saw: a request that changed meanwhile (a
    second click racing a new request for control) is refused, never granted by accident."""

    type: ClassVar[str] = "allow"
    mode: Mode


@dataclass(frozen=True, slots=True)
class Decline:
    type: ClassVar[str] = "decline"


@dataclass(frozen=True, slots=True)
class Pause:
    type: ClassVar[str] = "pause"


@dataclass(frozen=True, slots=True)
class Resume:
    type: ClassVar[str] = "resume"


@dataclass(frozen=True, slots=True)
class RequestControl:
    type: ClassVar[str] = "request_control"


@dataclass(frozen=True, slots=True)
class RevokeControl:
    type: ClassVar[str] = "revoke_control"


@dataclass(frozen=True, slots=True)
class End:
    type: ClassVar[str] = "end"


@dataclass(frozen=True, slots=True)
class SecurityFailure:
    """The end-to-end encryption failed at this side (a bad handshake, forged or replayed
    frames): the session ends with `security_error`, a reason both people see."""

    type: ClassVar[str] = "security_failure"


ClientMessage = (
    ChooseMode
    | Allow
    | Decline
    | Pause
    | Resume
    | RequestControl
    | RevokeControl
    | End
    | SecurityFailure
)

_CLIENT_TYPES: dict[str, type[ClientMessage]] = {
    cls.type: cls
    for cls in (
        ChooseMode,
        Allow,
        Decline,
        Pause,
        Resume,
        RequestControl,
        RevokeControl,
        End,
        SecurityFailure,
    )
}


# Service -> client --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateUpdate:
    """A snapshot of the session as the service sees it; sent to both sides on every change.

    `sharer_browser` (the sharer shares from a web browser: view only) is on the wire only when
    true, so every peer and vector from before it reads the same.
    """

    type: ClassVar[str] = "state"
    phase: Phase
    mode: Mode | None
    requested_mode: Mode | None
    paused: bool
    helper_connected: bool
    sharer_connected: bool
    sharer_browser: bool = False


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """Asks the sharer to allow `mode`; carries only what the sharer may know of the helper."""

    type: ClassVar[str] = "consent_request"
    mode: Mode
    helper: HelperCard


@dataclass(frozen=True, slots=True)
class ControlAnswer:
    """Tells the helper whether a mid-session request for control was granted."""

    type: ClassVar[str] = "control_answer"
    granted: bool


@dataclass(frozen=True, slots=True)
class PeerLeft:
    type: ClassVar[str] = "peer_left"
    role: Role
    grace_seconds: float


@dataclass(frozen=True, slots=True)
class PeerReturned:
    type: ClassVar[str] = "peer_returned"
    role: Role


@dataclass(frozen=True, slots=True)
class SessionEnded:
    type: ClassVar[str] = "ended"
    reason: EndReason
    message: str

    @classmethod
    def because(cls, reason: EndReason) -> SessionEnded:
        return cls(reason, reason.sentence)


@dataclass(frozen=True, slots=True)
class Resync:
    """Tells the sharer the relay dropped video for a slow helper: send a keyframe."""

    type: ClassVar[str] = "resync"


@dataclass(frozen=True, slots=True)
class ErrorNotice:
    """A rejected action; the session goes on. `code` is stable, `message` is for people."""

    type: ClassVar[str] = "error"
    code: str
    message: str


ServerMessage = (
    StateUpdate
    | ConsentRequest
    | ControlAnswer
    | PeerLeft
    | PeerReturned
    | SessionEnded
    | Resync
    | ErrorNotice
)

_SERVER_TYPES: dict[str, type[ServerMessage]] = {
    cls.type: cls
    for cls in (
        StateUpdate,
        ConsentRequest,
        ControlAnswer,
        PeerLeft,
        PeerReturned,
        SessionEnded,
        Resync,
        ErrorNotice,
    )
}

# Fields whose JSON form is not a plain JSON value: decoder per field name.
_FIELD_DECODERS: dict[str, Any] = {
    "mode": Mode,
    "requested_mode": Mode,
    "phase": Phase,
    "role": Role,
    "reason": EndReason,
    # "verified_domain" is sent only when there is one (older peers never send it).
    "helper": lambda v: HelperCard(
        _text(v["name"]), _text(v["organisation"]), _text(v.get("verified_domain", ""))
    ),
}
#: Fields that may be JSON null, per message: only the snapshot's modes (no mode chosen yet).
_NULLABLE: dict[type[Any], frozenset[str]] = {
    StateUpdate: frozenset({"mode", "requested_mode"}),
}
#: Fields sent only when they differ from their default, per message (absent: the default).
_OPTIONAL: dict[type[Any], dict[str, Any]] = {
    StateUpdate: {"sharer_browser": False},
}
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "paused": bool,
    "sharer_browser": bool,
    "helper_connected": bool,
    "sharer_connected": bool,
    "granted": bool,
    "grace_seconds": (int, float),
    "code": str,
    "message": str,
}


_M = TypeVar("_M", ClientMessage, ServerMessage)


def to_dict(message: ClientMessage | ServerMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"type": message.type}
    optional = _OPTIONAL.get(type(message), {})
    for f in fields(message):
        value = getattr(message, f.name)
        if f.name in optional and value == optional[f.name]:
            continue
        if isinstance(value, HelperCard):
            card = value
            value = {"name": card.name, "organisation": card.organisation}
            if card.verified_domain:
                value["verified_domain"] = card.verified_domain
        out[f.name] = value
    return out


def encode(message: ClientMessage | ServerMessage) -> str:
    """The JSON text of a message (compact, keys in field order)."""
    return json.dumps(to_dict(message), separators=(",", ":"), ensure_ascii=False)


def parse_client_message(text: str | bytes) -> ClientMessage:
    return _parse(text, _CLIENT_TYPES)


def parse_server_message(text: str | bytes) -> ServerMessage:
    return _parse(text, _SERVER_TYPES)


def _parse(text: str | bytes, registry: dict[str, type[_M]]) -> _M:
    # A str is measured in UTF-8 bytes, as it travels (json_reader).
    data = read_json_object(text, limit=MAX_CONTROL_MESSAGE, what="A control message")
    if not isinstance(data.get("type"), str):
        raise MessageError('A control message must be a JSON object with a "type".')
    cls = registry.get(data["type"])
    if cls is None:
        raise MessageError(f'Unknown control message type "{data["type"]}".')
    kwargs: dict[str, Any] = {}
    optional = _OPTIONAL.get(cls, {})
    for f in fields(cls):
        if f.name not in data and f.name in optional:
            continue  # the dataclass's default
        if f.name not in data:
            raise MessageError(f'The "{data["type"]}" message needs a "{f.name}" field.')
        kwargs[f.name] = _decode_field(f.name, data[f.name], f.name in _NULLABLE.get(cls, ()))
    return cls(**kwargs)


def _text(value: Any) -> str:
    """A JSON string as it is; anything else is refused rather than turned into text."""
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _decode_field(name: str, value: Any, nullable: bool = False) -> Any:
    if value is None and nullable:
        return None
    decoder = _FIELD_DECODERS.get(name)
    if decoder is not None:
        try:
            return decoder(value)
        except (ValueError, KeyError, TypeError) as exc:
            raise MessageError(f'The field "{name}" has an invalid value.') from exc
    expected = _FIELD_TYPES.get(name)
    if expected is not None and (
        not isinstance(value, expected) or (expected is not bool and isinstance(value, bool))
    ):
        raise MessageError(f'The field "{name}" has an invalid value.')
    return value
