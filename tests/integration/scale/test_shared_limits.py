"""The sign-in guard and the per-helper quota, one node's in memory and every node's in Redis.

The sign-in rules run on both (`backend`): on Redis the calls alternate between two clients
with connections of their own, standing for two service nodes, so every figure below is also
"guesses spread over the nodes count once". What only a shared store has (races between nodes,
a session counted on whichever node holds it, keys that expire, no names in them) runs on Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from redis.asyncio import Redis

from quickassist.protocol.roles import EndReason, HelperCard, Phase
from quickassist.protocol.session import SessionPolicy, SessionState
from quickassist.service.client_address import limiter_key
from quickassist.service.config import RateLimit, ServiceConfig
from quickassist.service.helper_quota import QuotaExceeded
from quickassist.service.nodes import NodeRegistry
from quickassist.service.redis_limits import RedisHelperQuota, RedisSignInGuard
from quickassist.service.redis_live_store import RedisLiveStore
from quickassist.service.sign_in_guard import (
    MemorySignInLimits,
    SignInGuard,
    SignInLimits,
    SignInRefused,
)

NOW = 1_800_000_000.0
SECRET = b"the service's secret key, the same on every node"


@dataclass
class Nodes:
    """Sign-in guards as two nodes see them (in memory: one guard, there is one node)."""

    guards: tuple[SignInLimits, SignInLimits]
    redis: Redis | None = None
    prefix: str = ""

    def on(self, attempt: int) -> SignInLimits:
        return self.guards[attempt % 2]


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


MakeNodes = Callable[..., Nodes]


@pytest.fixture
def make_nodes(backend: str, request: pytest.FixtureRequest) -> MakeNodes:
    """``make_nodes(**settings)``: the sign-in guards of ``ServiceConfig(**settings)``."""
    clients: tuple[Redis, Redis] | None = None
    prefix = ""
    if backend == "redis":  # asked for here, at set-up: they are async fixtures
        clients = request.getfixturevalue("two_clients")
        prefix = request.getfixturevalue("redis_prefix")

    def make(**settings: Any) -> Nodes:
        config = ServiceConfig(**{"login_attempts_per_address": RateLimit(1000, 60), **settings})
        if clients is None:
            guard = MemorySignInLimits(SignInGuard(config))
            return Nodes((guard, guard))
        one, two = (RedisSignInGuard(c, config, secret=SECRET, prefix=prefix) for c in clients)
        return Nodes((one, two), clients[0], prefix)

    return make


async def refusal(guard: SignInLimits, address: str, username: str, now: float) -> SignInRefused:
    with pytest.raises(SignInRefused) as refused:
        await guard.admit(address, username, now)
    return refused.value


async def test_five_attempts_a_minute_per_address_ipv6_by_64(make_nodes: MakeNodes) -> None:
    nodes = make_nodes(login_attempts_per_address=RateLimit(5, 60))
    home = limiter_key("2001:db8:1:2::10")
    for attempt in range(5):  # new usernames: only the address limit can stop them
        await nodes.on(attempt).admit(home, f"user{attempt}", NOW + attempt)
    # The sixth, from another address of the same /64, on either node.
    assert limiter_key("2001:db8:1:2:ffff::1") == home
    for attempt in (5, 6):
        refused = await refusal(nodes.on(attempt), home, "someone", NOW + 5)
        assert refused.status == 429
        assert refused.retry_after == 55
        assert refused.message == (
            "Too many sign-in attempts from your network. Wait 55 seconds and try again."
        )
    await nodes.on(1).admit(limiter_key("2001:db8:1:3::1"), "someone", NOW + 5)  # next /64
    await nodes.on(0).admit(home, "someone", NOW + 60)  # the first attempt left the window


async def test_an_accounts_delay_doubles_from_one_second_to_the_cap_and_never_locks_out(
    make_nodes: MakeNodes,
) -> None:
    nodes = make_nodes(login_failures_before_delay=5, login_delay_max_seconds=900)
    now = NOW
    for attempt in range(5):
        await nodes.on(attempt).admit(f"192.0.2.{attempt}", "Ada", now)
        await nodes.on(attempt).failed(f"192.0.2.{attempt}", "Ada", now)
    waits = []
    for attempt in range(5, 20):
        refused = await refusal(nodes.on(attempt), "198.51.100.1", " ada ", now)
        assert refused.message.startswith("Too many wrong passwords for this account. Wait ")
        waits.append(refused.retry_after)
        now += refused.retry_after or 0
        await nodes.on(attempt + 1).admit("198.51.100.1", "ADA", now)  # waited out: one try
        await nodes.on(attempt).failed("198.51.100.1", "ADA", now)
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900, 900]
    refused = await refusal(nodes.on(0), "198.51.100.1", "ada", now + 1)
    assert (
        refused.message
        == "Too many wrong passwords for this account. Wait 15 minutes and try again."
    )
    # Another account is not slowed; the owner, after the wait, signs in and the count is gone.
    await nodes.on(1).admit("198.51.100.1", "grace", now + 1)
    await nodes.on(1).admit("198.51.100.1", "ada", now + 900)
    await nodes.on(1).succeeded("198.51.100.1", "ada", now + 900)
    for attempt in range(5):
        await nodes.on(attempt).admit("203.0.113.9", "ada", now + 900)
        await nodes.on(attempt).failed("203.0.113.9", "ada", now + 900)
    assert (await refusal(nodes.on(0), "203.0.113.9", "ada", now + 900)).retry_after == 1


async def test_failures_over_the_overall_budget_refuse_every_sign_in(make_nodes: MakeNodes) -> None:
    nodes = make_nodes(login_failures_global=RateLimit(3, 60))
    for attempt in range(3):
        await nodes.on(attempt).admit(f"192.0.2.{attempt}", f"user{attempt}", NOW)
        await nodes.on(attempt).failed(f"192.0.2.{attempt}", f"user{attempt}", NOW)
    refused = await refusal(nodes.on(1), "203.0.113.5", "anyone", NOW + 1)
    assert refused.retry_after == 59
    assert refused.message == (
        "The service is refusing sign-ins after many wrong passwords. "
        "Wait 59 seconds and try again."
    )
    await nodes.on(0).admit("203.0.113.5", "anyone", NOW + 60)


async def test_the_owners_known_network_keeps_its_own_delay_on_every_node(
    make_nodes: MakeNodes,
) -> None:
    nodes = make_nodes(login_failures_before_delay=2)
    home, attacker = "192.0.2.1", "203.0.113.66"
    await nodes.on(0).admit(home, "ada", NOW)
    await nodes.on(0).succeeded(home, "ada", NOW)  # the owner signed in from home, on one node
    now = NOW + 86400
    for attempt in range(2):
        await nodes.on(attempt).admit(attacker, "ada", now)
        await nodes.on(attempt).failed(attacker, "ada", now)
    await refusal(nodes.on(1), attacker, "ada", now)  # slowed for strangers
    await nodes.on(1).admit(home, "ada", now)  # not from home, on the other node either
    await nodes.on(1).succeeded(home, "ada", now)
    await refusal(nodes.on(0), attacker, "ada", now)  # the owner's success is not the attacker's
    # Three days (the retention) on, home is a stranger again: the account's delay applies.
    later = NOW + 3 * 86400 + 86400
    await nodes.on(0).admit(attacker, "ada", later - 1)
    await nodes.on(0).failed(attacker, "ada", later - 1)
    await nodes.on(0).admit(attacker, "ada", later + 1)  # 1 s waited out
    await nodes.on(0).failed(attacker, "ada", later + 1)
    await refusal(nodes.on(1), home, "ada", later + 1.5)


async def test_concurrent_attempts_on_two_nodes_never_pass_the_address_budget(
    two_clients: tuple[Redis, Redis], redis_prefix: str
) -> None:
    config = ServiceConfig(login_attempts_per_address=RateLimit(5, 60))
    guards = [RedisSignInGuard(c, config, secret=SECRET, prefix=redis_prefix) for c in two_clients]

    async def attempt(i: int) -> bool:
        try:
            await guards[i % 2].admit("192.0.2.7", f"user{i}", NOW)
        except SignInRefused:
            return False
        return True

    assert sum(await asyncio.gather(*(attempt(i) for i in range(40)))) == 5


async def test_sign_in_keys_expire_and_name_no_account_or_network(
    two_clients: tuple[Redis, Redis], redis_prefix: str
) -> None:
    config = ServiceConfig(retention_days=3.0)
    one, two = (
        RedisSignInGuard(c, config, secret=SECRET, prefix=redis_prefix) for c in two_clients
    )
    await one.admit("192.0.2.1", "ada.lovelace", NOW)
    await two.failed("192.0.2.1", "ada.lovelace", NOW)
    await one.succeeded("192.0.2.1", "ada.lovelace", NOW)
    await two.failed("198.51.100.2", "ada.lovelace", NOW)
    redis = two_clients[0]
    keys = [k async for k in redis.scan_iter(match=f"{redis_prefix}*")]
    kinds = sorted(k.removeprefix(redis_prefix).split(":")[1] for k in keys)
    assert kinds == ["account", "address", "known", "overall"]
    for key in keys:
        ttl = await redis.pttl(key)
        assert 0 < ttl <= 3 * 86400 * 1000, (key, ttl)
        assert "lovelace" not in key  # hex digests: no letter past f
    # The address window is the only key with an address in it, and for a minute.
    (address,) = (k for k in keys if ":address:" in k)
    assert address.endswith(":192.0.2.1") and await redis.pttl(address) <= 60_000


# The per-helper quota across nodes --------------------------------------------------------

CARD = HelperCard("Ada L.", "Contoso")
CODES = RateLimit(30, 600)


def quotas(
    clients: tuple[Redis, Redis],
    prefix: str,
    *,
    live: int = 3,
    codes: RateLimit = CODES,
) -> tuple[RedisHelperQuota, RedisHelperQuota]:
    one, two = (
        RedisHelperQuota(c, live_sessions=live, code_requests=codes, prefix=prefix) for c in clients
    )
    return one, two


def stores(clients: tuple[Redis, Redis], prefix: str) -> tuple[RedisLiveStore, RedisLiveStore]:
    one, two = (
        RedisLiveStore(c, node=f"n{i + 1}", clock=lambda: NOW, prefix=prefix)
        for i, c in enumerate(clients)
    )
    return one, two


async def open_session(quota: RedisHelperQuota, store: RedisLiveStore, session_id: str) -> None:
    """What POST /api/sessions does: the quota's admit, the session made on a node, settle."""
    admission = await quota.admit(7, NOW)
    assert await store.add_code(f"C{session_id}", session_id, NOW + 600)
    await store.put_state(session_id, SessionState.new(CARD, NOW, SessionPolicy()))
    await quota.settle(admission, session_id)


