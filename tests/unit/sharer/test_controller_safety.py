"""The sharer's safety promises, proven over arbitrary interleavings (hypothesis, stateful).

No display and no network: a real `SharerController`, a real helper-side handshake
(tests/fixtures/e2e_peer.py) and the driver's part played in memory. Hypothesis sends any
service state (phase, mode, paused, helper connected), consent requests, the person's clicks,
disconnects and reconnects, handshakes whole or cut short, garbage and forged frames, sealed
input and captured frames, in any order, and after every step these hold (DESIGN.md, security
invariants):

* no input is injected unless the person allowed full control here, the service's last state
  (since this connection came up) says active, full control, not paused, and the session is
  connected, not ended, not paused here;
* no captured frame leaves outside what the person allowed (active, allowed, not paused, not
  ended, connected), and capture is on exactly then;
* nothing but the handshake's key offer leaves in the clear;
* once the session is over nothing leaves but the goodbye;
* held input is released whenever input stops being allowed.

The model below is written from those sentences, not from the controller's code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from quickassist.protocol.close_codes import CloseCode
from quickassist.protocol.frames import FrameFlags, FrameKind, decode_frame, encode_frame
from quickassist.protocol.messages import (
    Allow,
    Decline,
    End,
    PeerLeft,
    PeerReturned,
    Resync,
    SecurityFailure,
    SessionEnded,
    StateUpdate,
)
from quickassist.protocol.payloads import (
    KeyEvent,
    PointerButton,
    PointerMove,
    Refresh,
    ReleaseAll,
    SelectMonitor,
    Wheel,
)
from quickassist.protocol.roles import EndReason, Mode, Phase, Role
from quickassist.sharer import controller_effects as fx
from quickassist.sharer.session_events import ConsentRequested
from tests.fixtures.controller_driver import Captured, ControllerDriver, state

MODES = st.sampled_from([Mode.VIEW, Mode.CONTROL])
INPUT = st.one_of(
    st.builds(PointerMove, st.integers(0, 2000), st.integers(0, 2000)),
    st.builds(PointerButton, st.integers(0, 2), st.booleans(), st.just(5), st.just(5)),
    st.builds(Wheel, st.integers(-3, 3), st.integers(-3, 3)),
    st.builds(KeyEvent, st.just("ShiftLeft"), st.just("Shift"), st.booleans()),
    st.just(ReleaseAll()),
)
CAPTURED = st.builds(
    Captured,
    kind=st.sampled_from([FrameKind.VIDEO, FrameKind.CURSOR, FrameKind.CONTROL_E2E]),
    flags=st.sampled_from([FrameFlags.NONE, FrameFlags.KEYFRAME]),
)
#: Closes that may come back (a retry; most drops are) and closes that end the session.
CLOSES = st.sampled_from([None, 1001, 1006, 1008, 1011, 4999] * 2 + list(CloseCode))


@dataclass
class Model:
    """The session as the person and the service have shaped it, from the outside."""

    granted: Mode | None = None  # what the person allowed here
    paused_here: bool = False
    up: bool = False
    service: StateUpdate | None = None  # the last state since this connection came up
    ended: bool = False
    question: Mode | None = None  # the consent question on screen

    @property
    def video_ok(self) -> bool:
        s = self.service
        return (
            self.up
            and not self.ended
            and self.granted is not None
            and not self.paused_here
            and s is not None
            and s.phase is Phase.ACTIVE
            and s.mode is not None
            and not s.paused
        )

    @property
    def input_ok(self) -> bool:
        s = self.service
        return (
            self.video_ok
            and self.granted is Mode.CONTROL
            and s is not None
            and s.mode is Mode.CONTROL
        )


class SharerSafety(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.run = ControllerDriver()
        self.model = Model()
        self.capture_on = False
        self.step_effects: list[fx.Effect] = []
        self.input_was_ok = False
        #: The digits of the first handshake the sharer completed: the ones the people compare.
        self.compared: str | None = None

    @initialize()
    def connect(self) -> None:
        self.feed(self.run.start())
        self.model.up = True

    # Feeding, checking each step's effects ------------------------------------------------

    def feed(self, effects: list[fx.Effect]) -> list[fx.Effect]:
        """Check one step's effects against the model as it stood when they were asked for."""
        model = self.model
        if self.compared is None and self.run.controller.link.ready:
            self.compared = self.run.helper.check
        for effect in effects:
            match effect:
                case fx.Inject():
                    assert model.input_ok, f"injected outside full control: {model}"
                case fx.SetCapture(enabled=enabled):
                    self.capture_on = enabled
                case fx.Emit(event=ConsentRequested(mode=mode, check=check)):
                    # The question is asked only once the current keys are agreed, with the
                    # digits compared at the first handshake (later ones are bound to it).
                    assert self.run.controller.link.ready
                    assert check == self.compared
                    model.question = mode
                case fx.Finish():
                    model.ended = True
                case _:
                    pass
        self.step_effects += effects
        return effects

    def write(self, written: list[fx.SendControl | fx.SendFrame], *, video: bool) -> None:
        for item in written:
            assert not self.model.ended, f"{item} left after the end"
            if isinstance(item, fx.SendControl):
                continue
            frame = decode_frame(item.data)
            if video:
                assert self.model.video_ok, f"a captured frame left outside consent: {self.model}"
            if not frame.header.flags & FrameFlags.ENCRYPTED:
                assert frame.kind is FrameKind.CONTROL_E2E
                assert json.loads(frame.payload)["t"] == "e2e_key"

    # The service --------------------------------------------------------------------------

    @precondition(lambda self: self.model.up)
    @rule(
        # Mostly the states in which things flow, so that the rules that could break them run.
        phase=st.sampled_from([Phase.ACTIVE] * 4 + list(Phase)),
        mode=st.sampled_from([Mode.CONTROL, Mode.CONTROL, Mode.VIEW, None]),
        requested=st.sampled_from([None, None, Mode.VIEW, Mode.CONTROL]),
        paused=st.sampled_from([False, False, False, True]),
        helper_connected=st.sampled_from([True, True, True, False]),
    )
    def service_state(
        self,
        phase: Phase,
        mode: Mode | None,
        requested: Mode | None,
        paused: bool,
        helper_connected: bool,
    ) -> None:
        update = state(
            phase, mode, requested=requested, paused=paused, helper_connected=helper_connected
        )
        if self.model.up:
            self.model.service = update
            if phase is Phase.ENDED:
                self.model.ended = True
        self.feed(self.run.server(update))

    @precondition(lambda self: self.model.up)
    @rule(mode=MODES)
    def consent_request(self, mode: Mode) -> None:
        self.feed(self.run.consent_request(mode))

    @precondition(lambda self: self.model.up)
    @rule(which=st.sampled_from(["left", "returned", "resync", "ended"]))
    def service_news(self, which: str) -> None:
        message = {
            "left": PeerLeft(Role.HELPER, 30.0),
            "returned": PeerReturned(Role.HELPER),
            "resync": Resync(),
            "ended": SessionEnded.because(EndReason.HELPER_ENDED),
        }[which]
        self.feed(self.run.server(message))

    @precondition(lambda self: self.model.up)
    @rule(code=CLOSES)
    def disconnect(self, code: int | None) -> None:
        self.model.up, self.model.service = False, None
        self.feed(self.run.take(self.run.controller.closed(code, "")))

    @precondition(lambda self: not self.model.up)
    @rule()
    def reconnect(self) -> None:
        self.model.up, self.model.service = True, None
        self.feed(self.run.take(self.run.controller.connected()))

    # The person ---------------------------------------------------------------------------

    @rule(seen=MODES, allow=st.booleans())
    def answer(self, seen: Mode, allow: bool) -> None:
        # `seen`: the question on the dialog clicked, maybe one replaced since (a stale dialog).
        question = self.model.question
        effects = self.feed(self.run.take(self.run.controller.answer_consent(seen, allow)))
        sent = [e.message for e in effects if isinstance(e, fx.SendControl)]
        if sent:
            assert seen is question, f"an answer to a {seen} question counted for {question}"
        if Decline() in sent:
            assert question is not None
            if question is Mode.VIEW:
                self.model.granted = None
            elif self.model.granted is Mode.CONTROL:
                self.model.granted = Mode.VIEW
        allowed = [m for m in sent if isinstance(m, Allow)]
        if allowed:
            # Only the question on screen, only when the person said yes.
            assert allow and allowed == [Allow(question)]  # type: ignore[arg-type]
            self.model.granted = question
        if sent:
            self.model.question = None

    @rule()
    def pause(self) -> None:
        self.model.paused_here = True
        self.feed(self.run.take(self.run.controller.pause()))

    @rule()
    def resume(self) -> None:
        self.model.paused_here = False
        self.feed(self.run.take(self.run.controller.resume()))

    @rule()
    def revoke_control(self) -> None:
        if self.model.granted is Mode.CONTROL:
            self.model.granted = Mode.VIEW
        self.feed(self.run.take(self.run.controller.revoke_control()))

    @rule(text=st.text(max_size=20))
    def chat(self, text: str) -> None:
        self.feed(self.run.take(self.run.controller.send_chat(text, message_id="m", sent_at_ms=1)))

    @rule()
    def end(self) -> None:
        self.model.ended = True
        self.feed(self.run.take(self.run.controller.end()))

    # The helper's console, and whatever a relay makes of it --------------------------------

    @precondition(lambda self: self.model.up)
    @rule()
    def helper_commits(self) -> None:
        self.feed(self.run.commit())

    @precondition(lambda self: self.model.up)
    @rule()
    def helper_handshake(self) -> None:
        """A whole handshake in one step (commit, the key offer sent, reveal)."""
        self.feed(self.run.commit())
        self.write(self.run.flush(), video=False)
        if self.run.offer is not None:
            self.feed(self.run.reveal())

    @precondition(lambda self: self.model.up)
    @rule(mode=MODES)
    def asked_and_allowed(self, mode: Mode) -> None:
        self.consent_request(mode)
        self.answer(mode, True)

    @precondition(lambda self: self.model.up)
    @rule()
    def full_control(self) -> None:
        """The happy path in one step, so that what follows has something to break."""
        self.helper_handshake()
        self.asked_and_allowed(Mode.CONTROL)
        self.service_state(Phase.ACTIVE, Mode.CONTROL, None, False, True)

    @precondition(lambda self: self.model.up and self.run.offer is not None)
    @rule()
    def helper_reveals(self) -> None:
        self.feed(self.run.reveal())

    @precondition(lambda self: self.model.up and self.run.helper.ready)
    @rule(event=INPUT)
    def helper_input(self, event: object) -> None:
        self.feed(self.run.receive(self.run.seal(FrameKind.INPUT, event)))

    @precondition(lambda self: self.model.up and self.run.helper.ready)
    @rule(
        control=st.sampled_from([SelectMonitor(1), SelectMonitor(2), SelectMonitor(9), Refresh()])
    )
    def helper_control(self, control: SelectMonitor | Refresh) -> None:
        self.feed(self.run.receive(self.run.seal(FrameKind.CONTROL_E2E, control)))

    @precondition(lambda self: self.model.up)
    @rule(
        kind=st.sampled_from(FrameKind),
        payload=st.binary(max_size=64)
        | st.sampled_from([b'{"t":"move","x":1,"y":1}', b'{"t":"e2e_reveal","key":"AAAA"}']),
        forged=st.booleans(),
    )
    def garbage(self, kind: FrameKind, payload: bytes, forged: bool) -> None:
        flags = FrameFlags.ENCRYPTED if forged else FrameFlags.NONE
        self.feed(self.run.receive(encode_frame(kind, payload, flags=flags)))

    # The driver ---------------------------------------------------------------------------

    @rule(frame=CAPTURED)
    def captured(self, frame: Captured) -> None:
        self.write(self.run.capture(frame), video=True)

    @rule()
    def flush(self) -> None:
        self.write(self.run.flush(), video=False)

    @rule(seconds=st.sampled_from([0.001, 1.0, 9.0, 15.0, 30.0]))
    def time_passes(self, seconds: float) -> None:
        self.run.now += seconds
        armed = None
        for effect in self.run.effects:
            if isinstance(effect, fx.ArmTimer):
                armed = effect.deadline
            elif isinstance(effect, fx.CancelTimer):
                armed = None
        if armed is not None and armed <= self.run.now:
            self.feed(self.run.tick(self.run.now))

    # After every step ---------------------------------------------------------------------

    @invariant()
    def the_guard_agrees_with_the_model(self) -> None:
        guard = self.run.controller.guard
        assert guard.video_allowed == self.model.video_ok
        assert guard.input_allowed == self.model.input_ok
        assert self.capture_on == self.model.video_ok

    @invariant()
    def held_input_is_released_when_input_stops(self) -> None:
        if self.input_was_ok and not self.model.input_ok:
            assert fx.ReleaseInput() in self.step_effects
        self.input_was_ok = self.model.input_ok
        self.step_effects = []

    def teardown(self) -> None:
        controller = self.run.controller
        finished = controller.finished
        goodbye = controller.shut_down()
        assert goodbye in (None, End(), SecurityFailure())
        if goodbye == SecurityFailure():
            assert finished and controller.failed
        # Nothing at all once shut down, whatever the driver still held.
        assert self.run.flush() == [] and self.run.capture() == []


SharerSafety.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_sharer_safety = SharerSafety.TestCase
