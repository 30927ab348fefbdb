"""Scale-out figures (issue 13): rendezvous on each backend, and many sessions over three nodes.

    .venv/bin/python -m bench.scale_out [--rounds 200] [--sessions 1000] [--idle-seconds 20]

1. Code issue + join round trip on one node, SQLite + memory against PostgreSQL + Redis, in
   the same sitting (kept-alive TLS connections, as bench/rendezvous_latency.py).
2. Three nodes behind nginx (tests/fixtures/nginx.py, default 5 s heartbeat): ``--sessions``
   sessions created and joined through nginx, 20 at a time; join p50/p95, RSS of each node,
   sessions per node, then Redis commands per live session per second while everything idles.
   The Redis figure is the server's whole command count, so run it on an otherwise idle Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import redis

from bench.service_process import percentile, rss_mib, running_service
from tests.fixtures.nginx import NODE_NAMES, ServiceNodes, running_nodes
from tests.fixtures.postgres import create_database, drop_database, ensure_postgres, url_of
from tests.fixtures.redis import REDIS_URL, delete_prefix, ensure_redis

WARM_UP = 20
AT_ONCE = 20


def round_trips(
    base_url: str, context: ssl.SSLContext, user: str, password: str, rounds: int
) -> list[float]:
    with (
        httpx.Client(base_url=base_url, verify=context, headers={"Origin": base_url}) as helper,
        httpx.Client(base_url=base_url, verify=context) as sharer,
    ):
        helper.post("/api/auth/login", json={"username": user, "password": password})
        times = []
        for i in range(rounds + WARM_UP):
            start = time.perf_counter()
            code = helper.post("/api/sessions").json()["code"]
            joined = sharer.post("/api/join", json={"code": code})
            elapsed = time.perf_counter() - start
            assert joined.status_code == 200, joined.text
            if i >= WARM_UP:
                times.append(elapsed * 1000)
    return times


def rendezvous_on_each_backend(rounds: int) -> None:
    ensure_postgres()
    ensure_redis()
    database, prefix = create_database(), f"qa-bench-{uuid.uuid4().hex[:8]}:"
    backends = {
        "SQLite + memory": {},
        "PostgreSQL + Redis": {
            "QUICKASSIST_DATABASE_URL": url_of(database),
            "QUICKASSIST_REDIS_URL": REDIS_URL,
            "QUICKASSIST_REDIS_KEY_PREFIX": prefix,
        },
    }
    try:
        for name, env in backends.items():
            with running_service(**env) as service:
                times = round_trips(
                    service.base_url,
                    service.ssl_context,
                    service.helper_username,
                    service.helper_password,
                    rounds,
                )
            print(
                f"{name}: code issue + join round trip, {len(times)} rounds: "
                f"p50 {percentile(times, 50):.2f} ms, p95 {percentile(times, 95):.2f} ms"
            )
    finally:
        drop_database(database)
        delete_prefix(prefix)


async def fill(nodes: ServiceNodes, sessions: int) -> tuple[list[float], dict[str, int]]:
    context = nodes.ssl_context
    base = nodes.base_url
    async with (
        httpx.AsyncClient(base_url=base, verify=context, headers={"Origin": base}) as helper,
        httpx.AsyncClient(base_url=base, verify=context) as sharer,
    ):
        await helper.post(
            "/api/auth/login",
            json={"username": nodes.helper_username, "password": nodes.helper_password},
        )
        joins: list[float] = []
        per_node = dict.fromkeys(NODE_NAMES, 0)

        async def one() -> None:
            created = (await helper.post("/api/sessions")).json()
            per_node[created["relay_path"].rsplit("/", 1)[-1]] += 1
            start = time.perf_counter()
            joined = await sharer.post("/api/join", json={"code": created["code"]})
            joins.append((time.perf_counter() - start) * 1000)
            assert joined.status_code == 200, joined.text

        for offset in range(0, sessions, AT_ONCE):
            await asyncio.gather(*(one() for _ in range(min(AT_ONCE, sessions - offset))))
    return joins, per_node


def many_sessions_on_three_nodes(sessions: int, idle_seconds: float) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="qa-bench-nodes-") as tmp,
        running_nodes(
            Path(tmp),
            QUICKASSIST_NODE_HEARTBEAT_SECONDS="5",
            # The test nodes' tight join budget counts joins in flight (refunded when right):
            # AT_ONCE joins from one address would meet it.
            QUICKASSIST_JOIN_FAILURES_PER_ADDRESS="10000/60",
        ) as nodes,
    ):
        joins, per_node = asyncio.run(fill(nodes, sessions))
        print(
            f"{sessions} live sessions over 3 nodes (behind nginx): join p50 "
            f"{percentile(joins, 50):.2f} ms, p95 {percentile(joins, 95):.2f} ms; "
            f"sessions per node {per_node}"
        )
        for name, node in nodes.nodes.items():
            assert node.process is not None
            print(f"  node {name}: RSS {rss_mib(node.process.pid):.1f} MiB")
        client = redis.Redis.from_url(REDIS_URL)
        before = int(client.info("stats")["total_commands_processed"])
        time.sleep(idle_seconds)  # a benchmark measures a span of time: sleeping is the point
        after = int(client.info("stats")["total_commands_processed"])
        client.close()
        rate = (after - before - 2) / idle_seconds / sessions
        print(f"  Redis while idle: {rate:.3f} commands per live session per second")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    args = parser.parse_args()
    rendezvous_on_each_backend(args.rounds)
    many_sessions_on_three_nodes(args.sessions, args.idle_seconds)


if __name__ == "__main__":
    main()
