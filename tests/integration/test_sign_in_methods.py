"""Which sign-ins the service offers, and an administrator switching password sign-in off."""

from __future__ import annotations

import httpx

from quickassist.service.service_settings import ServiceSettings, Setting
from tests.fixtures.inprocess_service import InProcessService
from tests.fixtures.service_store import store_of
from tests.timeouts import WAIT


async def set_local_sign_in(service: InProcessService, enabled: bool) -> None:
    async with store_of(service) as accounts:
        await ServiceSettings(accounts.sessions).set(Setting.LOCAL_SIGN_IN, enabled)


async def test_password_sign_in_can_be_switched_off(inprocess_service_factory) -> None:
    service = inprocess_service_factory()
    async with httpx.AsyncClient(
        base_url=service.base_url, verify=service.ssl_context, timeout=WAIT
    ) as http:
        assert (await http.get("/api/auth/methods")).json() == {"local": True, "providers": []}
        credentials = {"username": "ada", "password": service.helper_password}
        await set_local_sign_in(service, False)
        refused = await http.post("/api/auth/login", json=credentials)
        assert refused.status_code == 403
        assert refused.json() == {
            "error": "local_sign_in_off",
            "message": "Signing in with a password is switched off here. "
            "Use your organisation's sign-in.",
        }
        assert "qa_session" not in refused.headers.get("set-cookie", "")
        assert (await http.get("/api/auth/methods")).json()["local"] is False
        await set_local_sign_in(service, True)
        assert (await http.post("/api/auth/login", json=credentials)).status_code == 200
