"""The sharer's own guard: no pixel before Allow, none while paused or after end; no input
unless active, full control (both locally and per the service) and not paused."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from quickassist.protocol.messages import StateUpdate
from quickassist.protocol.roles import Mode, Phase
from quickassist.sharer.guard import SharerGuard


def state(phase: Phase, mode: Mode | None = None, paused: bool = False) -> StateUpdate:
    return StateUpdate(
        phase=phase,
        mode=mode,
        requested_mode=None,
        paused=paused,
        helper_connected=True,
        sharer_connected=True,
    )


ACTIVE_CONTROL = state(Phase.ACTIVE, Mode.CONTROL)
ACTIVE_VIEW = state(Phase.ACTIVE, Mode.VIEW)


def test_nothing_flows_before_anything_happens() -> None:
    guard = SharerGuard()
    assert not guard.video_allowed
    assert not guard.input_allowed


def test_service_active_without_local_allow_sends_no_pixels() -> None:
    guard = SharerGuard()
    guard.on_state(ACTIVE_CONTROL)
    assert not guard.video_allowed
    assert not guard.input_allowed


def test_local_allow_without_service_active_sends_no_pixels() -> None:
    guard = SharerGuard()
    guard.allow(Mode.CONTROL)
    guard.on_state(state(Phase.CONSENT))
    assert not guard.video_allowed


def test_allow_control_and_active_control_lets_both_flow() -> None:
    guard = SharerGuard()
    guard.allow(Mode.CONTROL)
    guard.on_state(ACTIVE_CONTROL)
    assert guard.video_allowed
    assert guard.input_allowed
    assert guard.mode is Mode.CONTROL


def test_view_only_allows_pixels_but_never_input() -> None:
    guard = SharerGuard()
    guard.allow(Mode.VIEW)
    guard.on_state(ACTIVE_VIEW)
    assert guard.video_allowed
    assert not guard.input_allowed
    # The service claiming control does not give control the person never allowed.
    guard.on_state(ACTIVE_CONTROL)
    assert guard.mode is Mode.VIEW
    assert not guard.input_allowed


def test_local_pause_stops_everything_before_the_service_confirms() -> None:
    guard = SharerGuard()
    guard.allow(Mode.CONTROL)
    guard.on_state(ACTIVE_CONTROL)
    guard.pause()
    assert not guard.video_allowed and not guard.input_allowed
    # A stale "not paused" state from before the service saw the pause changes nothing.
    guard.on_state(ACTIVE_CONTROL)
    assert not guard.video_allowed and not guard.input_allowed


def test_resume_waits_for_the_service_to_confirm() -> None:
    guard = SharerGuard()
    guard.allow(Mode.CONTROL)
    guard.on_state(ACTIVE_CONTROL)
    guard.pause()
    guard.on_state(state(Phase.ACTIVE, Mode.CONTROL, paused=True))
    guard.resume()
    assert not guard.video_allowed
    guard.on_state(ACTIVE_CONTROL)
    assert guard.video_allowed and guard.input_allowed


def test_take_back_control_stops_input_at_once_and_keeps_the_view() -> None:
    guard = SharerGuard()
    guard.allow(Mode.CONTROL)
    guard.on_state(ACTIVE_CONTROL)
    guard.revoke_control()
    assert guard.video_allowed
    assert not guard.input_allowed
    guard.on_state(ACTIVE_CONTROL)  # stale
    assert not guard.input_allowed


def test_control_allowed_mid_session_needs_both_sides() -> None:
    guard = SharerGuard()
    guard.allow(Mode.VIEW)
    guard.on_state(ACTIVE_VIEW)
    guard.allow(Mode.CONTROL)
    assert not guard.input_allowed  # the service has not switched yet
    guard.on_state(ACTIVE_CONTROL)
    assert guard.input_allowed


def test_declining_control_mid_session_keeps_the_view() -> None:
    guard = SharerGuard()
    guard.allow(Mode.VIEW)
    guard.on_state(ACTIVE_VIEW)
    guard.decline(Mode.CONTROL)
    assert guard.video_allowed
    assert guard.granted_mode is Mode.VIEW


def test_declining_the_first_request_grants_nothing() -> None:
    for mode in Mode:
        guard = SharerGuard()
        guard.decline(mode)
        guard.on_state(ACTIVE_CONTROL)
        assert not guard.video_allowed


def test_disconnect_stops_everything_until_the_service_speaks_again() -> None:
    guard = SharerGuard()
    guard.allow(Mode.CONTROL)
    guard.on_state(ACTIVE_CONTROL)
    guard.on_disconnected()
    assert not guard.video_allowed and not guard.input_allowed
    guard.on_connected()
    assert not guard.video_allowed
    guard.on_state(ACTIVE_CONTROL)
    assert guard.input_allowed


def test_end_is_final() -> None:
    guard = SharerGuard()
    guard.allow(Mode.CONTROL)
    guard.on_state(ACTIVE_CONTROL)
    guard.end()
    guard.allow(Mode.CONTROL)
    guard.on_state(ACTIVE_CONTROL)
    assert guard.ended
    assert not guard.video_allowed and not guard.input_allowed


def test_an_ended_state_is_final() -> None:
    guard = SharerGuard()
    guard.allow(Mode.CONTROL)
    guard.on_state(state(Phase.ENDED))
    guard.on_state(ACTIVE_CONTROL)
    assert guard.ended and not guard.video_allowed


def test_admit_counts_what_it_refuses() -> None:
    guard = SharerGuard()
    guard.allow(Mode.VIEW)
    guard.on_state(ACTIVE_VIEW)
    assert not guard.admit_input()
    assert not guard.admit_input()
    assert guard.admit_video()
    guard.pause()
    assert not guard.admit_video()
    assert guard.counters.input_dropped == 2
    assert guard.counters.video_withheld == 1


def test_every_single_snapshot_after_allow_control() -> None:
    """Exhaustive over one service snapshot: only active + control + unpaused lets input in."""
    for phase, mode, paused in itertools.product(Phase, [None, *Mode], [False, True]):
        guard = SharerGuard()
        guard.allow(Mode.CONTROL)
        guard.on_state(state(phase, mode, paused))
        video = phase is Phase.ACTIVE and mode is not None and not paused
        assert guard.video_allowed is video, (phase, mode, paused)
        assert guard.input_allowed is (video and mode is Mode.CONTROL), (phase, mode, paused)


# Model-based: random sequences of everything that can happen ------------------------------


@dataclass(frozen=True)
class Local:
    name: str
    mode: Mode | None = None


EVENTS = st.one_of(
    st.builds(
        state,
        st.sampled_from(list(Phase)),
        st.sampled_from([None, *Mode]),
        st.booleans(),
    ),
    st.sampled_from(
        [
            Local("allow", Mode.VIEW),
            Local("allow", Mode.CONTROL),
            Local("decline", Mode.VIEW),
            Local("decline", Mode.CONTROL),
            Local("revoke_control"),
            Local("pause"),
            Local("resume"),
            Local("end"),
            Local("on_disconnected"),
            Local("on_connected"),
        ]
    ),
)


@settings(max_examples=2000, deadline=None)
@given(st.lists(EVENTS, max_size=12))
def test_invariants_hold_over_any_sequence(events: list[StateUpdate | Local]) -> None:
    guard = SharerGuard()
    ever_allowed = False
    ended = False
    locally_paused = False
    control_allowed_since_revoke = False
    last_state: StateUpdate | None = None
    connected = False
    for event in events:
        if isinstance(event, StateUpdate):
            guard.on_state(event)
            last_state = event
            connected = True
            ended = ended or event.phase is Phase.ENDED
        else:
            method = getattr(guard, event.name)
            method(event.mode) if event.mode is not None else method()
            if event.name == "allow":
                ever_allowed = True
                control_allowed_since_revoke = event.mode is Mode.CONTROL
            elif event.name in ("revoke_control", "decline"):
                control_allowed_since_revoke = False
            elif event.name == "pause":
                locally_paused = True
            elif event.name == "resume":
                locally_paused = False
            elif event.name == "end":
                ended = True
            elif event.name in ("on_disconnected", "on_connected"):
                connected = False
        if guard.input_allowed:
            assert guard.video_allowed
            assert control_allowed_since_revoke
            assert last_state is not None and last_state.mode is Mode.CONTROL
        if guard.video_allowed:
            assert ever_allowed and not ended and not locally_paused and connected
            assert last_state is not None
            assert last_state.phase is Phase.ACTIVE and not last_state.paused
