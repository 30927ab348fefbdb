"""Memory of many idle sessions in one service process (issue target: 1,000 under 200 MB RSS).

    .venv/bin/python -m bench.idle_sessions [--sessions 1000]

Each session is created by the helper, joined by a sharer, and has both sides' WebSockets open
(2 connections per session), then sits idle. The service's RSS is read from /proc before and
after.
"""

from __future__ import annotations

import argparse
import asyncio

from bench.service_process import cpu_seconds, rss_mib, running_service
from tests.fixtures.session_clients import ScriptedHelper, ScriptedSharer, close_all_sides

IDLE_SECONDS = 10.0


async def run(sessions: int) -> None:
    with running_service() as service:
        # A second start, as a service normally runs: the first one also made the certificate,
        # which loads `cryptography` into the process.
        service.restart()
        assert service.process is not None
        pid = service.process.pid
        helper = await ScriptedHelper.sign_in(
            service.base_url, service.ssl_context, service.helper_username, service.helper_password
        )
        before = rss_mib(pid)
        sides = []
        for _ in range(sessions):
            created = await helper.create_session()
            sharer = ScriptedSharer(service.base_url, service.ssl_context)
            assert (await sharer.join(created["code"])).status_code == 200
            sides.append(await helper.connect(created["session_id"]))
            sides.append(await sharer.connect())
        await asyncio.gather(*(side.wait_type("state", phase="joined") for side in sides))
        after = rss_mib(pid)
        # What idle sessions cost in CPU: deadline ticks, pings, nothing else.
        cpu_before = cpu_seconds(pid)
        await asyncio.sleep(IDLE_SECONDS)
        idle_cpu = (cpu_seconds(pid) - cpu_before) / IDLE_SECONDS
        await close_all_sides()
        await helper.aclose()
    print(
        f"{sessions} idle sessions ({2 * sessions} WebSockets): service RSS {before:.1f} MiB "
        f"before, {after:.1f} MiB after ({(after - before) * 1024 / sessions:.1f} KiB/session); "
        f"idle CPU {idle_cpu:.3f} s/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(run(args.sessions))


if __name__ == "__main__":
    main()
