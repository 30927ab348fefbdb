"""The session state machine, as pure transitions.

    waiting --sharer joins--> joined --helper picks mode--> consent
    consent --Allow--> active(mode, paused=False)      consent --Decline--> ended(declined)
    active: pause/resume (sharer); request_control (helper) asks consent again while the view
    goes on; revoke_control (sharer) drops to view only
    any --end (either side) | expiry | disconnect past grace | error--> ended(reason)
    any --security_failure (either side: the end-to-end encryption failed)--> ended(security_error)

A sharer that joined from a web browser (`SharerJoined(browser=True)`, the /share page) is view
only for the whole session: a page cannot inject input, so the machine refuses full control
(`choose_mode` control, `request_control`) with `ViewOnlySharer` whatever a client sends, and
`input_allowed` stays false, so the relay never forwards input or clipboard to it.

`transition(state, event, now)` returns the next state and the messages to send, or raises
`IllegalEvent` (the boundary turns it into an `ErrorNotice`; the session is untouched). No clock
is read here: `now` is seconds on any monotonic scale the caller keeps consistent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from .errors import IllegalEvent, ViewOnlySharer
from .messages import (
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
    ServerMessage,
    SessionEnded,
    StateUpdate,
)
from .roles import EndReason, HelperCard, Mode, Phase, Role


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    # Timeouts (seconds)
    code_lifetime: float = 600.0  # DESIGN.md: codes are valid 10 minutes
    consent_timeout: float = 300.0  # from join until Allow
    reconnect_grace: float = 30.0  # a side may come back this long after dropping


# Events -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SharerJoined:
    """The sharer used the code (the rendezvous has already checked it)."""

    #: It joined from the web page (/share): the session is view only, for good.
    browser: bool = False


@dataclass(frozen=True, slots=True)
class Act:
    """A side sent a control message."""

    by: Role
    message: ClientMessage


@dataclass(frozen=True, slots=True)
class Disconnected:
    role: Role


@dataclass(frozen=True, slots=True)
class Reconnected:
    role: Role


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed: deadlines (code expiry, consent timeout, reconnect grace) are checked."""


@dataclass(frozen=True, slots=True)
class Abort:
    """The service ends the session (shutdown, a protocol or security error)."""

    reason: EndReason


Event = SharerJoined | Act | Disconnected | Reconnected | Tick | Abort


