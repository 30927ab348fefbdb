"""Sign-in and join limits against the real service over TLS: forwarded addresses are not
believed unless the proxy is named, and one account's wrong passwords slow it down (doubling)
without locking its owner out.

On both backends (`fresh_backend`): one node's memory, and PostgreSQL + Redis, where the limits
are every node's (three nodes behind nginx: tests/integration/scale/test_limits_across_nodes.py).
"""

from __future__ import annotations

import httpx

from tests.fixtures.inprocess_service import InProcessFactory, InProcessService
from tests.timeouts import WAIT

WRONG = "not the password at all"


def client(service: InProcessService) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=service.base_url, verify=service.ssl_context, timeout=WAIT)


def forwarded(n: int) -> dict[str, str]:
    """A new made-up client address per request, as a forger behind loopback would send."""
    return {"X-Forwarded-For": f"198.51.100.{n}"}


async def sign_in(http: httpx.AsyncClient, username: str, password: str, n: int) -> httpx.Response:
    return await http.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        headers=forwarded(n),
    )


async def test_rotated_forwarded_for_from_loopback_is_still_limited_on_sign_in(
    inprocess_service_factory: InProcessFactory, fresh_backend: dict[str, str]
) -> None:
    service = inprocess_service_factory(
        env={**fresh_backend, "QUICKASSIST_LOGIN_ATTEMPTS_PER_ADDRESS": "3/60"}
    )
    async with client(service) as http:
        # A new username each time: only the per-address limit can stop these.
        answers = [(await sign_in(http, f"user{n}", WRONG, n)).status_code for n in range(4)]
    assert answers == [401, 401, 401, 429]


async def test_rotated_forwarded_for_from_loopback_is_still_limited_on_join(
    inprocess_service_factory: InProcessFactory, fresh_backend: dict[str, str]
) -> None:
    service = inprocess_service_factory(
        env={**fresh_backend, "QUICKASSIST_JOIN_FAILURES_PER_ADDRESS": "3/600"}
    )
    async with client(service) as http:
        answers = [
            (
                await http.post("/api/join", json={"code": "ZZZ-ZZZ"}, headers=forwarded(n))
            ).status_code
            for n in range(4)
        ]
    assert answers == [404, 404, 404, 429]


async def test_a_named_proxy_is_believed(
    inprocess_service_factory: InProcessFactory, fresh_backend: dict[str, str]
) -> None:
    service = inprocess_service_factory(
        env={
            **fresh_backend,
            "QUICKASSIST_LOGIN_ATTEMPTS_PER_ADDRESS": "3/60",
            "QUICKASSIST_TRUSTED_PROXIES": "127.0.0.1",
        }
    )
    async with client(service) as http:
        answers = [(await sign_in(http, f"user{n}", WRONG, n)).status_code for n in range(6)]
        assert answers == [401] * 6  # six clients behind the proxy, each within its budget
        same = [(await sign_in(http, f"other{n}", WRONG, 1)).status_code for n in range(3)]
        assert same[-1] == 429  # 198.51.100.1's fourth attempt


async def test_wrong_passwords_slow_one_account_down_but_never_lock_out_its_owner(
    inprocess_service_factory: InProcessFactory, fresh_backend: dict[str, str]
) -> None:
    service = inprocess_service_factory(
        env={**fresh_backend, "QUICKASSIST_LOGIN_FAILURES_BEFORE_DELAY": "2"}
    )
    username, password = service.helper_username, service.helper_password
    async with client(service) as http:
        # From different real sources would be the attack; here the per-address limit (5 a
        # minute) is spent by the account's own wrong passwords, so each round stays under it.
        assert (await sign_in(http, username, WRONG, 0)).status_code == 401
        assert (await sign_in(http, username, WRONG, 0)).status_code == 401
        slowed = await sign_in(http, username, password, 0)
        assert slowed.status_code == 429
        assert slowed.json()["error"] == "too_many_attempts"
        assert slowed.json()["message"] == (
            "Too many wrong passwords for this account. Wait 1 second and try again."
        )
        assert slowed.headers["retry-after"] == "1"
        # Another account is not slowed by this one's failures.
        assert (await sign_in(http, "someone-else", WRONG, 0)).status_code == 401
        # A client told Retry-After waits that long: the service's clock is moved instead.
        service.clock.advance(int(slowed.headers["retry-after"]))
        assert (await sign_in(http, username, password, 0)).status_code == 200
