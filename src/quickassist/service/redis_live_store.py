"""Live state in Redis, shared by every service node: codes, session states, join limits.

Keys (all under one prefix, ``qa:`` by default)::

    code:{CODE}           session id + deadline, with a TTL to the deadline   (single use: GETDEL)
    session:{ID}          hash: node (the relay it is pinned to), state (JSON)  TTL, see below
    node:{NAME}:sessions  set of the session ids a node holds                   (service.nodes)
    ended:{ID}            why a session a lost node held has ended (a tombstone, 10 minutes)
    join:...              sliding windows of the join guard (sorted sets of attempts)

Every change is one atomic step, a single command or a Lua script (Redis runs a script to its
end before any other command), so two nodes racing on one code or one session cannot both win:

- a code is claimed with GETDEL: exactly one claimant gets the session id;
- a session's state is written only by the node it is pinned to, and only while the session's
  hash still names that node (`_PUT_STATE`): once a lost node's sessions are reaped
  (`service.nodes`), that node coming back cannot write them alive again;
- the join guard checks every window and counts the attempt in one script (`RedisJoinGuard`):
  in memory "check, then record" is exact because nothing runs in between, across nodes it is
  not, so the attempt is counted when it is let through and refunded when the code was right.

Session hashes carry a TTL that the owner's heartbeat renews (`service.nodes`): a node that
dies leaves nothing behind for longer than that, even if no other node is left to reap it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ..protocol.roles import EndReason, HelperCard, Mode, Phase
from ..protocol.session import SessionState
from .client_address import limiter_key
from .config import RateLimit
from .errors import ConfigError
from .join_guard import UNDER_ATTACK_IPV6_PREFIX, JoinAdmission, refuse_join

#: How long a session hash lives without its node's heartbeat renewing it (service.nodes).
SESSION_TTL_SECONDS = 60
#: How long the reason a lost node's session ended is kept for a late reconnect to hear.
TOMBSTONE_SECONDS = 600

DEFAULT_PREFIX = "qa:"


def connect_redis(url: str) -> Redis:
    """A client for ``url`` (``redis://host:6379/0``); it connects on first use."""
    try:
        client: Redis = Redis.from_url(url, decode_responses=True)
    except ValueError as exc:
        raise ConfigError(
            "The Redis URL cannot be read; it looks like redis://127.0.0.1:6379/0."
        ) from exc
    return client


async def redis_reachable(redis: Redis) -> bool:
    """True if Redis answers a PING (for /readyz)."""
    try:
        return bool(await redis.ping())
    except (RedisError, OSError):
        return False


# Session states as JSON ---------------------------------------------------------------------


def state_to_json(state: SessionState) -> str:
    fields = dataclasses.asdict(state)
    fields["features"] = sorted(state.features)
    return json.dumps(fields, separators=(",", ":"))


def state_from_json(text: str) -> SessionState:
    fields: dict[str, Any] = json.loads(text)
    fields["helper"] = HelperCard(**fields["helper"])
    fields["phase"] = Phase(fields["phase"])
    for name, kind in (("mode", Mode), ("requested_mode", Mode), ("end_reason", EndReason)):
        if fields[name] is not None:
            fields[name] = kind(fields[name])
    fields["features"] = frozenset(fields["features"])
    return SessionState(**fields)


# Scripts ------------------------------------------------------------------------------------

# KEYS: code, session, node's session set.
# ARGV: session id, node, code TTL ms, session TTL ms, deadline, code.
_ADD_CODE = """
if redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[5], 'NX', 'PX', ARGV[3]) == false then
  return 0
end
redis.call('HSET', KEYS[2], 'node', ARGV[2], 'code', ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"""

# KEYS: session. ARGV: node, state JSON, session TTL ms.
_PUT_STATE = """
if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: session, node's session set. ARGV: node, session id.
_DROP_STATE = """
if redis.call('HGET', KEYS[1], 'node') == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
redis.call('SREM', KEYS[2], ARGV[2])
return 1
"""


class RedisLiveStore:
    """`LiveStore` in Redis for the node ``node`` (the relay its sessions are pinned to)."""

    def __init__(
        self,
        redis: Redis,
        *,
        node: str,
        clock: Callable[[], float],
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        self._redis = redis
        self._node = node
        self._clock = clock
        self._prefix = prefix
        self._add_code = redis.register_script(_ADD_CODE)
        self._put_state = redis.register_script(_PUT_STATE)
        self._drop_state = redis.register_script(_DROP_STATE)

    @property
    def node(self) -> str:
        return self._node

    def code_key(self, code: str) -> str:
        return f"{self._prefix}code:{code}"

    def session_key(self, session_id: str) -> str:
        return f"{self._prefix}session:{session_id}"

    def node_sessions_key(self, node: str) -> str:
        return f"{self._prefix}node:{node}:sessions"

    def tombstone_key(self, session_id: str) -> str:
        return f"{self._prefix}ended:{session_id}"

    async def add_code(self, code: str, session_id: str, expires_at: float) -> bool:
        # The TTL only tidies up: the deadline itself is checked against the app's clock.
        ttl_ms = max(1, math.ceil((expires_at - self._clock()) * 1000))
        keys = [
            self.code_key(code),
            self.session_key(session_id),
            self.node_sessions_key(self._node),
        ]
        args: list[str | int] = [
            *(session_id, self._node, ttl_ms, SESSION_TTL_SECONDS * 1000, repr(expires_at), code)
        ]
        return bool(await self._add_code(keys=keys, args=args))

    async def claim_code(self, code: str, now: float) -> str | None:
        # GETDEL: one command, so of two nodes claiming at once exactly one gets the value.
        entry = await self._redis.getdel(self.code_key(code))
        if entry is None:
            return None
        session_id, _, deadline = str(entry).partition(" ")
        if now >= float(deadline):
            return None
        return session_id

    async def forget_code(self, code: str) -> None:
        await self._redis.delete(self.code_key(code))

    async def put_state(self, session_id: str, state: SessionState) -> bool:
        """Store the state; False if the session is no longer this node's (it was reaped)."""
        keys = [self.session_key(session_id)]
        args: list[str | int] = [self._node, state_to_json(state), SESSION_TTL_SECONDS * 1000]
        return bool(await self._put_state(keys=keys, args=args))

    async def get_state(self, session_id: str) -> SessionState | None:
        text = await cast(
            Awaitable[str | None], self._redis.hget(self.session_key(session_id), "state")
        )
        return None if text is None else state_from_json(str(text))

    async def owner(self, session_id: str) -> str | None:
        """The node the session is pinned to, or None if no live session has that id."""
        node = await cast(
            Awaitable[str | None], self._redis.hget(self.session_key(session_id), "node")
        )
        return None if node is None else str(node)

    async def ended_with_its_node(self, session_id: str) -> bool:
        """True if the session ended because its node was lost (while the tombstone lasts)."""
        return bool(await self._redis.exists(self.tombstone_key(session_id)))

    async def drop_state(self, session_id: str) -> None:
        keys = [self.session_key(session_id), self.node_sessions_key(self._node)]
        await self._drop_state(keys=keys, args=[self._node, session_id])

    async def sweep(self, now: float) -> None:
        """Nothing to do: codes die by their TTL, and a claim checks the deadline itself."""


# The join guard -----------------------------------------------------------------------------

# KEYS: per address, overall, per network, under attack.
# ARGV: now, member, then count and window of each of the four windows in KEYS' order.
# Returns {1, tier} when let through (the attempt is counted in per address, per network and
# the tier: 2 = overall, 4 = under attack), or {0, wait, sentence} when refused.
_ADMIT = """
local now = tonumber(ARGV[1])
local member = ARGV[2]
local function limit(i) return tonumber(ARGV[1 + 2 * i]) end
local function window(i) return tonumber(ARGV[2 + 2 * i]) end
local function full(i)
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window(i))
  return redis.call('ZCARD', KEYS[i]) >= limit(i)
end
local function wait(i)
  local oldest = redis.call('ZRANGE', KEYS[i], -limit(i), -limit(i), 'WITHSCORES')
  local left = tonumber(oldest[2]) + window(i) - now
  return math.min(math.max(left, 0.001), window(i))
end
local function count(tier)
  for _, i in ipairs({1, 3, tier}) do
    redis.call('ZADD', KEYS[i], now, member)
    redis.call('PEXPIRE', KEYS[i], math.ceil(window(i) * 1000))
  end
  return {1, tier}
end
if full(1) then return {0, tostring(wait(1)), 1} end
if not full(2) then return count(2) end
local overall_wait = wait(2)
local network_full, attack_full = full(3), full(4)
if not network_full and not attack_full then return count(4) end
local tier_wait = 0
if network_full then tier_wait = wait(3) end
if attack_full then tier_wait = math.max(tier_wait, wait(4)) end
return {0, tostring(math.min(overall_wait, tier_wait)), 2}
"""

_REFUSALS = {
    1: "Too many wrong codes were tried.",
    2: "Too many wrong codes are being tried on this service right now.",
}


class RedisJoinGuard:
    """`join_guard.JoinGuard`'s four windows, kept in Redis and shared by every node.

    An attempt it lets through is counted at once (one script), and refunded by ``settle`` if
    the code was right: concurrent attempts on many nodes can never exceed a budget.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        per_address: RateLimit,
        overall: RateLimit,
        under_attack_per_network: RateLimit,
        under_attack_overall: RateLimit,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._windows = (per_address, overall, under_attack_per_network, under_attack_overall)
        self._admit = redis.register_script(_ADMIT)

    def _keys(self, address: str) -> list[str]:
        network = limiter_key(address, ipv6_prefix=UNDER_ATTACK_IPV6_PREFIX)
        return [
            f"{self._prefix}join:address:{limiter_key(address)}",
            f"{self._prefix}join:overall",
            f"{self._prefix}join:network:{network}",
            f"{self._prefix}join:under-attack",
        ]

    async def admit(self, address: str, now: float) -> JoinAdmission:
        member = uuid.uuid4().hex
        args: list[str | float] = [now, member]
        for window in self._windows:
            args += [window.count, window.per_seconds]
        keys = self._keys(address)
        answer = await self._admit(keys=keys, args=args)
        if int(answer[0]) == 0:
            refuse_join(_REFUSALS[int(answer[2])], float(answer[1]))
        tier = int(answer[1])
        counted = (keys[0], keys[2], keys[tier - 1])
        return JoinAdmission(address=address, now=now, counted=counted, member=member)

    async def settle(self, admission: JoinAdmission, *, failed: bool) -> None:
        if failed:
            return  # counted when it was let through
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in admission.counted:
                pipe.zrem(key, admission.member)
            await pipe.execute()
