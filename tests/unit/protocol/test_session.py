"""The session state machine, transition by transition (protocol/session.py, DESIGN.md)."""

from __future__ import annotations

import math

import pytest

from quickassist.protocol.codes import CODE_LIFETIME_SECONDS
from quickassist.protocol.errors import IllegalEvent, ProtocolError
from quickassist.protocol.messages import (
    Allow,
    ChooseMode,
    ClientMessage,
    ConsentRequest,
    ControlAnswer,
    Decline,
    End,
    Pause,
    PeerLeft,
    PeerReturned,
    RequestControl,
    Resume,
    RevokeControl,
    SecurityFailure,
    SessionEnded,
    StateUpdate,
)
from quickassist.protocol.roles import EndReason, HelperCard, Mode, Phase, Role
from quickassist.protocol.session import (
    Abort,
    Act,
    Disconnected,
    Event,
    Outgoing,
    Reconnected,
    SessionPolicy,
    SessionState,
    SharerJoined,
    Tick,
    Transition,
    transition,
)

POLICY = SessionPolicy()
CARD = HelperCard.from_full_name("Ada King Lovelace", "Example Support")
T0 = 1000.0  # any monotonic origin: nothing here may read a clock
HELPER, SHARER = Role.HELPER, Role.SHARER

ALL_MESSAGES: list[ClientMessage] = [
    ChooseMode(Mode.VIEW),
    ChooseMode(Mode.CONTROL),
    RequestControl(),
    Allow(Mode.VIEW),
    Allow(Mode.CONTROL),
    Decline(),
    Pause(),
    Resume(),
    RevokeControl(),
    End(),
    SecurityFailure(),
]
ALL_EVENTS: list[Event] = [
    SharerJoined(),
    Tick(),
    *(Act(role, message) for role in Role for message in ALL_MESSAGES),
    *(Disconnected(role) for role in Role),
    *(Reconnected(role) for role in Role),
    *(Abort(reason) for reason in EndReason),
]


def helper(message: ClientMessage) -> Act:
    return Act(HELPER, message)


def sharer(message: ClientMessage) -> Act:
    return Act(SHARER, message)


def run(state: SessionState, *events: Event, now: float = T0 + 1) -> SessionState:
    """Apply events one after another at the same time (all must be legal)."""
    for event in events:
        state = transition(state, event, now).state
    return state


def new() -> SessionState:
    return SessionState.new(CARD, T0, POLICY)


def joined() -> SessionState:
    return run(new(), SharerJoined())


def consent(mode: Mode) -> SessionState:
    return run(joined(), helper(ChooseMode(mode)))


def active(mode: Mode) -> SessionState:
    return run(consent(mode), sharer(Allow(mode)))


def snapshot_to_both(result: Transition) -> None:
    assert Outgoing(None, result.state.snapshot()) in result.outgoing


def only(result: Transition, to: Role | None, kind: type) -> list[object]:
    return [o.message for o in result.outgoing if o.to is to and isinstance(o.message, kind)]


def illegal(state: SessionState, event: Event, now: float = T0 + 1) -> IllegalEvent:
    with pytest.raises(IllegalEvent) as caught:
        transition(state, event, now)
    error = caught.value
    assert isinstance(error, ProtocolError)
    assert error.code == "illegal_event"
    assert error.message[0].isupper()
    assert error.message.endswith(".")
    return error


# Waiting and joining -----------------------------------------------------------------------


def test_a_new_session_waits_for_the_sharer_with_the_code_deadline() -> None:
    assert POLICY.code_lifetime == CODE_LIFETIME_SECONDS  # one lifetime, in codes and sessions
    state = new()
    assert state.phase is Phase.WAITING
    assert state.deadline == T0 + POLICY.code_lifetime == T0 + 600
    assert state.connected(HELPER)
    assert not state.connected(SHARER)
    assert not state.video_allowed
    assert not state.input_allowed
    assert state.snapshot() == StateUpdate(Phase.WAITING, None, None, False, True, False)


def test_the_sharer_joining_moves_to_joined_with_the_consent_deadline() -> None:
    result = transition(new(), SharerJoined(), T0 + 100)
    state = result.state
    assert state.phase is Phase.JOINED
    assert state.deadline == T0 + 100 + POLICY.consent_timeout
    assert state.connected(SHARER)
    assert result.outgoing == (
        Outgoing(None, StateUpdate(Phase.JOINED, None, None, False, True, True)),
    )


