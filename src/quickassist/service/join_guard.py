"""Brute-force protection for security codes: failed joins are limited per address and globally.

Only failures count (a wrong, expired or malformed code). A client over its own budget, or any
client while the whole service is over the global budget, is refused with 429 and Retry-After
before its code is even looked at. The odds this leaves an attacker are in docs/security.md.
"""

from __future__ import annotations

import math

from .config import RateLimit
from .errors import JoinRefused
from .rate_limit import SlidingWindowLimiter

_GLOBAL = "all"


class JoinGuard:
    def __init__(self, *, per_address: RateLimit, overall: RateLimit) -> None:
        self._per_address = SlidingWindowLimiter(per_address.count, per_address.per_seconds)
        self._overall = SlidingWindowLimiter(overall.count, overall.per_seconds, max_keys=1)

    def check(self, address: str, now: float) -> None:
        """Raise JoinRefused (429) if joins from `address` are locked out now."""
        wait = self._per_address.retry_after(address, now)
        if wait is None:
            wait = self._overall.retry_after(_GLOBAL, now)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            raise JoinRefused(
                f"Too many wrong codes were tried. Wait {_minutes(seconds)} and try again.",
                code="too_many_attempts",
                status=429,
                retry_after=seconds,
            )

    def failed(self, address: str, now: float) -> None:
        self._per_address.record(address, now)
        self._overall.record(_GLOBAL, now)


def _minutes(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
