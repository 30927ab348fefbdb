"""The sharer's own guard on a real X server, against a relay that breaks the rules.

Input sent in view only is refused even though the relay delivers it; a cut connection releases
every key and button the helper held; the sharer comes back with the same token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
import Xlib.display
import Xlib.XK
from Xlib import X

from quickassist.protocol.frames import FrameKind, decode_frame
from quickassist.protocol.roles import Mode
from quickassist.sharer.inject import InputInjector
from quickassist.sharer.media_ports import FrameSource, InputSink
from quickassist.sharer.pipeline import CapturePipeline
from quickassist.sharer.session import SharerSession
from quickassist.sharer.session_events import ConsentRequested, SessionEvent, SessionFinished
from tests.fixtures.rogue_relay import RogueRelay, RogueSide
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = pytest.mark.x11


@dataclass
class Running:
    session: SharerSession
    task: asyncio.Task[str]
    events: list[SessionEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_event(self, kind: type) -> SessionEvent:
        async with asyncio.timeout(WAIT):
            while True:
                for event in self.events:
                    if isinstance(event, kind):
                        return event
                self.changed.clear()
                await self.changed.wait()


async def until(condition: Callable[[], bool]) -> None:
    """Wait for a condition that no event announces (X server state), checking often."""
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110 - X has no event for key or pointer state
            await asyncio.sleep(0.02)


class XState:
    def __init__(self, display: str) -> None:
        self.d = Xlib.display.Display(display)
        self.root = self.d.screen().root
        self.shift = self.d.keysym_to_keycode(Xlib.XK.string_to_keysym("Shift_L"))

    def pointer(self) -> tuple[int, int]:
        reply = self.root.query_pointer()
        return reply.root_x, reply.root_y

    def button1_down(self) -> bool:
        return bool(self.root.query_pointer().mask & X.Button1Mask)

    def shift_down(self) -> bool:
        keymap = self.d.query_keymap()
        return bool(keymap[self.shift // 8] & (1 << (self.shift % 8)))


@pytest.fixture
def x_state(xvfb: XvfbServer) -> AsyncIterator[XState]:
    state = XState(xvfb.display)
    yield state  # type: ignore[misc]
    state.d.close()


@pytest.fixture
async def running(
    xvfb: XvfbServer,
    rogue_relay: RogueRelay,
) -> AsyncIterator[Running]:
    def media() -> tuple[FrameSource, InputSink]:
        return CapturePipeline(display=xvfb.display), InputInjector(display=xvfb.display)

    holder: list[Running] = []

    def listener(event: SessionEvent) -> None:
        holder[0].events.append(event)
        holder[0].changed.set()

    session = SharerSession(
        rogue_relay.client(),
        rogue_relay.ticket(),
        media=media,
        listener=listener,
        first_backoff=0.05,
    )
    run = Running(session, asyncio.create_task(session.run()))
    holder.append(run)
    yield run
    session.end()
    async with asyncio.timeout(WAIT):
        await run.task


async def consent(run: Running, side: RogueSide, mode: str) -> None:
    await side.send_json(
        type="consent_request", mode=mode, helper={"name": "Eve R.", "organisation": "Rogue Ltd"}
    )
    await run.wait_event(ConsentRequested)
    run.events.clear()
    run.session.answer_consent(Mode(mode), True)
    await side.wait_text("allow")
    side.texts.clear()


async def first_video(side: RogueSide) -> None:
    async with asyncio.timeout(WAIT):
        while not any(decode_frame(f).kind is FrameKind.VIDEO for f in side.frames):
            data = await side.ws.recv()
            if isinstance(data, bytes):
                side.frames.append(data)


async def test_view_only_input_is_refused_even_when_the_relay_delivers_it(
    running: Running,
    rogue_relay: RogueRelay,
    x_state: XState,
) -> None:
    side = await rogue_relay.next_side()
    await side.send_state("joined", None)
    await side.secure()
    await consent(running, side, "view")
    await side.send_state("active", "view")
    await first_video(side)  # the state is in force: video flows
    start = x_state.pointer()
    guard = running.session.guard
    await side.send_input({"t": "move", "x": 123, "y": 456})
    await side.send_input({"t": "button", "button": 0, "down": True, "x": 123, "y": 456})
    await until(lambda: guard.counters.input_dropped == 2)
    # The service claiming full control does not give what the person never allowed.
    await side.send_state("active", "control")
    await side.send_input({"t": "move", "x": 123, "y": 456})
    await until(lambda: guard.counters.input_dropped == 3)
    assert x_state.pointer() == start
    assert not x_state.button1_down()
    # Once the person allows control, the same input goes through (the check above can fail).
    await consent(running, side, "control")
    await side.send_state("active", "control")
    await side.send_input({"t": "move", "x": 123, "y": 456})
    await until(lambda: x_state.pointer() == (123, 456))
    assert guard.counters.input_dropped == 3


async def test_a_cut_connection_releases_held_input_and_reconnects(
    running: Running,
    rogue_relay: RogueRelay,
    x_state: XState,
) -> None:
    side = await rogue_relay.next_side()
    await side.send_state("joined", None)
    await side.secure()
    await consent(running, side, "control")
    await side.send_state("active", "control")
    await first_video(side)
    await side.send_input({"t": "key", "code": "ShiftLeft", "key": "Shift", "down": True})
    await side.send_input({"t": "button", "button": 0, "down": True, "x": 50, "y": 60})
    await until(lambda: x_state.shift_down() and x_state.button1_down())
    await side.ws.close(1011, "gone")
    await until(lambda: not x_state.shift_down() and not x_state.button1_down())
    # The sharer comes back with the same token, and nothing flows until the service speaks.
    again = await rogue_relay.next_side()
    assert again.ws.request is not None
    assert again.ws.request.headers["Authorization"] == "Bearer token"
    assert not running.session.guard.video_allowed
    await again.send_state("active", "control")
    await again.secure(side.e2e)  # the helper's console renews the keys when the sharer is back
    await until(lambda: running.session.guard.input_allowed)
    running.session.end()
    assert (await again.wait_text("end"))["type"] == "end"
    async with asyncio.timeout(WAIT):
        assert await running.task == "You ended the session."
    assert any(isinstance(e, SessionFinished) for e in running.events)
