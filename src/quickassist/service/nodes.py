"""The service nodes sharing one Redis: who is alive, who holds how many sessions, who is lost.

Every node registers under its name with the path its relay is reached at, and beats: each
beat sets ``node:{NAME}:alive`` (live sessions, draining or not) with a TTL of three beats and
renews the TTL of every session hash the node holds. A node whose ``alive`` key has expired is
lost: the first node to notice reaps it in one script (`_REAP`), which ends each of its
sessions for good (a tombstone says why, for a late reconnect), deletes their codes and hashes,
and forgets the node. A node coming back under the same name starts by reaping what its
earlier life left (a new process holds none of those sessions), so nothing dead comes back.

A new session goes to the healthy (alive, not draining) node with the fewest live sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from .redis_live_store import TOMBSTONE_SECONDS, RedisLiveStore

log = logging.getLogger(__name__)

#: What the people of a lost node's session are told when they reconnect elsewhere.
NODE_LOST_SENTENCE = (
    "The server this session ran on stopped, so the session ended. Start a new session."
)
#: What a reconnect hears while the session's node is silent but not yet taken for lost.
NODE_UNREACHABLE_SENTENCE = "The server of this session is not answering. Trying again."
#: The tombstone of a session ended because its node was lost.
NODE_LOST = "node_lost"
#: Missed beats before a node is taken for lost.
BEATS_TO_LOSE = 3

# KEYS: registry hash, the node's session set, its alive key. ARGV: node, prefix, tombstone ms.
_REAP = """
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local sessions = redis.call('SMEMBERS', KEYS[2])
for _, sid in ipairs(sessions) do
  local key = ARGV[2] .. 'session:' .. sid
  local code = redis.call('HGET', key, 'code')
  if code then redis.call('DEL', ARGV[2] .. 'code:' .. code) end
  redis.call('DEL', key)
  redis.call('SET', ARGV[2] .. 'ended:' .. sid, 'node_lost', 'PX', ARGV[3])
end
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[1], ARGV[1])
return #sessions
"""

# KEYS: the node's session set. ARGV: prefix, TTL ms. The index of open sessions of each helper
# with a session here (`redis_limits.open_sessions_key`) is renewed with them, once per helper:
# it lives as long as they do.
_RENEW = """
local helpers = {}
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. 'session:' .. sid
  redis.call('PEXPIRE', key, ARGV[2])
  local helper = redis.call('HGET', key, 'helper')
  if helper then helpers[helper] = true end
end
for helper in pairs(helpers) do
  local open = ARGV[1] .. 'quota:helper:' .. helper .. ':open'
  if redis.call('PTTL', open) < tonumber(ARGV[2]) then redis.call('PEXPIRE', open, ARGV[2]) end
end
return 1
"""


@dataclass(frozen=True, slots=True)
class NodeStatus:
    name: str
    relay_path: str
    live_sessions: int
    draining: bool


class NodeRegistry:
    """This node's registration, its heartbeat, and the view of the other nodes."""

    def __init__(
        self,
        redis: Redis,
        store: RedisLiveStore,
        *,
        relay_path: str,
        heartbeat_seconds: float,
        live_sessions: Callable[[], int],
        prefix: str,
    ) -> None:
        self._redis = redis
        self._store = store
        self.name = store.node
        self._relay_path = relay_path
        self._heartbeat = heartbeat_seconds
        self._live_sessions = live_sessions
        self._prefix = prefix
        self.draining = False
        self._task: asyncio.Task[None] | None = None
        self._reap = redis.register_script(_REAP)
        self._renew = redis.register_script(_RENEW)

    @property
    def _registry_key(self) -> str:
        return f"{self._prefix}nodes"

    def _alive_key(self, name: str) -> str:
        return f"{self._prefix}node:{name}:alive"

    @property
    def ttl_ms(self) -> int:
        return max(1, round(self._heartbeat * BEATS_TO_LOSE * 1000))

    async def start(self) -> None:
        """Register: end what an earlier life of this node left, then beat."""
        await self._redis.delete(self._alive_key(self.name))
        ended = await self.reap(self.name)
        if ended:
            log.warning("ended %d sessions this node held before it restarted", ended)
        info = json.dumps({"relay_path": self._relay_path})
        await cast(Awaitable[int], self._redis.hset(self._registry_key, self.name, info))
        await self.beat()
        self._task = asyncio.create_task(self._beat_forever(), name="node-heartbeat")

    async def stop(self) -> None:
        """Leave: stop beating and deregister (this node's sessions have ended by now)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(RedisError, OSError):
            await self._redis.delete(self._alive_key(self.name))
            await self.reap(self.name)

    async def drain(self) -> None:
        """Take no new sessions: the other nodes see it at once, and choose others."""
        self.draining = True
        with contextlib.suppress(RedisError, OSError):
            await self.beat()

    async def beat(self) -> None:
        status = {"sessions": self._live_sessions(), "draining": self.draining}
        await self._redis.set(self._alive_key(self.name), json.dumps(status), px=self.ttl_ms)
        await self._renew(
            keys=[self._store.node_sessions_key(self.name)], args=[self._prefix, self.ttl_ms * 2]
        )
        for name in await self.lost():
            ended = await self.reap(name)
            if ended >= 0:
                log.warning("node %s is lost: ended its %d sessions", name, ended)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            try:
                await self.beat()
            except (RedisError, OSError):
                # Redis away: the next beat tries again; if it stays away longer than the TTL,
                # the other nodes take this one for lost (and it learns so from put_state).
                log.warning("the heartbeat could not reach Redis")

    async def reap(self, name: str) -> int:
        """End a lost node's sessions; how many (-1 if it is alive after all)."""
        keys = [self._registry_key, self._store.node_sessions_key(name), self._alive_key(name)]
        args: list[str | int] = [name, self._prefix, TOMBSTONE_SECONDS * 1000]
        return int(await self._reap(keys=keys, args=args))

    async def nodes(self) -> list[NodeStatus]:
        """Every registered node that is alive, with its load."""
        registered = await cast(Awaitable[dict[str, str]], self._redis.hgetall(self._registry_key))
        names = sorted(registered)
        if not names:
            return []
        beats = await self._redis.mget([self._alive_key(name) for name in names])
        statuses = []
        for name, beat in zip(names, beats, strict=True):
            if beat is None:
                continue
            status = json.loads(beat)
            relay_path = json.loads(registered[name]).get("relay_path", "")
            statuses.append(
                NodeStatus(name, relay_path, int(status["sessions"]), bool(status["draining"]))
            )
        return statuses

    async def lost(self) -> list[str]:
        registered = await cast(Awaitable[list[str]], self._redis.hkeys(self._registry_key))
        alive = {status.name for status in await self.nodes()}
        return [name for name in registered if name not in alive]

    async def choose(self) -> str:
        """The healthy node with the fewest live sessions (this one on a tie, or if alone)."""
        healthy = [n for n in await self.nodes() if not n.draining]
        own = [n for n in healthy if n.name == self.name]
        if not healthy:
            return self.name
        return min(own + healthy, key=lambda n: n.live_sessions).name