# State --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionState:
    helper: HelperCard
    phase: Phase
    #: When the current phase times out (code expiry, then consent); infinite once active.
    deadline: float
    mode: Mode | None = None
    requested_mode: Mode | None = None
    paused: bool = False
    end_reason: EndReason | None = None
    helper_gone_since: float | None = None
    #: The sharer is not connected until it joins.
    sharer_gone_since: float | None = None
    sharer_present: bool = False
    #: Features used, for anonymous telemetry ("view_only", "full_control", "pause", ...).
    features: frozenset[str] = field(default_factory=frozenset)
    #: The sharer shares from a web browser: view only, whatever anyone asks (module docstring).
    sharer_browser: bool = False

    @classmethod
    def new(cls, helper: HelperCard, now: float, policy: SessionPolicy) -> SessionState:
        return cls(helper=helper, phase=Phase.WAITING, deadline=now + policy.code_lifetime)

    @property
    def ended(self) -> bool:
        return self.phase is Phase.ENDED

    @property
    def video_allowed(self) -> bool:
        """Screen pixels may flow to the helper: active and not paused."""
        return self.phase is Phase.ACTIVE and not self.paused

    @property
    def input_allowed(self) -> bool:
        """Input may flow to the sharer: active, full control, not paused, not a browser."""
        return (
            self.phase is Phase.ACTIVE
            and self.mode is Mode.CONTROL
            and not self.paused
            and not self.sharer_browser
        )

    def connected(self, role: Role) -> bool:
        if role is Role.HELPER:
            return self.helper_gone_since is None
        return self.sharer_present and self.sharer_gone_since is None

    def snapshot(self) -> StateUpdate:
        return StateUpdate(
            phase=self.phase,
            mode=self.mode,
            requested_mode=self.requested_mode,
            paused=self.paused,
            helper_connected=self.connected(Role.HELPER),
            sharer_connected=self.connected(Role.SHARER),
            sharer_browser=self.sharer_browser,
        )


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message for one side (`to`), or for both (`to` is None)."""

    to: Role | None
    message: ServerMessage


@dataclass(frozen=True, slots=True)
class Transition:
    state: SessionState
    outgoing: tuple[Outgoing, ...]


# Transitions --------------------------------------------------------------------------------


def transition(
    state: SessionState, event: Event, now: float, policy: SessionPolicy = SessionPolicy()
) -> Transition:
    """Apply `event` at time `now`. Raises `IllegalEvent` if the event is not allowed now."""
    if state.ended:
        if isinstance(event, Tick | Disconnected | Abort):
            return Transition(state, ())
        raise IllegalEvent("This session has ended. Start a new session.")
    # Deadlines come first: an event that arrives after one passed, before the caller's next
    # Tick, finds the session already over. Otherwise a late Allow could open a session whose
    # consent had timed out, and a late Reconnected could resume one past its grace.
    due = _tick(state, now, policy)
    if isinstance(event, Tick):
        return due
    if due.state.ended:
        if isinstance(event, SharerJoined):
            # Refused rather than answered with an ended session, so the rendezvous can answer
            # the join with an error; the caller's next Tick ends the session.
            raise IllegalEvent("This code can no longer be used. Ask your helper for a new code.")
        return due
    match event:
        case Abort(reason):
            return _end(state, reason)
        case SharerJoined(browser):
            return _join(state, now, policy, browser=browser)
        case Disconnected(role):
            return _disconnected(state, role, now, policy)
        case Reconnected(role):
            return _reconnected(state, role)
        case Act(by, message):
            return _act(state, by, message)
    raise IllegalEvent("Unknown event.")  # pragma: no cover - the match is exhaustive


def _changed(state: SessionState, *extra: Outgoing) -> Transition:
    return Transition(state, (*extra, Outgoing(None, state.snapshot())))


def _end(state: SessionState, reason: EndReason) -> Transition:
    ended = replace(
        state,
        phase=Phase.ENDED,
        end_reason=reason,
        paused=False,
        requested_mode=None,
        deadline=math.inf,
    )
    # The snapshot too, as for every change (docs/protocol.md: `state` on every change); the
    # `ended` message comes last, just before the service closes the connections.
    return Transition(
        ended,
        (Outgoing(None, ended.snapshot()), Outgoing(None, SessionEnded.because(reason))),
    )


def _tick(state: SessionState, now: float, policy: SessionPolicy) -> Transition:
    for role, since in (
        (Role.SHARER, state.sharer_gone_since),
        (Role.HELPER, state.helper_gone_since),
    ):
        if since is not None and now >= since + policy.reconnect_grace:
            return _end(
                state, EndReason.SHARER_LEFT if role is Role.SHARER else EndReason.HELPER_LEFT
            )
    if now >= state.deadline:
        if state.phase is Phase.WAITING:
            return _end(state, EndReason.CODE_EXPIRED)
        return _end(state, EndReason.CONSENT_TIMEOUT)
    return Transition(state, ())


def _join(state: SessionState, now: float, policy: SessionPolicy, *, browser: bool) -> Transition:
    if state.phase is not Phase.WAITING:
        raise IllegalEvent("Someone has already joined this session with its code.")
    joined = replace(
        state,
        phase=Phase.JOINED,
        sharer_present=True,
        deadline=now + policy.consent_timeout,
        sharer_browser=browser,
        features=state.features | {"browser_sharer"} if browser else state.features,
    )
    return _changed(joined)


def _disconnected(state: SessionState, role: Role, now: float, policy: SessionPolicy) -> Transition:
    if not state.connected(role):
        return Transition(state, ())
    if role is Role.HELPER:
        gone = replace(state, helper_gone_since=now)
    else:
        gone = replace(state, sharer_gone_since=now)
    notice = Outgoing(role.other, PeerLeft(role, policy.reconnect_grace))
    return _changed(gone, notice)


def _reconnected(state: SessionState, role: Role) -> Transition:
    if role is Role.SHARER and not state.sharer_present:
        raise IllegalEvent("The sharer has not joined this session yet.")
    extra: list[Outgoing] = []
    if state.connected(role):
        # A (first or replacing) connection of a side that was not gone: only the snapshot.
        back = state
    else:
        if role is Role.HELPER:
            back = replace(state, helper_gone_since=None)
        else:
            back = replace(state, sharer_gone_since=None)
        extra.append(Outgoing(role.other, PeerReturned(role)))
    if role is Role.SHARER and back.requested_mode is not None:
        # A new sharer connection has no dialog yet (the request may even predate its first
        # connection, when the helper chose a mode right after the join call): ask again.
        extra.append(Outgoing(Role.SHARER, ConsentRequest(back.requested_mode, back.helper)))
    return _changed(back, *extra)


_ACTORS: dict[type[ClientMessage], frozenset[Role]] = {
    ChooseMode: frozenset({Role.HELPER}),
    RequestControl: frozenset({Role.HELPER}),
    Allow: frozenset({Role.SHARER}),
    Decline: frozenset({Role.SHARER}),
    Pause: frozenset({Role.SHARER}),
    Resume: frozenset({Role.SHARER}),
    RevokeControl: frozenset({Role.SHARER}),
    End: frozenset({Role.HELPER, Role.SHARER}),
    SecurityFailure: frozenset({Role.HELPER, Role.SHARER}),
}


def _act(state: SessionState, by: Role, message: ClientMessage) -> Transition:
    if by not in _ACTORS[type(message)]:
        raise IllegalEvent(f'Only the {_other_name(by)} can send "{message.type}".')
    if state.sharer_browser and _asks_for_control(message):
        raise ViewOnlySharer(VIEW_ONLY_SENTENCE)
    match message:
        case End():
            return _end(
                state, EndReason.HELPER_ENDED if by is Role.HELPER else EndReason.SHARER_ENDED
            )
        case SecurityFailure():
            return _end(state, EndReason.SECURITY_ERROR)
        case ChooseMode(mode):
            _require(state, Phase.JOINED, "The helper chooses a mode once, after the sharer joins.")
            asked = replace(state, phase=Phase.CONSENT, requested_mode=mode)
            return _changed(asked, Outgoing(Role.SHARER, ConsentRequest(mode, state.helper)))
        case Allow(mode):
            return _allow(state, mode)
        case Decline():
            return _decline(state)
        case Pause() | Resume():
            _require(state, Phase.ACTIVE, "Only an active session can be paused or resumed.")
            paused = isinstance(message, Pause)
            if state.paused == paused:
                return Transition(state, ())
            features = state.features | {"pause"} if paused else state.features
            return _changed(replace(state, paused=paused, features=features))
        case RequestControl():
            _require(state, Phase.ACTIVE, "Control can be requested once the session is active.")
            if state.mode is Mode.CONTROL:
                raise IllegalEvent("You already have full control.")
            if state.requested_mode is not None:
                raise IllegalEvent("Control was already requested; wait for the answer.")
            asked = replace(
                state,
                requested_mode=Mode.CONTROL,
                features=state.features | {"request_control"},
            )
            return _changed(
                asked, Outgoing(Role.SHARER, ConsentRequest(Mode.CONTROL, state.helper))
            )
        case RevokeControl():
            _require(state, Phase.ACTIVE, "Control can be taken back only in an active session.")
            if state.mode is not Mode.CONTROL:
                return Transition(state, ())
            return _changed(
                replace(state, mode=Mode.VIEW, features=state.features | {"revoke_control"})
            )
    raise IllegalEvent("Unknown action.")  # pragma: no cover - the match is exhaustive


def _allow(state: SessionState, answered: Mode) -> Transition:
    if state.requested_mode is None:
        raise IllegalEvent("There is no request to allow.")
    if answered is not state.requested_mode:
        raise IllegalEvent("The request changed before you answered. Look at it again.")
    mode = state.requested_mode
    feature = "full_control" if mode is Mode.CONTROL else "view_only"
    allowed = replace(
        state,
        phase=Phase.ACTIVE,
        mode=mode,
        requested_mode=None,
        deadline=math.inf,
        features=state.features | {feature},
    )
    if state.phase is Phase.ACTIVE:
        return _changed(allowed, Outgoing(Role.HELPER, ControlAnswer(granted=True)))
    return _changed(allowed)


def _decline(state: SessionState) -> Transition:
    if state.requested_mode is None:
        raise IllegalEvent("There is no request to decline.")
    if state.phase is Phase.ACTIVE:
        # Declining control mid-session keeps the view going.
        kept = replace(state, requested_mode=None)
        return _changed(kept, Outgoing(Role.HELPER, ControlAnswer(granted=False)))
    return _end(state, EndReason.DECLINED)


#: What a helper reads when asking a browser sharer for control (the console says it first).
VIEW_ONLY_SENTENCE = "This person shares from a web browser: view only."


def _asks_for_control(message: ClientMessage) -> bool:
    if isinstance(message, ChooseMode):
        return message.mode is Mode.CONTROL
    return isinstance(message, RequestControl)


def _require(state: SessionState, phase: Phase, sentence: str) -> None:
    if state.phase is not phase:
        raise IllegalEvent(sentence)


def _other_name(by: Role) -> str:
    return "sharer" if by is Role.HELPER else "helper"
