"""Safety properties of the session state machine over arbitrary event sequences.

Hypothesis drives `transition` with any event from either side (legal or not) at monotonically
increasing times, with jumps across every deadline, and checks after each step:

1. input is allowed only when active, in full control, not paused, and the sharer's last answer
   to a request for control was Allow;
2. video is allowed only after an Allow and not while paused;
3. once ended, always ended;
4. a session never becomes active when its consent deadline had passed (a late Allow loses);
5. nothing but IllegalEvent escapes `transition`, and a refused event changes nothing;

and that the messages are right: every change sends a snapshot to both sides, consent requests
go only to the sharer (with only the helper card), control answers only to the helper.
"""

from __future__ import annotations

import random

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from quickassist.protocol.errors import IllegalEvent
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
    Reconnected,
    SessionPolicy,
    SessionState,
    SharerJoined,
    Tick,
    Transition,
    transition,
)

# Short timeouts so that random time steps cross every deadline often.
POLICY = SessionPolicy(code_lifetime=20.0, consent_timeout=10.0, reconnect_grace=3.0)
CARD = HelperCard("Ada L.", "Example Support")

_MESSAGES: list[ClientMessage] = [
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
]
_HELPER, _SHARER = Role.HELPER, Role.SHARER
# Every event, either side, legal or not, with a weight: the ones that move a session forward
# are common so that random sequences reach active full control, pauses and mid-session
# requests often; the events that end a session (at the end) are rare so that sequences live.
_WEIGHTED: list[tuple[Event, int]] = [
    (SharerJoined(), 12),
    (Act(_HELPER, ChooseMode(Mode.VIEW)), 5),
    (Act(_HELPER, ChooseMode(Mode.CONTROL)), 8),
    (Act(_SHARER, Allow(Mode.VIEW)), 6),
    (Act(_SHARER, Allow(Mode.CONTROL)), 6),
    (Act(_SHARER, Decline()), 2),
    (Act(_HELPER, RequestControl()), 4),
    (Act(_SHARER, Pause()), 3),
    (Act(_SHARER, Resume()), 3),
    (Act(_SHARER, RevokeControl()), 3),
    # Each message from each side, so the wrong side tries everything too.
    *((Act(role, message), 1) for role in Role for message in _MESSAGES if message != End()),
    (Tick(), 3),
    (Disconnected(_HELPER), 1),
    (Disconnected(_SHARER), 1),
    (Reconnected(_HELPER), 2),
    (Reconnected(_SHARER), 2),
]
_ENDINGS: list[Event] = [
    Act(_HELPER, End()),
    Act(_SHARER, End()),
    Act(_HELPER, SecurityFailure()),
    Act(_SHARER, SecurityFailure()),
    *(Abort(reason) for reason in EndReason),
]
#: About one step in 30 ends the session (end by either side, or an abort for any reason).
EVENT_MIX: list[Event] = [e for e, weight in _WEIGHTED for _ in range(weight * 5)] + _ENDINGS
#: Time steps: mostly none or small, with jumps just before, at and after each timeout.
STEP_MIX = [0.0] * 40 + [0.1, 0.5, 1.0] * 15 + [2.9, 3.0, 3.1, 9.9, 10.0, 10.1, 19.9, 20.0, 25.0]
events = st.sampled_from(EVENT_MIX)
steps = st.sampled_from(STEP_MIX)


