"""How many sessions one helper may hold and start: a bound on what one account can cost.

Without it, one signed-in helper (or a stolen cookie) could create sessions as fast as the
service answers (about 415 in 10 s, measured) and fill its memory with codes nobody will use.
Two bounds, checked before a session is made: sessions not yet ended (codes waiting included,
``live_sessions_per_helper``) and codes asked for in a sliding window
(``code_requests_per_helper``). Both answer 429 with a sentence the console shows as it is.
"""

from __future__ import annotations

import math

from .config import RateLimit
from .errors import ServiceError
from .rate_limit import SlidingWindowLimiter, describe_wait


class QuotaExceeded(ServiceError):
    status = 429
    code = "too_many_sessions"


class HelperQuota:
    def __init__(self, *, live_sessions: int, code_requests: RateLimit) -> None:
        self.live_sessions = live_sessions
        self._code_requests = SlidingWindowLimiter(code_requests.count, code_requests.per_seconds)

    def admit(self, helper_id: int, live_now: int, now: float) -> None:
        """Count a code request of ``helper_id``, who has ``live_now`` sessions; or raise."""
        if live_now >= self.live_sessions:
            raise QuotaExceeded(
                f"You already have {live_now} sessions open. "
                "End one of them before you start another."
            )
        wait = self._code_requests.hit(helper_id, now)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            raise QuotaExceeded(
                "You asked for many codes in a short time. "
                f"Wait {describe_wait(seconds)} and try again.",
                code="too_many_codes",
                retry_after=seconds,
            )
