"""A sharer in a web browser is view only for the whole session (protocol/session.py): the
state machine refuses full control whatever the helper sends, input never counts as allowed,
the relay's table drops input and clipboard, and the snapshot says so only when it is true."""

from __future__ import annotations

import pytest

from quickassist.protocol.errors import IllegalEvent, ViewOnlySharer
from quickassist.protocol.frames import FrameKind
from quickassist.protocol.messages import (
    Allow,
    ChooseMode,
    ClientMessage,
    Pause,
    RequestControl,
    StateUpdate,
    encode,
    parse_server_message,
)
from quickassist.protocol.relay_policy import Verdict, judge
from quickassist.protocol.roles import HelperCard, Mode, Phase, Role
from quickassist.protocol.session import (
    Act,
    Disconnected,
    Reconnected,
    SessionPolicy,
    SessionState,
    SharerJoined,
    transition,
)

POLICY = SessionPolicy()
HELPER = HelperCard("Ada L.", "Contoso")


def joined(*, browser: bool) -> SessionState:
    state = SessionState.new(HELPER, 0.0, POLICY)
    return transition(state, SharerJoined(browser=browser), 1.0, POLICY).state


def act(state: SessionState, by: Role, message: ClientMessage) -> SessionState:
    return transition(state, Act(by, message), 2.0, POLICY).state


def active_view(state: SessionState) -> SessionState:
    asked = act(state, Role.HELPER, ChooseMode(Mode.VIEW))
    return act(asked, Role.SHARER, Allow(Mode.VIEW))


def test_the_join_marks_the_session_and_the_snapshot_says_so() -> None:
    state = joined(browser=True)
    assert state.sharer_browser and "browser_sharer" in state.features
    assert state.snapshot().sharer_browser
    assert not joined(browser=False).snapshot().sharer_browser


@pytest.mark.parametrize("message", [ChooseMode(Mode.CONTROL)], ids=["choose_mode control"])
def test_full_control_is_refused_at_the_mode_choice(message: ClientMessage) -> None:
    state = joined(browser=True)
    with pytest.raises(ViewOnlySharer) as refused:
        act(state, Role.HELPER, message)
    assert refused.value.code == "view_only_sharer"
    assert isinstance(refused.value, IllegalEvent)  # the boundary's one answer: 409 / error
    assert act(state, Role.HELPER, ChooseMode(Mode.VIEW)).phase is Phase.CONSENT


def test_control_cannot_be_requested_mid_session_and_input_never_flows() -> None:
    state = active_view(joined(browser=True))
    with pytest.raises(ViewOnlySharer):
        act(state, Role.HELPER, RequestControl())
    assert not state.input_allowed
    for kind in (FrameKind.INPUT, FrameKind.CLIPBOARD):
        assert judge(kind, Role.HELPER, state) is Verdict.NOT_ALLOWED_NOW
    for kind in (FrameKind.CHAT, FrameKind.ANNOTATION):
        assert judge(kind, Role.HELPER, state) is Verdict.FORWARD
    assert judge(FrameKind.VIDEO, Role.SHARER, state) is Verdict.FORWARD


def test_the_mark_survives_a_reconnect_and_a_pause() -> None:
    state = active_view(joined(browser=True))
    state = transition(state, Disconnected(Role.SHARER), 3.0, POLICY).state
    state = transition(state, Reconnected(Role.SHARER), 4.0, POLICY).state
    state = act(state, Role.SHARER, Pause())
    assert state.sharer_browser and state.snapshot().sharer_browser


def test_an_app_sharer_may_still_be_asked_for_control() -> None:
    state = active_view(joined(browser=False))
    assert act(state, Role.HELPER, RequestControl()).requested_mode is Mode.CONTROL


def test_the_wire_carries_the_mark_only_when_true() -> None:
    marked = StateUpdate(Phase.ACTIVE, Mode.VIEW, None, False, True, True, sharer_browser=True)
    plain = StateUpdate(Phase.ACTIVE, Mode.VIEW, None, False, True, True)
    assert '"sharer_browser":true' in encode(marked)
    assert "sharer_browser" not in encode(plain)
    assert parse_server_message(encode(marked)) == marked
    assert parse_server_message(encode(plain)) == plain
