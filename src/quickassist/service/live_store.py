"""Where live session state and security codes are kept while sessions run.

The hub reads and writes through `LiveStore` only, so a Redis-backed store (codes with a TTL,
states as hashes) can replace the in-memory one for a multi-node deployment without touching the
relay. Connections themselves never go into a store: each session is pinned to one relay node.
"""

from __future__ import annotations

from typing import Protocol

from ..protocol.session import SessionState


class LiveStore(Protocol):
    """Codes and session states of the sessions this deployment is running."""

    async def add_code(self, code: str, session_id: str, expires_at: float) -> bool:
        """Reserve `code` for `session_id`; False if that code is already in use."""

    async def claim_code(self, code: str, now: float) -> str | None:
        """Use a code: its session's id, or None if no live code matches (unknown, used,
        expired and ended codes alike, so an answer never tells that a code existed). The first
        successful claim removes the code (codes are single use)."""

    async def forget_code(self, code: str) -> None:
        """End a code early (its session ended before anyone joined)."""

    async def put_state(self, session_id: str, state: SessionState) -> bool:
        """Store the state; False if the store no longer holds the session for this node (a
        shared store ended it when the node was taken for lost): the hub then ends it too."""

    async def get_state(self, session_id: str) -> SessionState | None: ...

    async def drop_state(self, session_id: str) -> None: ...

    async def sweep(self, now: float) -> None:
        """Forget expired codes."""


class MemoryLiveStore:
    """The embedded default: one process, dictionaries, no persistence (live state is ephemeral)."""

    def __init__(self) -> None:
        self._codes: dict[str, tuple[str, float]] = {}
        self._states: dict[str, SessionState] = {}

    async def add_code(self, code: str, session_id: str, expires_at: float) -> bool:
        if code in self._codes:
            return False
        self._codes[code] = (session_id, expires_at)
        return True

    async def claim_code(self, code: str, now: float) -> str | None:
        entry = self._codes.pop(code, None)
        if entry is None or now >= entry[1]:
            return None
        return entry[0]

    async def forget_code(self, code: str) -> None:
        self._codes.pop(code, None)

    async def put_state(self, session_id: str, state: SessionState) -> bool:
        self._states[session_id] = state
        return True

    async def get_state(self, session_id: str) -> SessionState | None:
        return self._states.get(session_id)

    async def drop_state(self, session_id: str) -> None:
        self._states.pop(session_id, None)

    async def sweep(self, now: float) -> None:
        stale = [code for code, (_sid, expires_at) in self._codes.items() if now >= expires_at]
        for code in stale:
            del self._codes[code]
