"""The live sessions of this service node: codes, states, and the two sides' connections.

`SessionHub` is the thin asyncio layer around the pure state machine (`protocol.session`): every
change goes through `_apply`, which runs one transition under the session's lock, stores the new
state, and hands the outgoing messages to whichever sides are connected. The relay
(`service.relay`) attaches connections as `Peer`s and asks the hub whether a frame may pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from ..protocol import codes
from ..protocol.close_codes import CloseCode
from ..protocol.errors import InvalidCode
from ..protocol.frames import FrameKind
from ..protocol.messages import ClientMessage, ServerMessage
from ..protocol.roles import EndReason, HelperCard, Role
from ..protocol.session import (
    Abort,
    Act,
    Disconnected,
    Event,
    Reconnected,
    SessionPolicy,
    SessionState,
    SharerJoined,
    Tick,
    transition,
)
from .errors import JoinRefused, NotAllowed, SessionNotFound
from .helper_permissions import NOT_PERMITTED, ControlNotPermitted, asks_for_control
from .join_guard import JoinAdmission, JoinLimits
from .live_store import LiveStore
from .metrics import Metrics

log = logging.getLogger(__name__)

#: An ended session stays known this long, so a late reconnect hears why it ended.
ENDED_MEMORY_SECONDS = 60.0
#: How often deadlines (code expiry, consent timeout, reconnect grace) are checked.
TICK_SECONDS = 0.5


class Peer(Protocol):
    """One side's connection, as the hub sees it (implemented by the relay)."""

    def send_message(self, message: ServerMessage) -> None:
        """Queue a control message; never dropped."""

    def on_state(self, state: SessionState) -> None:
        """The session changed: drop queued frames the new state no longer allows."""

    def push_frame(self, kind: FrameKind, data: bytes) -> bool:
        """Queue a binary frame; False if an older droppable frame was dropped to make room."""

    async def drained(self) -> None:
        """Return once the never-dropped backlog is small enough to accept more."""

    async def close(self, code: CloseCode, reason: str) -> None: ...


class SessionLog(Protocol):
    """Where the hub reports what telemetry keeps (see service.telemetry)."""

    def started(self, session_id: str, helper_id: int, helper_address: str | None) -> None: ...

    def joined(self, session_id: str, sharer_address: str | None) -> None: ...

    def ended(self, session_id: str, reason: EndReason, features: Iterable[str]) -> None: ...

    def usage(self, session_id: str, bytes_relayed: int, errors: int) -> None: ...


@dataclass(frozen=True, slots=True)
class CreatedSession:
    session_id: str
    code: codes.SessionCode
    expires_in: float
    expires_at: float
    #: Where the session's relay node is reached (its public address's path, "" on one node).
    relay_path: str = ""


@dataclass(frozen=True, slots=True)
class JoinedSession:
    session_id: str
    sharer_token: str
    helper: HelperCard
    relay_path: str = ""


class SessionsElsewhere(Protocol):
    """The sessions other nodes hold (service.node_link), for a hub of many nodes."""

    async def create(
        self,
        *,
        helper_id: int,
        helper: HelperCard,
        helper_address: str | None,
        full_control_allowed: bool,
        helper_sign_in: str,
    ) -> CreatedSession | None:
        """Create the session on a less loaded node; None to create it on this one."""

    async def join(
        self, session_id: str, address: str, *, browser: bool = False
    ) -> JoinedSession | None:
        """Let the sharer into a session pinned to another node; None if none holds it.

        `browser`: the sharer joined from the web page (the session is view only)."""

    async def sign_out(self, *, helper_id: int | None, sign_in: str | None) -> None:
        """`SessionHub.sign_out` on every other node (a revocation this node made)."""


@dataclass(eq=False)
class LiveSession:
    id: str
    code: str
    helper_id: int
    state: SessionState
    sharer_token_digest: bytes = b""
    peers: dict[Role, Peer] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: Features seen by the relay (chat, annotation, clipboard), beside the state machine's own.
    relay_features: set[str] = field(default_factory=set)
    bytes_relayed: int = 0
    errors: int = 0
    #: The relay dropped video for the helper and asked the sharer for a keyframe.
    resync_pending: bool = False
    #: The helper may ask for full control (service.helper_permissions); else view only.
    full_control_allowed: bool = True
    #: The digest of the helper's sign-in this session ends with (`SessionHub.sign_out`): the
    #: one that created it, then the one whose cookie opened the helper's socket last (a later
    #: sign-in of the same helper takes it over). "" for none (the hub's own tests).
    helper_sign_in: str = ""
    ended_at: float | None = None

    def token_matches(self, token: str) -> bool:
        digest = hashlib.sha256(token.encode()).digest()
        return bool(self.sharer_token_digest) and hmac.compare_digest(
            digest, self.sharer_token_digest
        )


