"""Two-factor sign-in for local accounts against the real service: enrolment (QR code as SVG),
wrong and reused codes, recovery codes, administrators made to enrol by a setting, reset."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pyotp

from quickassist.service.service_settings import ServiceSettings, Setting
from quickassist.service.totp import TwoFactor
from tests.fixtures.inprocess_service import InProcessService
from tests.fixtures.service import RELAXED_LIMITS
from tests.fixtures.service_store import store_of
from tests.timeouts import WAIT


@contextlib.asynccontextmanager
async def client(service: InProcessService) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=service.base_url,
        verify=service.ssl_context,
        timeout=WAIT,
        headers={"Origin": service.base_url},
    ) as http:
        yield http


async def login(service: InProcessService, code: str | None = None) -> httpx.Response:
    async with client(service) as http:
        body = {"username": "ada", "password": service.helper_password}
        if code is not None:
            body["code"] = code
        return await http.post("/api/auth/login", json=body)


async def enrol(service: InProcessService, http: httpx.AsyncClient) -> tuple[pyotp.TOTP, list[str]]:
    """Set up an authenticator for the signed-in ``http``; the app and the recovery codes."""
    started = (await http.post("/api/auth/2fa/enrol")).json()
    assert started["otpauth_uri"].startswith("otpauth://totp/quickassist:ada?")
    qr = await http.get(started["qr_url"])
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    assert qr.headers["cache-control"] == "no-store" and b"<svg" in qr.content
    app = pyotp.TOTP(started["secret"])
    wrong = await http.post("/api/auth/2fa/confirm", json={"code": "000000"})
    if app.at(service.clock()) != "000000":
        assert wrong.status_code == 400 and wrong.json()["error"] == "wrong_code"
    confirmed = await http.post("/api/auth/2fa/confirm", json={"code": app.at(service.clock())})
    assert confirmed.status_code == 200, confirmed.text
    return app, confirmed.json()["recovery_codes"]


async def test_enrol_then_sign_in_with_codes_once_each(inprocess_service_factory) -> None:
    service = inprocess_service_factory(env=RELAXED_LIMITS)
    async with client(service) as http:
        first = await http.post(
            "/api/auth/login", json={"username": "ada", "password": service.helper_password}
        )
        assert first.json()["totp_enabled"] is False
        app, recovery = await enrol(service, http)
    assert len(recovery) == 10 and len(set(recovery)) == 10

    missing = await login(service)
    assert missing.status_code == 401 and missing.json()["error"] == "two_factor_required"
    assert "qa_session" not in missing.headers.get("set-cookie", "")
    wrong_code = "123456" if app.at(service.clock()) != "123456" else "654321"
    wrong = await login(service, wrong_code)
    assert wrong.status_code == 401 and "not right" in wrong.json()["message"]

    # The code the app shows in the next step: not the one confirmed (that step is used up).
    service.clock.advance(30)
    code = app.at(service.clock())
    assert (await login(service, code)).status_code == 200
    reused = await login(service, code)
    assert reused.status_code == 401
    assert reused.json()["message"] == (
        "That code was already used. Wait for the app to show the next one."
    )
    assert (await login(service, recovery[0].upper())).status_code == 200
    assert (await login(service, recovery[0])).status_code == 401
    # A code from three steps ago is outside the drift allowed.
    service.clock.advance(90)
    assert (await login(service, code)).status_code == 401

    async with store_of(service) as accounts:
        ada = await accounts.find("ada")
        assert ada.totp_enabled
        await TwoFactor(accounts.sessions, clock=service.clock).reset(ada.id)
    assert (await login(service)).status_code == 200


async def test_administrators_must_enrol_when_the_setting_says_so(
    inprocess_service_factory,
) -> None:
    service = inprocess_service_factory(env=RELAXED_LIMITS)
    async with store_of(service) as accounts:
        await accounts.set_role("ada", admin=True)
        await ServiceSettings(accounts.sessions).set(Setting.ADMIN_TWO_FACTOR, True)
    async with client(service) as http:
        signed_in = await http.post(
            "/api/auth/login", json={"username": "ada", "password": service.helper_password}
        )
        assert signed_in.status_code == 200
        assert signed_in.json()["two_factor_enrolment_required"] is True
        refused = await http.post("/api/sessions")
        assert refused.status_code == 403
        assert refused.json()["error"] == "two_factor_enrolment_required"
        await enrol(service, http)
        assert (await http.get("/api/auth/me")).json()["two_factor_enrolment_required"] is False
        assert (await http.post("/api/sessions")).status_code == 201
    # A plain helper is not asked to enrol.
    async with store_of(service) as accounts:
        await accounts.add("bob", display_name="Bob B", organisation="Contoso", password="p" * 12)
    async with client(service) as http:
        bob = await http.post("/api/auth/login", json={"username": "bob", "password": "p" * 12})
        assert bob.json()["two_factor_enrolment_required"] is False
        assert (await http.post("/api/sessions")).status_code == 201