def test_a_code_joins_only_once() -> None:
    for state in (joined(), consent(Mode.VIEW), active(Mode.CONTROL)):
        assert "already joined" in illegal(state, SharerJoined()).message


def test_a_join_after_the_code_expired_is_refused_and_the_next_tick_ends() -> None:
    state = new()
    expiry = state.deadline
    assert "Ask your helper for a new code" in illegal(state, SharerJoined(), expiry).message
    ended = transition(state, Tick(), expiry)
    assert ended.state.end_reason is EndReason.CODE_EXPIRED


def test_a_join_just_before_expiry_is_accepted() -> None:
    state = new()
    assert transition(state, SharerJoined(), state.deadline - 0.001).state.phase is Phase.JOINED


# Choosing a mode and consent ---------------------------------------------------------------


@pytest.mark.parametrize("mode", list(Mode))
def test_choosing_a_mode_asks_only_the_sharer_for_consent(mode: Mode) -> None:
    result = transition(joined(), helper(ChooseMode(mode)), T0 + 2)
    state = result.state
    assert state.phase is Phase.CONSENT
    assert state.requested_mode is mode
    assert state.mode is None
    assert not state.video_allowed
    # The consent request goes to the sharer only and carries only "First L." and organisation.
    assert result.outgoing[0] == Outgoing(SHARER, ConsentRequest(mode, CARD))
    request = result.outgoing[0].message
    assert isinstance(request, ConsentRequest)
    assert request.helper == HelperCard("Ada L.", "Example Support")
    assert [o for o in result.outgoing if isinstance(o.message, ConsentRequest)] == [
        result.outgoing[0]
    ]
    snapshot_to_both(result)
    assert len(result.outgoing) == 2


def test_only_the_helper_chooses_the_mode() -> None:
    error = illegal(joined(), sharer(ChooseMode(Mode.CONTROL)))
    assert error.message == 'Only the helper can send "choose_mode".'


@pytest.mark.parametrize("phase", ["waiting", "consent", "active"])
def test_the_mode_is_chosen_once_after_the_join(phase: str) -> None:
    state = {
        "waiting": new(),
        "consent": consent(Mode.VIEW),
        "active": active(Mode.VIEW),
    }[phase]
    illegal(state, helper(ChooseMode(Mode.CONTROL)))


@pytest.mark.parametrize("mode", list(Mode))
def test_allow_makes_the_session_active_in_the_requested_mode(mode: Mode) -> None:
    result = transition(consent(mode), sharer(Allow(mode)), T0 + 3)
    state = result.state
    assert state.phase is Phase.ACTIVE
    assert state.mode is mode
    assert state.requested_mode is None
    assert not state.paused
    assert state.deadline == math.inf
    assert state.video_allowed
    assert state.input_allowed is (mode is Mode.CONTROL)
    assert ("full_control" if mode is Mode.CONTROL else "view_only") in state.features
    # The first Allow is not an answer to a mid-session request: no ControlAnswer.
    assert result.outgoing == (Outgoing(None, state.snapshot()),)


def test_only_the_sharer_allows_or_declines() -> None:
    assert illegal(consent(Mode.CONTROL), helper(Allow(Mode.CONTROL))).message == (
        'Only the sharer can send "allow".'
    )
    illegal(consent(Mode.CONTROL), helper(Decline()))


@pytest.mark.parametrize("message", [Allow(Mode.CONTROL), Decline()])
def test_there_is_nothing_to_answer_before_a_mode_is_chosen_or_once_answered(
    message: ClientMessage,
) -> None:
    for state in (new(), joined(), active(Mode.VIEW), active(Mode.CONTROL)):
        illegal(state, sharer(message))


def test_decline_before_the_session_starts_ends_it() -> None:
    result = transition(consent(Mode.CONTROL), sharer(Decline()), T0 + 3)
    assert result.state.phase is Phase.ENDED
    assert result.state.end_reason is EndReason.DECLINED
    assert not result.state.video_allowed
    assert result.outgoing[-1] == Outgoing(None, SessionEnded.because(EndReason.DECLINED))
    snapshot_to_both(result)


