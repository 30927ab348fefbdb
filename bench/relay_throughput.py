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
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.service_process import cpu_seconds, running_service
from quickassist.protocol.frames import HEADER_SIZE, FrameKind
from tests.fixtures.service import free_port
from tests.fixtures.session_clients import ScriptedHelper, active_session, close_all_sides

MESSAGE = 64 * 1024


@dataclass
class Rate:
    mb_per_s: float
    #: CPU seconds the middle process spent per GiB carried: robust to a busy machine.
    cpu_per_gib: float


async def relay_rate(service, total: int) -> Rate:  # type: ignore[no-untyped-def]
    helper = await ScriptedHelper.sign_in(
        service.base_url, service.ssl_context, service.helper_username, service.helper_password
    )
    helper_side, sharer_side, _ = await active_session(
        helper, service.base_url, service.ssl_context
    )
    payload = bytes(MESSAGE - HEADER_SIZE)
    count = total // MESSAGE

    async def send() -> None:
        for _ in range(count):
            await sharer_side.send_frame(FrameKind.CHAT, payload)

    cpu_before = cpu_seconds(service.process.pid)
    start = time.perf_counter()
    sender = asyncio.create_task(send())
    received = 0
    while received < count:
        data = await helper_side.ws.recv()
        assert isinstance(data, bytes | bytearray)
        received += 1
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(service.process.pid) - cpu_before
    await sender
    await close_all_sides()
    await helper.aclose()
    return Rate(count * MESSAGE / elapsed / 1e6, cpu / (count * MESSAGE / 2**30))


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


async def forwarder_rate(cert: Path | None, key: Path | None, total: int) -> Rate:
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

        cpu_before = cpu_seconds(proc.pid)
        start = time.perf_counter()
        sender = asyncio.create_task(send())
        received = 0
        while received < count * MESSAGE:
            chunk = await r_reader.read(256 * 1024)
            assert chunk
            received += len(chunk)
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(proc.pid) - cpu_before
        await sender
        s_writer.close()
        r_writer.close()
        return Rate(received / elapsed / 1e6, cpu / (received / 2**30))
    finally:
        proc.kill()
        proc.wait()


async def run(total: int, rounds: int) -> None:
    # Rounds alternate between the paths so that a noisy neighbour hurts them alike; each path
    # reports its median.
    relay, tls, plain = [], [], []
    with running_service() as service:
        for _ in range(rounds):
            relay.append(await relay_rate(service, total))
            tls.append(await forwarder_rate(service.cert_path, service.data_dir / "key.pem", total))
            plain.append(await forwarder_rate(None, None, total))
    print(f"64 KiB messages, {total // 2**20} MiB per round, median of {rounds} rounds")
    print("| path | MB/s at the receiver | middle process CPU s per GiB |")
    print("| --- | --- | --- |")
    rows = {
        "quickassist relay (WSS)": relay,
        "asyncio forwarder (TLS)": tls,
        "asyncio forwarder (plain TCP)": plain,
    }
    medians = {}
    for name, rates in rows.items():
        speed = statistics.median(r.mb_per_s for r in rates)
        cpu = statistics.median(r.cpu_per_gib for r in rates)
        medians[name] = (speed, cpu)
        print(f"| {name} | {speed:.1f} | {cpu:.2f} |")
    (r_speed, r_cpu), (t_speed, t_cpu), (p_speed, p_cpu) = medians.values()
    print(
        f"relay / TLS forwarder: {r_speed / t_speed:.2f}x throughput, "
        f"{t_cpu / r_cpu:.2f}x by CPU cost"
    )
    print(
        f"relay / plain forwarder: {r_speed / p_speed:.2f}x throughput, "
        f"{p_cpu / r_cpu:.2f}x by CPU cost"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.megabytes * 2**20, args.rounds))


if __name__ == "__main__":
    main()
