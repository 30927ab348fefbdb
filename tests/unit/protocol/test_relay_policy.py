"""The relay's whole judgement, exhaustively: every kind, sender and kind of state."""

from __future__ import annotations

import itertools

import pytest

from quickassist.protocol.frames import FrameKind
from quickassist.protocol.relay_policy import DROPPABLE, SENDERS, Verdict, judge
from quickassist.protocol.roles import HelperCard, Mode, Phase, Role
from quickassist.protocol.session import SessionPolicy, SessionState

CARD = HelperCard("Ada L.", "Contoso")


def state(phase: Phase, mode: Mode | None = None, paused: bool = False) -> SessionState:
    base = SessionState.new(CARD, 0.0, SessionPolicy())
    return SessionState(
        helper=base.helper, phase=phase, deadline=base.deadline, mode=mode, paused=paused
    )


STATES = [
    state(Phase.WAITING),
    state(Phase.JOINED),
    state(Phase.CONSENT),
    *(state(Phase.ACTIVE, mode, paused) for mode in Mode for paused in (False, True)),
    state(Phase.ENDED),
]


@pytest.mark.parametrize(
    ("kind", "sender", "session"),
    list(itertools.product(FrameKind, Role, STATES)),
)
def test_every_case(kind: FrameKind, sender: Role, session: SessionState) -> None:
    verdict = judge(kind, sender, session)
    if sender not in SENDERS[kind]:
        assert verdict is Verdict.WRONG_DIRECTION
        return
    active = session.phase is Phase.ACTIVE
    expected = {
        FrameKind.VIDEO: active and not session.paused,
        FrameKind.CURSOR: active and not session.paused,
        FrameKind.ANNOTATION: active and not session.paused,
        FrameKind.INPUT: active and session.mode is Mode.CONTROL and not session.paused,
        FrameKind.CLIPBOARD: active and session.mode is Mode.CONTROL and not session.paused,
        FrameKind.CHAT: active,
        FrameKind.CONTROL_E2E: session.phase in (Phase.JOINED, Phase.CONSENT, Phase.ACTIVE),
    }[kind]
    assert verdict is (Verdict.FORWARD if expected else Verdict.NOT_ALLOWED_NOW)


def test_directions_and_droppable_kinds() -> None:
    assert SENDERS[FrameKind.INPUT] == {Role.HELPER}
    assert SENDERS[FrameKind.VIDEO] == SENDERS[FrameKind.CURSOR] == {Role.SHARER}
    assert SENDERS[FrameKind.ANNOTATION] == {Role.HELPER}
    # Only pictures may be lost to a slow link; input and everything else never.
    assert {FrameKind.VIDEO, FrameKind.CURSOR} == DROPPABLE


def test_input_never_passes_outside_active_full_control() -> None:
    passing = [s for s in STATES if judge(FrameKind.INPUT, Role.HELPER, s) is Verdict.FORWARD]
    assert passing == [state(Phase.ACTIVE, Mode.CONTROL, False)]
