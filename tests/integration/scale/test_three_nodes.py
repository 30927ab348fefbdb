"""Three real service nodes on PostgreSQL and Redis behind a real nginx (`service_nodes`).

The helper works through one node, the sharer joins through another, media goes through the
node the session is pinned to; one code joined through two nodes at once lets in one sharer;
wrong codes spread over the nodes count against one budget; and a node killed with SIGKILL
ends its own sessions (their people are told why) while another node's session goes on.

The tests run in file order on one set of nodes: the node is killed in the last one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets
from redis.asyncio import Redis

from quickassist.protocol.close_codes import CloseCode
from quickassist.protocol.frames import FrameFlags, FrameKind
from quickassist.service.nodes import NODE_LOST_SENTENCE
from tests.fixtures.nginx import JOIN_FAILURES_PER_ADDRESS, ServiceNodes
from tests.fixtures.session_clients import Side, close_all_sides
from tests.timeouts import WAIT

pytestmark = pytest.mark.asyncio(loop_scope="function")


@dataclass
class Helper:
    nodes: ServiceNodes
    http: httpx.AsyncClient

    async def create(self, via: str) -> dict[str, Any]:
        """Ask for a code through node ``via``; the service pins it where it likes."""
        response = await self.http.post(f"/nodes/{via}/api/sessions")
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def connect(self, created: dict[str, Any]) -> Side:
        cookie = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        return await open_side(
            self.nodes,
            created["ws_path"],
            {"Cookie": cookie},
            origin=self.nodes.base_url,
        )


async def open_side(
    nodes: ServiceNodes, path: str, headers: dict[str, str], origin: str | None = None
) -> Side:
    ws = await websockets.connect(
        "wss://" + nodes.base_url.removeprefix("https://") + path,
        ssl=nodes.ssl_context,
        additional_headers=headers,
        origin=origin,  # type: ignore[arg-type]
        compression=None,
        max_size=None,
        open_timeout=WAIT,
    )
    return Side(ws)


async def join(nodes: ServiceNodes, via: str, code: str, address: str = "") -> httpx.Response:
    headers = {"X-Forwarded-For": address} if address else {}
    async with httpx.AsyncClient(
        base_url=nodes.base_url, verify=nodes.ssl_context, timeout=WAIT, headers=headers
    ) as http:
        return await http.post(f"/nodes/{via}/api/join", json={"code": code})


async def sharer_side(nodes: ServiceNodes, joined: httpx.Response) -> Side:
    body = joined.json()
    return await open_side(
        nodes, body["ws_path"], {"Authorization": f"Bearer {body['sharer_token']}"}
    )


async def allow(helper_side: Side, sharer: Side) -> None:
    await helper_side.send_json({"type": "choose_mode", "mode": "control"})
    await sharer.wait_type("consent_request")
    await sharer.send_json({"type": "allow", "mode": "control"})
    await helper_side.wait_type("state", phase="active", mode="control")


async def streams_and_takes_input(helper_side: Side, sharer: Side, tag: bytes) -> None:
    since = len(helper_side.frames)
    await sharer.send_frame(FrameKind.VIDEO, tag, flags=FrameFlags.KEYFRAME)
    video = await helper_side.wait_frame(lambda f: f.kind is FrameKind.VIDEO, since=since)
    assert video.payload == tag
    since = len(sharer.frames)
    await helper_side.send_frame(FrameKind.INPUT, b'{"t":"move","x":1,"y":2}')
    typed = await sharer.wait_frame(lambda f: f.kind is FrameKind.INPUT, since=since)
    assert json.loads(typed.payload) == {"t": "move", "x": 1, "y": 2}


@pytest.fixture
async def helper(service_nodes: ServiceNodes) -> AsyncIterator[Helper]:
    http = httpx.AsyncClient(
        base_url=service_nodes.base_url,
        verify=service_nodes.ssl_context,
        headers={"Origin": service_nodes.base_url},
        timeout=WAIT,
    )
    response = await http.post(
        "/api/auth/login",
        json={"username": service_nodes.helper_username, "password": service_nodes.helper_password},
    )
    assert response.status_code == 200, response.text
    yield Helper(service_nodes, http)
    await close_all_sides()  # in this test's loop: the next test's would be another
    await http.aclose()


async def test_the_helper_on_one_node_the_sharer_through_another_media_through_the_pinned_one(
    service_nodes: ServiceNodes, helper: Helper
) -> None:
    created = await helper.create(via="n1")
    # No node holds a session yet: on a tie the node asked keeps it.
    assert created["relay_path"] == "/nodes/n1"
    assert created["ws_path"] == f"/nodes/n1/ws/helper/{created['session_id']}"
    joined = await join(service_nodes, "n2", created["code"])
    assert joined.status_code == 200, joined.text
    assert joined.json()["helper"]["name"] == "Ada L."
    # n2 let the sharer in on n1's behalf, and sends it to n1's relay.
    assert joined.json()["ws_path"] == f"/nodes/n1/ws/sharer/{created['session_id']}"
    helper_side = await helper.connect(created)
    await helper_side.wait_type("state", phase="joined")
    sharer = await sharer_side(service_nodes, joined)
    await allow(helper_side, sharer)
    await streams_and_takes_input(helper_side, sharer, b"tiles")
    state = await helper.http.get(f"/nodes/n1/api/sessions/{created['session_id']}")
    assert state.json()["phase"] == "active"
    await helper_side.send_json({"type": "end"})
    await sharer.wait_type("ended")


async def beaten(nodes: ServiceNodes, node: str, sessions: int) -> None:
    """Wait until ``node``'s heartbeat tells the others it holds ``sessions`` live sessions."""
    redis = Redis.from_url(nodes.redis_url, decode_responses=True)
    alive = f"{nodes.redis_prefix}node:{node}:alive"
    deadline = asyncio.get_running_loop().time() + WAIT
    try:
        while json.loads(await redis.get(alive) or "{}").get("sessions") != sessions:
            assert asyncio.get_running_loop().time() < deadline, f"{node} never beat {sessions}"
            await asyncio.sleep(0.05)
    finally:
        await redis.aclose()


