"""The Redis live store, join guard and node registry on the real Redis, raced for real: two
clients with connections of their own stand for two service nodes."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from quickassist.protocol.roles import EndReason, HelperCard, Mode, Phase
from quickassist.protocol.session import SessionPolicy, SessionState
from quickassist.service.config import RateLimit
from quickassist.service.errors import JoinRefused
from quickassist.service.nodes import NodeRegistry
from quickassist.service.redis_live_store import (
    RedisJoinGuard,
    RedisLiveStore,
    state_from_json,
    state_to_json,
)

NOW = 1_800_000_000.0
PER_ADDRESS = RateLimit(10, 600)
OVERALL = RateLimit(90, 60)


def stores(clients: tuple[Redis, Redis], prefix: str) -> tuple[RedisLiveStore, RedisLiveStore]:
    one, two = clients
    return (
        RedisLiveStore(one, node="n1", clock=lambda: NOW, prefix=prefix),
        RedisLiveStore(two, node="n2", clock=lambda: NOW, prefix=prefix),
    )


def guard(client: Redis, prefix: str) -> RedisJoinGuard:
    return RedisJoinGuard(
        client,
        per_address=PER_ADDRESS,
        overall=OVERALL,
        under_attack_per_network=RateLimit(3, 86400),
        under_attack_overall=RateLimit(30, 60),
        prefix=prefix,
    )


async def test_two_nodes_claiming_one_code_at_once_exactly_one_wins(
    two_clients: tuple[Redis, Redis], redis_prefix: str
) -> None:
    n1, n2 = stores(two_clients, redis_prefix)
    codes = [f"RACE{i:02d}" for i in range(40)]
    for i, code in enumerate(codes):
        assert await n1.add_code(code, f"s{i}", NOW + 600)
    claims = await asyncio.gather(
        *(store.claim_code(code, NOW) for code in codes for store in (n1, n2))
    )
    for i in range(len(codes)):
        pair = claims[2 * i : 2 * i + 2]
        assert sorted(pair, key=str) == sorted([f"s{i}", None], key=str)


async def test_a_code_from_one_node_is_claimed_through_another_once_and_not_after_its_deadline(
    two_clients: tuple[Redis, Redis], redis_prefix: str
) -> None:
    n1, n2 = stores(two_clients, redis_prefix)
    assert await n1.add_code("ABC234", "s1", NOW + 600)
    assert not await n2.add_code("ABC234", "s2", NOW + 600)  # in use on any node
    assert await n2.owner("s1") == "n1"
    assert await n2.claim_code("ABC234", NOW) == "s1"
    assert await n1.claim_code("ABC234", NOW) is None
    await n1.add_code("XYZ789", "s3", NOW + 600)
    assert await n2.claim_code("XYZ789", NOW + 600) is None  # dead at its deadline
    await n1.add_code("QRS456", "s4", NOW + 600)
    await n1.forget_code("QRS456")
    assert await n2.claim_code("QRS456", NOW) is None
    ttl = await two_clients[0].pttl(n1.code_key("ABC234"))
    assert ttl == -2  # claimed codes are gone, not left to expire


async def test_states_round_trip_and_only_the_pinned_node_writes_them(
    two_clients: tuple[Redis, Redis], redis_prefix: str
) -> None:
    n1, n2 = stores(two_clients, redis_prefix)
    card = HelperCard("Ada L.", "Contoso")
    state = SessionState.new(card, NOW, SessionPolicy())
    assert await n1.add_code("ABC234", "s1", state.deadline)
    active = SessionState(
        helper=card,
        phase=Phase.ACTIVE,
        deadline=float("inf"),
        mode=Mode.CONTROL,
        sharer_present=True,
        features=frozenset({"full_control", "chat"}),
    )
    assert state_from_json(state_to_json(active)) == active
    assert await n1.put_state("s1", active)
    assert await n2.get_state("s1") == active
    assert not await n2.put_state("s1", state)  # n2 does not hold s1: refused, unchanged
    assert await n1.get_state("s1") == active
    ended = SessionState(
        helper=card, phase=Phase.ENDED, deadline=NOW, end_reason=EndReason.DECLINED
    )
    assert state_from_json(state_to_json(ended)).end_reason is EndReason.DECLINED


async def test_join_failures_spread_over_nodes_count_once_and_races_never_pass_the_budget(
    two_clients: tuple[Redis, Redis], redis_prefix: str
) -> None:
    guards = [guard(client, redis_prefix) for client in two_clients]

    async def attempt(i: int) -> bool:
        try:
            admission = await guards[i % 2].admit("192.0.2.7", NOW + i / 1000)
        except JoinRefused as refused:
            assert refused.status == 429 and refused.retry_after is not None
            return False
        await guards[i % 2].settle(admission, failed=True)
        return True

    # 50 wrong codes from one address, alternating nodes, all at once: the budget is 10.
    answered = await asyncio.gather(*(attempt(i) for i in range(50)))
    assert sum(answered) == PER_ADDRESS.count
    # A right code is refunded: another address's successes never use up its budget.
    for _ in range(PER_ADDRESS.count * 2):
        admission = await guards[0].admit("198.51.100.9", NOW)
        await guards[1].settle(admission, failed=False)
    await guards[1].admit("198.51.100.9", NOW)


async def test_the_under_attack_tier_answers_once_the_overall_budget_is_spent(
    two_clients: tuple[Redis, Redis], redis_prefix: str
) -> None:
    guards = [guard(client, redis_prefix) for client in two_clients]
    truthful = 0
    for i in range(400):
        try:
            admission = await guards[i % 2].admit(f"198.51.{i // 250}.{i % 250}", NOW)
        except JoinRefused:
            continue
        await guards[i % 2].settle(admission, failed=True)
        truthful += 1
    assert truthful == OVERALL.count + 30
    with pytest.raises(JoinRefused, match="being tried on this service"):
        await guards[0].admit("203.0.113.1", NOW)


async def test_a_lost_nodes_sessions_end_for_good_and_its_return_revives_none(
    two_clients: tuple[Redis, Redis], redis_prefix: str
) -> None:
    n1, n2 = stores(two_clients, redis_prefix)
    lost = NodeRegistry(
        two_clients[0],
        n1,
        relay_path="/nodes/n1",
        heartbeat_seconds=0.05,
        live_sessions=lambda: 1,
        prefix=redis_prefix,
    )
    survivor = NodeRegistry(
        two_clients[1],
        n2,
        relay_path="/nodes/n2",
        heartbeat_seconds=30,
        live_sessions=lambda: 5,
        prefix=redis_prefix,
    )
    await lost.beat()
    await two_clients[0].hset(f"{redis_prefix}nodes", mapping={"n1": "{}", "n2": "{}"})
    await survivor.beat()
    assert await survivor.choose() == "n1"  # fewest live sessions
    await n1.add_code("ABC234", "s1", NOW + 600)
    await n1.put_state("s1", SessionState.new(HelperCard("Ada L.", "C"), NOW, SessionPolicy()))

    await lost.drain()
    assert await survivor.choose() == "n2"  # a draining node takes no new sessions
    # n1 stops beating (as a killed process does): its alive key runs out, n2's beat reaps it.
    deadline = asyncio.get_running_loop().time() + 5
    while "n1" not in await survivor.lost():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    await survivor.beat()
    assert await n2.owner("s1") is None
    assert await n2.claim_code("ABC234", NOW) is None
    assert await n2.ended_with_its_node("s1")
    assert not await n2.ended_with_its_node("s2")
    assert [n.name for n in await survivor.nodes()] == ["n2"]
    # The old n1 coming back (a partition healed) cannot write the session alive again.
    assert not await n1.put_state(
        "s1", SessionState.new(HelperCard("A", "C"), NOW, SessionPolicy())
    )
    assert await n2.owner("s1") is None
