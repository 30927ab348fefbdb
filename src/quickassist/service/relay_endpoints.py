"""The relay's two WebSocket routes: who may connect, then `relay.run_side` does the rest.

- ``/ws/helper/{session_id}``: the signed-in helper who created the session; the upgrade must
  come from our own origin (a page elsewhere cannot ride the helper's cookie). The session
  ends with the sign-in that created it; the socket's sign-in takes that over (the same helper
  signed in again), and the session ends when that one does (service.sign_in_watch).
- ``/ws/sharer/{session_id}``: ``Authorization: Bearer SHARER_TOKEN`` (from /api/join), or the
  ``token`` query parameter for clients that cannot set headers; an ``Origin``, if sent, must be
  our own.
"""

from __future__ import annotations

from fastapi import FastAPI, WebSocket

from ..protocol.close_codes import CloseCode
from ..protocol.roles import Role
from .auth import COOKIE_NAME, HelperSessions, helper_from_websocket
from .errors import ServiceError
from .hub import SessionHub
from .live_backend import LiveBackend
from .relay import RelayLimits, close_before_session, run_side
from .rendezvous import bearer_token
from .request_guard import origin_allowed


def _hub(websocket: WebSocket) -> SessionHub:
    hub: SessionHub = websocket.app.state.hub
    return hub


def _same_origin(websocket: WebSocket, *, required: bool) -> bool:
    if required and "origin" not in websocket.headers:
        return False
    public_origin = websocket.app.state.config.public_origin
    return origin_allowed(websocket.headers, websocket.url.scheme, public_origin)


async def helper_socket(websocket: WebSocket, session_id: str) -> None:
    if not _same_origin(websocket, required=True):
        # Refuse the handshake itself (HTTP 403): nothing of the session is exposed.
        await websocket.close(CloseCode.CROSS_ORIGIN, CloseCode.CROSS_ORIGIN.sentence)
        return
    helper = await helper_from_websocket(websocket)
    if helper is None:
        await close_before_session(
            websocket, CloseCode.NOT_AUTHENTICATED, "Sign in again, then reopen the session."
        )
        return
    try:
        session = _hub(websocket).for_helper(session_id, helper.id)
    except ServiceError as exc:
        await _refuse_session(websocket, session_id, CloseCode.UNKNOWN_SESSION, exc.message)
        return
    # Which sign-in opened this socket: it replaces the one that created the session (the same
    # helper, maybe signed in again); when it ends, the session ends (service.sign_in_watch).
    sign_ins: HelperSessions = websocket.app.state.helper_sessions
    session.helper_sign_in = sign_ins.sign_in_of(websocket.cookies.get(COOKIE_NAME))
    await websocket.accept()
    await run_side(_hub(websocket), session, Role.HELPER, websocket, _limits(websocket))


async def sharer_socket(websocket: WebSocket, session_id: str) -> None:
    if not _same_origin(websocket, required=False):
        await websocket.close(CloseCode.CROSS_ORIGIN, CloseCode.CROSS_ORIGIN.sentence)
        return
    token = bearer_token(websocket.headers.get("authorization")) or websocket.query_params.get(
        "token"
    )
    if not token:
        await close_before_session(
            websocket, CloseCode.NOT_AUTHENTICATED, "Enter the code from your helper first."
        )
        return
    try:
        session = _hub(websocket).for_sharer(session_id, token)
    except ServiceError as exc:
        refused = exc.status == 401
        close_code = CloseCode.NOT_AUTHENTICATED if refused else CloseCode.UNKNOWN_SESSION
        await _refuse_session(websocket, session_id, close_code, exc.message)
        return
    await websocket.accept()
    await run_side(_hub(websocket), session, Role.SHARER, websocket, _limits(websocket))


async def _refuse_session(
    websocket: WebSocket, session_id: str, code: CloseCode, reason: str
) -> None:
    """Close for a session this node cannot serve, saying what became of it (many nodes: its
    node was lost, or is not answering; see `LiveBackend.refusal`)."""
    backend: LiveBackend = websocket.app.state.live_backend
    await close_before_session(websocket, *await backend.refusal(session_id, code, reason))


def _limits(websocket: WebSocket) -> RelayLimits:
    limits: RelayLimits = websocket.app.state.relay_limits
    return limits


def install_relay(app: FastAPI) -> None:
    app.add_api_websocket_route("/ws/helper/{session_id}", helper_socket)
    app.add_api_websocket_route("/ws/sharer/{session_id}", sharer_socket)
