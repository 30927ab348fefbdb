"""Relay throughput on 64 KiB binary messages against a plain asyncio forwarder, in one run.

    .venv/bin/python -m bench.relay_throughput [--megabytes 256]

Three paths carry the same bytes from a sender to a receiver through a middle process on
loopback, each measured at the receiver:
- quickassist's relay: a real `quickassist serve`, an active session, 64 KiB chat frames
  (never dropped, so every byte must arrive) over WSS;
- a plain asyncio TCP forwarder over TLS (same certificate): the cost floor for a TLS relay;
- the same forwarder without TLS, for context.
Issue target: the relay at least 0.8x the TLS forwarder.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import subprocess
import sys
import time
from pathlib import Path

from bench.service_process import running_service
from quickassist.protocol.frames import FrameKind
from tests.fixtures.service import free_port
from tests.fixtures.session_clients import ScriptedHelper, active_session, close_all_sides

MESSAGE = 64 * 1024


async def relay_rate(service, total: int) -> float:  # type: ignore[no-untyped-def]
    helper = await ScriptedHelper.sign_in(
        service.base_url, service.ssl_context, service.helper_username, service.helper_password
    )
    helper_side, sharer_side, _ = await active_session(
        helper, service.base_url, service.ssl_context
    )
    payload = bytes(MESSAGE - 20)
    count = total // MESSAGE

    async def send() -> None:
        for _ in range(count):
            await sharer_side.send_frame(FrameKind.CHAT, payload)

    start = time.perf_counter()
    sender = asyncio.create_task(send())
    received = 0
    while received < count:
        data = await helper_side.ws.recv()
        assert isinstance(data, bytes | bytearray)
        received += 1
    elapsed = time.perf_counter() - start
    await sender
    await close_all_sides()
    await helper.aclose()
    return count * MESSAGE / elapsed / 1e6


FORWARDER = r"""
import asyncio, ssl, sys
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = None
if cert != "-":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(cert, key)
waiting = []
async def pipe(reader, writer):
    while data := await reader.read(256 * 1024):
        writer.write(data)
        await writer.drain()
    writer.close()
async def handle(reader, writer):
    waiting.append((reader, writer))
    if len(waiting) == 2:
        (_, receiver_w), (sender_r, _) = waiting
        await pipe(sender_r, receiver_w)
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=ctx)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


async def forwarder_rate(cert: Path | None, key: Path | None, total: int) -> float:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", FORWARDER, str(port), str(cert or "-"), str(key or "-")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        client_ctx = ssl.create_default_context(cafile=str(cert)) if cert else None
        host = "127.0.0.1" if cert else None
        r_reader, r_writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx, server_hostname=host
        )
        await asyncio.sleep(0.2)  # the forwarder pairs connections in arrival order
        _s_reader, s_writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx, server_hostname=host
        )
        message = bytes(MESSAGE)
        count = total // MESSAGE

        async def send() -> None:
            for _ in range(count):
                s_writer.write(message)
                await s_writer.drain()

        start = time.perf_counter()
        sender = asyncio.create_task(send())
        received = 0
        while received < count * MESSAGE:
            chunk = await r_reader.read(256 * 1024)
            assert chunk
            received += len(chunk)
        elapsed = time.perf_counter() - start
        await sender
        s_writer.close()
        r_writer.close()
        return received / elapsed / 1e6
    finally:
        proc.kill()
        proc.wait()


async def run(total: int) -> None:
    with running_service() as service:
        relay = await relay_rate(service, total)
        tls = await forwarder_rate(service.cert_path, service.data_dir / "key.pem", total)
        plain = await forwarder_rate(None, None, total)
    print(f"64 KiB messages, {total // 2**20} MiB each path (MB/s at the receiver):")
    print(f"  quickassist relay (WSS)      {relay:8.1f}")
    print(f"  asyncio forwarder (TLS)      {tls:8.1f}")
    print(f"  asyncio forwarder (plain)    {plain:8.1f}")
    print(f"  relay / TLS forwarder ratio  {relay / tls:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=256)
    args = parser.parse_args()
    asyncio.run(run(args.megabytes * 2**20))


if __name__ == "__main__":
    main()
