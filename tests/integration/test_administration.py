"""Administration over HTTP (same rules as `quickassist user`), every action in the admin log,
session history without content, and personal data gone after 3 days (the service's clock
moved, the retention task running as configured), leaving anonymous counts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx

from tests.fixtures.inprocess_service import InProcessService
from tests.fixtures.service import RELAXED_LIMITS
from tests.fixtures.service_store import store_of
from tests.fixtures.session_clients import ScriptedSharer, signed_in_helper
from tests.timeouts import WAIT

ADMIN_PASSWORD = "an administrator's long password"
#: Retention runs this often here, so a moved clock is acted on at once.
FAST_RETENTION = {**RELAXED_LIMITS, "QUICKASSIST_RETENTION_INTERVAL_SECONDS": "0.2"}


@contextlib.asynccontextmanager
async def signed_in(
    service: InProcessService, username: str, password: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=service.base_url,
        verify=service.ssl_context,
        timeout=WAIT,
        headers={"Origin": service.base_url},
    ) as http:
        answer = await http.post(
            "/api/auth/login", json={"username": username, "password": password}
        )
        assert answer.status_code == 200, answer.text
        yield http


async def add_admin(service: InProcessService) -> None:
    async with store_of(service) as accounts:
        await accounts.add(
            "root",
            display_name="Rita Root",
            organisation="Contoso",
            password=ADMIN_PASSWORD,
            is_admin=True,
        )


async def test_administrators_manage_helpers_and_every_action_is_logged(
    inprocess_service_factory,
) -> None:
    service = inprocess_service_factory(env=RELAXED_LIMITS)
    await add_admin(service)
    async with (
        signed_in(service, "root", ADMIN_PASSWORD) as admin,
        signed_in(service, "ada", service.helper_password) as ada,
    ):
        refused = await ada.get("/api/admin/helpers")
        assert refused.status_code == 403 and refused.json()["error"] == "not_admin"

        added = await admin.post(
            "/api/admin/helpers",
            json={"username": "grace", "display_name": "Grace Hopper", "organisation": "Navy"},
        )
        assert added.status_code == 201
        password = added.json()["password"]
        async with signed_in(service, "grace", password) as grace:
            changed = await admin.patch("/api/admin/helpers/grace", json={"full_control": False})
            assert changed.json()["full_control"] is False
            created = (await grace.post("/api/sessions")).json()
            control = await grace.post(
                f"/api/sessions/{created['session_id']}/actions",
                json={"type": "choose_mode", "mode": "control"},
            )
            assert control.status_code == 409  # not even asked: no sharer yet, and not allowed
            disabled = await admin.post("/api/admin/helpers/grace/disable")
            assert disabled.json()["disabled"] is True
            # Disabling ends the helper's sign-ins at once.
            assert (await grace.get("/api/auth/me")).status_code == 401

        own = await admin.post("/api/admin/helpers/root/disable")
        assert own.status_code == 409 and own.json()["error"] == "own_account"
        assert (await admin.patch("/api/admin/helpers/ada", json={"role": "admin"})).json()[
            "role"
        ] == "admin"
        verified = await admin.put(
            "/api/admin/organisations", json={"name": "Contoso", "domain": "contoso.com"}
        )
        assert verified.json() == {"name": "Contoso", "verified_domain": "contoso.com"}
        assert (await admin.post("/api/admin/helpers/grace/reset-2fa")).status_code == 200
        assert (await admin.delete("/api/admin/helpers/grace")).status_code == 204
        helpers = [h["username"] for h in (await admin.get("/api/admin/helpers")).json()]
        assert "grace" not in helpers and "ada" in helpers
        settings = await admin.put("/api/admin/settings", json={"admin_two_factor": True})
        assert settings.json() == {"local_sign_in": True, "admin_two_factor": True}
        # From now on this administrator must set up an authenticator before anything else.
        must_enrol = await admin.get("/api/admin/log")
        assert must_enrol.status_code == 403
        assert must_enrol.json()["error"] == "two_factor_enrolment_required"
        await admin.post("/api/auth/2fa/enrol")

        log = await admin_log_after_enrolling(service, admin)
        assert [(e["action"], e["actor"], e["target"]) for e in reversed(log)] == [
            ("add_helper", "root", "grace"),
            ("view_only", "root", "grace"),
            ("disable_helper", "root", "grace"),
            ("set_role_admin", "root", "ada"),
            ("verify_domain", "root", "Contoso contoso.com"),
            ("reset_2fa", "root", "grace"),
            ("remove_helper", "root", "grace"),
            ("admin_two_factor_on", "root", None),
        ]
        assert all(entry["at"] for entry in log)


async def admin_log_after_enrolling(service: InProcessService, admin: httpx.AsyncClient) -> list:
    import pyotp

    started = (await admin.post("/api/auth/2fa/enrol")).json()
    code = pyotp.TOTP(started["secret"]).at(service.clock())
    assert (await admin.post("/api/auth/2fa/confirm", json={"code": code})).status_code == 200
    return (await admin.get("/api/admin/log")).json()


async def wait_until(check) -> None:
    """Poll the service (the retention task gives no event a client can wait on)."""
    async with asyncio.timeout(WAIT):
        while not await check():  # noqa: ASYNC110 - the event is in another process's store
            await asyncio.sleep(0.05)


async def test_history_and_reports_keep_names_for_3_days_then_only_counts(
    inprocess_service_factory,
) -> None:
    service = inprocess_service_factory(env=FAST_RETENTION)
    await add_admin(service)
    async with (
        signed_in_helper(service) as helper,
        signed_in(service, "root", ADMIN_PASSWORD) as admin,
    ):
        created = await helper.create_session()
        sharer = ScriptedSharer(service.base_url, service.ssl_context)
        assert (await sharer.join(created["code"])).status_code == 200
        side = await helper.connect(created["session_id"])
        await side.send_json({"type": "end"})
        await side.wait_type("ended")
        async with httpx.AsyncClient(
            base_url=service.base_url, verify=service.ssl_context
        ) as anyone:
            report = await anyone.post(
                f"/api/sessions/{created['session_id']}/report",
                json={"reason": "They called me out of the blue and asked for my bank."},
            )
            assert report.status_code == 202
            unknown = await anyone.post("/api/sessions/0123abcd/report", json={"reason": "x"})
            assert unknown.status_code == 404

        async def listed() -> bool:
            return bool((await helper.http.get("/api/history")).json()["sessions"])

        await wait_until(listed)
        own = (await helper.http.get("/api/history")).json()
        assert "counts" not in own
        row = own["sessions"][0]
        assert row["helper"] == "ada" and row["end_reason"] == "helper_ended"
        assert row["mode"] == "not started" and row["duration_seconds"] is not None
        assert set(row) == {
            "started_at",
            "ended_at",
            "duration_seconds",
            "helper",
            "mode",
            "features",
            "end_reason",
        }
        csv_text = (await helper.http.get("/api/history.csv")).text
        assert (
            csv_text.splitlines()[0]
            == "started_at,ended_at,duration_seconds,helper,mode,features,end_reason"
        )
        assert ",ada,not started,," in csv_text
        everyone = (await admin.get("/api/history")).json()
        assert len(everyone["sessions"]) == 1 and everyone["counts"] == {
            "sessions": 1,
            "anonymous": 0,
        }
        reports = (await admin.get("/api/admin/reports")).json()
        assert reports[0]["helper"] == "ada" and "bank" in reports[0]["reason"]
        await admin.patch("/api/admin/helpers/ada", json={"full_control": True})

        service.clock.advance(3 * 86400 + 60)
    # Sign-ins last 12 hours: sign in again after the 3 days.
    async with (
        signed_in_helper(service) as helper,
        signed_in(service, "root", ADMIN_PASSWORD) as admin,
    ):

        async def cleared() -> bool:
            answer = (await admin.get("/api/history")).json()
            return answer["counts"] == {"sessions": 1, "anonymous": 1}

        await wait_until(cleared)
        assert (await admin.get("/api/history")).json()["sessions"] == []
        assert (await helper.http.get("/api/history")).json()["sessions"] == []
        assert (await admin.get("/api/admin/reports")).json()[0]["helper"] is None
        log = (await admin.get("/api/admin/log")).json()
        assert log[0]["action"] == "allow_full_control" and log[0]["actor"] is None
