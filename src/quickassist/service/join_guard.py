"""Brute-force protection for security codes that an attacker cannot turn into a kill switch.

Only failures count (a wrong, expired or malformed code). Four sliding windows::

    per address        always: an address (IPv6: its /64) over it is refused
    overall            while it has room, every address within its own budget is answered
    per network        a long memory of failures by network (IPv4 address, IPv6 /48)
    under attack       a second, smaller overall budget, used only once `overall` is spent

Once the overall budget is spent (a guessing attack), joins are not refused wholesale: an
address whose network has few failures in the long memory may still try, and its failures are
counted against the under-attack budget. The attacker's addresses have spent their networks'
allowance flooding; a sharer whose network has not been guessing still gets in.

Every attempt the guard lets through gets a truthful answer (a right code joins, a wrong one is
404), and at most ``overall + under_attack`` failures are let through per window: that sum bounds
an attacker's odds (docs/security.md, "Guessing a security code"). A refused attempt is refused
before its code is looked at, so a 429 tells nothing about the code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NoReturn, Protocol

from .client_address import limiter_key
from .config import RateLimit
from .errors import JoinRefused
from .rate_limit import SlidingWindowLimiter

_ALL = "all"
#: The under-attack tier counts IPv6 by /48, the smallest network a site is normally given
#: (RFC 6177): one /48 holds 65,536 /64s, which would otherwise be as many fresh allowances.
UNDER_ATTACK_IPV6_PREFIX = 48


@dataclass(frozen=True, slots=True)
class JoinAdmission:
    """A join attempt a guard let through: handed back to ``settle`` with its outcome."""

    address: str
    now: float
    #: Where a shared guard already counted the attempt (`RedisJoinGuard`), to refund it.
    counted: tuple[str, ...] = ()
    member: str = ""


class JoinLimits(Protocol):
    """What the hub asks of a join guard: in memory (`JoinGuard`) or shared (Redis)."""

    async def admit(self, address: str, now: float) -> JoinAdmission:
        """Let the attempt through, or raise JoinRefused (429) before its code is looked at."""
        ...

    async def settle(self, admission: JoinAdmission, *, failed: bool) -> None:
        """The attempt's outcome: a failure counts against the limits, a success does not."""
        ...


class JoinGuard:
    """The guard of one process, in memory (`redis_live_store.RedisJoinGuard` for many)."""

    def __init__(
        self,
        *,
        per_address: RateLimit,
        overall: RateLimit,
        under_attack_per_network: RateLimit,
        under_attack_overall: RateLimit,
    ) -> None:
        self._per_address = SlidingWindowLimiter(per_address.count, per_address.per_seconds)
        self._overall = SlidingWindowLimiter(overall.count, overall.per_seconds, max_keys=1)
        self._per_network = SlidingWindowLimiter(
            under_attack_per_network.count, under_attack_per_network.per_seconds
        )
        self._under_attack = SlidingWindowLimiter(
            under_attack_overall.count, under_attack_overall.per_seconds, max_keys=1
        )

    def under_attack(self, now: float) -> bool:
        """True while the overall budget is spent (only the under-attack tier answers)."""
        return self._overall.retry_after(_ALL, now) is not None

    def check(self, address: str, now: float) -> None:
        """Raise JoinRefused (429) if a join from `address` may not be answered now."""
        wait = self._per_address.retry_after(limiter_key(address), now)
        if wait is not None:
            refuse_join("Too many wrong codes were tried.", wait)
        overall_wait = self._overall.retry_after(_ALL, now)
        if overall_wait is None:
            return
        network_wait = self._per_network.retry_after(_network(address), now)
        attack_wait = self._under_attack.retry_after(_ALL, now)
        if network_wait is None and attack_wait is None:
            return
        # Either the overall budget frees up, or (later) this network's and the tier's do.
        tier_wait = max(network_wait or 0.0, attack_wait or 0.0)
        refuse_join(
            "Too many wrong codes are being tried on this service right now.",
            min(overall_wait, tier_wait),
        )

    async def admit(self, address: str, now: float) -> JoinAdmission:
        self.check(address, now)
        return JoinAdmission(address=address, now=now)

    async def settle(self, admission: JoinAdmission, *, failed: bool) -> None:
        if failed:
            self.failed(admission.address, admission.now)

    def failed(self, address: str, now: float) -> None:
        """Count a failed join from `address` (after `check` let it through)."""
        self._per_address.record(limiter_key(address), now)
        self._per_network.record(_network(address), now)
        # The same `now` as the check: in one process nothing changes the windows between
        # `admit` and `settle` that this attempt did not see, so the failure lands in the tier
        # that let it through.
        tier = self._under_attack if self.under_attack(now) else self._overall
        tier.record(_ALL, now)


def _network(address: str) -> str:
    return limiter_key(address, ipv6_prefix=UNDER_ATTACK_IPV6_PREFIX)


def refuse_join(sentence: str, wait: float) -> NoReturn:
    """Raise the 429 for a refused join: the sentence, and how long to wait."""
    seconds = max(1, math.ceil(wait))
    raise JoinRefused(
        f"{sentence} Wait {_minutes(seconds)} and try again.",
        code="too_many_attempts",
        status=429,
        retry_after=seconds,
    )


def _minutes(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
