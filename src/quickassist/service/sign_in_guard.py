"""Password guessing held back three ways: per address, per account, and for the whole service.

- **Per address** (`client_address.limiter_key`: IPv6 by /64): every attempt counts, a
  sliding window (``login_attempts_per_address``, 5 a minute by default).
- **Per account**: after ``login_failures_before_delay`` wrong passwords in a row, each further
  attempt on that username waits 1 s, 2 s, 4 s ... up to ``login_delay_max_seconds``
  (`rate_limit.FailureDelay`). A delay, not a lock-out: the owner, after waiting it out, signs
  in with the right password, so an attacker cannot shut a helper out. Unknown usernames are
  counted the same way, so the answers do not tell which accounts exist. And the delay an
  attacker runs up does not reach the networks the helper signed in from lately (for
  ``retention_days``; in memory, or in Redis under keyed digests): from there, attempts on
  that account have a delay of their own, so timing a guess to every delay's end cannot keep
  the owner out either.
- **Globally**: failed sign-ins over ``login_failures_global`` refuse every sign-in for the
  rest of the window: the bound on guesses spread over many accounts and addresses.

A refusal is a 429 with Retry-After and a sentence, decided before the password is hashed, so
a refused attempt costs no argon2 time either. The figures are in docs/security.md.

`SignInGuard` is one node's guard, in memory and pure (time is an argument); the sign-in route
reaches it through `SignInLimits`, which `redis_limits.RedisSignInGuard` also implements with
the same rules for many nodes (`live_backend` chooses).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Protocol

from .config import ServiceConfig
from .errors import ServiceError
from .rate_limit import FailureDelay, SlidingWindowLimiter, describe_wait

_GLOBAL = "all"

#: What a refused sign-in says, before "Wait ... and try again." (shared with Redis's guard).
FROM_YOUR_NETWORK = "Too many sign-in attempts from your network."
SERVICE_REFUSING = "The service is refusing sign-ins after many wrong passwords."
FOR_THIS_ACCOUNT = "Too many wrong passwords for this account."


class SignInRefused(ServiceError):
    """Too many sign-in attempts: wait ``retry_after`` seconds."""

    status = 429
    code = "too_many_attempts"


class SignInLimits(Protocol):
    """What the sign-in route asks of a guard: one node's (`MemorySignInLimits`) or shared by
    every node (`redis_limits.RedisSignInGuard`)."""

    async def admit(self, address_key: str, username: str, now: float) -> None:
        """Count an attempt, or raise SignInRefused (429) before the password is looked at."""
        ...

    async def failed(self, address_key: str, username: str, now: float) -> None:
        """A wrong password (or second factor): it counts against the account and overall."""
        ...

    async def succeeded(self, address_key: str, username: str, now: float) -> None:
        """Signed in: the account's count is forgotten and the network is known for it."""
        ...


class SignInGuard:
    """One node's guard, in memory; pure (time is an argument)."""

    def __init__(self, config: ServiceConfig) -> None:
        per_address = config.login_attempts_per_address
        overall = config.login_failures_global
        self._per_address = SlidingWindowLimiter(per_address.count, per_address.per_seconds)
        self._per_account = FailureDelay(
            free_failures=config.login_failures_before_delay,
            max_delay_seconds=config.login_delay_max_seconds,
        )
        self._overall = SlidingWindowLimiter(overall.count, overall.per_seconds, max_keys=1)
        #: (account, network) -> last successful sign-in: personal data, kept in memory only
        #: and for at most the retention period.
        self._known: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._known_for = config.retention_days * 86400
        self._per_known_network = FailureDelay(
            free_failures=config.login_failures_before_delay,
            max_delay_seconds=config.login_delay_max_seconds,
        )

    def admit(self, address_key: str, username: str, now: float) -> None:
        """Count an attempt, or raise SignInRefused if it must wait."""
        wait = self._per_address.hit(address_key, now)
        if wait is not None:
            raise refuse_sign_in(FROM_YOUR_NETWORK, wait)
        wait = self._overall.retry_after(_GLOBAL, now)
        if wait is not None:
            raise refuse_sign_in(SERVICE_REFUSING, wait)
        delay, key = self._delay_for(address_key, username, now)
        wait = delay.retry_after(key, now)
        if wait is not None:
            raise refuse_sign_in(FOR_THIS_ACCOUNT, wait)

    def failed(self, address_key: str, username: str, now: float) -> None:
        delay, key = self._delay_for(address_key, username, now)
        delay.failed(key, now)
        self._overall.record(_GLOBAL, now)

    def succeeded(self, address_key: str, username: str, now: float) -> None:
        delay, key = self._delay_for(address_key, username, now)
        delay.succeeded(key)
        known = (account_key(username), address_key)
        self._known.pop(known, None)
        self._known[known] = now
        while len(self._known) > self._per_account.max_keys:
            self._known.popitem(last=False)

    def _delay_for(
        self, address_key: str, username: str, now: float
    ) -> tuple[FailureDelay, str | tuple[str, str]]:
        """The delay that counts this attempt: the network's own where the helper signed in
        from lately, the account's everywhere else."""
        known = (account_key(username), address_key)
        last = self._known.get(known)
        if last is not None and now - last < self._known_for:
            return self._per_known_network, known
        if last is not None:
            del self._known[known]
        return self._per_account, known[0]


class MemorySignInLimits:
    """`SignInLimits` of one node: its `SignInGuard`, nothing shared."""

    def __init__(self, guard: SignInGuard) -> None:
        self.guard = guard

    async def admit(self, address_key: str, username: str, now: float) -> None:
        self.guard.admit(address_key, username, now)

    async def failed(self, address_key: str, username: str, now: float) -> None:
        self.guard.failed(address_key, username, now)

    async def succeeded(self, address_key: str, username: str, now: float) -> None:
        self.guard.succeeded(address_key, username, now)


def account_key(username: str) -> str:
    """The per-account key: the username as sign-in compares it (case-folded, trimmed)."""
    return username.strip().casefold()


def refuse_sign_in(reason: str, wait: float) -> SignInRefused:
    """The 429 for a refused sign-in: the sentence, and how long to wait (whole seconds)."""
    seconds = max(1, math.ceil(wait))
    return SignInRefused(
        f"{reason} Wait {describe_wait(seconds)} and try again.", retry_after=seconds
    )
