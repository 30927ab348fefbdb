"""The relay: one WebSocket per side, binary frames forwarded between the two sides of a session.

The relay reads only the 10-byte clear header of a binary frame (`protocol.frames.parse_header`)
and judges it with `protocol.relay_policy`; payloads are never parsed, so the same code relays
end-to-end-encrypted frames. Each side has bounded queues: control messages and non-droppable
frames (input, chat, annotation, ...) are never dropped; video and cursor frames for a helper that
drains slowly are dropped oldest first, and the sharer is asked for a keyframe (`resync`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ..protocol.close_codes import CloseCode
from ..protocol.errors import FrameError, IllegalEvent, MessageError, OversizedFrame
from ..protocol.frames import FrameFlags, FrameKind, parse_header
from ..protocol.messages import ErrorNotice, Resync, ServerMessage, encode, parse_client_message
from ..protocol.relay_policy import DROPPABLE, Verdict, allowed_now, judge
from ..protocol.roles import Role
from ..protocol.session import SessionState
from .hub import LiveSession, SessionHub

log = logging.getLogger(__name__)

#: Features the relay can see from a frame's clear kind, for anonymous telemetry.
_FEATURE_OF_KIND = {
    FrameKind.CHAT: "chat",
    FrameKind.ANNOTATION: "annotation",
    FrameKind.CLIPBOARD: "clipboard",
}


@dataclass(frozen=True, slots=True)
class RelayLimits:
    max_frame_bytes: int = 4 * 1024 * 1024
    #: Video/cursor frames queued for one helper before the oldest is dropped. A few frames
    #: absorb jitter; more would only add latency to a link that is already behind.
    droppable_queue_frames: int = 8
    #: Never-dropped traffic queued for a side before the relay stops reading from its sender
    #: (backpressure through TCP) until the queue drains below half of it.
    reliable_backpressure_bytes: int = 1024 * 1024
    #: Never-dropped traffic a side may owe before it is judged not to be reading at all.
    reliable_queue_bytes: int = 32 * 1024 * 1024
    #: How long a side the relay closes gets to take what was queued for it (an `ended`, the
    #: close reason) before its writer is stopped: loopback and LAN need milliseconds.
    close_flush_seconds: float = 1.0


_CLOSE = object()


class RelayPeer:
    """One side's WebSocket: a writer task drains its queues in order, control first."""

    def __init__(self, websocket: WebSocket, role: Role, limits: RelayLimits) -> None:
        self.websocket = websocket
        self.role = role
        self._limits = limits
        self._reliable: deque[tuple[FrameKind | None, str | bytes]] = deque()
        self._reliable_bytes = 0
        self._droppable: deque[tuple[FrameKind, bytes]] = deque()
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._close: tuple[CloseCode, str] | None = None
        self._writer: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()

    # Hub's side (Peer protocol) ----------------------------------------------------------------

    def send_message(self, message: ServerMessage) -> None:
        self._push_reliable(None, encode(message))

    def on_state(self, state: SessionState) -> None:
        # What the new state forbids must not leave a queue either (no pixel after pause).
        self._droppable = deque(item for item in self._droppable if allowed_now(item[0], state))
        kept = [(k, d) for k, d in self._reliable if k is None or allowed_now(k, state)]
        if len(kept) != len(self._reliable):
            self._reliable = deque(kept)
            self._reliable_bytes = sum(len(d) for _k, d in kept)
            if self._reliable_bytes <= self._limits.reliable_backpressure_bytes // 2:
                self._drained.set()

    async def close(self, code: CloseCode, reason: str) -> None:
        if self._close is None:
            self._close = (code, reason)
            self._wake.set()

    @property
    def closing(self) -> bool:
        """The relay asked to close this side (its writer sends what is queued, then closes)."""
        return self._close is not None

    # Relay's side ------------------------------------------------------------------------------

    def push_frame(self, kind: FrameKind, data: bytes) -> bool:
        """Queue a frame for this side; False if an older droppable frame was dropped for it."""
        if kind in DROPPABLE:
            dropped = False
            if len(self._droppable) >= self._limits.droppable_queue_frames:
                self._droppable.popleft()
                dropped = True
            self._droppable.append((kind, data))
            self._wake.set()
            return not dropped
        self._push_reliable(kind, data)
        return True

    def _push_reliable(self, kind: FrameKind | None, data: str | bytes) -> None:
        if self._close is not None:
            return
        self._reliable.append((kind, data))
        self._reliable_bytes += len(data)
        if self._reliable_bytes > self._limits.reliable_queue_bytes:
            self._reliable.clear()
            self._close = (CloseCode.TOO_SLOW, CloseCode.TOO_SLOW.sentence)
        elif self._reliable_bytes > self._limits.reliable_backpressure_bytes:
            self._drained.clear()
        self._wake.set()

    async def drained(self) -> None:
        """Wait until this side's never-dropped backlog is small again (or the side closed)."""
        if not self._drained.is_set():
            closed = asyncio.ensure_future(self.closed.wait())
            drained = asyncio.ensure_future(self._drained.wait())
            await asyncio.wait((closed, drained), return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            drained.cancel()

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_forever(), name=f"relay-writer-{self.role}")

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    async def _write_forever(self) -> None:
        ws = self.websocket
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._reliable or self._droppable:
                    if self._reliable:
                        _kind, data = self._reliable.popleft()
                        self._reliable_bytes -= len(data)
                        if self._reliable_bytes <= self._limits.reliable_backpressure_bytes // 2:
                            self._drained.set()
                    else:
                        _kind, data = self._droppable.popleft()
                    if isinstance(data, str):
                        await ws.send_text(data)
                    else:
                        await ws.send_bytes(data)
                if self._close is not None:
                    code, reason = self._close
                    if ws.application_state is WebSocketState.CONNECTED:
                        await ws.close(code, reason)
                    return
        except (WebSocketDisconnect, RuntimeError, OSError):
            return  # the peer went away; the reader notices and detaches
        finally:
            self.closed.set()


