"""Roles and the full-control permission, enforced by the service whatever a client sends; the
organisation's verified domain reaching the sharer. Against the real service, in process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from quickassist.service.accounts import LastAdministrator
from quickassist.service.organisations import InvalidDomain, Organisations, VerifiedBy
from tests.fixtures.inprocess_service import InProcessService
from tests.fixtures.service_store import store_of
from tests.fixtures.session_clients import (
    ScriptedHelper,
    ScriptedSharer,
    close_all_sides,
    signed_in_helper,
)

VIEWER_PASSWORD = "view only, thank you"


@pytest.fixture
async def viewer(
    inprocess_service_factory,
) -> AsyncIterator[tuple[InProcessService, ScriptedHelper]]:
    """A service with helper ``grace`` who may ask for view only, signed in."""
    service = inprocess_service_factory()
    async with store_of(service) as accounts:
        await accounts.add(
            "grace",
            display_name="Grace Hopper",
            organisation="Contoso",
            password=VIEWER_PASSWORD,
        )
        await accounts.set_full_control("grace", allowed=False)
    helper = await ScriptedHelper.sign_in(
        service.base_url, service.ssl_context, "grace", VIEWER_PASSWORD
    )
    yield service, helper
    await close_all_sides()
    await helper.aclose()


async def joined(service: InProcessService, helper: ScriptedHelper) -> tuple[str, ScriptedSharer]:
    created = await helper.create_session()
    sharer = ScriptedSharer(service.base_url, service.ssl_context)
    assert (await sharer.join(created["code"])).status_code == 200
    return created["session_id"], sharer


async def test_the_api_refuses_full_control_to_a_helper_without_the_permission(viewer) -> None:
    service, helper = viewer
    me = (await helper.http.get("/api/auth/me")).json()
    assert me["full_control"] is False and me["role"] == "helper"
    session_id, _sharer = await joined(service, helper)
    refused = await helper.http.post(
        f"/api/sessions/{session_id}/actions", json={"type": "choose_mode", "mode": "control"}
    )
    assert refused.status_code == 409
    assert refused.json()["error"] == "control_not_permitted"
    assert "view only" in refused.json()["message"]
    state = (await helper.http.get(f"/api/sessions/{session_id}")).json()
    assert state["phase"] == "joined" and state["requested_mode"] is None
    allowed = await helper.http.post(
        f"/api/sessions/{session_id}/actions", json={"type": "choose_mode", "mode": "view"}
    )
    assert allowed.status_code == 200 and allowed.json()["phase"] == "consent"


async def test_the_websocket_refuses_full_control_and_later_requests_for_it(viewer) -> None:
    service, helper = viewer
    session_id, sharer = await joined(service, helper)
    helper_side = await helper.connect(session_id)
    sharer_side = await sharer.connect()
    await helper_side.send_json({"type": "choose_mode", "mode": "control"})
    error = await helper_side.wait_type("error")
    assert error["code"] == "control_not_permitted"
    await helper_side.send_json({"type": "choose_mode", "mode": "view"})
    request = await sharer_side.wait_type("consent_request")
    assert request["mode"] == "view"
    await sharer_side.send_json({"type": "allow", "mode": "view"})
    await helper_side.wait_type("state", phase="active")
    # In an active view-only session, asking for control is refused the same way.
    await helper_side.send_json({"type": "request_control"})
    error = await helper_side.wait_type("error")
    assert error["code"] == "control_not_permitted"
    state = (await helper.http.get(f"/api/sessions/{session_id}")).json()
    assert state["mode"] == "view" and state["phase"] == "active"


async def test_a_helper_with_the_permission_still_gets_full_control(inprocess_service) -> None:
    async with signed_in_helper(inprocess_service) as helper:
        session_id, _sharer = await joined(inprocess_service, helper)
        chosen = await helper.http.post(
            f"/api/sessions/{session_id}/actions", json={"type": "choose_mode", "mode": "control"}
        )
        assert chosen.status_code == 200 and chosen.json()["requested_mode"] == "control"


async def test_the_sharer_sees_the_verified_domain(inprocess_service_factory) -> None:
    service = inprocess_service_factory()
    async with signed_in_helper(service) as helper:
        _session_id, sharer = await joined(service, helper)
        assert sharer.helper == {"name": "Ada L.", "organisation": "Contoso", "verified_domain": ""}
        async with store_of(service) as accounts:
            await Organisations(accounts.sessions).verify(
                "Contoso", "Contoso.COM.", VerifiedBy.ADMIN
            )
        session_id, sharer = await joined(service, helper)
        assert sharer.helper["verified_domain"] == "contoso.com"
        helper_side = await helper.connect(session_id)
        sharer_side = await sharer.connect()
        await helper_side.send_json({"type": "choose_mode", "mode": "view"})
        request = await sharer_side.wait_type("consent_request")
        assert request["helper"] == {
            "name": "Ada L.",
            "organisation": "Contoso",
            "verified_domain": "contoso.com",
        }


async def test_domains_roles_and_the_last_administrator(inprocess_service_factory) -> None:
    service = inprocess_service_factory()
    async with store_of(service) as accounts:
        organisations = Organisations(accounts.sessions)
        with pytest.raises(InvalidDomain):
            await organisations.verify("Contoso", "not a domain", VerifiedBy.ADMIN)
        await organisations.verify("Contoso", "contoso.com", VerifiedBy.ADMIN)
        # What a sign-in implies never overrides an administrator's choice.
        await organisations.vouch_from_idp("Contoso", "evil.example")
        assert (await organisations.all())["Contoso"] == "contoso.com"
        await organisations.vouch_from_idp("Fabrikam", "fabrikam.com")
        assert (await organisations.all())["Fabrikam"] == "fabrikam.com"

        admins = [h for h in await accounts.list() if h.is_admin]
        assert len(admins) == 1
        with pytest.raises(LastAdministrator):
            await accounts.set_role(admins[0].username, admin=False)
        promoted = await accounts.set_role("ada", admin=True)
        assert promoted.role.value == "admin"
        assert (await accounts.set_role(admins[0].username, admin=False)).role.value == "helper"
        ada = await accounts.find("ada")
        assert ada.verified_domain == "contoso.com" and ada.card.who.endswith(
            "(verified: contoso.com)"
        )
