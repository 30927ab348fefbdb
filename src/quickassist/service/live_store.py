"""Where live session state and security codes are kept while sessions run.

The hub reads and writes through `LiveStore` only, so a Redis-backed store (codes with a TTL,
states as hashes) can replace the in-memory one for a multi-node deployment without touching the
relay. Connections themselves never go into a store: each session is pinned to one relay node.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from ..protocol.session import SessionState

#: An expired code is remembered this long, so a late sharer hears "expired", not "wrong".
EXPIRED_CODE_MEMORY_SECONDS = 3600.0


class ClaimOutcome(enum.Enum):
    CLAIMED = "claimed"
    UNKNOWN = "unknown"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class CodeClaim:
    outcome: ClaimOutcome
    session_id: str | None = None


class LiveStore(Protocol):
    """Codes and session states of the sessions this deployment is running."""

    async def add_code(self, code: str, session_id: str, expires_at: float) -> bool:
        """Reserve `code` for `session_id`; False if that code is already in use."""

    async def claim_code(self, code: str, now: float) -> CodeClaim:
        """Use a code: the first successful claim removes it (codes are single use)."""

    async def expire_code(self, code: str, now: float) -> None:
        """End a code early (its session ended before anyone joined)."""

    async def put_state(self, session_id: str, state: SessionState) -> None: ...

    async def get_state(self, session_id: str) -> SessionState | None: ...

    async def drop_state(self, session_id: str) -> None: ...

    async def sweep(self, now: float) -> None:
        """Forget codes long expired."""


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

    async def claim_code(self, code: str, now: float) -> CodeClaim:
        entry = self._codes.get(code)
        if entry is None:
            return CodeClaim(ClaimOutcome.UNKNOWN)
        session_id, expires_at = entry
        if now >= expires_at:
            return CodeClaim(ClaimOutcome.EXPIRED)
        del self._codes[code]
        return CodeClaim(ClaimOutcome.CLAIMED, session_id)

    async def expire_code(self, code: str, now: float) -> None:
        entry = self._codes.get(code)
        if entry is not None and entry[1] > now:
            # Kept as expired, so a late sharer is told the truth rather than "wrong code".
            self._codes[code] = (entry[0], now)

    async def put_state(self, session_id: str, state: SessionState) -> None:
        self._states[session_id] = state

    async def get_state(self, session_id: str) -> SessionState | None:
        return self._states.get(session_id)

    async def drop_state(self, session_id: str) -> None:
        self._states.pop(session_id, None)

    async def sweep(self, now: float) -> None:
        stale = [
            code
            for code, (_sid, expires_at) in self._codes.items()
            if now >= expires_at + EXPIRED_CODE_MEMORY_SECONDS
        ]
        for code in stale:
            del self._codes[code]