async def test_a_new_session_goes_to_the_node_with_the_fewest(
    service_nodes: ServiceNodes, helper: Helper
) -> None:
    first = await helper.create(via="n2")
    assert first["relay_path"] == "/nodes/n2"
    # Once n2's heartbeat says it holds one, a code asked through n2 goes elsewhere.
    await beaten(service_nodes, "n2", 1)
    second = await helper.create(via="n2")
    assert second["relay_path"] in ("/nodes/n1", "/nodes/n3")


async def test_one_code_joined_through_two_nodes_at_once_lets_one_sharer_in(
    service_nodes: ServiceNodes, helper: Helper
) -> None:
    for _ in range(5):
        created = await helper.create(via="n3")
        answers = await asyncio.gather(
            join(service_nodes, "n1", created["code"]), join(service_nodes, "n2", created["code"])
        )
        assert sorted(a.status_code for a in answers) == [200, 404]


async def test_wrong_codes_spread_over_the_nodes_count_against_one_budget(
    service_nodes: ServiceNodes,
) -> None:
    statuses = []
    for attempt in range(JOIN_FAILURES_PER_ADDRESS + 6):
        via = ("n1", "n2", "n3")[attempt % 3]
        answer = await join(service_nodes, via, "ZZZ999", address="198.51.100.7")
        statuses.append(answer.status_code)
    assert statuses == [404] * JOIN_FAILURES_PER_ADDRESS + [429] * 6
    # Another address is not held back by this one's guessing.
    assert (await join(service_nodes, "n1", "ZZZ999", address="198.51.100.8")).status_code == 404


def _live_sessions(metrics: str) -> int:
    line = next(x for x in metrics.splitlines() if x.startswith("quickassist_sessions_active "))
    return int(line.split()[1])


async def test_a_killed_node_ends_its_sessions_with_a_sentence_and_the_others_go_on(
    service_nodes: ServiceNodes, helper: Helper
) -> None:
    # Live sessions until two nodes hold one each (the least loaded node gets each new one).
    pinned: dict[str, tuple[Side, Side, dict[str, Any]]] = {}
    for via in ("n1", "n2", "n3") * 4:
        created = await helper.create(via=via)
        node = created["relay_path"].rsplit("/", 1)[-1]
        joined = await join(service_nodes, via, created["code"])
        assert joined.status_code == 200, joined.text
        # The next choice must see this session (earlier tests left the nodes unevenly loaded).
        state = await helper.http.get(f"/nodes/{node}/metrics")
        await beaten(service_nodes, node, _live_sessions(state.text))
        if node in pinned:
            continue
        helper_side = await helper.connect(created)
        sharer = await sharer_side(service_nodes, joined)
        await allow(helper_side, sharer)
        pinned[node] = (helper_side, sharer, created)
        if len(pinned) == 2:
            break
    assert len(pinned) == 2, "the sessions did not spread over two nodes"
    lost, kept = list(pinned)

    service_nodes.kill(lost)

    lost_helper, lost_sharer, lost_created = pinned[lost]
    await lost_helper.wait_closed()
    await lost_sharer.wait_closed()
    # Reconnecting (as the console and the sharer app do) reaches a live node through the
    # proxy's backup servers: once the lost node is known lost, it says so, finally.
    deadline = asyncio.get_running_loop().time() + WAIT
    while True:
        again = await helper.connect(lost_created)
        code, reason = await again.wait_closed()
        if code == CloseCode.UNKNOWN_SESSION:
            break
        assert code == CloseCode.GOING_AWAY, (code, reason)  # not known lost yet: try again
        assert asyncio.get_running_loop().time() < deadline, "the lost node was never reaped"
    assert reason == NODE_LOST_SENTENCE

    # The session on the other node goes on as if nothing happened.
    kept_helper, kept_sharer, _ = pinned[kept]
    await streams_and_takes_input(kept_helper, kept_sharer, b"still-here")

    # Nothing of the lost node is left half-alive in Redis.
    redis = Redis.from_url(service_nodes.redis_url, decode_responses=True)
    try:
        prefix = service_nodes.redis_prefix
        assert not await redis.exists(f"{prefix}session:{lost_created['session_id']}")
        assert not await redis.exists(f"{prefix}node:{lost}:alive")
        assert not await redis.exists(f"{prefix}node:{lost}:sessions")
        assert await redis.hget(f"{prefix}nodes", lost) is None
        assert await redis.hget(f"{prefix}nodes", kept) is not None
    finally:
        await redis.aclose()