async def close_before_session(websocket: WebSocket, code: CloseCode, reason: str) -> None:
    """Accept only to say why not: a browser cannot read the reason of a refused handshake."""
    await websocket.accept()
    await websocket.close(code, reason)


async def run_side(
    hub: SessionHub,
    session: LiveSession,
    role: Role,
    websocket: WebSocket,
    limits: RelayLimits,
) -> None:
    """Serve one side's accepted WebSocket until it closes or the session ends."""
    if session.state.ended:
        reason = session.state.end_reason
        sentence = reason.sentence_for(role) if reason else CloseCode.ALREADY_ENDED.sentence
        await websocket.close(CloseCode.ALREADY_ENDED, sentence)
        return
    peer = RelayPeer(websocket, role, limits)
    peer.start()
    await hub.attach(session, role, peer)
    try:
        while not peer.closed.is_set():
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            data = message.get("bytes")
            if data is not None:
                if not await _relay_frame(hub, session, role, peer, data, limits):
                    break
                continue
            text = message.get("text")
            if text is not None and not await _handle_control(hub, session, role, peer, text):
                break
    except (WebSocketDisconnect, RuntimeError):
        pass  # a dropped connection is ordinary; the session's grace period starts below
    finally:
        # The other side hears of the drop here, before this side's writer is stopped.
        await hub.detach(session, role, peer)
        if peer.closing:
            # The relay closes this side (the session ended, a refused frame, replaced): what
            # it queued first (an `ended`, the close reason) may still reach the client,
            # briefly: a client that stopped reading does not hold the handler longer.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(peer.closed.wait(), timeout=limits.close_flush_seconds)
        # Else the client closed or vanished: nothing queued can reach it any more, so its
        # writer stops at once (waiting here only held the connection's task for a second).
        await peer.stop()


def _refused(hub: SessionHub, session: LiveSession, reason: str) -> None:
    """A message the relay could not read: one error for the session's record, one count for
    /metrics (`frames_refused`, beside the server's `invalid_utf8`), by what was wrong."""
    hub.note_error(session)
    hub.metrics.frames_refused[reason] += 1


async def _handle_control(
    hub: SessionHub, session: LiveSession, role: Role, peer: RelayPeer, text: str
) -> bool:
    try:
        action = parse_client_message(text)
    except MessageError as exc:
        _refused(hub, session, "malformed_message")
        await peer.close(CloseCode.MALFORMED, exc.message)
        return False
    try:
        await hub.act(session, role, action)
    except IllegalEvent as exc:
        peer.send_message(ErrorNotice(exc.code, exc.message))
    return True


async def _relay_frame(
    hub: SessionHub,
    session: LiveSession,
    role: Role,
    peer: RelayPeer,
    data: bytes,
    limits: RelayLimits,
) -> bool:
    try:
        header = parse_header(data, max_payload=limits.max_frame_bytes)
    except OversizedFrame as exc:
        _refused(hub, session, "oversized_frame")
        await peer.close(CloseCode.MESSAGE_TOO_BIG, exc.message)
        return False
    except FrameError as exc:
        _refused(hub, session, "malformed_header")
        await peer.close(CloseCode.MALFORMED, exc.message)
        return False
    verdict = judge(header.kind, role, session.state)
    metrics = hub.metrics
    if verdict is not Verdict.FORWARD:
        metrics.frames_dropped[verdict.value] += 1
        return True
    target = session.peers.get(role.other)
    if target is None:
        metrics.frames_dropped["peer_absent"] += 1
        return True
    kept_all = target.push_frame(header.kind, data)
    hub.note_relayed(session, len(data), _FEATURE_OF_KIND.get(header.kind))
    # A receiver behind on never-dropped frames slows its sender down rather than piling up.
    await target.drained()
    if not kept_all:
        metrics.frames_dropped["slow_receiver"] += 1
        if not session.resync_pending:
            session.resync_pending = True
            sharer = session.peers.get(Role.SHARER)
            if sharer is not None:
                sharer.send_message(Resync())
    elif header.kind is FrameKind.VIDEO and header.flags & FrameFlags.KEYFRAME:
        session.resync_pending = False
    return True
