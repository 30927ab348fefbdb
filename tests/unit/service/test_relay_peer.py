"""RelayPeer on its own: queue order, dropping stale video, purging on a state change,
backpressure and closing, over a real Starlette WebSocket on an in-memory ASGI transport.

`Transport` is the other end of the ASGI connection: what the peer sends arrives in `sent`, and
closing `gate` makes the transport stop taking messages, as a client that stopped reading would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.websockets import WebSocket

from quickassist.protocol.close_codes import CloseCode
from quickassist.protocol.frames import FrameKind
from quickassist.protocol.messages import (
    Allow,
    ChooseMode,
    Pause,
    PeerReturned,
    RevokeControl,
    parse_server_message,
)
from quickassist.protocol.roles import HelperCard, Mode, Role
from quickassist.protocol.session import (
    Act,
    Event,
    Reconnected,
    SessionPolicy,
    SessionState,
    SharerJoined,
    transition,
)
from quickassist.service.relay import RelayLimits, RelayPeer
from tests.timeouts import QUIET, WAIT

Message = dict[str, Any]
SCOPE: Message = {"type": "websocket", "path": "/ws", "headers": []}


@dataclass
class Transport:
    """The client end of one ASGI WebSocket connection, in memory."""

    sent: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set when the peer is inside a send, waiting for the gate.
    sending: asyncio.Event = field(default_factory=asyncio.Event)
    _connected: bool = False

    def __post_init__(self) -> None:
        self.gate.set()

    async def receive(self) -> Message:
        if not self._connected:
            self._connected = True
            return {"type": "websocket.connect"}
        await asyncio.Event().wait()  # the client says nothing more
        raise AssertionError("unreachable")

    async def send(self, message: Message) -> None:
        self.sending.set()
        await self.gate.wait()
        self.sending.clear()
        await self.sent.put(message)

    async def next(self) -> Message:
        return await asyncio.wait_for(self.sent.get(), WAIT)

    async def next_data(self) -> bytes | str:
        message = await self.next()
        assert message["type"] == "websocket.send", message
        data: bytes | str = message.get("bytes") or message["text"]
        return data


@pytest.fixture
async def transport() -> Transport:
    return Transport()


async def started_peer(transport: Transport, limits: RelayLimits) -> RelayPeer:
    websocket = WebSocket(
        {"type": "websocket", "path": "/ws", "headers": []}, transport.receive, transport.send
    )
    await websocket.accept()
    assert (await transport.next())["type"] == "websocket.accept"
    peer = RelayPeer(websocket, Role.HELPER, limits)
    peer.start()
    return peer


@pytest.fixture
async def peer(transport: Transport) -> AsyncIterator[RelayPeer]:
    started = await started_peer(transport, RelayLimits(droppable_queue_frames=3))
    yield started
    await started.stop()


def states(*events: Event) -> list[SessionState]:
    """The states a session goes through, from a new one, for these events."""
    policy = SessionPolicy()
    state = SessionState.new(HelperCard("Ada L.", "Contoso"), 0.0, policy)
    seen = []
    for event in events:
        state = transition(state, event, 0.0, policy).state
        seen.append(state)
    return seen


JOINED = (Reconnected(Role.HELPER), SharerJoined(), Reconnected(Role.SHARER))
ACTIVE_CONTROL = (
    *JOINED,
    Act(Role.HELPER, ChooseMode(Mode.CONTROL)),
    Act(Role.SHARER, Allow(Mode.CONTROL)),
)


async def stall(transport: Transport, peer: RelayPeer) -> None:
    """Stop the client reading, with one frame (b"in-flight") stuck in the send."""
    transport.gate.clear()
    peer.push_frame(FrameKind.VIDEO, b"in-flight")
    await asyncio.wait_for(transport.sending.wait(), WAIT)


async def test_never_dropped_traffic_goes_first_in_order_then_video(
    transport: Transport, peer: RelayPeer
) -> None:
    await stall(transport, peer)
    peer.push_frame(FrameKind.VIDEO, b"video")
    peer.push_frame(FrameKind.CHAT, b"chat-1")
    peer.send_message(PeerReturned(Role.SHARER))
    peer.push_frame(FrameKind.INPUT, b"input")
    transport.gate.set()
    received = [await transport.next_data() for _ in range(5)]
    assert received[0] == b"in-flight"
    assert received[1] == b"chat-1"
    assert parse_server_message(received[2]) == PeerReturned(Role.SHARER)
    assert received[3:] == [b"input", b"video"]


async def test_stale_video_is_dropped_oldest_first_and_the_caller_told(
    transport: Transport, peer: RelayPeer
) -> None:
    await stall(transport, peer)
    kept = [peer.push_frame(FrameKind.VIDEO, f"v{i}".encode()) for i in range(5)]
    assert kept == [True, True, True, False, False]  # the queue holds 3
    assert peer.push_frame(FrameKind.CHAT, b"chat")  # never dropped, whatever the backlog
    transport.gate.set()
    received = [await transport.next_data() for _ in range(5)]
    assert received == [b"in-flight", b"chat", b"v2", b"v3", b"v4"]


async def test_a_pause_purges_queued_pixels_and_a_revoke_queued_input(
    transport: Transport, peer: RelayPeer
) -> None:
    active, paused = states(*ACTIVE_CONTROL, Act(Role.SHARER, Pause()))[-2:]
    await stall(transport, peer)
    peer.on_state(active)
    for kind, data in [
        (FrameKind.VIDEO, b"video"),
        (FrameKind.CURSOR, b"cursor"),
        (FrameKind.ANNOTATION, b"pen"),
        (FrameKind.INPUT, b"key"),
        (FrameKind.CHAT, b"chat"),
    ]:
        peer.push_frame(kind, data)
    peer.on_state(paused)
    transport.gate.set()
    received = [await transport.next_data() for _ in range(2)]
    assert received == [b"in-flight", b"chat"]

    view_only = states(*ACTIVE_CONTROL, Act(Role.SHARER, RevokeControl()))[-1]
    await stall(transport, peer)
    peer.push_frame(FrameKind.INPUT, b"key")
    peer.push_frame(FrameKind.CLIPBOARD, b"secret")
    peer.push_frame(FrameKind.VIDEO, b"video")
    peer.on_state(view_only)
    transport.gate.set()
    assert [await transport.next_data() for _ in range(2)] == [b"in-flight", b"video"]


async def test_a_backlog_of_never_dropped_frames_holds_the_sender_until_it_drains(
    transport: Transport,
) -> None:
    peer = await started_peer(transport, RelayLimits(reliable_backpressure_bytes=100))
    try:
        await stall(transport, peer)
        peer.push_frame(FrameKind.CHAT, bytes(60))
        await asyncio.wait_for(peer.drained(), WAIT)  # 60 bytes: under the mark, no wait
        peer.push_frame(FrameKind.CHAT, bytes(60))
        waiting = asyncio.ensure_future(peer.drained())
        done, _ = await asyncio.wait({waiting}, timeout=QUIET)
        assert not done  # 120 bytes owed: the sender is held
        transport.gate.set()
        await asyncio.wait_for(waiting, WAIT)
    finally:
        await peer.stop()


async def test_a_side_that_never_reads_is_closed_as_too_slow(transport: Transport) -> None:
    peer = await started_peer(
        transport, RelayLimits(reliable_backpressure_bytes=100, reliable_queue_bytes=1000)
    )
    try:
        await stall(transport, peer)
        for _ in range(20):
            peer.push_frame(FrameKind.CHAT, bytes(100))
        peer.send_message(PeerReturned(Role.SHARER))  # after the verdict: not queued
        transport.gate.set()
        assert await transport.next_data() == b"in-flight"
        closing = await transport.next()
        assert closing == {
            "type": "websocket.close",
            "code": CloseCode.TOO_SLOW,
            "reason": CloseCode.TOO_SLOW.sentence,
        }
        await asyncio.wait_for(peer.closed.wait(), WAIT)
        # A sender held back by this side is let go once it is closed.
        await asyncio.wait_for(peer.drained(), WAIT)
    finally:
        await peer.stop()


async def test_close_sends_what_was_queued_then_the_first_reason_given(
    transport: Transport, peer: RelayPeer
) -> None:
    peer.send_message(PeerReturned(Role.SHARER))
    await peer.close(CloseCode.NORMAL, "The helper ended the session.")
    await peer.close(CloseCode.GOING_AWAY, "a later reason")
    assert parse_server_message(await transport.next_data()) == PeerReturned(Role.SHARER)
    assert await transport.next() == {
        "type": "websocket.close",
        "code": CloseCode.NORMAL,
        "reason": "The helper ended the session.",
    }
    await asyncio.wait_for(peer.closed.wait(), WAIT)


async def test_a_connection_gone_under_the_writer_ends_it_quietly() -> None:
    async def gone(message: Message) -> None:
        if message["type"] == "websocket.send":
            raise OSError("connection reset")

    async def connect() -> Message:
        return {"type": "websocket.connect"}

    websocket = WebSocket(SCOPE, connect, gone)
    await websocket.accept()
    peer = RelayPeer(websocket, Role.SHARER, RelayLimits())
    peer.start()
    peer.push_frame(FrameKind.CHAT, b"chat")
    await asyncio.wait_for(peer.closed.wait(), WAIT)
    await peer.stop()
