"""/healthz and /readyz on both backends, per-node metrics, and a node that drains on SIGTERM's
path (`quickassist serve` runs the same shut-down hooks): it takes no new sessions, says so to
the other nodes, and lets its live session finish, up to its drain limit."""

from __future__ import annotations

import asyncio
import time

import httpx

from quickassist.protocol.frames import FrameKind
from tests.fixtures.inprocess_service import InProcessFactory, InProcessService
from tests.fixtures.postgres import create_database, drop_database, url_of
from tests.fixtures.service import RELAXED_LIMITS
from tests.fixtures.session_clients import active_session, signed_in_helper
from tests.timeouts import WAIT


async def test_alive_and_ready_on_each_backend(inprocess_service: InProcessService) -> None:
    async with httpx.AsyncClient(
        base_url=inprocess_service.base_url, verify=inprocess_service.ssl_context, timeout=WAIT
    ) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        metrics = (await http.get("/metrics")).text
    assert ready.status_code == 200
    on_redis = "QUICKASSIST_REDIS_URL" in inprocess_service.env
    expected = {"status": "ready", "database": "ok"}
    if on_redis:
        expected |= {"redis": "ok", "taking_sessions": "ok"}
        assert 'quickassist_node_info{node="inprocess"} 1' in metrics
        assert "quickassist_node_draining 0" in metrics
    else:
        assert "quickassist_node_info" not in metrics
    assert ready.json() == expected


async def test_not_ready_once_the_database_is_gone(
    inprocess_service_factory: InProcessFactory, postgres_server: str, tmp_path
) -> None:
    from quickassist.service.config import ServiceConfig
    from quickassist.service.server import prepare_store

    database = create_database()
    url = url_of(database)
    await prepare_store(ServiceConfig(data_dir=tmp_path, database_url=url))
    service = inprocess_service_factory(env={"QUICKASSIST_DATABASE_URL": url})
    async with httpx.AsyncClient(
        base_url=service.base_url, verify=service.ssl_context, timeout=WAIT
    ) as http:
        assert (await http.get("/readyz")).status_code == 200
        drop_database(database)  # WITH (FORCE): the service's connections are cut
        not_ready = await http.get("/readyz")
        assert (await http.get("/healthz")).status_code == 200  # alive, just not ready
    assert not_ready.status_code == 503
    assert not_ready.json() == {"status": "not_ready", "database": "failing"}


def _on_redis(redis_url: str, prefix: str, **extra: str) -> dict[str, str]:
    return {
        **RELAXED_LIMITS,
        "QUICKASSIST_REDIS_URL": redis_url,
        "QUICKASSIST_REDIS_KEY_PREFIX": prefix,
        "QUICKASSIST_NODE_NAME": "drainer",
        **extra,
    }


async def test_a_draining_node_takes_no_new_session_and_lets_the_live_one_finish(
    inprocess_service_factory: InProcessFactory, redis_url: str, redis_prefix: str
) -> None:
    # A drain limit far past the test: the node must leave as soon as its session ends.
    env = _on_redis(redis_url, redis_prefix, QUICKASSIST_DRAIN_SECONDS=str(WAIT * 10))
    service = inprocess_service_factory(env=env)
    async with signed_in_helper(service) as helper:
        helper_side, sharer_side, _ = await active_session(
            helper, service.base_url, service.ssl_context
        )
        stopping = asyncio.create_task(asyncio.to_thread(service.stop))
        async with httpx.AsyncClient(
            base_url=service.base_url, verify=service.ssl_context, timeout=WAIT
        ) as http:
            deadline = time.monotonic() + WAIT
            while (await http.get("/readyz")).status_code != 503:
                assert time.monotonic() < deadline, "the node never started draining"
                await asyncio.sleep(0.02)
            refused = await helper.http.post("/api/sessions")
        # An idle keep-alive connection would hold uvicorn's shut-down up for its grace time.
        await helper.http.aclose()
        assert refused.status_code == 503
        assert refused.json()["error"] == "draining"
        assert "takes no new sessions" in refused.json()["message"]
        # The live session goes on while the node drains.
        await sharer_side.send_frame(FrameKind.VIDEO, b"during-drain")
        video = await helper_side.wait_frame(lambda f: f.payload == b"during-drain")
        assert video.kind is FrameKind.VIDEO
        assert not stopping.done()
        await helper_side.send_json({"type": "end"})
        ended = await sharer_side.wait_type("ended")
        assert ended["reason"] == "helper_ended"
        started = time.monotonic()
        # Read to the close: a side that stops reading holds its socket (and the shut-down) up.
        for side in (helper_side, sharer_side):
            await side.wait_closed()
        await asyncio.wait_for(stopping, WAIT * 2)
        assert time.monotonic() - started < WAIT  # left at once, not at the drain limit


async def test_past_the_drain_limit_the_live_sessions_end_with_a_reason(
    inprocess_service_factory: InProcessFactory, redis_url: str, redis_prefix: str
) -> None:
    env = _on_redis(redis_url, redis_prefix, QUICKASSIST_DRAIN_SECONDS="0.3")
    service = inprocess_service_factory(env=env)
    async with signed_in_helper(service) as helper:
        helper_side, sharer_side, _ = await active_session(
            helper, service.base_url, service.ssl_context
        )
        await helper.http.aclose()  # idle keep-alive would hold the shut-down up
        stopping = asyncio.create_task(asyncio.to_thread(service.stop))
        for side in (helper_side, sharer_side):
            ended = await side.wait_type("ended")
            assert ended["reason"] == "server_shutdown"
            await side.wait_closed()
        await asyncio.wait_for(stopping, WAIT * 2)
