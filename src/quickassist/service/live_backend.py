"""Where live state is kept, chosen once from the config: this process's memory (one node), or
Redis shared by many nodes (``--redis-url``), with the node's registration and its link to the
others. `install_sessions` builds the hub from what `live_backend` returns.

The limits go with the live state: the join guard, the sign-in guard and the per-helper quota
are each one node's in memory, or kept in Redis so that every node counts against one budget.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..protocol.close_codes import CloseCode
from .config import ServiceConfig
from .helper_quota import HelperLimits, HelperQuota, MemoryHelperQuota
from .hub import SessionHub, SessionsElsewhere
from .join_guard import JoinGuard, JoinLimits
from .live_store import LiveStore, MemoryLiveStore
from .metrics import Metrics
from .sign_in_guard import MemorySignInLimits, SignInGuard, SignInLimits

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]


@dataclass
class LiveBackend:
    store: LiveStore
    join_guard: JoinLimits
    sign_in_guard: SignInLimits
    #: The per-helper quota, for the hub built on this backend (one node counts the hub's own
    #: sessions; many count every node's in Redis).
    helper_quota: Callable[[SessionHub], HelperLimits]
    elsewhere: SessionsElsewhere | None = None
    #: Run after the hub started.
    on_startup: list[Callable[[SessionHub], Awaitable[None]]] = field(default_factory=list)
    #: Run before the hub ends its sessions (drain), and after (leave), on shut-down.
    before_sessions_end: list[Callable[[SessionHub], Awaitable[None]]] = field(default_factory=list)
    after_sessions_end: list[Hook] = field(default_factory=list)
    #: Run last, once every connection has closed.
    on_closed: list[Hook] = field(default_factory=list)
    #: Checked by /readyz beside the database.
    reachable: Callable[[], Awaitable[bool]] | None = None
    node: str = ""
    #: True while this node drains (takes no new sessions).
    draining: Callable[[], bool] = lambda: False
    #: What became of a session this node does not hold (`refusal`), with many nodes.
    whereabouts: Callable[[str], Awaitable[tuple[CloseCode, str] | None]] | None = None

    async def refusal(self, session_id: str, code: CloseCode, reason: str) -> tuple[CloseCode, str]:
        """How to close a relay socket for a session this node does not hold.

        On many nodes a reconnect lands here when the session's own node is not answering
        (the proxy sends it to a backup): once that node is known lost, its people hear so in
        a final sentence; until then a retry (1001) may still find it.
        """
        if code is not CloseCode.UNKNOWN_SESSION or self.whereabouts is None:
            return code, reason
        return await self.whereabouts(session_id) or (code, reason)


def _join_guard(config: ServiceConfig) -> JoinGuard:
    return JoinGuard(
        per_address=config.join_failures_per_address,
        overall=config.join_failures_global,
        under_attack_per_network=config.join_failures_under_attack_per_network,
        under_attack_overall=config.join_failures_under_attack_global,
    )


def _memory_quota(config: ServiceConfig) -> Callable[[SessionHub], HelperLimits]:
    def quota(hub: SessionHub) -> HelperLimits:
        rule = HelperQuota(
            live_sessions=config.live_sessions_per_helper,
            code_requests=config.code_requests_per_helper,
        )
        return MemoryHelperQuota(rule, hub.active_count_of)

    return quota


def live_backend(
    config: ServiceConfig, clock: Callable[[], float], metrics: Metrics, *, secret_key: str
) -> LiveBackend:
    """Memory for one node; Redis, the node registry and the node link for many.

    ``secret_key`` (the service's, the same on every node) keys the digests that stand for
    accounts and networks in Redis's sign-in keys."""
    if not config.redis_url:
        return LiveBackend(
            store=MemoryLiveStore(),
            join_guard=_join_guard(config),
            sign_in_guard=MemorySignInLimits(SignInGuard(config)),
            helper_quota=_memory_quota(config),
        )
    # Imported only here: the embedded default runs without the `scale` extra.
    from .node_link import NodeLink
    from .nodes import NODE_LOST_SENTENCE, NODE_UNREACHABLE_SENTENCE, NodeRegistry
    from .redis_limits import RedisHelperQuota, RedisSignInGuard
    from .redis_live_store import RedisJoinGuard, RedisLiveStore, connect_redis, redis_reachable

    redis = connect_redis(config.redis_url)
    prefix = config.redis_key_prefix
    store = RedisLiveStore(redis, node=config.node_name, clock=clock, prefix=prefix)
    join_guard = RedisJoinGuard(
        redis,
        per_address=config.join_failures_per_address,
        overall=config.join_failures_global,
        under_attack_per_network=config.join_failures_under_attack_per_network,
        under_attack_overall=config.join_failures_under_attack_global,
        prefix=prefix,
    )
    sign_in_guard = RedisSignInGuard(redis, config, secret=secret_key.encode(), prefix=prefix)
    helper_quota = RedisHelperQuota(
        redis,
        live_sessions=config.live_sessions_per_helper,
        code_requests=config.code_requests_per_helper,
        prefix=prefix,
    )
    registry = NodeRegistry(
        redis,
        store,
        relay_path=config.relay_path,
        heartbeat_seconds=config.node_heartbeat_seconds,
        live_sessions=lambda: metrics.sessions_active(),
        prefix=prefix,
    )
    link = NodeLink(redis, store, registry, prefix=prefix, metrics=metrics)
    metrics.node_name = registry.name
    metrics.node_draining = lambda: registry.draining

    async def join_the_nodes(hub: SessionHub) -> None:
        await registry.start()
        await link.start(hub)
        log.info("node %s joined the nodes (relay at %r)", registry.name, config.relay_path)

    async def drain(hub: SessionHub) -> None:
        """Take no new sessions, and let live ones go on for up to ``drain_seconds``."""
        await registry.drain()
        deadline = asyncio.get_running_loop().time() + config.drain_seconds
        # Polled: a count read once a second while draining costs nothing worth an event.
        while hub.active_count() and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(min(1.0, config.drain_seconds))
        if hub.active_count():
            log.info("draining: ending the last %d sessions", hub.active_count())

    async def leave() -> None:
        await link.stop()
        await registry.stop()

    async def close() -> None:
        await redis.aclose()

    async def reachable() -> bool:
        return await redis_reachable(redis)

    async def whereabouts(session_id: str) -> tuple[CloseCode, str] | None:
        if await store.ended_with_its_node(session_id):
            return CloseCode.UNKNOWN_SESSION, NODE_LOST_SENTENCE
        owner = await store.owner(session_id)
        if owner is not None and owner != registry.name:
            return CloseCode.GOING_AWAY, NODE_UNREACHABLE_SENTENCE
        return None

    return LiveBackend(
        store=store,
        join_guard=join_guard,
        sign_in_guard=sign_in_guard,
        helper_quota=lambda _hub: helper_quota,
        elsewhere=link,
        on_startup=[join_the_nodes],
        before_sessions_end=[drain],
        after_sessions_end=[leave],
        on_closed=[close],
        reachable=reachable,
        node=registry.name,
        draining=lambda: registry.draining,
        whereabouts=whereabouts,
    )
