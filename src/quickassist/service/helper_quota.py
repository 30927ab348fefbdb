"""How many sessions one helper may hold and start: a bound on what one account can cost.

Without it, one signed-in helper (or a stolen cookie) could create sessions as fast as the
service answers (about 415 in 10 s, measured) and fill its memory with codes nobody will use.
Two bounds, checked before a session is made: sessions not yet ended (codes waiting included,
``live_sessions_per_helper``) and codes asked for in a sliding window
(``code_requests_per_helper``). Both answer 429 with a sentence the console shows as it is.

`HelperQuota` is the rule, pure (time and the open count are arguments). The route reaches it
through `HelperLimits`: on one node `MemoryHelperQuota` counts the hub's sessions; on many,
`redis_limits.RedisHelperQuota` counts the helper's sessions on every node and keeps the code
window in Redis (`live_backend` chooses).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .config import RateLimit
from .errors import ServiceError
from .rate_limit import SlidingWindowLimiter, describe_wait


class QuotaExceeded(ServiceError):
    status = 429
    code = "too_many_sessions"


@dataclass(frozen=True, slots=True)
class QuotaAdmission:
    """A code request a quota let through: handed back to ``settle`` with what it made."""

    helper_id: int
    #: Where a shared quota holds the request's place until its session exists (Redis).
    reservation: str = ""


class HelperLimits(Protocol):
    """What the route asks of a quota: one node's (`MemoryHelperQuota`) or every node's."""

    async def admit(self, helper_id: int, now: float) -> QuotaAdmission:
        """Count a code request of ``helper_id``, or raise QuotaExceeded (429)."""
        ...

    async def settle(self, admission: QuotaAdmission, session_id: str | None) -> None:
        """The session the request made (None if it made none): it counts as open now."""
        ...


def too_many_open(open_now: int) -> QuotaExceeded:
    return QuotaExceeded(
        f"You already have {open_now} sessions open. End one of them before you start another."
    )


def too_many_codes(wait: float) -> QuotaExceeded:
    seconds = max(1, math.ceil(wait))
    return QuotaExceeded(
        f"You asked for many codes in a short time. Wait {describe_wait(seconds)} and try again.",
        code="too_many_codes",
        retry_after=seconds,
    )


class HelperQuota:
    def __init__(self, *, live_sessions: int, code_requests: RateLimit) -> None:
        self.live_sessions = live_sessions
        self._code_requests = SlidingWindowLimiter(code_requests.count, code_requests.per_seconds)

    def admit(self, helper_id: int, live_now: int, now: float) -> None:
        """Count a code request of ``helper_id``, who has ``live_now`` sessions; or raise."""
        if live_now >= self.live_sessions:
            raise too_many_open(live_now)
        wait = self._code_requests.hit(helper_id, now)
        if wait is not None:
            raise too_many_codes(wait)


class MemoryHelperQuota:
    """`HelperLimits` of one node: its `HelperQuota`, over the sessions ``open_sessions`` counts
    (the hub's: every session is on this node)."""

    def __init__(self, quota: HelperQuota, open_sessions: Callable[[int], int]) -> None:
        self.quota = quota
        self._open_sessions = open_sessions

    async def admit(self, helper_id: int, now: float) -> QuotaAdmission:
        # Exact: from this count until the hub holds the new session nothing yields to the
        # event loop (the memory store never waits), so no other request counts in between.
        self.quota.admit(helper_id, self._open_sessions(helper_id), now)
        return QuotaAdmission(helper_id)

    async def settle(self, admission: QuotaAdmission, session_id: str | None) -> None:
        """Nothing to do: the hub already counts the session it made."""
