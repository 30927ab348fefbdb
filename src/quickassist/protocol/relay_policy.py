"""What the relay may forward: a pure function of a frame's clear kind, its sender and the state.

The relay never reads payloads; this table is the whole of its judgement. The sharer app checks
again on its own (defence in depth), so a relay bug cannot on its own let input through.
"""

from __future__ import annotations

import enum

from .frames import FrameKind
from .roles import Phase, Role
from .session import SessionState


class Verdict(enum.Enum):
    FORWARD = "forward"
    WRONG_DIRECTION = "wrong_direction"
    NOT_ALLOWED_NOW = "not_allowed_now"


#: Who may send each kind.
SENDERS: dict[FrameKind, frozenset[Role]] = {
    FrameKind.VIDEO: frozenset({Role.SHARER}),
    FrameKind.CURSOR: frozenset({Role.SHARER}),
    FrameKind.INPUT: frozenset({Role.HELPER}),
    FrameKind.CHAT: frozenset({Role.HELPER, Role.SHARER}),
    FrameKind.ANNOTATION: frozenset({Role.HELPER}),
    FrameKind.CLIPBOARD: frozenset({Role.HELPER, Role.SHARER}),
    FrameKind.CONTROL_E2E: frozenset({Role.HELPER, Role.SHARER}),
}

#: Kinds a slow receiver may lose (the newest frame supersedes them); all others are never dropped.
DROPPABLE: frozenset[FrameKind] = frozenset({FrameKind.VIDEO, FrameKind.CURSOR})


def allowed_now(kind: FrameKind, state: SessionState) -> bool:
    """Whether the session's state lets frames of `kind` flow at all."""
    if kind in (FrameKind.VIDEO, FrameKind.CURSOR, FrameKind.ANNOTATION):
        return state.video_allowed
    if kind in (FrameKind.INPUT, FrameKind.CLIPBOARD):
        return state.input_allowed
    if kind is FrameKind.CHAT:
        return state.phase is Phase.ACTIVE
    # CONTROL_E2E: the end-to-end handshake runs before consent, once both sides are there.
    return state.phase in (Phase.JOINED, Phase.CONSENT, Phase.ACTIVE)


def judge(kind: FrameKind, sender: Role, state: SessionState) -> Verdict:
    if sender not in SENDERS[kind]:
        return Verdict.WRONG_DIRECTION
    if not allowed_now(kind, state):
        return Verdict.NOT_ALLOWED_NOW
    return Verdict.FORWARD
