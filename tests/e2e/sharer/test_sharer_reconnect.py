"""A real network cut between the sharer and the real service: the sharer stops, comes back
within the grace period with the same token, and the helper gets a fresh keyframe."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from quickassist.protocol.frames import FrameFlags, FrameKind
from quickassist.protocol.roles import Mode
from quickassist.sharer.client import SessionClient
from quickassist.sharer.inject import InputInjector
from quickassist.sharer.media_ports import FrameSource, InputSink
from quickassist.sharer.pipeline import CapturePipeline
from quickassist.sharer.session import SharerSession
from quickassist.sharer.session_events import ConsentRequested, Notice, SessionEvent
from quickassist.sharer.tls_trust import TrustSettings, parse_fingerprint
from tests.fixtures.e2e_peer import E2EPeer
from tests.fixtures.service import LiveService
from tests.fixtures.session_clients import ScriptedHelper
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = pytest.mark.x11


class CuttableProxy:
    """Forwards TCP (TLS passes through untouched) to the service until `cut` drops it all."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers += [writer, up_writer]

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))

    def cut(self) -> None:
        """Drop every open connection at once, as a network failure would."""
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()

    async def close(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest.fixture
async def proxy(live_service: LiveService) -> AsyncIterator[CuttableProxy]:
    running = CuttableProxy(live_service.port)
    await running.start()
    yield running
    await running.close()


async def test_the_sharer_comes_back_after_a_cut(
    live_service: LiveService,
    scripted_helper: ScriptedHelper,
    xvfb: XvfbServer,
    proxy: CuttableProxy,
) -> None:
    assert proxy.server is not None
    port = proxy.server.sockets[0].getsockname()[1]
    created = await scripted_helper.create_session()
    client = SessionClient(
        f"https://127.0.0.1:{port}",
        trust=TrustSettings(fingerprint=parse_fingerprint(live_service.fingerprint)),
    )
    ticket = await client.join(created["code"])
    events: list[SessionEvent] = []
    changed = asyncio.Event()

    def listener(event: SessionEvent) -> None:
        events.append(event)
        changed.set()

    def media() -> tuple[FrameSource, InputSink]:
        return CapturePipeline(display=xvfb.display), InputInjector(display=xvfb.display)

    session = SharerSession(client, ticket, media=media, listener=listener, first_backoff=0.1)
    task = asyncio.create_task(session.run())
    try:
        helper = await scripted_helper.connect(created["session_id"])
        peer = E2EPeer(created["session_id"], helper=True)
        await helper.wait_type("state", sharer_connected=True)
        first_check = await helper.secure_as_helper(peer)
        await helper.send_json({"type": "choose_mode", "mode": "control"})
        async with asyncio.timeout(WAIT):
            while not any(isinstance(e, ConsentRequested) for e in events):
                changed.clear()
                await changed.wait()
        session.answer_consent(Mode.CONTROL, True)
        await helper.wait_frame(lambda f: f.kind is FrameKind.VIDEO)

        since = len(helper.texts)
        proxy.cut()
        await helper.wait_type("peer_left", since=since, role="sharer")
        assert not session.guard.video_allowed  # nothing flows while disconnected
        await helper.wait_type("peer_returned", since=since, role="sharer")
        # The sharer came back without keys: a new handshake, bound to the first one.
        resume = peer.resume
        await helper.secure_as_helper(peer)
        assert peer.resume != resume and peer.check != first_check
        helper.frames.clear()
        keyframe = await helper.wait_frame(
            lambda f: f.kind is FrameKind.VIDEO and bool(f.header.flags & FrameFlags.KEYFRAME)
        )
        assert keyframe.payload
        assert any(isinstance(e, Notice) and e.message == "Reconnected." for e in events)
        # The session goes on as before: still full control, no new consent.
        assert session.guard.input_allowed
        assert sum(isinstance(e, ConsentRequested) for e in events) == 1
    finally:
        session.end()
        async with asyncio.timeout(WAIT):
            await task