class SessionMachine(RuleBasedStateMachine):
    """Feeds events to one session and keeps a minimal model of what the sharer consented to."""

    state: SessionState
    now: float

    @initialize(start=st.floats(0, 1e9, allow_nan=False))
    def start(self, start: float) -> None:
        self.now = start
        self.state = SessionState.new(CARD, start, POLICY)
        # The model: what the sharer answered, and when the consent deadline was.
        self.control_consented = False
        self.ever_allowed = False
        self.was_ended = False

    @rule(event=events, step=steps)
    def step(self, event: Event, step: float) -> None:
        self.apply(event, step)

    def apply(self, event: Event, step: float) -> None:
        self.now += step
        before = self.state
        try:
            result = transition(before, event, self.now, POLICY)
        except IllegalEvent as error:
            # (5) A refused event is a typed error with a sentence, and the caller keeps `before`.
            assert error.message.endswith(".")
            assert not isinstance(event, Tick | Abort)
            return
        after = result.state
        self.check_messages(before, event, result)
        self.update_model(before, event, after)
        # (3) Once ended, always ended (and nothing is said about it again).
        if before.ended:
            assert after == before
            assert result.outgoing == ()
        # (4) Becoming active needs an Allow that came before the consent deadline.
        if after.phase is Phase.ACTIVE and before.phase is not Phase.ACTIVE:
            assert event == Act(Role.SHARER, Allow(before.requested_mode))
            assert self.now < before.deadline
            assert before.phase is Phase.CONSENT
        # A state handed back is never overdue: deadlines win over late events.
        if not after.ended:
            assert self.now < after.deadline
            for since in (after.helper_gone_since, after.sharer_gone_since):
                assert since is None or self.now < since + POLICY.reconnect_grace
        self.state = after

    def update_model(self, before: SessionState, event: Event, after: SessionState) -> None:
        if after.ended:
            self.was_ended = True
            return
        if isinstance(event, Act) and event.by is Role.SHARER:
            answered = before.requested_mode
            if isinstance(event.message, Allow):
                self.ever_allowed = True
                self.control_consented = answered is Mode.CONTROL
            elif isinstance(event.message, RevokeControl) or (
                isinstance(event.message, Decline) and answered is Mode.CONTROL
            ):
                self.control_consented = False

    def check_messages(self, before: SessionState, event: Event, result: Transition) -> None:
        after = result.state
        for out in result.outgoing:
            message = out.message
            if isinstance(message, ConsentRequest):
                assert out.to is Role.SHARER
                assert message.helper == CARD
                assert message.mode is after.requested_mode
            elif isinstance(message, ControlAnswer):
                assert out.to is Role.HELPER
                assert message.granted is (after.mode is Mode.CONTROL)
            elif isinstance(message, PeerLeft | PeerReturned):
                assert out.to is message.role.other
            else:
                assert isinstance(message, StateUpdate | SessionEnded)
                assert out.to is None
        if after != before:
            snapshots = [o.message for o in result.outgoing if isinstance(o.message, StateUpdate)]
            assert snapshots == [after.snapshot()]
        if after.ended and not before.ended:
            assert result.outgoing[-1].message == SessionEnded.because(after.end_reason)
            assert after.end_reason is not None
        # A request for consent is sent exactly when one becomes pending, or is re-sent to a
        # sharer connection that opens while one is pending.
        requests = [o for o in result.outgoing if isinstance(o.message, ConsentRequest)]
        newly_pending = after.requested_mode is not None and before.requested_mode is None
        reconnecting_sharer = event == Reconnected(Role.SHARER) and after.requested_mode is not None
        assert len(requests) == (1 if newly_pending or reconnecting_sharer else 0)

    @invariant()
    def input_needs_active_full_control_unpaused_and_consent(self) -> None:
        if not hasattr(self, "state"):
            return
        state = self.state
        if state.input_allowed:
            assert state.phase is Phase.ACTIVE
            assert state.mode is Mode.CONTROL
            assert not state.paused
            assert self.control_consented  # (1)

    @invariant()
    def video_needs_an_allow_and_no_pause(self) -> None:
        if not hasattr(self, "state"):
            return
        state = self.state
        if state.video_allowed:
            assert self.ever_allowed  # (2)
            assert not state.paused
            assert state.phase is Phase.ACTIVE
        if self.was_ended:
            assert state.ended  # (3)
            assert not state.video_allowed
            assert not state.input_allowed

    @invariant()
    def snapshot_matches_the_state(self) -> None:
        if not hasattr(self, "state"):
            return
        snapshot = self.state.snapshot()
        assert snapshot.phase is self.state.phase
        assert snapshot.paused is self.state.paused
        assert (self.state.phase is Phase.ACTIVE) is (
            self.state.mode is not None and not self.state.ended
        )


SessionMachine.TestCase.settings = settings(max_examples=250, stateful_step_count=40, deadline=None)
TestSessionProperties = SessionMachine.TestCase


def test_the_event_mix_reaches_every_phase_and_full_control() -> None:
    """Guard against vacuous properties: a seeded walk over the same events reaches the states
    the invariants talk about (active full control, paused, mid-session request, every end)."""
    seen: set[str] = set()
    chooser = random.Random(1234)
    for _ in range(300):
        now = 0.0
        state = SessionState.new(CARD, now, POLICY)
        for _ in range(40):
            now += chooser.choice(STEP_MIX)
            try:
                state = transition(state, chooser.choice(EVENT_MIX), now, POLICY).state
            except IllegalEvent:
                continue
            seen.add(state.phase.value)
            if state.input_allowed:
                seen.add("input_allowed")
            if state.paused:
                seen.add("paused")
            if state.phase is Phase.ACTIVE and state.requested_mode is Mode.CONTROL:
                seen.add("control_requested")
            if state.end_reason is not None:
                seen.add(state.end_reason.value)
    assert {
        "waiting",
        "joined",
        "consent",
        "active",
        "ended",
        "input_allowed",
        "paused",
        "control_requested",
        "declined",
        "code_expired",
        "consent_timeout",
        "helper_left",
        "sharer_left",
        "helper_ended",
        "sharer_ended",
    } <= seen
