"""Rate limits kept in memory: a sliding window (`SlidingWindowLimiter`) and a doubling delay
after repeated failures (`FailureDelay`), keyed by anything hashable (an address, an account).

Pure: time is passed in (``now``, seconds on any monotonic-enough clock), so it is tested
without sleeping. Memory is bounded: at most ``max_keys`` keys are tracked, the least recently
used dropped first, and each key holds at most ``limit`` timestamps.

Typical use (login: every attempt counts)::

    retry_after = limiter.hit(address, now)
    if retry_after is not None:
        ...  # 429, Retry-After: ceil(retry_after)

or (joins: only failures count)::

    retry_after = limiter.retry_after(address, now)   # refuse early while locked out
    ...
    limiter.record(address, now)                       # after a failed attempt
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass


class SlidingWindowLimiter:
    """At most ``limit`` events per key within any ``window_seconds``."""

    def __init__(self, limit: int, window_seconds: float, *, max_keys: int = 100_000) -> None:
        if limit < 1 or window_seconds <= 0 or max_keys < 1:
            raise ValueError("limit, window_seconds and max_keys must be positive")
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._events: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def retry_after(self, key: Hashable, now: float) -> float | None:
        """Seconds until ``key`` may act again, or None if it may act now. Records nothing."""
        events = self._events.get(key)
        if events is None:
            return None
        self._expire(events, now)
        if not events:
            del self._events[key]
            return None
        if len(events) < self.limit:
            return None
        # Clamped: float rounding must never make the wait look longer than the window.
        return min(max(events[0] + self.window_seconds - now, 0.001), self.window_seconds)

    def record(self, key: Hashable, now: float) -> None:
        """Count one event for ``key`` at ``now``."""
        events = self._events.get(key)
        if events is None:
            events = deque(maxlen=self.limit)
            self._events[key] = events
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
        else:
            self._events.move_to_end(key)
            self._expire(events, now)
        events.append(now)

    def hit(self, key: Hashable, now: float) -> float | None:
        """Count an attempt if allowed: None if it may go ahead, else seconds to wait.

        A refused attempt is not counted, so a locked-out client is let in again exactly when
        its oldest counted attempt leaves the window.
        """
        wait = self.retry_after(key, now)
        if wait is None:
            self.record(key, now)
        return wait

    def reset(self, key: Hashable) -> None:
        """Forget ``key`` (for example after a successful sign-in)."""
        self._events.pop(key, None)

    def __len__(self) -> int:
        return len(self._events)

    def _expire(self, events: deque[float], now: float) -> None:
        horizon = now - self.window_seconds
        while events and events[0] <= horizon:
            events.popleft()


@dataclass
class _Failures:
    count: int
    last: float


class FailureDelay:
    """After ``free_failures`` failures in a row for a key, each further attempt waits.

    The wait doubles with every further failure: ``base_seconds`` after the first one past the
    free ones, then twice that, up to ``max_delay_seconds``. It is counted from the last
    failure, and a success forgets the key. Unlike a lock-out, whoever waits the delay out gets
    one attempt, so an attacker can slow an account's sign-in down but never shut its owner out
    for longer than ``max_delay_seconds``. A key quiet for ``forget_after_seconds`` starts
    afresh. Pure (time is passed in) and bounded (``max_keys``, least recently failed dropped).
    """

    def __init__(
        self,
        *,
        free_failures: int,
        max_delay_seconds: float,
        base_seconds: float = 1.0,
        forget_after_seconds: float = 24 * 3600.0,
        max_keys: int = 100_000,
    ) -> None:
        if free_failures < 1 or base_seconds <= 0 or max_delay_seconds < base_seconds:
            raise ValueError("free_failures, base_seconds and max_delay_seconds must be positive")
        self.free_failures = free_failures
        self.base_seconds = base_seconds
        self.max_delay_seconds = max_delay_seconds
        self.forget_after_seconds = max(forget_after_seconds, max_delay_seconds)
        self.max_keys = max_keys
        self._failures: OrderedDict[Hashable, _Failures] = OrderedDict()

    def delay(self, failures: int) -> float:
        """The wait after ``failures`` failures in a row (0 while they are free)."""
        past = failures - self.free_failures
        if past < 0:
            return 0.0
        # 2**past overflows a float long after it passed the cap: stop doubling at the cap.
        doublings = min(past, math.ceil(math.log2(self.max_delay_seconds / self.base_seconds)))
        return min(self.base_seconds * 2.0**doublings, self.max_delay_seconds)

    def wait(self, failures: int, last: float, now: float) -> float | None:
        """Seconds to wait at ``now`` after ``failures`` in a row, the last at ``last``; None
        if an attempt may go now. The rule itself, for a key kept here or elsewhere (Redis)."""
        if now - last >= self.forget_after_seconds:
            return None
        delay = self.delay(failures)
        # Clamped: float rounding must never make the wait look longer than the delay.
        wait = min(delay - (now - last), delay)
        return wait if wait > 0 else None

    def retry_after(self, key: Hashable, now: float) -> float | None:
        """Seconds until ``key`` may try again, or None if it may try now."""
        failures = self._failures.get(key)
        if failures is None:
            return None
        if now - failures.last >= self.forget_after_seconds:
            del self._failures[key]
            return None
        return self.wait(failures.count, failures.last, now)

    def failed(self, key: Hashable, now: float) -> None:
        """Count one failure for ``key`` at ``now``."""
        failures = self._failures.pop(key, None)
        if failures is None or now - failures.last >= self.forget_after_seconds:
            failures = _Failures(0, now)
        failures.count += 1
        failures.last = now
        self._failures[key] = failures
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, key: Hashable) -> None:
        """Forget ``key``'s failures."""
        self._failures.pop(key, None)


def describe_wait(seconds: int) -> str:
    """A wait as people say it: "5 seconds", "1 minute", "15 minutes"."""
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