# Deadlines ---------------------------------------------------------------------------------


def test_tick_before_a_deadline_changes_nothing() -> None:
    for state in (new(), joined(), consent(Mode.VIEW)):
        result = transition(state, Tick(), state.deadline - 0.5)
        assert result == Transition(state, ())


def test_the_code_expires_after_ten_minutes() -> None:
    result = transition(new(), Tick(), T0 + 600)
    assert result.state.end_reason is EndReason.CODE_EXPIRED
    assert result.outgoing[-1] == Outgoing(None, SessionEnded.because(EndReason.CODE_EXPIRED))


@pytest.mark.parametrize("state", [joined(), consent(Mode.CONTROL)], ids=["joined", "consent"])
def test_consent_times_out(state: SessionState) -> None:
    result = transition(state, Tick(), state.deadline)
    assert result.state.phase is Phase.ENDED
    assert result.state.end_reason is EndReason.CONSENT_TIMEOUT


def test_an_active_session_has_no_deadline() -> None:
    state = active(Mode.VIEW)
    assert transition(state, Tick(), T0 + 10**9) == Transition(state, ())


def test_a_late_allow_cannot_open_a_session_whose_consent_timed_out() -> None:
    # No Tick ran between the deadline and the Allow: the deadline still wins.
    state = consent(Mode.CONTROL)
    result = transition(state, sharer(Allow(Mode.CONTROL)), state.deadline + 1)
    assert result.state.phase is Phase.ENDED
    assert result.state.end_reason is EndReason.CONSENT_TIMEOUT
    assert not result.state.input_allowed
    assert result.outgoing[-1] == Outgoing(None, SessionEnded.because(EndReason.CONSENT_TIMEOUT))


def test_a_late_choose_mode_finds_the_session_timed_out() -> None:
    state = joined()
    result = transition(state, helper(ChooseMode(Mode.VIEW)), state.deadline)
    assert result.state.end_reason is EndReason.CONSENT_TIMEOUT
    assert only(result, SHARER, ConsentRequest) == []


# Pause and resume --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(Mode))
def test_pause_stops_video_and_input_and_resume_restores_them(mode: Mode) -> None:
    before = active(mode)
    paused = transition(before, sharer(Pause()), T0 + 5)
    assert paused.state.paused
    assert not paused.state.video_allowed
    assert not paused.state.input_allowed
    assert paused.state.mode is mode
    assert "pause" in paused.state.features
    assert paused.outgoing == (Outgoing(None, paused.state.snapshot()),)
    resumed = transition(paused.state, sharer(Resume()), T0 + 6)
    assert not resumed.state.paused
    assert resumed.state.video_allowed
    assert resumed.state.input_allowed is (mode is Mode.CONTROL)
    snapshot_to_both(resumed)


def test_pausing_twice_or_resuming_a_running_session_changes_nothing() -> None:
    running = active(Mode.CONTROL)
    assert transition(running, sharer(Resume()), T0 + 5) == Transition(running, ())
    paused = run(running, sharer(Pause()))
    assert transition(paused, sharer(Pause()), T0 + 5) == Transition(paused, ())


@pytest.mark.parametrize("message", [Pause(), Resume()])
def test_only_the_sharer_pauses_and_only_an_active_session(message: ClientMessage) -> None:
    illegal(active(Mode.CONTROL), helper(message))
    for state in (new(), joined(), consent(Mode.VIEW)):
        illegal(state, sharer(message))


# Requesting and revoking control -----------------------------------------------------------


def test_request_control_asks_the_sharer_while_the_view_goes_on() -> None:
    result = transition(active(Mode.VIEW), helper(RequestControl()), T0 + 5)
    state = result.state
    assert state.phase is Phase.ACTIVE
    assert state.mode is Mode.VIEW
    assert state.requested_mode is Mode.CONTROL
    assert state.video_allowed
    assert not state.input_allowed
    assert only(result, SHARER, ConsentRequest) == [ConsentRequest(Mode.CONTROL, CARD)]
    assert only(result, HELPER, ConsentRequest) == []
    assert "request_control" in state.features
    snapshot_to_both(result)


