"""A whole session through the real service: the real sharer controller (capture and injection
on Xvfb) and a scripted helper. Pixels reach the helper only after Allow; input works in full
control; pause stops the pixels; ending tells the helper."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import pytest
import Xlib.display

from quickassist.protocol.frames import Frame, FrameFlags, FrameKind
from quickassist.protocol.media import VideoPayload
from quickassist.sharer.client import SessionClient
from quickassist.sharer.session_events import (
    AnnotationReceived,
    ChatReceived,
    ConsentRequested,
    MonitorChanged,
    StatusChanged,
)
from quickassist.sharer.tls_trust import TrustSettings, parse_fingerprint
from tests.fixtures.e2e_peer import E2EPeer
from tests.fixtures.running_sharer import Sharer, start_sharer
from tests.fixtures.service import LiveService
from tests.fixtures.session_clients import ScriptedHelper, Side
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import QUIET, WAIT

pytestmark = pytest.mark.x11


@pytest.fixture
async def layout(request: pytest.FixtureRequest, xvfb: XvfbServer) -> str:
    """The X monitor layout: one screen, or (parametrized "two") two halves side by side."""
    name: str = getattr(request, "param", "one")
    if name == "two":
        for monitor, x in (("left", 0), ("right", 960)):
            command = ["xrandr", "--setmonitor", monitor, f"960/254x1080/286+{x}+0", "none"]
            process = await asyncio.create_subprocess_exec(*command, env=xvfb.env)
            assert await process.wait() == 0
    return name


@pytest.fixture
async def started(
    live_service: LiveService, scripted_helper: ScriptedHelper, xvfb: XvfbServer, layout: str
) -> AsyncIterator[tuple[Sharer, Side]]:
    created = await scripted_helper.create_session()
    client = SessionClient(
        live_service.base_url,
        trust=TrustSettings(fingerprint=parse_fingerprint(live_service.fingerprint)),
    )
    ticket = await client.join(created["code"])

    sharer = start_sharer(client, ticket, xvfb)
    session = sharer.session
    helper = await scripted_helper.connect(created["session_id"])
    # The console's first step once the sharer is there: the end-to-end handshake.
    await helper.wait_type("state", sharer_connected=True)
    await helper.secure_as_helper(E2EPeer(created["session_id"], helper=True))
    yield sharer, helper
    session.end()
    async with asyncio.timeout(WAIT):
        await sharer.task


def pointer(d: Xlib.display.Display) -> tuple[int, int]:
    reply = d.screen().root.query_pointer()
    return reply.root_x, reply.root_y


def video(frame: Frame) -> bool:
    return frame.kind is FrameKind.VIDEO


async def test_pixels_only_after_allow_then_control_pause_and_end(
    started: tuple[Sharer, Side], xvfb: XvfbServer
) -> None:
    sharer, helper = started
    await helper.wait_type("state", phase="joined", sharer_connected=True)
    await helper.send_json({"type": "choose_mode", "mode": "control"})
    request = await sharer.wait_event(ConsentRequested)
    assert request.helper.name == "Ada L."
    # The person sees the digits the helper reads out.
    assert helper.e2e is not None and request.check == helper.e2e.check
    # Nothing leaves before Allow: the helper has no frame at all, the pipeline is off.
    with pytest.raises(TimeoutError):
        await helper.wait_frame(video, timeout=QUIET)
    assert not sharer.session.guard.video_allowed
    sharer.session.answer_consent(request.mode, True)
    first = await helper.wait_frame(video)
    assert first.header.flags & FrameFlags.KEYFRAME
    monitors = await helper.wait_frame(lambda f: f.kind is FrameKind.CONTROL_E2E)
    listing = json.loads(monitors.payload)
    assert listing["t"] == "monitors" and listing["monitors"][0]["width"] == xvfb.width
    # Full control: the helper's pointer reaches the X server.
    await helper.send_frame(FrameKind.INPUT, b'{"t":"move","x":321,"y":234}')
    d = Xlib.display.Display(xvfb.display)
    try:
        async with asyncio.timeout(WAIT):
            while pointer(d) != (321, 234):  # noqa: ASYNC110 - X has no "pointer moved" event
                await asyncio.sleep(0.02)
    finally:
        d.close()
    # Chat and annotations come through to the UI.
    await helper.send_frame(FrameKind.CHAT, b'{"id":"1","text":"hello","sent_at":1}')
    await sharer.wait_event(ChatReceived)
    await helper.send_frame(FrameKind.ANNOTATION, b'{"t":"laser","x":10,"y":20}')
    await sharer.wait_event(AnnotationReceived)
    # Pause: the helper sees it, and no pixel follows the paused state.
    sharer.session.pause()
    since = len(helper.texts)
    await helper.wait_type("state", since=since, paused=True)
    await sharer.wait_event(StatusChanged, lambda e: e.status.paused)
    helper.frames.clear()
    await asyncio.create_subprocess_exec("xdotool", "mousemove", "10", "10", env=xvfb.env)
    with pytest.raises(TimeoutError):
        await helper.wait_frame(video, timeout=QUIET)
    # End: the helper is told who ended it.
    sharer.session.end()
    ended = await helper.wait_type("ended")
    assert ended["reason"] == "sharer_ended"
    async with asyncio.timeout(WAIT):
        assert await sharer.task == "You ended the session."


async def test_declining_ends_the_session_and_sends_nothing(
    started: tuple[Sharer, Side],
) -> None:
    sharer, helper = started
    await helper.send_json({"type": "choose_mode", "mode": "view"})
    asked = await sharer.wait_event(ConsentRequested)
    sharer.session.answer_consent(asked.mode, False)
    ended = await helper.wait_type("ended")
    assert ended["reason"] == "declined"
    async with asyncio.timeout(WAIT):
        message = await sharer.task
    assert "declined" in message
    assert not [f for f in helper.frames if f.kind is FrameKind.VIDEO]


async def test_the_helper_ending_tells_the_sharer(started: tuple[Sharer, Side]) -> None:
    sharer, helper = started
    await helper.send_json({"type": "choose_mode", "mode": "view"})
    asked = await sharer.wait_event(ConsentRequested)
    sharer.session.answer_consent(asked.mode, True)
    await helper.wait_frame(video)
    await helper.send_json({"type": "end"})
    async with asyncio.timeout(WAIT):
        message = await sharer.task
    assert message == "Your helper ended the session."


@pytest.mark.parametrize("layout", ["two"], indirect=True)
async def test_the_helper_switches_monitors(started: tuple[Sharer, Side], layout: str) -> None:
    sharer, helper = started
    await helper.send_json({"type": "choose_mode", "mode": "view"})
    asked = await sharer.wait_event(ConsentRequested)
    sharer.session.answer_consent(asked.mode, True)

    def listing(current_name: str) -> Callable[[Frame], bool]:
        def matches(frame: Frame) -> bool:
            if frame.kind is not FrameKind.CONTROL_E2E:
                return False
            body = json.loads(frame.payload)
            names = {m["id"]: m["name"] for m in body["monitors"]}
            return names.get(body["current"]) == current_name

        return matches

    first = json.loads((await helper.wait_frame(listing("left"))).payload)
    right = next(m["id"] for m in first["monitors"] if m["name"] == "right")
    await helper.wait_frame(video)
    helper.frames.clear()
    payload = json.dumps({"t": "select_monitor", "id": right}).encode()
    await helper.send_frame(FrameKind.CONTROL_E2E, payload)
    await helper.wait_frame(listing("right"))
    keyframe = await helper.wait_frame(lambda f: video(f) and bool(f.header.flags & 1))
    shown = VideoPayload.parse(keyframe.payload)
    assert (shown.screen_width, shown.screen_height) == (960, 1080)
    await sharer.wait_event(MonitorChanged, lambda e: e.monitor.name == "right")
