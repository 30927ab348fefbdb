"""SlidingWindowLimiter: a pure sliding window, time passed in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quickassist.service.rate_limit import FailureDelay, SlidingWindowLimiter


def test_allows_limit_then_refuses_until_the_oldest_leaves_the_window() -> None:
    limiter = SlidingWindowLimiter(3, 60)
    assert limiter.hit("a", 0.0) is None
    assert limiter.hit("a", 10.0) is None
    assert limiter.hit("a", 20.0) is None
    assert limiter.hit("a", 30.0) == pytest.approx(30.0)  # the first leaves at 60
    assert limiter.hit("a", 59.0) == pytest.approx(1.0)
    assert limiter.hit("a", 60.0) is None  # refused hits were not counted
    assert limiter.hit("a", 61.0) == pytest.approx(9.0)  # the one at 10 leaves at 70


def test_keys_are_independent() -> None:
    limiter = SlidingWindowLimiter(1, 10)
    assert limiter.hit("a", 0.0) is None
    assert limiter.hit("a", 1.0) is not None
    assert limiter.hit("b", 1.0) is None


def test_retry_after_and_record_count_only_what_is_recorded() -> None:
    limiter = SlidingWindowLimiter(2, 100)
    assert limiter.retry_after("x", 0.0) is None
    limiter.record("x", 0.0)
    assert limiter.retry_after("x", 1.0) is None
    limiter.record("x", 1.0)
    assert limiter.retry_after("x", 2.0) == pytest.approx(98.0)
    limiter.reset("x")
    assert limiter.retry_after("x", 2.0) is None


def test_memory_is_bounded_by_max_keys() -> None:
    limiter = SlidingWindowLimiter(1, 1000, max_keys=3)
    for key in range(10):
        limiter.record(key, 0.0)
    assert len(limiter) == 3
    assert limiter.retry_after(9, 1.0) is not None
    assert limiter.retry_after(0, 1.0) is None  # evicted first


def test_expired_keys_are_forgotten() -> None:
    limiter = SlidingWindowLimiter(1, 5)
    limiter.record("a", 0.0)
    assert limiter.retry_after("a", 5.0) is None
    assert len(limiter) == 0


@pytest.mark.parametrize(("limit", "window"), [(0, 1), (1, 0), (-1, 5)])
def test_nonsense_limits_are_refused(limit: int, window: float) -> None:
    with pytest.raises(ValueError):
        SlidingWindowLimiter(limit, window)


@given(
    limit=st.integers(1, 5),
    window=st.floats(0.5, 100),
    gaps=st.lists(st.floats(0, 50), max_size=60),
)
def test_never_more_than_limit_accepted_in_any_window(
    limit: int, window: float, gaps: list[float]
) -> None:
    limiter = SlidingWindowLimiter(limit, window)
    now = 0.0
    accepted: list[float] = []
    for gap in gaps:
        now += gap
        wait = limiter.hit("k", now)
        if wait is None:
            accepted.append(now)
        else:
            assert 0 < wait <= window
            # Refusal is right: `limit` accepted hits already sit inside the window.
            assert sum(1 for t in accepted if t > now - window) >= limit
    for i, start in enumerate(accepted):
        inside = [t for t in accepted[i:] if t < start + window]
        assert len(inside) <= limit


def test_a_failure_delays_rule_holds_for_counts_kept_anywhere() -> None:
    """`FailureDelay.wait` is the rule a shared store (Redis) applies to its own count."""
    kept = FailureDelay(free_failures=2, max_delay_seconds=900, forget_after_seconds=3600)
    for n in range(6):
        kept.failed("ada", 100.0)
        for now in (100.0, 100.5, 101.0, 104.0, 3699.0):
            assert kept.wait(n + 1, 100.0, now) == kept.retry_after("ada", now)
    assert kept.wait(6, 100.0, 100.0) == 16.0  # 1, 2, 4, 8, 16 past the two free
    assert kept.wait(6, 100.0, 3700.0) is None  # quiet for an hour: forgotten
    assert kept.wait(1, 100.0, 100.0) is None  # still free
