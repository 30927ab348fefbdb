"""HelperQuota, the per-helper rule: pure (time and the open count passed in), and the one-node
`MemoryHelperQuota` over the hub's count. The shared one is tested on Redis
(tests/integration/scale/test_shared_limits.py)."""

from __future__ import annotations

import pytest

from quickassist.service.config import RateLimit
from quickassist.service.helper_quota import HelperQuota, MemoryHelperQuota, QuotaExceeded

CODES = RateLimit(3, 600)


def quota(live: int = 2, codes: RateLimit = CODES) -> HelperQuota:
    return HelperQuota(live_sessions=live, code_requests=codes)


def test_open_sessions_are_bounded_with_the_sentence_people_see() -> None:
    rule = quota(live=2)
    rule.admit(1, 1, 0.0)
    with pytest.raises(QuotaExceeded) as refused:
        rule.admit(1, 2, 0.0)
    assert (refused.value.status, refused.value.code, refused.value.retry_after) == (
        429,
        "too_many_sessions",
        None,
    )
    assert refused.value.message == (
        "You already have 2 sessions open. End one of them before you start another."
    )


def test_code_requests_meet_a_sliding_window_per_helper() -> None:
    rule = quota(live=100, codes=RateLimit(3, 600))
    for n in range(3):
        rule.admit(1, 0, float(n))
    rule.admit(2, 0, 3.0)  # another helper's window
    with pytest.raises(QuotaExceeded) as refused:
        rule.admit(1, 0, 3.0)
    assert refused.value.code == "too_many_codes"
    assert refused.value.retry_after == 597
    assert refused.value.message == (
        "You asked for many codes in a short time. Wait 10 minutes and try again."
    )
    rule.admit(1, 0, 600.0)  # the first left the window


def test_a_refused_open_bound_does_not_spend_a_code_request() -> None:
    rule = quota(live=1, codes=RateLimit(1, 600))
    with pytest.raises(QuotaExceeded, match="sessions open"):
        rule.admit(1, 1, 0.0)
    rule.admit(1, 0, 0.0)


async def test_one_node_counts_the_hubs_sessions() -> None:
    open_now = {7: 0}
    limits = MemoryHelperQuota(quota(live=2), lambda helper: open_now.get(helper, 0))
    for _ in range(2):
        await limits.settle(await limits.admit(7, 0.0), "s")
        open_now[7] += 1
    with pytest.raises(QuotaExceeded, match="You already have 2 sessions open"):
        await limits.admit(7, 0.0)
    await limits.admit(8, 0.0)