def test_allowing_requested_control_grants_it_and_tells_the_helper() -> None:
    asked = run(active(Mode.VIEW), helper(RequestControl()))
    result = transition(asked, sharer(Allow(Mode.CONTROL)), T0 + 6)
    assert result.state.mode is Mode.CONTROL
    assert result.state.requested_mode is None
    assert result.state.input_allowed
    assert only(result, HELPER, ControlAnswer) == [ControlAnswer(granted=True)]
    assert only(result, SHARER, ControlAnswer) == []
    snapshot_to_both(result)


def test_declining_requested_control_keeps_the_view() -> None:
    asked = run(active(Mode.VIEW), helper(RequestControl()))
    result = transition(asked, sharer(Decline()), T0 + 6)
    assert result.state.phase is Phase.ACTIVE
    assert result.state.mode is Mode.VIEW
    assert result.state.requested_mode is None
    assert result.state.video_allowed
    assert not result.state.input_allowed
    assert only(result, HELPER, ControlAnswer) == [ControlAnswer(granted=False)]
    snapshot_to_both(result)
    # And the helper may ask again.
    again = transition(result.state, helper(RequestControl()), T0 + 7)
    assert again.state.requested_mode is Mode.CONTROL


def test_request_control_is_for_the_helper_in_an_active_view_only_session() -> None:
    assert (
        "already have full control"
        in illegal(active(Mode.CONTROL), helper(RequestControl())).message
    )
    asked = run(active(Mode.VIEW), helper(RequestControl()))
    assert "wait for the answer" in illegal(asked, helper(RequestControl())).message
    illegal(active(Mode.VIEW), sharer(RequestControl()))
    for state in (new(), joined(), consent(Mode.VIEW)):
        illegal(state, helper(RequestControl()))


def test_a_paused_grant_lets_no_input_through_until_resume() -> None:
    asked = run(active(Mode.VIEW), helper(RequestControl()), sharer(Pause()))
    granted = run(asked, sharer(Allow(Mode.CONTROL)))
    assert granted.mode is Mode.CONTROL
    assert not granted.input_allowed
    assert run(granted, sharer(Resume())).input_allowed


def test_revoke_control_drops_to_view_only() -> None:
    result = transition(active(Mode.CONTROL), sharer(RevokeControl()), T0 + 5)
    assert result.state.phase is Phase.ACTIVE
    assert result.state.mode is Mode.VIEW
    assert result.state.video_allowed
    assert not result.state.input_allowed
    assert "revoke_control" in result.state.features
    assert result.outgoing == (Outgoing(None, result.state.snapshot()),)


def test_revoke_control_in_view_only_changes_nothing() -> None:
    state = active(Mode.VIEW)
    assert transition(state, sharer(RevokeControl()), T0 + 5) == Transition(state, ())


def test_revoke_control_is_for_the_sharer_in_an_active_session() -> None:
    assert illegal(active(Mode.CONTROL), helper(RevokeControl())).message == (
        'Only the sharer can send "revoke_control".'
    )
    for state in (new(), joined(), consent(Mode.CONTROL)):
        illegal(state, sharer(RevokeControl()))


# Ending ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("by", "reason"), [(HELPER, EndReason.HELPER_ENDED), (SHARER, EndReason.SHARER_ENDED)]
)
def test_either_side_ends_the_session_in_any_phase(by: Role, reason: EndReason) -> None:
    for state in (joined(), consent(Mode.VIEW), active(Mode.CONTROL)):
        result = transition(state, Act(by, End()), T0 + 5)
        assert result.state.phase is Phase.ENDED
        assert result.state.end_reason is reason
        assert not result.state.video_allowed
        assert not result.state.input_allowed
        assert result.state.requested_mode is None
        assert result.outgoing == (
            Outgoing(None, result.state.snapshot()),
            Outgoing(None, SessionEnded(reason, reason.sentence)),
        )


@pytest.mark.parametrize("by", [HELPER, SHARER])
def test_a_security_failure_at_either_side_ends_with_security_error(by: Role) -> None:
    for state in (joined(), consent(Mode.CONTROL), active(Mode.CONTROL)):
        result = transition(state, Act(by, SecurityFailure()), T0 + 5)
        assert result.state.end_reason is EndReason.SECURITY_ERROR
        assert not result.state.video_allowed and not result.state.input_allowed
        assert result.outgoing[-1] == Outgoing(None, SessionEnded.because(EndReason.SECURITY_ERROR))
        assert "encryption" in result.outgoing[-1].message.message  # type: ignore[union-attr]


