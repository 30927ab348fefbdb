"""Server-side sign-ins against the real service over TLS: a saved copy of the cookie stops
working the moment the helper logs out, their password changes, an admin signs them out
everywhere, or their account is disabled."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.service import LiveService, ServiceFactory, signed_in_client
from tests.timeouts import WAIT

COOKIE = "qa_session"


async def saved_cookie_answer(service: LiveService, cookie: str) -> int:
    """GET /api/auth/me from a fresh client holding only a copy of the cookie."""
    async with httpx.AsyncClient(
        base_url=service.base_url, verify=service.ssl_context, timeout=WAIT
    ) as thief:
        thief.cookies.set(COOKIE, cookie, domain="127.0.0.1")
        return (await thief.get("/api/auth/me")).status_code


async def signed_in_with_copy(service: LiveService) -> tuple[httpx.AsyncClient, str]:
    http = await signed_in_client(service)
    cookie = http.cookies[COOKIE]
    assert await saved_cookie_answer(service, cookie) == 200
    return http, cookie


async def test_a_saved_cookie_is_dead_after_logout(live_service: LiveService) -> None:
    http, cookie = await signed_in_with_copy(live_service)
    other, other_cookie = await signed_in_with_copy(live_service)
    try:
        assert (await http.post("/api/auth/logout")).status_code == 204
        assert await saved_cookie_answer(live_service, cookie) == 401
        # Only that sign-in ended: the same helper's other browser is still signed in.
        assert await saved_cookie_answer(live_service, other_cookie) == 200
    finally:
        await http.aclose()
        await other.aclose()


async def test_logout_everywhere_ends_every_sign_in_of_the_helper(
    live_service: LiveService,
) -> None:
    http, cookie = await signed_in_with_copy(live_service)
    other, other_cookie = await signed_in_with_copy(live_service)
    try:
        assert (await http.post("/api/auth/logout-everywhere")).status_code == 204
        assert await saved_cookie_answer(live_service, cookie) == 401
        assert await saved_cookie_answer(live_service, other_cookie) == 401
    finally:
        await http.aclose()
        await other.aclose()


@pytest.mark.parametrize(
    ("command", "stdin"),
    [
        (["user", "passwd", "ada", "--password-stdin"], "a brand new password\n"),
        (["user", "signout", "ada"], None),
        (["user", "disable", "ada"], None),
    ],
    ids=["passwd", "signout", "disable"],
)
async def test_an_admin_command_ends_the_helpers_sign_ins_at_once(
    service_factory: ServiceFactory, command: list[str], stdin: str | None
) -> None:
    service = service_factory()
    http, cookie = await signed_in_with_copy(service)
    try:
        result = service.cli(*command, input=stdin)
        assert result.returncode == 0, result.stderr
        assert await saved_cookie_answer(service, cookie) == 401
        assert (await http.get("/api/auth/me")).status_code == 401
    finally:
        await http.aclose()


async def test_a_disabled_helper_cannot_sign_in_until_enabled(
    service_factory: ServiceFactory,
) -> None:
    service = service_factory()
    assert service.cli("user", "disable", "ada").returncode == 0
    credentials = {"username": "ada", "password": service.helper_password}
    async with httpx.AsyncClient(
        base_url=service.base_url, verify=service.ssl_context, timeout=WAIT
    ) as http:
        refused = await http.post("/api/auth/login", json=credentials)
        assert refused.status_code == 401
        assert refused.json()["error"] == "invalid_credentials"  # says nothing of the account
        assert service.cli("user", "enable", "ada").returncode == 0
        assert (await http.post("/api/auth/login", json=credentials)).status_code == 200


def test_signout_of_an_unknown_helper_is_a_sentence(service_factory: ServiceFactory) -> None:
    service = service_factory(start=False)
    result = service.cli("user", "signout", "nobody")
    assert result.returncode == 1
    assert result.stderr == "quickassist: There is no helper called nobody.\n"
