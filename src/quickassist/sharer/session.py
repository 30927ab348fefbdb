"""The sharer's session controller: ties the relay connection, capture, input injection and
the guard together, and tells the UI what happens through a small event interface.

Sequence (docs/protocol.md): the UI joins with the code (`SessionClient.join`), then
`SharerSession.run(ticket)` connects the relay WebSocket and, until the session ends:

* `consent_request` -> `ConsentRequested` for the UI, whose answer (`answer_consent`) goes back
  as `allow` / `decline`;
* `state` -> the guard; capture is enabled exactly when `guard.video_allowed`; each time video
  becomes allowed the monitor list and a keyframe go out;
* binary frames from the helper: the end-to-end handshake (clear), then only encrypted frames
  (`SecureLink`): input (only if `guard.admit_input()`), annotation, chat, end-to-end control
  (select a monitor, refresh); a failed handshake or repeated refused frames end the session
  with `security_failure`;
* the consent question waits for the handshake, so it can show the check digits;
* captured frames go out encrypted, each checked by the guard at the moment it leaves; other
  frames wait (bounded) while there is no key, video is dropped and a keyframe follows the key;
* a dropped connection: everything stops, held keys and buttons are released, and the
  controller reconnects with backoff within the grace period using the same token.

All methods run on the controller's event loop; a UI on another thread uses `call_soon`.
The UI's callbacks (`listener`) are called on the loop thread and must not block.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from ..protocol.e2e import is_handshake
from ..protocol.errors import HandshakeFailed, MessageError
from ..protocol.frames import Frame, FrameFlags, FrameKind
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
    InputEvent,
    MonitorList,
    Refresh,
    ReleaseAll,
    SelectMonitor,
    encode_payload,
    parse_annotation,
    parse_chat,
    parse_e2e_control,
    parse_input,
)
from ..protocol.roles import Mode, Phase, Role
from ..protocol.secure_link import SecureLink
from .client import JoinTicket, RelayConnection, SessionClient
from .errors import ConnectionLost, RelayClosed, SharerError
from .guard import SharerGuard
from .media_ports import FrameSource, InputSink, MediaFactory, monitor_info
from .session_events import (
    AnnotationReceived,
    ChatReceived,
    ConsentRequested,
    Listener,
    MonitorChanged,
    Notice,
    SessionEvent,
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


@dataclass(frozen=True, slots=True)
class _Plain:
    """A frame to encrypt at the moment it leaves (so counters go out in order)."""

    kind: FrameKind
    payload: bytes
    flags: FrameFlags = FrameFlags.NONE


class SharerSession:
    """One sharing session, from the relay connection to its end."""

    def __init__(
        self,
        client: SessionClient,
        ticket: JoinTicket,
        *,
        media: MediaFactory,
        listener: Listener,
        # Timeouts (seconds)
        reconnect_grace: float = 30.0,  # docs/protocol.md: the service keeps a seat this long
        first_backoff: float = 0.5,
        max_backoff: float = 5.0,
        handshake_timeout: float = 10.0,  # from the helper's commit to its reveal
        # How long a connected helper may take to start the handshake (a console that cannot
        # encrypt never does; nothing is shared meanwhile, the session just cannot go on).
        first_handshake_timeout: float = 20.0,
        # Limits
        max_pending_sends: int = 64,
    ) -> None:
        self.client = client
        self.ticket = ticket
        self.guard = SharerGuard()
        self._media = media
        self._listener = listener
        self._reconnect_grace = reconnect_grace
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._outbox: asyncio.Queue[ClientMessage | bytes | _Plain] = asyncio.Queue(
            max_pending_sends
        )
        self._link = SecureLink(ticket.session_id)
        #: Frames waiting for a key (chat, monitor list); video is not held, a keyframe follows.
        self._held: deque[_Plain] = deque(maxlen=max_pending_sends)
        self._handshake_timeout = handshake_timeout
        self._first_handshake_timeout = first_handshake_timeout
        self._secure_timer: asyncio.TimerHandle | None = None
        #: The consent question shown for this mode (it waits for the check digits).
        self._consent_shown: Mode | None = None
        self._consent_helper = ticket.helper
        #: What `_shutdown` tells the service: `end`, or `security_failure`.
        self._goodbye: ClientMessage = End()
        self._connection: RelayConnection | None = None
        self._pipeline: FrameSource | None = None
        self._injector: InputSink | None = None
        # Input is injected in order, off the event loop, on one thread.
        self._inject_thread = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="quickassist-inject"
        )
        self._sequence = 0
        self._last_state: StateUpdate | None = None
        self._pending_consent: Mode | None = None
        self._finished: asyncio.Future[str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._video_on = False
        self._inject_closed = False
        #: Whether the service already knows the session is over (no `end` to send then).
        self._service_knows_end = False
        #: Set when the session ended because something failed here (not a person's choice).
        self.failed = False

    # Running ------------------------------------------------------------------------------

    async def run(self) -> str:
        """Run until the session ends; returns the sentence saying why it ended."""
        self._loop = asyncio.get_running_loop()
        self._finished = self._loop.create_future()
        if self.guard.ended:  # ended before it started (the window closed while joining)
            return "You ended the session."
        try:
            self._connection = await self.client.connect(self.ticket)
            self.guard.on_connected()
            pipeline, injector = self._media()
            self._pipeline, self._injector = pipeline, injector
            pipeline.set_enabled(False)  # nothing is captured before Allow
            await pipeline.start()
            injector.set_monitor(pipeline.monitor)
            self._emit(MonitorChanged(monitor_info(pipeline.monitor)))
            async with asyncio.TaskGroup() as tasks:
                workers = [
                    tasks.create_task(self._until_failure(self._receive_loop())),
                    tasks.create_task(self._until_failure(self._send_loop())),
                    tasks.create_task(self._until_failure(self._video_loop())),
                ]
                message = await self._finished
                for worker in workers:
                    worker.cancel()
            return message
        except SharerError as exc:
            self.failed = True
            self._finish(exc.message)
            return exc.message
        finally:
            await self._shutdown()

    def call_soon(self, action: Callable[..., Any], *args: Any) -> None:
        """Run `action(*args)` on the controller's loop; safe from any thread (the Qt UI's)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(action, *args)

    # The person's actions (loop thread) ---------------------------------------------------

    def answer_consent(self, allow: bool) -> None:
        mode = self._pending_consent
        if mode is None or self.guard.ended:
            return
        self._pending_consent = None
        if allow:
            self.guard.allow(mode)
            self._queue(Allow(mode))
        else:
            self.guard.decline(mode)
            self._release_input()
            self._queue(Decline())
        self._apply_guard()

    def pause(self) -> None:
        self.guard.pause()
        self._apply_guard()
        self._queue(Pause())

    def resume(self) -> None:
        self.guard.resume()
        self._queue(Resume())
        self._apply_guard()

    def revoke_control(self) -> None:
        self.guard.revoke_control()
        self._apply_guard()
        self._queue(RevokeControl())

    def send_chat(self, text: str) -> None:
        text = text.strip()
        if not text or self.guard.ended:
            return
        chat = ChatMessage(uuid.uuid4().hex, text, int(time.time() * 1000))
        self._queue(_Plain(FrameKind.CHAT, encode_payload(chat)))

    def end(self) -> None:
        """End the session now: nothing more leaves, held input is released, the service told."""
        if self._finished is not None and self._finished.done():
            return
        self.guard.end()
        self._apply_guard()
        # `_shutdown` tells the service, after the last frame and before closing.
        self._finish("You ended the session.")

    # Loops --------------------------------------------------------------------------------

    async def _until_failure(self, loop: Coroutine[Any, Any, None]) -> None:
        """Run one of the loops; a failure ends the session with a sentence, never silently."""
        try:
            await loop
        except SharerError as exc:
            self.failed = True
            self._finish(exc.message)
        except Exception:  # a bug: log it, end visibly (and `_shutdown` releases the input)
            self.failed = True
            log.exception("a session loop failed")
            self._finish("The session stopped because of an error. Start a new session.")

    async def _receive_loop(self) -> None:
        # Runs until `_finish`; the guard may end earlier (an "ended" state precedes the
        # "ended" message that carries the sentence).
        while not self._done():
            connection = self._connection
            if connection is None:
                await self._reconnect()
                continue
            try:
                message = await connection.receive()
            except RelayClosed as closed:
                self._on_closed(closed)
                continue
            if isinstance(message, Frame):
                self._on_frame(message)
            else:
                self._on_message(message)

    async def _send_loop(self) -> None:
        while True:
            item = await self._outbox.get()
            connection = self._connection
            if connection is None:
                log.info("dropped an outgoing message while disconnected")
                continue
            if isinstance(item, _Plain):
                if not self._link.ready:
                    self._held.append(item)  # sent once the next handshake completes
                    continue
                # Sealed right before the write, with no await between: counters leave in order.
                item = self._frame(item.kind, item.payload, flags=item.flags)
            try:
                if isinstance(item, bytes):
                    await connection.send_frame(item)
                else:
                    await connection.send_control(item)
            except RelayClosed:
                log.info("the connection closed while sending")

    async def _video_loop(self) -> None:
        pipeline = self._pipeline
        assert pipeline is not None
        while True:
            frame = await pipeline.next_frame()
            connection = self._connection
            # The guard decides at the moment a frame leaves, whatever capture thought earlier.
            if connection is None or not self.guard.admit_video():
                continue
            if not self._link.ready:
                continue  # no key (a handshake is under way): a keyframe follows the new key
            data = self._frame(
                FrameKind(int(frame.kind)),
                frame.payload,
                flags=FrameFlags(int(frame.flags)),
                timestamp_us=frame.timestamp_us,
            )
            with contextlib.suppress(RelayClosed):
                await connection.send_frame(data)

    async def _reconnect(self) -> None:
        deadline = time.monotonic() + self._reconnect_grace
        backoff = self._first_backoff
        self._emit(Notice("The connection was lost. Reconnecting..."))
        while not self._done() and time.monotonic() < deadline:
            await asyncio.sleep(min(backoff, max(0.0, deadline - time.monotonic())))
            backoff = min(backoff * 2, self._max_backoff)
            try:
                self._connection = await self.client.connect(self.ticket)
            except RelayClosed as closed:
                if closed.final:
                    self._finish(closed.message)
                    return
                continue
            except SharerError:
                continue
            self.guard.on_connected()
            self._emit(Notice("Reconnected."))
            return
        self.failed = True
        self._finish(ConnectionLost().message)

    def _done(self) -> bool:
        return self._finished is None or self._finished.done()

    # Incoming -----------------------------------------------------------------------------

    def _on_closed(self, closed: RelayClosed) -> None:
        self._connection = None
        self._link.reset()  # the helper starts a new handshake when we are back
        self._cancel_secure_timer()
        self.guard.on_disconnected()
        self._apply_guard()
        self._release_input()
        if closed.final or self.guard.ended:
            self._service_knows_end = True
            self._finish(_close_sentence(closed))
        else:
            self._emit_status()

    def _on_message(self, message: ServerMessage) -> None:
        match message:
            case StateUpdate():
                self._on_state(message)
            case ConsentRequest(mode=mode, helper=helper):
                self._consent_helper = helper
                if self._pending_consent is not mode:
                    self._pending_consent = mode
                    self._consent_shown = None
                    self._offer_consent()
            case SessionEnded(message=sentence):
                self._service_knows_end = True
                self.guard.end()
                self._apply_guard()
                self._finish(sentence)
            case PeerReturned(role=Role.HELPER):
                # A returning helper has no keys: it starts a new handshake; hold until then.
                self._link.reset()
                self._arm_secure_timer(self._first_handshake_timeout)
            case Resync():
                self._keyframe()
            case PeerLeft(role=Role.HELPER):
                self._link.reset()
                self._cancel_secure_timer()
                self._emit(Notice("Your helper lost the connection; waiting for them."))
            case ErrorNotice(message=sentence):
                self._emit(Notice(sentence))
            case _:
                pass  # nothing for the sharer to do (control answers go to the helper)

    def _on_state(self, state: StateUpdate) -> None:
        before = self._last_state
        self._last_state = state
        self.guard.on_state(state)
        if state.phase is Phase.ACTIVE:
            self._reassert_local_choices(state)
        helper_back = before is not None and state.helper_connected and not before.helper_connected
        if self._apply_guard() or helper_back:
            self._keyframe()
        if state.requested_mode is None:
            self._pending_consent = None
        if (
            state.helper_connected
            and state.phase in (Phase.JOINED, Phase.CONSENT, Phase.ACTIVE)
            and not self._link.ready
            and self._secure_timer is None
        ):
            self._arm_secure_timer(self._first_handshake_timeout)
        self._emit_status()

    def _reassert_local_choices(self, state: StateUpdate) -> None:
        # The person's own choices win: if the service has not (yet) seen a pause or a take-back
        # (sent while disconnected, say), say it again. The service treats repeats as no-ops.
        if self.guard.paused and not state.paused:
            self._queue(Pause())
        if (
            state.mode is Mode.CONTROL
            and self.guard.granted_mode is Mode.VIEW
            and state.requested_mode is None
        ):
            self._queue(RevokeControl())

    def _on_frame(self, received: Frame) -> None:
        if not received.header.flags & FrameFlags.ENCRYPTED:
            if received.kind is FrameKind.CONTROL_E2E and is_handshake(received.payload):
                self._on_handshake(received.payload)
            else:
                # Never a clear frame of these kinds: the relay (or a broken peer) sent it.
                self._link.refuse(f"a clear {received.kind.name.lower()} frame")
                self._check_link()
            return
        opened = self._link.open(received)
        if opened is None:
            self._check_link()
            return
        frame = opened
        try:
            match frame.kind:
                case FrameKind.INPUT:
                    if self.guard.admit_input():
                        self._inject(parse_input(frame.payload))
                    else:
                        log.debug("refused input (%d so far)", self.guard.counters.input_dropped)
                case FrameKind.ANNOTATION:
                    if self.guard.video_allowed:
                        self._emit(AnnotationReceived(parse_annotation(frame.payload)))
                case FrameKind.CHAT:
                    self._emit(ChatReceived(parse_chat(frame.payload).text))
                case FrameKind.CONTROL_E2E:
                    self._on_e2e(frame.payload)
                case _:
                    log.info("ignored a %s frame", frame.kind.name.lower())
        except MessageError as exc:
            log.info("ignored a malformed %s frame: %s", frame.kind.name.lower(), exc.message)

    # End-to-end encryption ----------------------------------------------------------------

    def _on_handshake(self, payload: bytes) -> None:
        was_ready = self._link.ready
        try:
            reply = self._link.on_handshake(payload)
        except HandshakeFailed as exc:
            log.warning("the end-to-end handshake failed: %s", exc.message)
            self._security_failure()
            return
        if reply is not None:
            self._queue(reply)  # the key offer: the one frame the sharer sends in the clear
            self._arm_secure_timer(self._handshake_timeout)
        elif self._link.ready and not was_ready:
            self._on_secured()

    def _on_secured(self) -> None:
        self._cancel_secure_timer()
        held, self._held = list(self._held), deque(maxlen=self._held.maxlen)
        for item in held:
            self._queue(item)
        self._offer_consent()
        if self.guard.video_allowed:
            self._send_monitors()
            self._keyframe()

    def _offer_consent(self) -> None:
        """Ask the person, once the check digits are known; until then say what is going on."""
        mode, helper = self._pending_consent, self._consent_helper
        if mode is None or self._consent_shown is mode:
            return
        check = self._link.check
        if check is None or not self._link.ready:
            self._emit(Notice(SECURING))
            return
        self._consent_shown = mode
        self._emit(ConsentRequested(mode, helper, check))

    def _check_link(self) -> None:
        if self._link.failed:
            self._security_failure()

    def _security_failure(self) -> None:
        """End now: nothing more leaves; the service hears `security_failure`, not `end`."""
        if self._done():
            return
        self.failed = True
        self._goodbye = SecurityFailure()
        self.guard.end()
        self._apply_guard()
        self._finish(SECURITY_FAILED)

    def _arm_secure_timer(self, seconds: float) -> None:
        self._cancel_secure_timer()
        if self._loop is not None:
            self._secure_timer = self._loop.call_later(seconds, self._secure_timeout)

    def _cancel_secure_timer(self) -> None:
        if self._secure_timer is not None:
            self._secure_timer.cancel()
            self._secure_timer = None

    def _secure_timeout(self) -> None:
        self._secure_timer = None
        if not self._link.ready and not self._done():
            log.warning("the end-to-end handshake did not complete in time")
            self._security_failure()

    def _on_e2e(self, payload: bytes) -> None:
        control = parse_e2e_control(payload)
        pipeline = self._pipeline
        if pipeline is None:
            return
        if isinstance(control, SelectMonitor):
            if control.id not in {m.id for m in pipeline.monitors()}:
                return
            self._release_input()
            pipeline.select_monitor(control.id)
            if self._injector is not None:
                self._injector.set_monitor(pipeline.monitor)
            self._emit(MonitorChanged(monitor_info(pipeline.monitor)))
            self._send_monitors()
            self._keyframe()
        elif isinstance(control, Refresh):
            self._keyframe()

    # Effects ------------------------------------------------------------------------------

    def _apply_guard(self) -> bool:
        """Make capture and input follow the guard; True if video just became allowed."""
        pipeline = self._pipeline
        allowed = self.guard.video_allowed
        was = self._video_on
        self._video_on = allowed
        if pipeline is not None:
            pipeline.set_enabled(allowed)
        if not self.guard.input_allowed:
            self._release_input()
        if allowed and not was:
            self._send_monitors()
            return True
        return False

    def _keyframe(self) -> None:
        if self._pipeline is not None and self.guard.video_allowed:
            self._pipeline.request_keyframe()

    def _send_monitors(self) -> None:
        pipeline = self._pipeline
        if pipeline is None:
            return
        current = pipeline.monitor
        listing = MonitorList(tuple(monitor_info(m) for m in pipeline.monitors()), current.id)
        self._queue(_Plain(FrameKind.CONTROL_E2E, encode_payload(listing)))

    def _inject(self, event: InputEvent) -> None:
        injector = self._injector
        if injector is None or self._inject_closed:
            return
        guard = self.guard

        def apply() -> None:
            # Checked again on the injection thread: a pause between receipt and injection wins.
            if isinstance(event, ReleaseAll) or guard.input_allowed:
                injector.apply(event)

        self._inject_thread.submit(apply)

    def _release_input(self) -> None:
        injector = self._injector
        if injector is not None and not self._inject_closed:
            self._inject_thread.submit(injector.release_all)

    def _frame(
        self,
        kind: FrameKind,
        payload: bytes,
        *,
        flags: FrameFlags = FrameFlags.NONE,
        timestamp_us: int = 0,
    ) -> bytes:
        """The encrypted frame, ready to send now (callers check `_link.ready` first)."""
        self._sequence = (self._sequence + 1) % 2**32
        return self._link.seal(
            kind, payload, sequence=self._sequence, timestamp_us=timestamp_us, flags=flags
        )

    def _queue(self, item: ClientMessage | bytes | _Plain) -> None:
        try:
            self._outbox.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("dropped an outgoing message: the connection is not draining")

    def _emit(self, event: SessionEvent) -> None:
        try:
            self._listener(event)
        except Exception:  # a UI bug must not take the session (and the guard) down
            log.exception("the UI failed to handle %s", type(event).__name__)

    def _emit_status(self) -> None:
        state = self._last_state
        if state is None:
            return
        self._emit(
            StatusChanged(
                SessionStatus(
                    helper=self.ticket.helper,
                    phase=state.phase,
                    mode=self.guard.mode,
                    paused=self.guard.paused,
                    helper_connected=state.helper_connected,
                    connected=self._connection is not None,
                )
            )
        )

    def _finish(self, message: str) -> None:
        self.guard.end()
        if self._finished is not None and not self._finished.done():
            self._apply_guard()
            self._emit(SessionFinished(message))
            self._finished.set_result(message)

    async def _shutdown(self) -> None:
        self.guard.end()
        self._cancel_secure_timer()
        self._link.reset()
        pipeline, injector = self._pipeline, self._injector
        if pipeline is not None:
            pipeline.set_enabled(False)
        if injector is not None:
            # Always, whatever happened: never leave a key or button held down.
            await asyncio.get_running_loop().run_in_executor(
                self._inject_thread, injector.release_all
            )
            await asyncio.get_running_loop().run_in_executor(self._inject_thread, injector.close)
        self._inject_closed = True
        self._inject_thread.shutdown(wait=True)
        if pipeline is not None:
            with contextlib.suppress(Exception):  # stopping must not hide why the session ended
                await pipeline.stop()
        connection, self._connection = self._connection, None
        if connection is not None:
            if not self._service_knows_end:
                with contextlib.suppress(RelayClosed):
                    await connection.send_control(self._goodbye)
            await connection.close()


def _close_sentence(closed: RelayClosed) -> str:
    if closed.code == 4409:
        return "This session was opened again somewhere else; this window has stopped sharing."
    if closed.code in (4401, 4404, 4410):
        return "This session is no longer available. Ask your helper for a new code."
    return closed.message