def test_the_helper_can_end_while_waiting_for_the_sharer() -> None:
    assert run(new(), helper(End())).end_reason is EndReason.HELPER_ENDED


@pytest.mark.parametrize("reason", list(EndReason))
def test_abort_ends_with_its_reason(reason: EndReason) -> None:
    result = transition(active(Mode.CONTROL), Abort(reason), T0 + 5)
    assert result.state.end_reason is reason
    assert result.outgoing[-1] == Outgoing(None, SessionEnded.because(reason))


@pytest.mark.parametrize("event", ALL_EVENTS, ids=repr)
def test_ended_is_terminal(event: Event) -> None:
    for ended in (
        run(new(), Abort(EndReason.SERVER_SHUTDOWN)),
        run(consent(Mode.CONTROL), sharer(Decline())),
        run(active(Mode.CONTROL), sharer(Pause()), helper(End())),
    ):
        if isinstance(event, Tick | Disconnected | Abort):
            # Harmless late news: nothing changes and nothing is sent.
            assert transition(ended, event, T0 + 10**6) == Transition(ended, ())
        else:
            assert "has ended" in illegal(ended, event).message


# Disconnects and the reconnect grace -------------------------------------------------------


def test_a_helper_that_drops_and_returns_within_grace_resumes_without_new_consent() -> None:
    state = active(Mode.CONTROL)
    left = transition(state, Disconnected(HELPER), T0 + 10)
    assert not left.state.connected(HELPER)
    assert left.state.phase is Phase.ACTIVE
    assert only(left, SHARER, PeerLeft) == [PeerLeft(HELPER, POLICY.reconnect_grace)]
    assert only(left, HELPER, PeerLeft) == []
    snapshot_to_both(left)
    assert not left.state.snapshot().helper_connected
    # Still inside the grace: a Tick changes nothing.
    assert transition(left.state, Tick(), T0 + 39.9).state == left.state
    back = transition(left.state, Reconnected(HELPER), T0 + 39.9)
    assert back.state.connected(HELPER)
    assert back.state.phase is Phase.ACTIVE
    assert back.state.mode is Mode.CONTROL
    assert back.state.input_allowed
    assert only(back, SHARER, PeerReturned) == [PeerReturned(HELPER)]
    assert all(not isinstance(o.message, ConsentRequest) for o in back.outgoing)
    snapshot_to_both(back)


def test_a_sharer_that_drops_during_consent_is_asked_again_on_return() -> None:
    state = consent(Mode.CONTROL)
    left = transition(state, Disconnected(SHARER), T0 + 10)
    assert only(left, HELPER, PeerLeft) == [PeerLeft(SHARER, POLICY.reconnect_grace)]
    back = transition(left.state, Reconnected(SHARER), T0 + 20)
    assert only(back, HELPER, PeerReturned) == [PeerReturned(SHARER)]
    assert only(back, SHARER, ConsentRequest) == [ConsentRequest(Mode.CONTROL, CARD)]
    assert back.state.phase is Phase.CONSENT


def test_a_sharer_connection_opening_after_the_mode_was_chosen_gets_the_request() -> None:
    # The join is an HTTP call; the helper may choose before the sharer's WebSocket opens.
    result = transition(consent(Mode.VIEW), Reconnected(SHARER), T0 + 2)
    assert only(result, SHARER, ConsentRequest) == [ConsentRequest(Mode.VIEW, CARD)]
    assert only(result, HELPER, PeerReturned) == []
    assert result.state == consent(Mode.VIEW)
    snapshot_to_both(result)


def test_a_connection_of_a_present_side_only_gets_the_snapshot() -> None:
    state = active(Mode.VIEW)
    for role in Role:
        result = transition(state, Reconnected(role), T0 + 2)
        assert result == Transition(state, (Outgoing(None, state.snapshot()),))


@pytest.mark.parametrize(
    ("role", "reason"), [(HELPER, EndReason.HELPER_LEFT), (SHARER, EndReason.SHARER_LEFT)]
)
def test_a_side_gone_past_grace_ends_the_session(role: Role, reason: EndReason) -> None:
    left = run(active(Mode.CONTROL), Disconnected(role), now=T0 + 10)
    result = transition(left, Tick(), T0 + 10 + POLICY.reconnect_grace)
    assert result.state.end_reason is reason
    assert result.outgoing[-1] == Outgoing(None, SessionEnded.because(reason))