class SessionHub:
    def __init__(
        self,
        *,
        store: LiveStore,
        policy: SessionPolicy,
        join_guard: JoinLimits,
        metrics: Metrics,
        session_log: SessionLog,
        clock: Callable[[], float],
        elsewhere: SessionsElsewhere | None = None,
        relay_path: str = "",
    ) -> None:
        self._relay_path = relay_path
        self._store = store
        #: The other nodes (service.node_link), when sessions are spread over many.
        self._elsewhere = elsewhere
        self._policy = policy
        self._join_guard = join_guard
        self._metrics = metrics
        self._log = session_log
        self._clock = clock
        self._sessions: dict[str, LiveSession] = {}
        self._ticker: asyncio.Task[None] | None = None
        metrics.sessions_active = self.active_count

    # Rendezvous ------------------------------------------------------------------------------

    async def create(
        self,
        *,
        helper_id: int,
        helper: HelperCard,
        helper_address: str | None,
        full_control_allowed: bool = True,
        helper_sign_in: str = "",
    ) -> CreatedSession:
        """A new session and its code, on the least loaded node when there are many.

        `helper_sign_in`: the digest of the sign-in asking; the session ends with it even if the
        helper's socket never opened, so no code stays live for a helper who cannot come."""
        if self._elsewhere is not None:
            created = await self._elsewhere.create(
                helper_id=helper_id,
                helper=helper,
                helper_address=helper_address,
                full_control_allowed=full_control_allowed,
                helper_sign_in=helper_sign_in,
            )
            if created is not None:
                return created
        return await self.create_here(
            helper_id=helper_id,
            helper=helper,
            helper_address=helper_address,
            full_control_allowed=full_control_allowed,
            helper_sign_in=helper_sign_in,
        )

    async def create_here(
        self,
        *,
        helper_id: int,
        helper: HelperCard,
        helper_address: str | None,
        full_control_allowed: bool = True,
        helper_sign_in: str = "",
    ) -> CreatedSession:
        """A new session pinned to this node."""
        now = self._clock()
        session_id = uuid.uuid4().hex
        state = SessionState.new(helper, now, self._policy)
        code = codes.generate()
        while not await self._store.add_code(code.value, session_id, state.deadline):
            code = codes.generate()  # pragma: no cover - a collision in 729 million
        session = LiveSession(
            id=session_id,
            code=code.value,
            helper_id=helper_id,
            state=state,
            full_control_allowed=full_control_allowed,
            helper_sign_in=helper_sign_in,
        )
        self._sessions[session_id] = session
        await self._store.put_state(session_id, state)
        self._metrics.codes_issued += 1
        self._log.started(session_id, helper_id, helper_address)
        return CreatedSession(
            session_id, code, self._policy.code_lifetime, state.deadline, self._relay_path
        )

    async def join(self, code_text: str, address: str, *, browser: bool = False) -> JoinedSession:
        """Let the sharer in with a code; `browser`: from the web page, view only for good."""
        now = self._clock()
        try:
            admission = await self._join_guard.admit(address, now)
        except JoinRefused:
            self._metrics.joins_failed += 1  # counted, but not against the limit again
            raise
        try:
            code = codes.SessionCode.parse(code_text)
        except InvalidCode as exc:
            await self._join_failed(admission)
            raise JoinRefused(exc.message, code="invalid_code", status=400) from exc
        session_id = await self._store.claim_code(code.value, now)
        joined = None
        if session_id is not None:
            joined = await self.join_claimed(session_id, address, browser=browser)
            if joined is None and self._elsewhere is not None:
                # Claimed here, pinned to another node: that node lets the sharer in.
                joined = await self._elsewhere.join(session_id, address, browser=browser)
        if joined is None:
            # Unknown, used, expired and ended codes get one answer: none tells a guesser
            # that a code existed.
            await self._join_failed(admission)
            raise JoinRefused(
                "That code is not valid or has expired. "
                "Check it, or ask your helper for a new one.",
                code="unknown_code",
                status=404,
            )
        await self._join_guard.settle(admission, failed=False)
        return joined

    async def join_claimed(
        self, session_id: str, address: str, *, browser: bool = False
    ) -> JoinedSession | None:
        """Let the sharer into a session of this node whose code was just claimed (here or on
        another node); None if this node has no such session."""
        session = self._sessions.get(session_id)
        if session is None or session.state.ended:
            return None
        token = secrets.token_urlsafe(32)
        async with session.lock:
            session.sharer_token_digest = hashlib.sha256(token.encode()).digest()
            await self._apply(session, SharerJoined(browser=browser))
        self._metrics.joins_succeeded += 1
        self._log.joined(session.id, address)
        return JoinedSession(session.id, token, session.state.helper, self._relay_path)

    async def _join_failed(self, admission: JoinAdmission) -> None:
        self._metrics.joins_failed += 1
        await self._join_guard.settle(admission, failed=True)

    # Access ----------------------------------------------------------------------------------

    def get(self, session_id: str) -> LiveSession:
        session = self._sessions.get(session_id)
        if session is None:
            raise SessionNotFound("There is no such session. It may have ended; start a new one.")
        return session

    def for_helper(self, session_id: str, helper_id: int) -> LiveSession:
        session = self.get(session_id)
        if session.helper_id != helper_id:
            # Same answer as a missing session: do not confirm that someone else's exists.
            raise SessionNotFound("There is no such session. It may have ended; start a new one.")
        return session

    def for_sharer(self, session_id: str, token: str) -> LiveSession:
        session = self.get(session_id)
        if not session.token_matches(token):
            raise NotAllowed(
                "This connection is not part of that session. Enter the code again.",
                code="bad_token",
                status=401,
            )
        return session

    @property
    def metrics(self) -> Metrics:
        return self._metrics

    def active_count(self) -> int:
        return sum(1 for s in self._sessions.values() if not s.state.ended)

    def active_count_of(self, helper_id: int) -> int:
        """Sessions of one helper not yet ended (codes waiting included): for `HelperQuota`."""
        return sum(
            1 for s in self._sessions.values() if s.helper_id == helper_id and not s.state.ended
        )

    # Actions and connections -----------------------------------------------------------------

    async def act(self, session: LiveSession, role: Role, message: ClientMessage) -> SessionState:
        """Apply one side's action.

        Raises IllegalEvent, leaving the session untouched, if the action is not allowed now. An
        action that arrives after a deadline passed finds the session ended instead. A helper
        without the full-control permission gets `ControlNotPermitted` for asking for it.
        """
        if role is Role.HELPER and not session.full_control_allowed and asks_for_control(message):
            raise ControlNotPermitted(NOT_PERMITTED)
        async with session.lock:
            await self._apply(session, Act(role, message))
        return session.state

    async def attach(self, session: LiveSession, role: Role, peer: Peer) -> None:
        """A side connected (or reconnected); a previous connection of that side is replaced."""
        async with session.lock:
            old = session.peers.get(role)
            session.peers[role] = peer
            if old is not None:
                await old.close(CloseCode.REPLACED, CloseCode.REPLACED.sentence)
                # To the other side a replaced connection is a drop and a return: it must
                # learn that this side starts afresh (a new end-to-end handshake, a keyframe).
                await self._apply(session, Disconnected(role))
            await self._apply(session, Reconnected(role))

    async def detach(self, session: LiveSession, role: Role, peer: Peer) -> None:
        async with session.lock:
            if session.peers.get(role) is not peer:
                return  # replaced by a newer connection
            del session.peers[role]
            if not session.state.ended:
                await self._apply(session, Disconnected(role))

    async def abort(self, session: LiveSession, reason: EndReason) -> None:
        async with session.lock:
            session.errors += reason in (EndReason.PROTOCOL_ERROR, EndReason.SECURITY_ERROR)
            await self._apply(session, Abort(reason))

    async def sign_out(
        self,
        *,
        helper_id: int | None = None,
        sign_in: str | None = None,
        everywhere: bool = True,
    ) -> int:
        """End the live sessions of a helper whose sign-in ended; how many on this node.

        `helper_id`: every session of that helper (signed out everywhere, password changed,
        account disabled or removed); `sign_in`: the sessions that sign-in created or whose
        helper socket it opened last (one logout), codes still waiting included. The helper's
        socket, if open, is closed with `SIGNED_OUT` (its console reads that it was signed out,
        not the sharer's sentence); the sharer hears that the helper ended the session, as when
        the helper clicks End, and the code is forgotten. `everywhere`: the other nodes are told
        to do the same for theirs (False for a node answering that call).
        """
        ended = 0
        for session in list(self._sessions.values()):
            if helper_id is not None and session.helper_id != helper_id:
                continue
            if sign_in is not None and session.helper_sign_in != sign_in:
                continue
            async with session.lock:
                if session.state.ended:
                    continue
                helper = session.peers.pop(Role.HELPER, None)
                if helper is not None:
                    await helper.close(CloseCode.SIGNED_OUT, CloseCode.SIGNED_OUT.sentence)
                await self._apply(session, Abort(EndReason.HELPER_ENDED))
            ended += 1
        if everywhere and self._elsewhere is not None:
            await self._elsewhere.sign_out(helper_id=helper_id, sign_in=sign_in)
        return ended

    def helper_sign_ins(self) -> set[str]:
        """The sign-ins (digests) that sessions not yet ended end with (`helper_sign_in`)."""
        return {
            s.helper_sign_in
            for s in self._sessions.values()
            if s.helper_sign_in and not s.state.ended
        }

    def note_error(self, session: LiveSession) -> None:
        session.errors += 1

    def note_relayed(self, session: LiveSession, nbytes: int, feature: str | None) -> None:
        session.bytes_relayed += nbytes
        self._metrics.bytes_relayed += nbytes
        self._metrics.frames_relayed += 1
        if feature is not None:
            session.relay_features.add(feature)

    # The choke point -------------------------------------------------------------------------

    async def _apply(self, session: LiveSession, event: Event) -> None:
        """Run one transition (caller holds the lock) and deliver its messages."""
        before = session.state
        result = transition(before, event, self._clock(), self._policy)
        kept = True
        if result.state is not before:
            # Most ticks change nothing: then there is nothing to store or purge from queues.
            session.state = result.state
            kept = await self._store.put_state(session.id, result.state)
            for peer in session.peers.values():
                peer.on_state(result.state)
        for out in result.outgoing:
            targets = (Role.HELPER, Role.SHARER) if out.to is None else (out.to,)
            for role in targets:
                target = session.peers.get(role)
                if target is not None:
                    target.send_message(out.message)
        if result.state.ended and not before.ended:
            await self._finish(session)
        elif not kept:
            # The shared store gave this session up (its node was taken for lost and its
            # sessions were ended): it must not go on here either.
            await self._apply(session, Abort(EndReason.SERVER_SHUTDOWN))

    async def _finish(self, session: LiveSession) -> None:
        state = session.state
        assert state.end_reason is not None
        session.ended_at = self._clock()
        await self._store.forget_code(session.code)
        self._metrics.sessions_ended[state.end_reason.value] += 1
        self._log.usage(session.id, session.bytes_relayed, session.errors)
        self._log.ended(session.id, state.end_reason, state.features | session.relay_features)
        peers = list(session.peers.items())
        session.peers.clear()
        shutdown = state.end_reason is EndReason.SERVER_SHUTDOWN
        close_code = CloseCode.GOING_AWAY if shutdown else CloseCode.NORMAL
        for role, peer in peers:
            # Each side's own sentence ("You declined" to the sharer, not the helper's words).
            await peer.close(close_code, state.end_reason.sentence_for(role))

    # Time ------------------------------------------------------------------------------------

    async def tick(self) -> None:
        """Check every session's deadlines, and forget sessions long ended."""
        now = self._clock()
        for session in list(self._sessions.values()):
            if session.ended_at is not None:
                if now >= session.ended_at + ENDED_MEMORY_SECONDS:
                    del self._sessions[session.id]
                    await self._store.drop_state(session.id)
                continue
            async with session.lock:
                await self._apply(session, Tick())
        await self._store.sweep(now)

    async def start(self) -> None:
        self._ticker = asyncio.create_task(self._tick_forever(), name="session-hub-ticker")

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                await self.tick()
            except Exception:  # a bug in one tick must not stop expiry for every session
                log.exception("session tick failed")

    async def shutdown(self) -> None:
        """End every live session with a reason (the service is stopping)."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for session in list(self._sessions.values()):
            if not session.state.ended:
                await self.abort(session, EndReason.SERVER_SHUTDOWN)
