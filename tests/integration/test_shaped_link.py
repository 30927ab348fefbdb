"""The constrained link of tests/fixtures/shaped_link.py does what it says: no faster than its
rate, no quicker than its round trip (lower bounds: a link cannot beat them, so these are not
timing guesses), and it carries bytes intact both ways."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from tests.fixtures.shaped_link import DelayingProxy, ShapedLink
from tests.timeouts import WAIT

CLIENT = """
import socket, sys, time
host, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port))
start = time.monotonic()
s.sendall(b"p")
assert s.recv(1) == b"p"
rtt = time.monotonic() - start
s.sendall(b"d")
got, start = 0, time.monotonic()
while got < size:
    chunk = s.recv(65536)
    assert chunk
    got += len(chunk)
print(rtt, time.monotonic() - start, got)
"""


async def serve_once(size: int) -> tuple[asyncio.Server, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert await reader.readexactly(1) == b"p"
        writer.write(b"p")
        assert await reader.readexactly(1) == b"d"
        writer.write(bytes(size))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_the_link_is_no_faster_than_its_rate_nor_quicker_than_its_round_trip() -> None:
    size = 1_000_000
    rate_mbit, rtt = 10.0, 0.04
    server, port = await serve_once(size)
    with ShapedLink(rate_mbit=rate_mbit) as link:
        proxy = await DelayingProxy.start(link.host_address, port, rtt=rtt)
        try:
            command = ["ip", "netns", "exec", link.namespace, sys.executable, "-c", CLIENT]
            done = await asyncio.to_thread(
                subprocess.run,
                [*command, link.host_address, str(proxy.port), str(size)],
                capture_output=True,
                text=True,
                timeout=WAIT,
                check=True,
            )
        finally:
            await proxy.close()
            server.close()
    measured_rtt, seconds, got = (float(v) for v in done.stdout.split())
    assert got == size
    assert measured_rtt >= rtt
    # A megabyte at 10 Mbit/s takes 0.8 s at the very least (less the tbf burst).
    assert seconds >= (size * 8 - 32_000) / (rate_mbit * 1e6)


async def test_the_proxy_listens_only_on_the_project_s_own_addresses() -> None:
    with pytest.raises(ValueError):
        await DelayingProxy.start("192.0.2.1", 1, rtt=0.01)


def test_closing_the_link_removes_its_namespace() -> None:
    with ShapedLink(rate_mbit=2) as link:
        name = link.namespace
        listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert name in listed
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert name not in listed