@pytest.mark.parametrize("role", list(Role))
def test_a_late_reconnect_cannot_resume_a_session_past_its_grace(role: Role) -> None:
    left = run(active(Mode.CONTROL), Disconnected(role), now=T0 + 10)
    result = transition(left, Reconnected(role), T0 + 10 + POLICY.reconnect_grace + 1)
    assert result.state.phase is Phase.ENDED
    assert result.state.end_reason in (EndReason.HELPER_LEFT, EndReason.SHARER_LEFT)
    assert not result.state.input_allowed


def test_a_second_disconnect_keeps_the_first_time() -> None:
    left = run(active(Mode.VIEW), Disconnected(SHARER), now=T0 + 10)
    again = transition(left, Disconnected(SHARER), T0 + 25)
    assert again == Transition(left, ())
    assert transition(again.state, Tick(), T0 + 40).state.end_reason is EndReason.SHARER_LEFT


def test_the_sharer_cannot_drop_or_return_before_joining() -> None:
    state = new()
    assert transition(state, Disconnected(SHARER), T0 + 1) == Transition(state, ())
    assert "not joined" in illegal(state, Reconnected(SHARER)).message


def test_the_helper_may_drop_while_waiting_and_the_grace_applies() -> None:
    left = run(new(), Disconnected(HELPER), now=T0 + 1)
    assert left.phase is Phase.WAITING
    ended = transition(left, Tick(), T0 + 1 + POLICY.reconnect_grace)
    assert ended.state.end_reason is EndReason.HELPER_LEFT
    # A join after the helper's grace ran out (before the Tick) is refused.
    illegal(left, SharerJoined(), T0 + 1 + POLICY.reconnect_grace)


def test_policy_timeouts_are_honoured() -> None:
    policy = SessionPolicy(code_lifetime=5, consent_timeout=2, reconnect_grace=1)
    state = SessionState.new(CARD, 0.0, policy)
    assert state.deadline == 5
    state = transition(state, SharerJoined(), 1, policy).state
    assert state.deadline == 3
    left = transition(state, Disconnected(SHARER), 1.5, policy)
    assert only(left, HELPER, PeerLeft) == [PeerLeft(SHARER, 1)]
    assert transition(left.state, Tick(), 2.5, policy).state.end_reason is EndReason.SHARER_LEFT


# Purity ------------------------------------------------------------------------------------


def test_an_illegal_event_leaves_the_state_untouched() -> None:
    state = consent(Mode.CONTROL)
    before = state.snapshot()
    illegal(state, helper(Allow(Mode.CONTROL)))
    assert state.snapshot() == before
    assert transition(state, sharer(Allow(Mode.CONTROL)), T0 + 2).state.phase is Phase.ACTIVE


def test_transitions_are_deterministic_functions_of_state_event_and_time() -> None:
    for event in ALL_EVENTS:
        for state in (new(), joined(), consent(Mode.VIEW), active(Mode.CONTROL)):
            outcomes = []
            for _ in range(2):
                try:
                    outcomes.append(transition(state, event, T0 + 7))
                except IllegalEvent as error:
                    outcomes.append(error.message)  # type: ignore[arg-type]
            assert outcomes[0] == outcomes[1]


def test_helper_card_shows_only_first_name_and_last_initial() -> None:
    assert HelperCard.from_full_name("Ada King Lovelace", "Org") == HelperCard("Ada L.", "Org")
    assert HelperCard.from_full_name("grace hopper", "Navy").name == "grace H."
    assert HelperCard.from_full_name("Cher", "Org").name == "Cher"
    assert HelperCard.from_full_name("   ", "Org").name == "Your helper"


def test_an_allow_for_a_request_that_is_not_pending_is_refused() -> None:
    # A second click on "Allow" (view only) racing a new request for control grants nothing.
    asked = run(active(Mode.VIEW), helper(RequestControl()))
    refused = illegal(asked, sharer(Allow(Mode.VIEW)))
    assert "changed" in refused.message
    assert illegal(consent(Mode.CONTROL), sharer(Allow(Mode.VIEW))).message == refused.message
    assert not asked.input_allowed
