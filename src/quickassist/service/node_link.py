"""Calls from one node to another through Redis: create a session on, or join one pinned to,
the node that holds (or will hold) its relay; end the sessions of a helper signed out here.

A call is a PUBLISH on the callee's channel ``rpc:{NODE}`` with a fresh reply key; the callee
runs it on its hub and pushes the answer to the reply key, which the caller pops (BLPOP) with
a timeout. PUBLISH says how many listened: none means the node is gone, answered at once. No
node-to-node addresses, certificates or ports: the nodes only share Redis, as they already do.

Only rendezvous crosses nodes, never media: the relay's WebSockets go to the pinned node itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import uuid
from collections.abc import Awaitable
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ..protocol import codes
from ..protocol.roles import HelperCard
from .errors import ServiceError
from .hub import CreatedSession, JoinedSession, SessionHub
from .metrics import Metrics
from .nodes import NodeRegistry
from .redis_live_store import RedisLiveStore

log = logging.getLogger(__name__)


class NodeDraining(ServiceError):
    """Every healthy node is draining: no new session can start now."""

    status = 503
    code = "draining"


#: How long a caller waits for the other node's answer: a hub call is milliseconds.
CALL_TIMEOUT_SECONDS = 5.0


class NodeLink:
    """This node's end of the calls: answers the others' and makes its own (`SessionsElsewhere`)."""

    def __init__(
        self,
        redis: Redis,
        store: RedisLiveStore,
        registry: NodeRegistry,
        *,
        prefix: str,
        metrics: Metrics,
    ) -> None:
        self._redis = redis
        self._metrics = metrics
        self._store = store
        self._registry = registry
        self._prefix = prefix
        self._hub: SessionHub | None = None
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._answering: set[asyncio.Task[None]] = set()

    def _channel(self, node: str) -> str:
        return f"{self._prefix}rpc:{node}"

    async def start(self, hub: SessionHub) -> None:
        self._hub = hub
        self._listener = asyncio.create_task(self._listen(), name="node-link")
        await self._subscribed.wait()

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener

    # Calls to other nodes --------------------------------------------------------------------

    async def create(
        self,
        *,
        helper_id: int,
        helper: HelperCard,
        helper_address: str | None,
        full_control_allowed: bool,
        helper_sign_in: str,
    ) -> CreatedSession | None:
        """Create the session on the least loaded node; None if that is this one."""
        node = await self._registry.choose()
        if node == self._registry.name:
            if self._registry.draining:
                # No other node is healthy, and this one is on its way out.
                raise NodeDraining(
                    "This server is restarting and takes no new sessions. Try again in a minute."
                )
            return None
        args = {
            "helper_id": helper_id,
            "helper": dataclasses.astuple(helper),
            "helper_address": helper_address,
            "full_control_allowed": full_control_allowed,
            "helper_sign_in": helper_sign_in,
        }
        answer = await self._call(node, "create", args)
        if answer is None:
            return None  # it went away since it beat: this node takes the session
        return CreatedSession(
            answer["session_id"],
            codes.SessionCode.parse(answer["code"]),
            answer["expires_in"],
            answer["expires_at"],
            answer["relay_path"],
        )

    async def join(
        self, session_id: str, address: str, *, browser: bool = False
    ) -> JoinedSession | None:
        node = await self._store.owner(session_id)
        if node is None or node == self._registry.name:
            return None
        args = {"session_id": session_id, "address": address, "browser": browser}
        answer = await self._call(node, "join", args)
        if not answer:
            return None
        return JoinedSession(
            answer["session_id"],
            answer["sharer_token"],
            HelperCard(*answer["helper"]),
            answer["relay_path"],
        )

    async def sign_out(self, *, helper_id: int | None, sign_in: str | None) -> None:
        """Tell every other live node to end the sessions of a sign-in that ended here (one
        call each, at once: revocations are rare). A node that does not answer ends them at
        its next re-check of the sign-ins (service.sign_in_watch), so a failure here is only
        logged: the logout itself has already happened."""
        args = {"helper_id": helper_id, "sign_in": sign_in}
        try:
            others = [n.name for n in await self._registry.nodes() if n.name != self._registry.name]
            await asyncio.gather(*(self._call(node, "sign_out", args) for node in others))
        except (RedisError, OSError) as exc:
            log.warning("could not tell the other nodes of a sign-out: %s", exc)

    async def _call(self, node: str, op: str, args: dict[str, Any]) -> Any:
        reply = f"{self._prefix}reply:{uuid.uuid4().hex}"
        request = json.dumps({"op": op, "args": args, "reply": reply})
        if not await self._redis.publish(self._channel(node), request):
            self._metrics.node_calls[f"{op}:gone"] += 1
            return None  # nobody listens on that node's channel: it is gone
        popped = await cast(
            Awaitable[list[str] | None], self._redis.blpop([reply], timeout=CALL_TIMEOUT_SECONDS)
        )
        if popped is None:
            self._metrics.node_calls[f"{op}:timeout"] += 1
            log.warning("node %s did not answer a %s call in time", node, op)
            return None
        self._metrics.node_calls[f"{op}:ok"] += 1
        return json.loads(popped[1])

    # Calls from other nodes ------------------------------------------------------------------

    async def _listen(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._channel(self._registry.name))
        self._subscribed.set()
        try:
            while True:
                message = await pubsub.get_message(timeout=None)
                if message is None or message.get("type") != "message":
                    continue
                # One at a time would let a slow call hold up the next: each runs on its own.
                task = asyncio.create_task(self._answer(json.loads(message["data"])))
                self._answering.add(task)
                task.add_done_callback(self._answering.discard)
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _answer(self, request: dict[str, Any]) -> None:
        try:
            answer = await self._run(request["op"], request["args"])
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(request["reply"], json.dumps(answer))
                pipe.expire(request["reply"], round(CALL_TIMEOUT_SECONDS * 2))
                await pipe.execute()
        except Exception:  # one bad call must not stop this node answering the next
            log.exception("a call from another node failed")

    async def _run(self, op: str, args: dict[str, Any]) -> Any:
        hub = self._hub
        assert hub is not None
        if op == "create":
            created = await hub.create_here(
                helper_id=args["helper_id"],
                helper=HelperCard(*args["helper"]),
                helper_address=args["helper_address"],
                full_control_allowed=args["full_control_allowed"],
                # Absent from a node not yet upgraded: its sessions end with the helper's socket's
                # sign-in only, as they did there.
                helper_sign_in=args.get("helper_sign_in", ""),
            )
            return {
                "session_id": created.session_id,
                "code": created.code.value,
                "expires_in": created.expires_in,
                "expires_at": created.expires_at,
                "relay_path": created.relay_path,
            }
        if op == "join":
            joined = await hub.join_claimed(
                args["session_id"], args["address"], browser=bool(args.get("browser"))
            )
            if joined is None:
                return None
            return {
                "session_id": joined.session_id,
                "sharer_token": joined.sharer_token,
                "helper": dataclasses.astuple(joined.helper),
                "relay_path": joined.relay_path,
            }
        if op == "sign_out":
            return await hub.sign_out(
                helper_id=args["helper_id"], sign_in=args["sign_in"], everywhere=False
            )
        raise ValueError(f"unknown call {op!r}")
