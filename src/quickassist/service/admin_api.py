"""Administration over HTTP for the console: /api/admin/* (administrators only).

The same operations, with the same rules, as ``quickassist user ...``, ``org`` and ``settings``
(both call `HelperAccounts`, `Organisations`, `ServiceSettings`, `TwoFactor`): disabling,
removing or resetting a helper ends their sign-ins at once; the last administrator stays one.
An administrator cannot disable or remove their own account (the console would lock them out
mid-click). Every change is recorded in the admin log (who, what, to whom, when), kept with
names for `retention_days`, then anonymous.

Also here, for the sharer app: ``POST /api/sessions/{id}/report`` ("Report this session"),
which needs no sign-in, only a session the service recorded, and is limited per address.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from .accounts import HelperAccounts, generate_password
from .admin_records import MAX_REASON_CHARS, AdminRecords
from .auth import require_helper
from .client_address import peer_address
from .config import RateLimit
from .errors import NotAllowed, ServiceError
from .helper_session_store import HelperSessionStore
from .identity import HelperIdentity
from .organisations import Organisations, VerifiedBy
from .rate_limit import SlidingWindowLimiter
from .service_settings import ServiceSettings, Setting
from .telemetry import SessionRecord
from .totp import TwoFactor

#: "Report this session" answers at most this often per address (a report is a sentence for
#: people to read, not a channel to flood).
REPORTS_PER_ADDRESS = RateLimit(5, 3600)


class NewHelperIn(BaseModel):
    username: str = Field(max_length=64)
    display_name: str = Field(max_length=200)
    organisation: str = Field(max_length=200)
    admin: bool = False


class HelperChangeIn(BaseModel):
    role: str | None = Field(default=None, pattern="^(admin|helper)$")
    full_control: bool | None = None


class SettingsIn(BaseModel):
    local_sign_in: bool | None = None
    admin_two_factor: bool | None = None


class OrganisationIn(BaseModel):
    name: str = Field(max_length=200)
    domain: str | None = Field(default=None, max_length=253, description="None: not verified.")


class ReportIn(BaseModel):
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS)


async def require_admin(
    helper: Annotated[HelperIdentity, Depends(require_helper)],
) -> HelperIdentity:
    if not helper.is_admin:
        raise NotAllowed("Only administrators can do this.", code="not_admin")
    return helper


Admin = Annotated[HelperIdentity, Depends(require_admin)]


def _helper_out(helper: HelperIdentity) -> dict[str, Any]:
    return {
        **helper.public_dict(),
        "disabled": helper.disabled,
    }


def build_admin_router(
    accounts: HelperAccounts,
    sign_ins: HelperSessionStore,
    records: AdminRecords,
    settings: ServiceSettings,
    two_factor: TwoFactor,
    *,
    clock: Callable[[], float],
) -> APIRouter:
    router = APIRouter(tags=["administration"])
    organisations = Organisations(accounts.sessions)
    reports_limit = SlidingWindowLimiter(REPORTS_PER_ADDRESS.count, REPORTS_PER_ADDRESS.per_seconds)

    def not_yourself(admin: HelperIdentity, username: str, doing: str) -> None:
        if admin.username == username.strip().casefold():
            raise ServiceError(
                f"You cannot {doing} your own account; ask another administrator.",
                code="own_account",
                status=409,
            )

    @router.get("/api/admin/helpers")
    async def list_helpers(_admin: Admin) -> list[dict[str, Any]]:
        """Every helper account, disabled ones included."""
        return [_helper_out(h) for h in await accounts.list()]

    @router.post("/api/admin/helpers", status_code=201)
    async def add_helper(admin: Admin, body: Annotated[NewHelperIn, Body()]) -> dict[str, Any]:
        """Create an account with a generated password (answered once, to pass on)."""
        password = generate_password()
        helper = await accounts.add(
            body.username,
            display_name=body.display_name,
            organisation=body.organisation,
            password=password,
            is_admin=body.admin,
        )
        await records.record(admin.username, "add_helper", helper.username)
        return {**_helper_out(helper), "password": password}

    @router.patch("/api/admin/helpers/{username}")
    async def change_helper(
        admin: Admin, username: str, body: Annotated[HelperChangeIn, Body()]
    ) -> dict[str, Any]:
        """Change a helper's role or full-control permission."""
        helper = await accounts.find(username)
        if body.role is not None:
            helper = await accounts.set_role(username, admin=body.role == "admin")
            await records.record(admin.username, f"set_role_{body.role}", helper.username)
        if body.full_control is not None:
            helper = await accounts.set_full_control(username, allowed=body.full_control)
            action = "allow_full_control" if body.full_control else "view_only"
            await records.record(admin.username, action, helper.username)
        return _helper_out(await accounts.find(helper.username))

    @router.post("/api/admin/helpers/{username}/disable")
    async def disable_helper(admin: Admin, username: str) -> dict[str, Any]:
        """Disable an account: its sign-ins end at once."""
        not_yourself(admin, username, "disable")
        helper = await accounts.set_disabled(username, True)
        await sign_ins.revoke_helper(helper.id)
        await records.record(admin.username, "disable_helper", helper.username)
        return _helper_out(await accounts.find(username))

    @router.post("/api/admin/helpers/{username}/enable")
    async def enable_helper(admin: Admin, username: str) -> dict[str, Any]:
        helper = await accounts.set_disabled(username, False)
        await records.record(admin.username, "enable_helper", helper.username)
        return _helper_out(await accounts.find(username))

    @router.delete("/api/admin/helpers/{username}", status_code=204)
    async def remove_helper(admin: Admin, username: str) -> None:
        """Delete an account: its sign-ins end at once."""
        not_yourself(admin, username, "remove")
        helper = await accounts.remove(username)
        await sign_ins.revoke_helper(helper.id)
        await two_factor.reset(helper.id)
        await records.record(admin.username, "remove_helper", helper.username)

    @router.post("/api/admin/helpers/{username}/reset-2fa")
    async def reset_two_factor(admin: Admin, username: str) -> dict[str, Any]:
        """Remove a helper's authenticator and recovery codes (a lost phone); signs them out."""
        helper = await accounts.find(username)
        await two_factor.reset(helper.id)
        await sign_ins.revoke_helper(helper.id)
        await records.record(admin.username, "reset_2fa", helper.username)
        return _helper_out(await accounts.find(username))

    @router.get("/api/admin/settings")
    async def get_settings(_admin: Admin) -> dict[str, bool]:
        return await settings.all()

    @router.put("/api/admin/settings")
    async def put_settings(admin: Admin, body: Annotated[SettingsIn, Body()]) -> dict[str, bool]:
        """Switch password sign-in or the administrators' second factor on or off."""
        for setting, value in (
            (Setting.LOCAL_SIGN_IN, body.local_sign_in),
            (Setting.ADMIN_TWO_FACTOR, body.admin_two_factor),
        ):
            if value is not None:
                await settings.set(setting, value)
                state = "on" if value else "off"
                await records.record(admin.username, f"{setting.value}_{state}")
        return await settings.all()

    @router.put("/api/admin/organisations")
    async def put_organisation(
        admin: Admin, body: Annotated[OrganisationIn, Body()]
    ) -> dict[str, str | None]:
        """Set (or clear) the domain sharers are told an organisation is verified for."""
        domain = await organisations.verify(body.name, body.domain, VerifiedBy.ADMIN)
        action = "verify_domain" if domain else "unverify_domain"
        await records.record(admin.username, action, f"{body.name.strip()} {domain or ''}".strip())
        return {"name": body.name.strip(), "verified_domain": domain}

    @router.get("/api/admin/organisations")
    async def get_organisations(_admin: Admin) -> dict[str, str | None]:
        return await organisations.all()

    @router.get("/api/admin/log")
    async def admin_log(_admin: Admin) -> list[dict[str, Any]]:
        """The newest administrators' actions (names only for the retention period)."""
        return [
            {"at": a.at.isoformat(), "action": a.action, "actor": a.actor, "target": a.target}
            for a in await records.actions()
        ]

    @router.get("/api/admin/reports")
    async def abuse_reports(_admin: Admin) -> list[dict[str, Any]]:
        """Sharers' reports, with the helper's account while the retention period allows."""
        names = {h.id: h.username for h in await accounts.list()}
        return [
            {
                "at": r.at.isoformat(),
                "session_id": r.session_id,
                "reason": r.reason,
                "helper": names.get(r.helper_id) if r.helper_id is not None else None,
            }
            for r in await records.reports()
        ]

    @router.post("/api/sessions/{session_id}/report", status_code=202, tags=["sessions"])
    async def report_session(
        request: Request, session_id: str, body: Annotated[ReportIn, Body()]
    ) -> dict[str, str]:
        """ "Report this session" from the sharer app, during or after the session."""
        address = peer_address(request)
        wait = reports_limit.hit(address or "", clock())
        if wait is not None:
            raise ServiceError(
                "Your report was not sent: too many reports from here. Try again later.",
                code="too_many_reports",
                status=429,
                retry_after=int(wait) + 1,
            )
        async with accounts.sessions() as db:
            found = (
                await db.execute(
                    select(SessionRecord.id, SessionRecord.helper_id).where(
                        SessionRecord.id == session_id[:32]
                    )
                )
            ).first()
        if found is None:
            raise ServiceError(
                "That session is not known here (reports are kept for sessions of the last "
                "3 days).",
                code="unknown_session",
                status=404,
            )
        await records.report(found[0], body.reason.strip(), helper_id=found[1], address=address)
        return {"message": "Thank you. Your report was sent to the service's administrators."}

    return router


def install_administration(app: FastAPI, *, clock: Callable[[], float] = time.time) -> None:
    """The admin routes, the session history, and their retention sweep. After install_sessions
    (it adds its sweep to the retention task)."""
    from .history import router as history_router

    accounts: HelperAccounts = app.state.accounts
    records = AdminRecords(accounts.sessions, clock=clock)
    app.state.admin_records = records
    app.state.retention.add_sweep(records.personal_data_sweep(app.state.config.retention_days))
    app.include_router(
        build_admin_router(
            accounts,
            app.state.helper_sessions.store,
            records,
            app.state.service_settings,
            app.state.two_factor,
            clock=clock,
        )
    )
    app.include_router(history_router)
