"""Helper sign-in over real TLS (the service in process): login, cookie, /me, logout, limits,
CSRF and error shapes."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.inprocess_service import InProcessFactory, InProcessService
from tests.fixtures.service import signed_in_client
from tests.timeouts import WAIT


def client(service: InProcessService) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=service.base_url, verify=service.ssl_context, timeout=WAIT)


async def test_login_answers_the_helper_and_sets_a_strict_cookie(
    inprocess_service: InProcessService,
) -> None:
    async with client(inprocess_service) as http:
        answer = await http.post(
            "/api/auth/login",
            json={"username": "ADA", "password": inprocess_service.helper_password},
        )
        assert answer.status_code == 200
        assert answer.json() == {
            "username": "ada",
            "display_name": "Ada Lovelace",
            "organisation": "Contoso",
            "verified_domain": "",
            "role": "helper",
            "full_control": True,
            "local": True,
            "totp_enabled": False,
            "two_factor_enrolment_required": False,
        }
        cookies = answer.headers.get_list("set-cookie")
        assert len(cookies) == 1
        attributes = [part.strip().lower() for part in cookies[0].split(";")]
        assert attributes[0].startswith("qa_session=")
        assert "httponly" in attributes
        assert "secure" in attributes
        assert "samesite=strict" in attributes
        assert "path=/" in attributes
        assert "max-age=43200" in attributes

        me = await http.get("/api/auth/me")
        assert me.status_code == 200
        assert me.json()["display_name"] == "Ada Lovelace"


async def test_wrong_password_and_unknown_user_get_the_same_401(
    inprocess_service: InProcessService,
) -> None:
    async with client(inprocess_service) as http:
        for username in ("ada", "nobody"):
            answer = await http.post(
                "/api/auth/login", json={"username": username, "password": "wrong password"}
            )
            assert answer.status_code == 401
            assert answer.json() == {
                "error": "invalid_credentials",
                "message": "That username and password do not match. Check them and try again.",
            }
            assert "set-cookie" not in answer.headers


async def test_me_without_or_with_a_forged_cookie_is_not_signed_in(
    inprocess_service: InProcessService,
) -> None:
    async with client(inprocess_service) as http:
        answer = await http.get("/api/auth/me")
        assert answer.status_code == 401
        assert answer.json()["error"] == "not_signed_in"
        http.cookies.set("qa_session", "eyJoIjoxLCJwIjoiIiwidCI6MH0.forged", domain="127.0.0.1")
        assert (await http.get("/api/auth/me")).status_code == 401


async def test_logout_clears_the_cookie(inprocess_service: InProcessService) -> None:
    http = await signed_in_client(inprocess_service)
    try:
        answer = await http.post("/api/auth/logout")
        assert answer.status_code == 204
        assert "max-age=0" in answer.headers["set-cookie"].lower()
        assert (await http.get("/api/auth/me")).status_code == 401
    finally:
        await http.aclose()


async def test_cross_origin_post_is_refused_and_same_origin_allowed(
    inprocess_service: InProcessService,
) -> None:
    credentials = {"username": "ada", "password": inprocess_service.helper_password}
    async with client(inprocess_service) as http:
        refused = await http.post(
            "/api/auth/login", json=credentials, headers={"Origin": "https://evil.example"}
        )
        assert refused.status_code == 403
        assert refused.json()["error"] == "cross_origin"
        assert "set-cookie" not in refused.headers
        allowed = await http.post(
            "/api/auth/login", json=credentials, headers={"Origin": inprocess_service.base_url}
        )
        assert allowed.status_code == 200


async def test_bodies_must_be_json(inprocess_service: InProcessService) -> None:
    async with client(inprocess_service) as http:
        form = await http.post(
            "/api/auth/login",
            data={"username": "ada", "password": inprocess_service.helper_password},
        )
        assert form.status_code == 415
        assert form.json()["error"] == "unsupported_media_type"


async def test_errors_are_json_sentences(inprocess_service: InProcessService) -> None:
    async with client(inprocess_service) as http:
        missing = await http.post("/api/auth/login", json={"username": "ada"})
        assert missing.status_code == 422
        body = missing.json()
        assert body["error"] == "invalid_request"
        assert "password" in body["message"] and body["message"].endswith(".")
        broken = await http.post(
            "/api/auth/login", content=b"{", headers={"Content-Type": "application/json"}
        )
        assert broken.json() == {
            "error": "invalid_request",
            "message": "The request body is not valid JSON.",
        }
        not_found = await http.get("/api/nothing-here")
        assert not_found.status_code == 404
        assert not_found.json()["error"] == "not_found"
        wrong_method = await http.post("/healthz")
        assert wrong_method.status_code == 405
        assert wrong_method.json()["error"] == "method_not_allowed"


async def test_openapi_is_published_under_api(inprocess_service: InProcessService) -> None:
    async with client(inprocess_service) as http:
        spec = (await http.get("/api/openapi.json")).json()
        assert "/api/auth/login" in spec["paths"]
        # The one error shape is documented, not FastAPI's {"detail": ...} the API never sends.
        invalid = spec["paths"]["/api/auth/login"]["post"]["responses"]["422"]
        assert invalid["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
        assert "HTTPValidationError" not in spec["components"]["schemas"]
        assert (await http.get("/api/docs")).status_code == 200


@pytest.mark.parametrize("limit", [3])
async def test_sign_in_attempts_are_limited_per_address(
    inprocess_service_factory: InProcessFactory, limit: int
) -> None:
    service = inprocess_service_factory(
        env={"QUICKASSIST_LOGIN_ATTEMPTS_PER_ADDRESS": f"{limit}/60"}
    )
    async with client(service) as http:
        for _ in range(limit):
            answer = await http.post(
                "/api/auth/login", json={"username": "ada", "password": "not it at all"}
            )
            assert answer.status_code == 401
        locked = await http.post(
            "/api/auth/login", json={"username": "ada", "password": service.helper_password}
        )
        assert locked.status_code == 429
        assert locked.json()["error"] == "too_many_attempts"
        assert 1 <= int(locked.headers["retry-after"]) <= 60


async def test_helper_client_fixture_is_signed_in(
    inprocess_helper_client: httpx.AsyncClient,
) -> None:
    me = await inprocess_helper_client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["username"] == "ada"
