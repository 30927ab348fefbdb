"""FailureDelay and SignInGuard: pure, time passed in, so every delay is checked exactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quickassist.service.config import RateLimit, ServiceConfig
from quickassist.service.rate_limit import FailureDelay, describe_wait
from quickassist.service.sign_in_guard import SignInGuard, SignInRefused


def test_the_delay_doubles_after_the_free_failures_up_to_the_cap() -> None:
    delay = FailureDelay(free_failures=3, max_delay_seconds=60)
    assert [delay.delay(n) for n in range(10)] == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60]
    assert delay.delay(10_000) == 60  # no float overflow far past the cap


def test_a_key_waits_from_its_last_failure_and_a_success_forgets_it() -> None:
    delay = FailureDelay(free_failures=2, max_delay_seconds=900)
    delay.failed("ada", 0.0)
    assert delay.retry_after("ada", 0.0) is None
    delay.failed("ada", 10.0)
    assert delay.retry_after("ada", 10.0) == pytest.approx(1.0)
    assert delay.retry_after("ada", 11.0) is None  # waited out: one attempt may go
    delay.failed("ada", 11.0)
    assert delay.retry_after("ada", 11.0) == pytest.approx(2.0)
    assert delay.retry_after("grace", 11.0) is None  # other keys are not slowed
    delay.succeeded("ada")
    assert delay.retry_after("ada", 11.0) is None


def test_a_quiet_key_is_forgotten() -> None:
    delay = FailureDelay(free_failures=1, max_delay_seconds=10, forget_after_seconds=100)
    delay.failed("ada", 0.0)
    delay.failed("ada", 0.0)
    assert delay.retry_after("ada", 1.0) == pytest.approx(1.0)
    assert delay.retry_after("ada", 100.0) is None
    delay.failed("ada", 100.0)  # a day later (here: 100 s) the count starts afresh: 1, not 3
    assert delay.retry_after("ada", 100.0) == pytest.approx(1.0)


def test_memory_is_bounded() -> None:
    delay = FailureDelay(free_failures=1, max_delay_seconds=10, max_keys=2)
    for key in ("a", "b", "c"):
        delay.failed(key, 0.0)
    assert delay.retry_after("a", 0.0) is None  # the least recently failed went first
    assert delay.retry_after("c", 0.0) is not None


@given(st.lists(st.floats(min_value=0, max_value=10), min_size=1, max_size=40))
def test_never_a_lock_out(gaps: list[float]) -> None:
    """However the failures come, the wait from the last one is at most the cap."""
    delay = FailureDelay(free_failures=2, max_delay_seconds=30)
    now = 0.0
    for gap in gaps:
        now += gap
        delay.failed("ada", now)
    wait = delay.retry_after("ada", now)
    assert wait is None or wait <= 30
    assert delay.retry_after("ada", now + 30.001) is None


def guard(**settings: object) -> SignInGuard:
    defaults: dict[str, object] = {"login_attempts_per_address": RateLimit(1000, 60)}
    return SignInGuard(ServiceConfig(**{**defaults, **settings}))  # type: ignore[arg-type]


def test_per_account_delay_in_the_guard_is_case_insensitive_and_says_how_long() -> None:
    signin = guard(login_failures_before_delay=2)
    for _ in range(2):
        signin.admit("192.0.2.1", "Ada", 0.0)
        signin.failed("192.0.2.1", "Ada", 0.0)
    with pytest.raises(SignInRefused) as refused:
        signin.admit("198.51.100.9", " ada ", 0.5)  # another address, the same account
    assert refused.value.status == 429
    assert refused.value.retry_after == 1
    assert refused.value.message == (
        "Too many wrong passwords for this account. Wait 1 second and try again."
    )
    signin.admit("198.51.100.9", "ada", 1.0)
    signin.succeeded("198.51.100.9", "ada", 1.0)
    signin.admit("198.51.100.9", "ada", 1.0)


def test_per_address_and_global_budgets() -> None:
    signin = guard(
        login_attempts_per_address=RateLimit(2, 60), login_failures_global=RateLimit(3, 60)
    )
    signin.admit("192.0.2.1", "a", 0.0)
    signin.admit("192.0.2.1", "b", 0.0)
    with pytest.raises(SignInRefused, match="from your network"):
        signin.admit("192.0.2.1", "c", 0.0)
    for n in range(3):
        signin.failed("192.0.2.1", f"user{n}", 0.0)
    with pytest.raises(SignInRefused, match="many wrong passwords") as refused:
        signin.admit("203.0.113.5", "anyone", 1.0)
    assert refused.value.retry_after == 59


def test_an_attacker_racing_every_delay_does_not_keep_the_owner_out() -> None:
    signin = guard(login_failures_before_delay=2, login_delay_max_seconds=900)
    home, attacker = "192.0.2.1", "203.0.113.66"
    signin.admit(home, "ada", 0.0)
    signin.succeeded(home, "ada", 0.0)  # the owner signed in from home yesterday
    now = 86400.0
    for _ in range(20):  # a guess the moment each delay ends
        wait = 0.0
        try:
            signin.admit(attacker, "ada", now)
            signin.failed(attacker, "ada", now)
        except SignInRefused as refused:
            wait = float(refused.retry_after or 0)
        now += wait + 0.001
    with pytest.raises(SignInRefused):
        signin.admit(attacker, "ada", now)  # the account is slowed for strangers
    signin.admit(home, "ada", now)  # but not from where its owner signs in
    signin.succeeded(home, "ada", now)
    with pytest.raises(SignInRefused):
        signin.admit(attacker, "ada", now)  # the owner's success does not reset the attacker's


def test_wrong_passwords_from_a_known_network_have_a_delay_of_their_own() -> None:
    signin = guard(login_failures_before_delay=2, retention_days=3.0)
    office = "192.0.2.0"
    signin.admit(office, "ada", 0.0)
    signin.succeeded(office, "ada", 0.0)
    for _ in range(2):
        signin.admit(office, "ada", 1.0)
        signin.failed(office, "ada", 1.0)
    with pytest.raises(SignInRefused):
        signin.admit(office, "ada", 1.5)  # a guesser in the owner's network is slowed too
    signin.admit("203.0.113.1", "ada", 1.5)  # while the account elsewhere is not
    # Three days on, the network is a stranger again: the account's delay (none) applies.
    signin.admit(office, "ada", 1.0 + 3 * 86400)


def test_describe_wait() -> None:
    assert [describe_wait(s) for s in (1, 5, 60, 61, 900)] == [
        "1 second",
        "5 seconds",
        "1 minute",
        "2 minutes",
        "15 minutes",
    ]
