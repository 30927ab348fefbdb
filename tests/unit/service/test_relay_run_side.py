"""`relay.run_side` on its own: how a side's handler ends, over a real Starlette WebSocket on an
in-memory ASGI transport, with the real hub (the other side is a `RecordingPeer`).

A side that closes its own connection must not hold the handler: nothing queued can reach it
any more. A side the relay closes still gets what was queued for it, then the reason. How fast
is measured by counting event-loop turns, never by a clock.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket

from quickassist.protocol.close_codes import CloseCode
from quickassist.protocol.frames import FrameKind, encode_frame
from quickassist.protocol.messages import PeerLeft, ServerMessage, parse_server_message
from quickassist.protocol.roles import Role
from quickassist.service.relay import RelayLimits, run_side
from tests.timeouts import WAIT
from tests.unit.service.test_hub import Hub, RecordingPeer, joined_session, made

__all__ = ["made"]  # the hub fixture, shared with test_hub

Message = dict[str, Any]
#: Event-loop turns a handler may take to finish once its client is gone: a handful of awaits
#: (detach, stopping the writer). The 1 s linger this replaces took thousands of turns.
PROMPT_TURNS = 50


@dataclass
class ScriptedClient:
    """The client end of one ASGI WebSocket: says what `script` holds, then waits (or leaves)."""

    script: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    sent: list[Message] = field(default_factory=list)
    #: Set when the relay sent its first text message (the side is attached).
    heard: asyncio.Event = field(default_factory=asyncio.Event)
    _connected: bool = False

    async def receive(self) -> Message:
        if not self._connected:
            self._connected = True
            return {"type": "websocket.connect"}
        return await self.script.get()

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        if "text" in message:
            self.heard.set()

    def say(self, message: Message) -> None:
        self.script.put_nowait(message)


@dataclass
class OtherSide(RecordingPeer):
    """The other side, keeping frames and messages in the one order they were handed over."""

    handed: list[bytes | ServerMessage] = field(default_factory=list)

    def send_message(self, message: ServerMessage) -> None:
        super().send_message(message)
        self.handed.append(message)

    def push_frame(self, kind: FrameKind, data: bytes) -> bool:
        self.handed.append(data)
        return True


async def serving(made: Hub, role: Role) -> tuple[asyncio.Task[None], ScriptedClient, OtherSide]:
    """A joined session with the other side recorded, and `role`'s handler running."""
    session, _token = await joined_session(made)
    other = OtherSide()
    await made.hub.attach(session, role.other, other)
    client = ScriptedClient()
    websocket = WebSocket(
        {"type": "websocket", "path": "/ws", "headers": []}, client.receive, client.send
    )
    await websocket.accept()
    task = asyncio.create_task(run_side(made.hub, session, role, websocket, RelayLimits()))
    await asyncio.wait_for(client.heard.wait(), WAIT)  # attached: its first state came
    return task, client, other


async def turns_until_done(task: asyncio.Task[None]) -> int:
    for turn in range(PROMPT_TURNS):
        if task.done():
            return turn
        await asyncio.sleep(0)
    return PROMPT_TURNS


async def test_a_side_that_closes_ends_its_handler_at_once_and_the_other_hears_it(
    made: Hub,
) -> None:
    task, client, other = await serving(made, Role.SHARER)
    client.say({"type": "websocket.disconnect", "code": 1000})
    assert await turns_until_done(task) < PROMPT_TURNS
    await task
    assert other.of_type(PeerLeft) == [PeerLeft(Role.SHARER, 30)]
    # Nothing was sent to a client that had gone (no close of our own on top of its own).
    assert not any(m["type"] == "websocket.close" for m in client.sent)


async def test_a_side_the_relay_closes_gets_what_was_queued_then_the_reason(made: Hub) -> None:
    task, client, other = await serving(made, Role.SHARER)
    client.say({"type": "websocket.receive", "text": "{not json"})
    await asyncio.wait_for(task, WAIT)
    kinds = [m["type"] for m in client.sent]
    assert kinds[0] == "websocket.accept"
    assert kinds[-1] == "websocket.close"
    # Every message queued before the refusal (the state snapshots of the attach) arrived.
    sent_texts = [parse_server_message(m["text"]).type for m in client.sent if "text" in m]
    assert sent_texts and set(sent_texts) <= {"state", "consent_request"}
    close = client.sent[-1]
    assert close["code"] == CloseCode.MALFORMED and close["reason"].endswith(".")
    assert other.of_type(PeerLeft) == [PeerLeft(Role.SHARER, 30)]
    assert made.metrics.frames_refused == {"malformed_message": 1}


async def test_the_last_frames_before_a_close_reach_the_other_side_before_the_news(
    made: Hub,
) -> None:
    task, client, other = await serving(made, Role.SHARER)
    # The end-to-end handshake's kind travels while the session is only joined.
    last = [encode_frame(FrameKind.CONTROL_E2E, b"frame %d" % i) for i in range(20)]
    for frame in last:
        client.say({"type": "websocket.receive", "bytes": frame})
    client.say({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(task, WAIT)
    frames = [item for item in other.handed if isinstance(item, bytes)]
    assert frames == last  # every one, in order
    left = other.handed.index(PeerLeft(Role.SHARER, 30))
    assert left > other.handed.index(last[-1])