async def test_a_helpers_open_sessions_are_counted_on_every_node(
    two_clients: tuple[Redis, Redis], redis_prefix: str
) -> None:
    q1, q2 = quotas(two_clients, redis_prefix, live=3)
    n1, n2 = stores(two_clients, redis_prefix)
    await open_session(q1, n1, "s1")
    await open_session(q2, n2, "s2")  # asked through node 2, held by node 2
    await open_session(q1, n2, "s3")  # asked through node 1, held by node 2
    for quota in (q1, q2):
        with pytest.raises(QuotaExceeded) as refused:
            await quota.admit(7, NOW)
        assert refused.value.status == 429 and refused.value.code == "too_many_sessions"
        assert refused.value.message == (
            "You already have 3 sessions open. End one of them before you start another."
        )
    await q1.settle(await q1.admit(8, NOW), None)  # another helper has a quota of its own
    # A session that ends (on the node holding it) frees its place on every node.
    ended = SessionState(
        helper=CARD, phase=Phase.ENDED, deadline=NOW, end_reason=EndReason.HELPER_ENDED
    )
    assert await n2.put_state("s3", ended)
    await q1.settle(await q1.admit(7, NOW), None)
    # So does one whose hash is gone (dropped, or its node reaped).
    await open_session(q2, n1, "s4")
    with pytest.raises(QuotaExceeded):
        await q2.admit(7, NOW)
    await n1.drop_state("s1")
    await q2.settle(await q2.admit(7, NOW), None)


