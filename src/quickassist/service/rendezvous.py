"""The rendezvous API: a helper gets a code, a sharer joins with it, either side acts.

Routes (docs/protocol.md section 2): POST /api/sessions, GET /api/sessions/{id},
POST /api/join, POST /api/sessions/{id}/actions. The same actions also arrive as text frames on
the relay's WebSockets; both paths end in `SessionHub.act`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..protocol.errors import IllegalEvent, MessageError
from ..protocol.messages import parse_client_message, to_dict
from ..protocol.roles import Role
from .auth import COOKIE_NAME, HelperSessions, require_helper
from .client_address import peer_address
from .error_responses import error_response
from .helper_quota import HelperLimits
from .hub import LiveSession, SessionHub
from .identity import HelperIdentity

router = APIRouter(prefix="/api", tags=["sessions"])


class HelperOut(BaseModel):
    name: str = Field(description='First name and last initial only ("Ada L.").')
    organisation: str
    verified_domain: str = Field(
        default="", description='The domain the service vouches for; "" when not verified.'
    )


class CreatedOut(BaseModel):
    session_id: str
    code: str = Field(description="The security code, normalised (ABC234).")
    code_display: str = Field(description="The code as people read it (ABC-234).")
    expires_in: float = Field(description="Seconds until the code expires.")
    expires_at: str = Field(description="When the code expires (ISO 8601, UTC).")
    relay_path: str = Field(
        description='Where on this origin the node the session is pinned to answers ("/nodes/n1"'
        ', "" on one node): its WebSocket and its own calls go there (docs/deploy.md).'
    )
    ws_path: str = Field(description="The helper's relay WebSocket: relay_path + /ws/helper/ID.")
    full_control: bool = Field(
        default=True,
        description="The helper may ask for full control in this session; else view only "
        "(the account's permission when it was created; the service refuses the rest).",
    )


class JoinIn(BaseModel):
    code: str = Field(max_length=64, description="What the sharer typed; case, spaces, dashes ok.")
    client: Literal["app", "browser"] = Field(
        default="app",
        description='"browser" from the /share page: the session is view only, whatever '
        "either side asks later (docs/protocol.md, the browser sharer).",
    )


class JoinedOut(BaseModel):
    session_id: str
    sharer_token: str = Field(description="Bearer token for this session's sharer side.")
    helper: HelperOut
    ws_path: str
    view_only: bool = Field(
        default=False, description="The sharer joined from a web browser: view only, for good."
    )


class StateOut(BaseModel):
    phase: str
    mode: str | None
    requested_mode: str | None
    paused: bool
    helper_connected: bool
    sharer_connected: bool
    sharer_browser: bool = Field(default=False, description="The sharer is a web browser.")


class ActionIn(BaseModel):
    type: str = Field(description="choose_mode, request_control, allow, decline, pause, ...")
    mode: str | None = Field(default=None, description='For choose_mode: "view" or "control".')


def hub_of(request: Request) -> SessionHub:
    hub: SessionHub = request.app.state.hub
    return hub


def _state_out(session: LiveSession) -> StateOut:
    snapshot = to_dict(session.state.snapshot())
    snapshot.pop("type")
    return StateOut(**snapshot)


def bearer_token(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


async def session_party(request: Request, session_id: str) -> tuple[LiveSession, Role]:
    """The session and which side the caller is: a sharer token, else the signed-in helper."""
    hub = hub_of(request)
    token = bearer_token(request.headers.get("authorization"))
    if token is not None:
        return hub.for_sharer(session_id, token), Role.SHARER
    helper = await require_helper(request)
    return hub.for_helper(session_id, helper.id), Role.HELPER


@router.post("/sessions", status_code=201, response_model=CreatedOut)
async def create_session(
    request: Request, helper: Annotated[HelperIdentity, Depends(require_helper)]
) -> CreatedOut:
    """Start a session: returns a fresh security code for the helper to read out.

    Limited per helper (sessions open at once, codes asked for): 429 with a sentence.
    """
    hub = hub_of(request)
    quota: HelperLimits = request.app.state.helper_quota
    # The session ends with the sign-in that asked for it, even before its socket opens.
    sign_ins: HelperSessions = request.app.state.helper_sessions
    admission = await quota.admit(helper.id, request.app.state.clock())
    made: str | None = None
    try:
        created = await hub.create(
            helper_id=helper.id,
            helper=helper.card,
            helper_address=peer_address(request),
            full_control_allowed=helper.full_control,
            helper_sign_in=sign_ins.sign_in_of(request.cookies.get(COOKIE_NAME)),
        )
        made = created.session_id
    finally:
        # The request's place in the count becomes its session (or is given back).
        await quota.settle(admission, made)
    return CreatedOut(
        session_id=created.session_id,
        code=created.code.value,
        code_display=created.code.display(),
        expires_in=created.expires_in,
        expires_at=datetime.fromtimestamp(created.expires_at, UTC).isoformat(),
        relay_path=created.relay_path,
        ws_path=f"{created.relay_path}/ws/helper/{created.session_id}",
        full_control=helper.full_control,
    )


@router.get("/sessions/{session_id}", response_model=StateOut)
async def get_session(request: Request, session_id: str) -> StateOut:
    session, _role = await session_party(request, session_id)
    return _state_out(session)


@router.post("/join", response_model=JoinedOut)
async def join(request: Request, body: JoinIn) -> JoinedOut:
    """Join with a code. Failed attempts are limited per address and overall (429)."""
    browser = body.client == "browser"
    joined = await hub_of(request).join(body.code, peer_address(request), browser=browser)
    return JoinedOut(
        session_id=joined.session_id,
        sharer_token=joined.sharer_token,
        helper=HelperOut(
            name=joined.helper.name,
            organisation=joined.helper.organisation,
            verified_domain=joined.helper.verified_domain,
        ),
        ws_path=f"{joined.relay_path}/ws/sharer/{joined.session_id}",
        view_only=browser,
    )


@router.post("/sessions/{session_id}/actions", response_model=StateOut)
async def act(request: Request, session_id: str, body: Annotated[ActionIn, Body()]) -> StateOut:
    """Apply one side's action (the same messages the WebSockets carry)."""
    session, role = await session_party(request, session_id)
    payload: dict[str, Any] = {"type": body.type}
    if body.mode is not None:
        payload["mode"] = body.mode
    message = parse_client_message(json.dumps(payload))
    await hub_of(request).act(session, role, message)
    return _state_out(session)


async def _illegal_event(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IllegalEvent)
    return error_response(409, exc.code, exc.message)


async def _bad_message(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MessageError)
    return error_response(400, exc.code, exc.message)


def install_rendezvous(app: FastAPI) -> None:
    app.include_router(router)
    app.add_exception_handler(IllegalEvent, _illegal_event)
    app.add_exception_handler(MessageError, _bad_message)
