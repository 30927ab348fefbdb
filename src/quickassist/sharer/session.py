"""The sharer's session driver: the relay connection, capture and input, around a pure controller.

Every decision is `SharerController`'s (sharer/controller.py, where the sequence is told); this
module only moves things and carries out the effects it returns (sharer/controller_effects.py):

* three loops: receive (server messages and frames into the controller; reconnect with
  backoff within the grace period, with the same token, after a drop), send (the outbox,
  each queued send sealed by the controller at the moment it is written, so counters leave in
  order) and video (each captured frame offered to the controller, which seals or drops it);
* the handshake timer: `loop.call_later` for each `ArmTimer`, ticking the controller with
  `time.monotonic()`;
* capture (`FrameSource`) and injection (`InjectionWorker`, on its own thread);
* the end: capture off, held input released, injection closed, the controller's goodbye
  (`end` or `security_failure`) sent unless the service already knows.

All methods run on the session's event loop; a UI on another thread uses `call_soon`.
The UI's callbacks (`listener`) are called on the loop thread and must not block.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from ..protocol.close_codes import CloseCode
from ..protocol.frames import Frame
from ..protocol.roles import Mode
from . import controller_effects as fx
from .client import JoinTicket, RelayConnection, SessionClient
from .controller import SECURITY_FAILED, YOU_ENDED, MonitorLayout, SharerController
from .errors import ConnectionLost, RelayClosed, SharerError
from .injection import InjectionWorker
from .media_ports import FrameSource, MediaFactory, monitor_info
from .pacing import FlowWindow
from .session_events import Listener, SessionEvent

__all__ = ["SECURITY_FAILED", "SharerSession"]

log = logging.getLogger(__name__)

FAILED_BY_BUG = "The session stopped because of an error. Start a new session."


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
        first_handshake_timeout: float = 20.0,  # from a connected helper to its first commit
        # Limits
        max_pending_sends: int = 64,
    ) -> None:
        self.client = client
        self.ticket = ticket
        self._controller = SharerController(
            ticket.session_id,
            ticket.helper,
            handshake_timeout=handshake_timeout,
            first_handshake_timeout=first_handshake_timeout,
            max_held=max_pending_sends,
        )
        self.guard = self._controller.guard
        self._media = media
        self._listener = listener
        self._reconnect_grace = reconnect_grace
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._outbox: asyncio.Queue[fx.Send] = asyncio.Queue(max_pending_sends)
        #: Set when the flow window opens (the console drew frames): video may go on.
        self._window_opened = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None
        self._connection: RelayConnection | None = None
        self._pipeline: FrameSource | None = None
        self._capturing = False  # the pipeline started: it knows its monitors
        self._injection: InjectionWorker | None = None
        self._finished: asyncio.Future[str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def pacing(self) -> FlowWindow:
        """The video in flight to the console (for status and tests; the controller's)."""
        return self._controller.pacing

    @property
    def failed(self) -> bool:
        """Whether the session ended because something failed here (not a person's choice)."""
        return self._controller.failed

    # Running ------------------------------------------------------------------------------

    async def run(self) -> str:
        """Run until the session ends; returns the sentence saying why it ended."""
        self._loop = asyncio.get_running_loop()
        self._finished = self._loop.create_future()
        if self._controller.finished:  # ended before it started (the window closed while joining)
            return YOU_ENDED
        try:
            self._connection = await self.client.connect(self.ticket)
            self._carry_out(self._controller.connected())
            pipeline, injector = self._media()
            self._pipeline = pipeline
            self._injection = InjectionWorker(injector, allowed=lambda: self.guard.input_allowed)
            pipeline.set_enabled(False)  # nothing is captured before Allow
            await pipeline.start()
            self._injection.set_monitor(pipeline.monitor)
            self._capturing = True
            self._carry_out(self._controller.media_started(self._layout(pipeline)))
            async with asyncio.TaskGroup() as tasks:
                workers = [
                    tasks.create_task(self._until_failure(self._receive_loop())),
                    tasks.create_task(self._until_failure(self._send_loop())),
                    tasks.create_task(self._until_failure(self._video_loop(pipeline))),
                ]
                message = await self._finished
                for worker in workers:
                    worker.cancel()
            return message
        except SharerError as exc:
            self._carry_out(self._controller.stop(exc.message, failed=True))
            return exc.message
        finally:
            await self._shutdown()

    def call_soon(self, action: Callable[..., Any], *args: Any) -> None:
        """Run `action(*args)` on the session's loop; safe from any thread (the Qt UI's)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(action, *args)

    # The person's actions (loop thread) ---------------------------------------------------

    def answer_consent(self, seen: Mode, allow: bool) -> None:
        """The person's answer to the question asking for `seen` (a stale one is refused)."""
        self._feed(self._controller.answer_consent, seen, allow)

    def pause(self) -> None:
        self._feed(self._controller.pause)

    def resume(self) -> None:
        self._feed(self._controller.resume)

    def revoke_control(self) -> None:
        self._feed(self._controller.revoke_control)

    def send_chat(self, text: str) -> None:
        self._carry_out(
            self._controller.send_chat(
                text, message_id=uuid.uuid4().hex, sent_at_ms=int(time.time() * 1000)
            )
        )

    def end(self) -> None:
        """End the session now: nothing more leaves, held input is released, the service told."""
        self._feed(self._controller.end)

    # Loops --------------------------------------------------------------------------------

    async def _until_failure(self, loop: Coroutine[Any, Any, None]) -> None:
        """Run one of the loops; a failure ends the session with a sentence, never silently."""
        try:
            await loop
        except SharerError as exc:
            self._carry_out(self._controller.stop(exc.message, failed=True))
        except Exception:  # a bug: log it, end visibly (and `_shutdown` releases the input)
            log.exception("a session loop failed")
            self._carry_out(self._controller.stop(FAILED_BY_BUG, failed=True))

    async def _receive_loop(self) -> None:
        while not self._done():
            connection = self._connection
            if connection is None:
                await self._reconnect()
                continue
            try:
                message = await connection.receive()
            except RelayClosed as closed:
                self._connection = None
                self._carry_out(self._controller.closed(closed.code, closed.message))
                continue
            self._sync_layout()
            if isinstance(message, Frame):
                self._carry_out(self._controller.received_frame(message, time.monotonic()))
            else:
                self._carry_out(self._controller.server_message(message, time.monotonic()))

    async def _send_loop(self) -> None:
        while True:
            queued = await self._outbox.get()
            connection = self._connection
            if connection is None:
                log.info("dropped an outgoing message while disconnected")
                continue
            # Sealed right before the write, with no await between: counters leave in order.
            for send in self._controller.outgoing(queued):
                try:
                    if isinstance(send, fx.SendFrame):
                        await connection.send_frame(send.data)
                    else:
                        await connection.send_control(send.message)
                except RelayClosed:
                    log.info("the connection closed while sending")

    async def _video_loop(self, pipeline: FrameSource) -> None:
        while True:
            frame = await self._next_frame(pipeline)
            connection = self._connection
            if connection is None:
                continue
            for send in self._controller.captured(frame, time.monotonic()):
                with contextlib.suppress(RelayClosed):
                    await connection.send_frame(send.data)

    async def _next_frame(self, pipeline: FrameSource) -> Any:
        """The next frame to send; video only while the flow window has room.

        While it is full, cursor and control frames still go, and capture waits, merging
        changes (a picture taken now would be stale when it may leave); the window opens on
        the console's acknowledgement (`WindowOpened`) or, if none comes, at the controller's
        timeout.
        """
        while True:
            hold = self._controller.video_hold(time.monotonic())
            pipeline.hold_video(hold is not None)
            if hold is None:
                return await pipeline.next_frame()
            self._window_opened.clear()
            other = asyncio.ensure_future(pipeline.next_frame(video=False))
            opened = asyncio.ensure_future(self._window_opened.wait())
            try:
                await asyncio.wait(
                    (other, opened), timeout=hold, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                # (next_frame only waits for the capture thread: cancelled, it loses nothing.)
                other.cancel()
                opened.cancel()
            if other.done() and not other.cancelled():
                return other.result()

    async def _reconnect(self) -> None:
        deadline = time.monotonic() + self._reconnect_grace
        backoff = self._first_backoff
        while not self._done() and time.monotonic() < deadline:
            await asyncio.sleep(min(backoff, max(0.0, deadline - time.monotonic())))
            backoff = min(backoff * 2, self._max_backoff)
            try:
                connection = await self.client.connect(self.ticket)
            except RelayClosed as closed:
                if CloseCode.is_final(closed.code):
                    self._carry_out(self._controller.stop(closed.message, failed=False))
                    return
                continue
            except SharerError:
                continue
            self._connection = connection
            self._carry_out(self._controller.connected())
            return
        self._carry_out(self._controller.stop(ConnectionLost().message, failed=True))

    def _done(self) -> bool:
        return self._finished is None or self._finished.done()

    # Carrying out -------------------------------------------------------------------------

    def _feed(self, call: Callable[..., list[fx.Effect]], *args: Any) -> None:
        self._sync_layout()
        self._carry_out(call(*args))

    def _carry_out(self, effects: list[fx.Effect]) -> None:
        if self._loop is None:
            return  # not running yet: nothing to stop, send or tell (`run` sees the end)
        pipeline, injection = self._pipeline, self._injection
        for effect in effects:
            match effect:
                case fx.SendControl() | fx.SendFrame() | fx.SendEncrypted():
                    self._queue(effect)
                case fx.SetCapture(enabled=enabled):
                    if pipeline is not None:
                        pipeline.set_enabled(enabled)
                case fx.RequestKeyframe(video=video):
                    if pipeline is not None:
                        if video is not None:
                            pipeline.set_video_codecs(video)
                        pipeline.request_keyframe()
                case fx.WindowOpened(link=link):
                    self._window_opened.set()
                    if pipeline is not None:
                        pipeline.set_link(link)
                case fx.SetQuality(mode=mode):
                    if pipeline is not None:
                        pipeline.set_quality_mode(mode)
                case fx.SelectMonitor(monitor=monitor):
                    if pipeline is not None and injection is not None:
                        pipeline.select_monitor(monitor.id)
                        injection.set_monitor(pipeline.monitor)
                case fx.Inject(event=event):
                    if injection is not None:
                        injection.inject(event)
                case fx.ReleaseInput():
                    if injection is not None:
                        injection.release_all()
                case fx.Emit(event=event):
                    self._emit(event)
                case fx.ArmTimer(deadline=deadline):
                    self._arm_timer(deadline)
                case fx.CancelTimer():
                    self._cancel_timer()
                case fx.Finish(sentence=sentence):
                    if self._finished is not None and not self._finished.done():
                        self._finished.set_result(sentence)

    def _queue(self, send: fx.Send) -> None:
        try:
            self._outbox.put_nowait(send)
        except asyncio.QueueFull:
            log.warning("dropped an outgoing message: the connection is not draining")

    def _emit(self, event: SessionEvent) -> None:
        try:
            self._listener(event)
        except Exception:  # a UI bug must not take the session (and the guard) down
            log.exception("the UI failed to handle %s", type(event).__name__)

    def _arm_timer(self, deadline: float) -> None:
        self._cancel_timer()
        if self._loop is not None:
            delay = max(0.0, deadline - time.monotonic())
            self._timer = self._loop.call_later(delay, self._on_timer)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        self._carry_out(self._controller.tick(time.monotonic()))

    def _sync_layout(self) -> None:
        """Tell the controller the monitors as capture sees them now (they change on hotplug)."""
        if self._capturing and self._pipeline is not None:
            self._controller.set_layout(self._layout(self._pipeline))

    @staticmethod
    def _layout(pipeline: FrameSource) -> MonitorLayout:
        monitors = tuple(monitor_info(m) for m in pipeline.monitors())
        return MonitorLayout(monitors, monitor_info(pipeline.monitor))

    async def _shutdown(self) -> None:
        goodbye = self._controller.shut_down()
        self._cancel_timer()
        pipeline, injection = self._pipeline, self._injection
        if pipeline is not None:
            pipeline.set_enabled(False)
        if injection is not None:
            await injection.close()  # releases every key and button first, whatever happened
        if pipeline is not None:
            with contextlib.suppress(Exception):  # stopping must not hide why the session ended
                await pipeline.stop()
        connection, self._connection = self._connection, None
        if connection is not None:
            if goodbye is not None:
                with contextlib.suppress(RelayClosed):
                    await connection.send_control(goodbye)
            await connection.close()