async def test_requests_at_once_on_two_nodes_never_pass_the_open_bound(
    two_clients: tuple[Redis, Redis], redis_prefix: str
) -> None:
    q1, q2 = quotas(two_clients, redis_prefix, live=3)

    async def request(i: int) -> bool:
        try:
            await (q1, q2)[i % 2].admit(7, NOW)
        except QuotaExceeded:
            return False
        return True  # its place is held until it settles (its session is being made)

    assert sum(await asyncio.gather(*(request(i) for i in range(20)))) == 3
    with pytest.raises(QuotaExceeded):
        await q1.admit(7, NOW + 59)
    await q1.admit(7, NOW + 61)  # a place not settled lapses (its node died in between)


async def test_code_requests_spread_over_nodes_meet_one_window(
    two_clients: tuple[Redis, Redis], redis_prefix: str
) -> None:
    q1, q2 = quotas(two_clients, redis_prefix, live=100, codes=RateLimit(5, 600))
    for i in range(5):
        quota = (q1, q2)[i % 2]
        await quota.settle(await quota.admit(7, NOW + i), None)
    for quota in (q1, q2):
        with pytest.raises(QuotaExceeded) as refused:
            await quota.admit(7, NOW + 5)
        assert refused.value.code == "too_many_codes"
        assert refused.value.retry_after == 595
        assert refused.value.message == (
            "You asked for many codes in a short time. Wait 10 minutes and try again."
        )
    await q2.admit(7, NOW + 600)


async def test_quota_keys_expire_and_the_heartbeat_keeps_the_open_index_with_its_sessions(
    two_clients: tuple[Redis, Redis], redis_prefix: str
) -> None:
    q1, _q2 = quotas(two_clients, redis_prefix)
    n1, _n2 = stores(two_clients, redis_prefix)
    await open_session(q1, n1, "s1")
    redis = two_clients[0]
    keys = [k async for k in redis.scan_iter(match=f"{redis_prefix}quota:*")]
    assert sorted(keys) == [
        f"{redis_prefix}quota:helper:7:codes",
        f"{redis_prefix}quota:helper:7:open",
    ]
    for key in keys:
        assert await redis.pttl(key) > 0
    assert await redis.hget(n1.session_key("s1"), "helper") == "7"
    open_key = f"{redis_prefix}quota:helper:7:open"
    await redis.pexpire(open_key, 500)
    registry = NodeRegistry(
        redis, n1, relay_path="", heartbeat_seconds=5, live_sessions=lambda: 1, prefix=redis_prefix
    )
    await registry.beat()  # renews the node's session hashes, and the index with them
    assert await redis.pttl(open_key) > 500
    with pytest.raises(QuotaExceeded):  # and s1 still counts
        await quotas(two_clients, redis_prefix, live=1)[1].admit(7, NOW)
    await registry.stop()
