"""The sharer's session as a pure state machine: what comes in, what the session does about it.

`SharerController` does no I/O and reads no clock: its driver (`sharer/session.py`) feeds it
the person's actions, the service's messages, the helper's frames, connection events, captured
frames and timer ticks (with the time as an argument), and carries out the effects each call
returns (`controller_effects.py`). It owns the `SharerGuard`, the `SecureLink`, the consent
question, the frames held for a key, the frame sequence and the goodbye. Sequence
(docs/protocol.md):

* `consent_request` -> `ConsentRequested` for the UI, once the handshake's check digits are
  known (until then a "securing" notice); the answer goes back as `allow` / `decline`;
* `state` -> the guard; capture is on exactly while `guard.video_allowed` (switching on starts
  with a keyframe); each time video becomes allowed the monitor list goes out; the person's own
  pause and take-back are said again to a service that has not seen them;
* binary frames from the helper: the end-to-end handshake (clear), then only encrypted frames:
  input (only if `guard.admit_input()`), annotation, chat, end-to-end control (select a
  monitor, refresh, the helper's quality choice, and `FrameDrawn`, which moves the flow window:
  video leaves only while `video_hold` says so, sharer/pacing.py); a failed handshake, a
  handshake that does not finish in time, or three refused frames end the session with
  `security_failure`;
* what leaves is sealed at the moment it leaves (`outgoing`, `captured`): captured frames are
  checked by the guard then and dropped without a key (a keyframe follows the key); other
  frames wait for the key (bounded);
* a dropped connection stops everything and releases held input; the driver reconnects.
After the end nothing leaves but the goodbye (`shut_down`): `end`, or `security_failure`.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from dataclasses import dataclass

from ..protocol.close_codes import CloseCode
from ..protocol.e2e import RandomSource, is_handshake
from ..protocol.errors import HandshakeFailed, MessageError
from ..protocol.frames import Frame, FrameFlags, FrameKind, wrap_timestamp_ms
from ..protocol.messages import (
    Allow,
    ClientMessage,
    ConsentRequest,
    Decline,
    End,
    ErrorNotice,
    Pause,
    PeerLeft,
    PeerReturned,
    Resume,
    Resync,
    RevokeControl,
    SecurityFailure,
    ServerMessage,
    SessionEnded,
    StateUpdate,
)
from ..protocol.payloads import (
    ChatMessage,
    FrameDrawn,
    MonitorInfo,
    MonitorList,
    QualityChoice,
    Refresh,
    SelectMonitor,
    encode_payload,
    parse_annotation,
    parse_chat,
    parse_e2e_control,
    parse_input,
)
from ..protocol.roles import EndReason, HelperCard, Mode, Phase, Role
from ..protocol.secure_link import SecureLink
from . import controller_effects as fx
from .controller_effects import Effect
from .guard import SharerGuard
from .media_ports import EncodedFrameLike
from .pacing import FlowWindow
from .session_events import (
    AnnotationReceived,
    ChatReceived,
    ConsentRequested,
    MonitorChanged,
    Notice,
    SessionFinished,
    SessionStatus,
    StatusChanged,
)

log = logging.getLogger(__name__)

SECURING = "Securing the connection\u2026"
SECURITY_FAILED = (
    "The session ended because the connection could not be kept private (its encryption check "
    "failed). Start a new session."
)
YOU_ENDED = EndReason.SHARER_ENDED.sentence_for(Role.SHARER)
RECONNECTING = "The connection was lost. Reconnecting..."
RECONNECTED = "Reconnected."
CLOSED = "The connection to the service closed."
#: Closes that say this window's part in the session is over, whatever reason came with them.
_OVER_HERE = frozenset(
    {
        CloseCode.REPLACED,
        CloseCode.NOT_AUTHENTICATED,
        CloseCode.UNKNOWN_SESSION,
        CloseCode.ALREADY_ENDED,
    }
)


@dataclass(frozen=True, slots=True)
class MonitorLayout:
    """The monitors capture knows of, and the one being shared."""

    monitors: tuple[MonitorInfo, ...]
    current: MonitorInfo


class SharerController:
    """One sharing session's decisions, from the first connection to the goodbye."""

    def __init__(
        self,
        session_id: str,
        helper: HelperCard,
        *,
        # Timeouts (seconds)
        handshake_timeout: float = 10.0,  # from the helper's commit to its reveal
        # How long a connected helper may take to start the handshake (a console that cannot
        # encrypt never does; nothing is shared meanwhile, the session just cannot go on).
        first_handshake_timeout: float = 20.0,
        # Limits
        max_held: int = 64,
        random: RandomSource = os.urandom,
        flow_window: FlowWindow | None = None,
    ) -> None:
        self.guard = SharerGuard()
        self._helper = helper
        self._link = SecureLink(session_id, random=random)
        self._handshake_timeout = handshake_timeout
        self._first_handshake_timeout = first_handshake_timeout
        #: Frames waiting for a key (chat, monitor list); video is not held, a keyframe follows.
        self._held: deque[fx.SendEncrypted] = deque(maxlen=max_held)
        self._deadline: float | None = None  # the handshake must be done by then
        self._layout: MonitorLayout | None = None
        self._pending_consent: Mode | None = None
        #: The consent question shown for this mode (it waits for the check digits).
        self._consent_shown: Mode | None = None
        self._consent_helper = helper
        self._last_state: StateUpdate | None = None
        self._connected = False
        self._ever_connected = False
        self._video_on = False
        self._input_on = False
        self._sequence = 0
        #: Video in flight to the console, by its acknowledgements (sharer/pacing.py).
        self.pacing = flow_window or FlowWindow()
        self._goodbye: ClientMessage = End()
        #: Whether the service already knows the session is over (no goodbye to send then).
        self._service_knows_end = False
        self._finished = False
        #: Set when the session ended because something failed here (not a person's choice).
        self.failed = False

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def link(self) -> SecureLink:
        return self._link

    # The person's actions -----------------------------------------------------------------

    def answer_consent(self, seen: Mode, allow: bool) -> list[Effect]:
        """The person answered the question they were shown, which asked for `seen`.

        An answer counts only for the question on screen now: if the request changed (view to
        control) while an old dialog was open, a click on that dialog must not grant the new
        mode, so it is refused and the new question stays to be answered.
        """
        mode = self._pending_consent
        if mode is None or self._consent_shown is not mode or self._finished:
            return []  # no question on screen: nothing to answer (a stale or early click)
        if seen is not mode:
            log.info("refused an answer to a %s question: the question is now %s", seen, mode)
            return []
        self._pending_consent = None
        effects: list[Effect] = []
        if allow:
            self.guard.allow(mode)
            effects.append(fx.SendControl(Allow(mode)))
        else:
            self.guard.decline(mode)
            effects += [fx.ReleaseInput(), fx.SendControl(Decline())]
        # Capture switching on starts with a keyframe: no separate request here.
        self._apply_guard(effects)
        return effects

    def pause(self) -> list[Effect]:
        if self._finished:
            return []
        self.guard.pause()
        effects: list[Effect] = []
        self._apply_guard(effects)
        effects.append(fx.SendControl(Pause()))
        return effects

    def resume(self) -> list[Effect]:
        if self._finished:
            return []
        self.guard.resume()
        effects: list[Effect] = [fx.SendControl(Resume())]
        self._apply_guard(effects)
        return effects

    def revoke_control(self) -> list[Effect]:
        if self._finished:
            return []
        self.guard.revoke_control()
        effects: list[Effect] = []
        self._apply_guard(effects)
        effects.append(fx.SendControl(RevokeControl()))
        return effects

    def send_chat(self, text: str, *, message_id: str, sent_at_ms: int) -> list[Effect]:
        text = text.strip()
        if not text or self.guard.ended or self._finished:
            return []
        chat = ChatMessage(message_id, text, sent_at_ms)
        return [fx.SendEncrypted(FrameKind.CHAT, encode_payload(chat))]

    def end(self) -> list[Effect]:
        """End now: nothing more leaves, held input is released; the goodbye says `end`."""
        if self._finished:
            return []
        self.guard.end()
        return self._finish(YOU_ENDED)

    # The driver's own news ----------------------------------------------------------------

    def media_started(self, layout: MonitorLayout) -> list[Effect]:
        """Capture is running (disabled: nothing is captured before Allow)."""
        self._layout = layout
        return [] if self._finished else [fx.Emit(MonitorChanged(layout.current))]

    def set_layout(self, layout: MonitorLayout) -> None:
        """The monitors as capture sees them now (they may change under a running session)."""
        self._layout = layout

    def connected(self) -> list[Effect]:
        """The relay connection is (back) up; nothing flows until the service's next state."""
        self.guard.on_connected()
        again, self._ever_connected = self._ever_connected, True
        self._connected = True
        return [fx.Emit(Notice(RECONNECTED))] if again and not self._finished else []

    def closed(self, code: int | None, reason: str) -> list[Effect]:
        """The relay connection closed: stop everything; the end if reconnecting cannot help."""
        self._connected = False
        self._link.reset()  # the helper starts a new handshake when we are back
        self.pacing.reset()  # what was in flight is lost with the connection
        effects = self._cancel_timer()
        self.guard.on_disconnected()
        self._apply_guard(effects)
        effects.append(fx.ReleaseInput())
        if CloseCode.is_final(code) or self.guard.ended:
            self._service_knows_end = True
            return effects + self._finish(_close_sentence(code, reason))
        if not self._finished:
            effects += self._status()
            effects.append(fx.Emit(Notice(RECONNECTING)))
        return effects

    def stop(self, sentence: str, *, failed: bool) -> list[Effect]:
        """End for a reason the driver found (the connection could not be restored, a bug)."""
        if self._finished:
            return []
        self.failed = failed
        return self._finish(sentence)

    def shut_down(self) -> ClientMessage | None:
        """Everything stops for good; the message to tell the service, if it does not know."""
        self.guard.end()
        self._finished = True
        self._deadline = None
        self._link.reset()
        self._video_on = self._input_on = False
        return None if self._service_knows_end else self._goodbye

    # The service's messages ---------------------------------------------------------------

    def server_message(self, message: ServerMessage, now: float) -> list[Effect]:
        if self._finished:
            return []
        effects: list[Effect] = []
        match message:
            case StateUpdate():
                self._on_state(message, now, effects)
            case ConsentRequest(mode=mode, helper=helper):
                self._consent_helper = helper
                if self._pending_consent is not mode:
                    self._pending_consent = mode
                    self._consent_shown = None
                    self._offer_consent(effects)
            case SessionEnded(reason=reason):
                # The `message` is worded for the helper; the person sharing reads their own.
                self._service_knows_end = True
                self.guard.end()
                effects += self._finish(reason.sentence_for(Role.SHARER))
            case PeerReturned(role=Role.HELPER):
                # A returning helper has no keys: it starts a new handshake; hold until then.
                self._link.reset()
                effects += self._arm_timer(now + self._first_handshake_timeout)
            case Resync():
                self._keyframe(effects)
            case PeerLeft(role=Role.HELPER):
                self._link.reset()
                self.pacing.reset()  # no console to acknowledge what was in flight
                effects += self._cancel_timer()
                # No notice: the state that follows says so in the status, which the next one
                # replaces when they are back (a notice would linger after their return).
            case ErrorNotice(message=sentence):
                effects.append(fx.Emit(Notice(sentence)))
            case _:
                pass  # nothing for the sharer to do (control answers go to the helper)
        return effects

    def _on_state(self, state: StateUpdate, now: float, effects: list[Effect]) -> None:
        before = self._last_state
        self._last_state = state
        self.guard.on_state(state)
        if state.phase is Phase.ACTIVE:
            self._reassert_local_choices(state, effects)
        helper_back = before is not None and state.helper_connected and not before.helper_connected
        if self._apply_guard(effects) or helper_back:
            self._keyframe(effects)
        if state.requested_mode is None:
            self._pending_consent = None
        if (
            state.helper_connected
            and state.phase in (Phase.JOINED, Phase.CONSENT, Phase.ACTIVE)
            and not self._link.ready
            and self._deadline is None
        ):
            effects += self._arm_timer(now + self._first_handshake_timeout)
        effects += self._status()

    def _reassert_local_choices(self, state: StateUpdate, effects: list[Effect]) -> None:
        # The person's own choices win: if the service has not (yet) seen a pause or a take-back
        # (sent while disconnected, say), say it again. The service treats repeats as no-ops.
        if self.guard.paused and not state.paused:
            effects.append(fx.SendControl(Pause()))
        if (
            state.mode is Mode.CONTROL
            and self.guard.granted_mode is Mode.VIEW
            and state.requested_mode is None
        ):
            effects.append(fx.SendControl(RevokeControl()))

    # The helper's frames ------------------------------------------------------------------

    def received_frame(self, received: Frame, now: float) -> list[Effect]:
        if self._finished:
            return []
        effects: list[Effect] = []
        if not received.header.flags & FrameFlags.ENCRYPTED:
            if received.kind is FrameKind.CONTROL_E2E and is_handshake(received.payload):
                self._on_handshake(received.payload, now, effects)
            else:
                # Never a clear frame of these kinds: the relay (or a broken peer) sent it.
                self._link.refuse(f"a clear {received.kind.name.lower()} frame")
                self._check_link(effects)
            return effects
        frame = self._link.open(received)
        if frame is None:
            self._check_link(effects)
            return effects
        try:
            match frame.kind:
                case FrameKind.INPUT:
                    if self.guard.admit_input():
                        effects.append(fx.Inject(parse_input(frame.payload)))
                    else:
                        log.debug("refused input (%d so far)", self.guard.counters.input_dropped)
                case FrameKind.ANNOTATION:
                    if self.guard.video_allowed:
                        effects.append(fx.Emit(AnnotationReceived(parse_annotation(frame.payload))))
                case FrameKind.CHAT:
                    effects.append(fx.Emit(ChatReceived(parse_chat(frame.payload).text)))
                case FrameKind.CONTROL_E2E:
                    self._on_e2e(frame.payload, now, effects)
                case _:
                    log.info("ignored a %s frame", frame.kind.name.lower())
        except MessageError as exc:
            log.info("ignored a malformed %s frame: %s", frame.kind.name.lower(), exc.message)
        return effects

    def _on_e2e(self, payload: bytes, now: float, effects: list[Effect]) -> None:
        control = parse_e2e_control(payload)
        if isinstance(control, FrameDrawn):
            if self.pacing.drawn(control.seq, control.draw_ms / 1000, now):
                effects.append(fx.WindowOpened(self.pacing.estimate))
            return
        if isinstance(control, QualityChoice):
            effects.append(fx.SetQuality(control.mode))
            return
        layout = self._layout
        if layout is None:
            return
        if isinstance(control, SelectMonitor):
            chosen = [m for m in layout.monitors if m.id == control.id]
            if not chosen:
                return
            self._layout = MonitorLayout(layout.monitors, chosen[0])
            effects += [
                fx.ReleaseInput(),
                fx.SelectMonitor(chosen[0]),
                fx.Emit(MonitorChanged(chosen[0])),
            ]
            self._send_monitors(effects)
            self._keyframe(effects)
        elif isinstance(control, Refresh):
            self._keyframe(effects, video=control.video)

    # End-to-end encryption ----------------------------------------------------------------

    def _on_handshake(self, payload: bytes, now: float, effects: list[Effect]) -> None:
        was_ready = self._link.ready
        try:
            reply = self._link.on_handshake(payload)
        except HandshakeFailed as exc:
            log.warning("the end-to-end handshake failed: %s", exc.message)
            effects += self._security_failure()
            return
        if reply is not None:
            # The key offer: the one frame the sharer sends in the clear.
            effects.append(fx.SendFrame(reply))
            effects += self._arm_timer(now + self._handshake_timeout)
        elif self._link.ready and not was_ready:
            self._on_secured(effects)

    def _on_secured(self, effects: list[Effect]) -> None:
        self.pacing.reset()  # new keys: a console that starts afresh (a keyframe follows)
        effects.append(fx.WindowOpened(self.pacing.estimate))
        effects += self._cancel_timer()
        effects += self._held
        self._held.clear()
        self._offer_consent(effects)
        if self.guard.video_allowed:
            self._send_monitors(effects)
            self._keyframe(effects)
        effects += self._status()  # with the check digits, which the sharing bar shows

    def _offer_consent(self, effects: list[Effect]) -> None:
        """Ask the person, once the check digits are known; until then say what is going on."""
        mode, helper = self._pending_consent, self._consent_helper
        if mode is None or self._consent_shown is mode:
            return
        check = self._link.check
        if check is None or not self._link.ready:
            effects.append(fx.Emit(Notice(SECURING)))
            return
        self._consent_shown = mode
        effects.append(fx.Emit(ConsentRequested(mode, helper, check)))

    def _check_link(self, effects: list[Effect]) -> None:
        if self._link.failed:
            effects += self._security_failure()

    def _security_failure(self) -> list[Effect]:
        """End now: nothing more leaves; the service hears `security_failure`, not `end`."""
        if self._finished:
            return []
        self.failed = True
        self._goodbye = SecurityFailure()
        self.guard.end()
        return self._finish(SECURITY_FAILED)

    def tick(self, now: float) -> list[Effect]:
        """The armed timer fired (or something woke the driver early)."""
        deadline = self._deadline
        if deadline is None or self._finished:
            return []
        if now < deadline:
            return [fx.ArmTimer(deadline)]  # early (clocks differ by a hair): wait on
        self._deadline = None
        if self._link.ready:
            return []
        log.warning("the end-to-end handshake did not complete in time")
        return self._security_failure()

    def _arm_timer(self, deadline: float) -> list[Effect]:
        self._deadline = deadline
        return [fx.ArmTimer(deadline)]

    def _cancel_timer(self) -> list[Effect]:
        if self._deadline is None:
            return []
        self._deadline = None
        return [fx.CancelTimer()]

    # What leaves --------------------------------------------------------------------------

    def outgoing(self, send: fx.Send) -> list[fx.SendControl | fx.SendFrame]:
        """What to write now for one queued send (sealed now, so counters leave in order)."""
        if self.guard.ended:
            return []  # after the end only the goodbye leaves (`shut_down`)
        if not self._connected:
            log.info("dropped an outgoing message while disconnected")
            return []
        if not isinstance(send, fx.SendEncrypted):
            return [send]
        if not self._link.ready:
            self._held.append(send)  # sent once the next handshake completes
            return []
        return [fx.SendFrame(self._seal(send.kind, send.payload, send.flags, 0))]

    def captured(self, frame: EncodedFrameLike, now: float) -> list[fx.SendFrame]:
        """A captured frame about to leave: the guard decides now, whatever capture thought.

        Video that leaves is counted in flight until the console says it drew it.
        """
        if self.guard.ended or not self._connected or not self.guard.admit_video():
            return []
        if not self._link.ready:
            return []  # no key (a handshake is under way): a keyframe follows the new key
        kind, flags = FrameKind(int(frame.kind)), FrameFlags(int(frame.flags))
        sealed = self._seal(
            kind, frame.payload, flags, wrap_timestamp_ms(frame.timestamp_us // 1000)
        )
        if kind is FrameKind.VIDEO:
            self.pacing.sent(self._sequence, len(sealed), now)
        return [fx.SendFrame(sealed)]

    def video_hold(self, now: float) -> float | None:
        """None when the next video capture may be taken now; else how long to wait at most
        (an acknowledgement, `WindowOpened`, may open the window sooner). Cursor updates and
        other frames are never held."""
        return self.pacing.hold(now)

    def _seal(self, kind: FrameKind, payload: bytes, flags: FrameFlags, timestamp_ms: int) -> bytes:
        self._sequence = (self._sequence + 1) % 2**32
        return self._link.seal(
            kind, payload, sequence=self._sequence, timestamp_ms=timestamp_ms, flags=flags
        )

    # Following the guard ------------------------------------------------------------------

    def _apply_guard(self, effects: list[Effect]) -> bool:
        """Make capture and input follow the guard; True if video just became allowed."""
        video, was_video = self.guard.video_allowed, self._video_on
        input_allowed, was_input = self.guard.input_allowed, self._input_on
        self._video_on, self._input_on = video, input_allowed
        if video != was_video:
            effects.append(fx.SetCapture(video))
        if was_input and not input_allowed:
            effects.append(fx.ReleaseInput())
        if video and not was_video:
            self._send_monitors(effects)
            return True
        return False

    def _keyframe(self, effects: list[Effect], *, video: tuple[str, ...] | None = None) -> None:
        if self._layout is not None and self.guard.video_allowed:
            effects.append(fx.RequestKeyframe(video))

    def _send_monitors(self, effects: list[Effect]) -> None:
        layout = self._layout
        if layout is None:
            return
        listing = MonitorList(layout.monitors, layout.current.id)
        effects.append(fx.SendEncrypted(FrameKind.CONTROL_E2E, encode_payload(listing)))

    def _status(self) -> list[Effect]:
        state = self._last_state
        if state is None:
            return []
        status = SessionStatus(
            helper=self._helper,
            phase=state.phase,
            mode=self.guard.mode,
            paused=self.guard.paused,
            helper_connected=state.helper_connected,
            connected=self._connected,
            check=self._link.check or "",
        )
        return [fx.Emit(StatusChanged(status))]

    def _finish(self, sentence: str) -> list[Effect]:
        self.guard.end()
        if self._finished:
            return []
        effects: list[Effect] = []
        self._apply_guard(effects)
        effects += self._cancel_timer()
        self._finished = True
        effects += [fx.Emit(SessionFinished(sentence)), fx.Finish(sentence, self.failed)]
        return effects


def _close_sentence(code: int | None, reason: str) -> str:
    """What the person reads when the relay closed for good."""
    if code is not None and code in _OVER_HERE:
        return CloseCode(code).sentence
    return reason or CloseCode.sentence_for(code) or CLOSED
