"""A sliding-window rate limiter kept in memory, keyed by anything hashable (an address, "all").

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

from collections import OrderedDict, deque
from collections.abc import Hashable


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
