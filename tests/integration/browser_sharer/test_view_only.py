"""A sharer that joined from the web page (/share) is view only, and the service holds to it
whatever a client sends: full control is refused on the API and the WebSocket, and input or
clipboard frames from the helper are never relayed to it. Against the real service, in process.
"""

from __future__ import annotations

import json

import httpx

from quickassist.protocol.frames import FrameKind
from tests.fixtures.inprocess_service import InProcessService
from tests.fixtures.session_clients import ScriptedHelper, ScriptedSharer, Side
from tests.timeouts import QUIET, WAIT

KEY = json.dumps({"t": "key", "code": "KeyA", "key": "a", "down": True}).encode()


async def join_from_browser(service: InProcessService, code: str) -> tuple[ScriptedSharer, dict]:
    """What the /share page's join call sends: the code and `"client": "browser"`."""
    sharer = ScriptedSharer(service.base_url, service.ssl_context)
    async with httpx.AsyncClient(
        base_url=service.base_url, verify=service.ssl_context, timeout=WAIT
    ) as http:
        answer = await http.post("/api/join", json={"code": code, "client": "browser"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    sharer.session_id, sharer.token, sharer.helper = (
        body["session_id"],
        body["sharer_token"],
        body["helper"],
    )
    return sharer, body


async def test_full_control_is_refused_for_a_browser_sharer_on_the_api(
    inprocess_service: InProcessService, inprocess_helper: ScriptedHelper
) -> None:
    helper = inprocess_helper
    created = await helper.create_session()
    _sharer, joined = await join_from_browser(inprocess_service, created["code"])
    assert joined["view_only"] is True
    session = f"/api/sessions/{created['session_id']}"
    state = (await helper.http.get(session)).json()
    assert state["sharer_browser"] is True and state["phase"] == "joined"
    refused = await helper.http.post(
        f"{session}/actions", json={"type": "choose_mode", "mode": "control"}
    )
    assert refused.status_code == 409
    assert refused.json() == {
        "error": "view_only_sharer",
        "message": "This person shares from a web browser: view only.",
    }
    assert (await helper.http.get(session)).json()["requested_mode"] is None
    viewed = await helper.http.post(
        f"{session}/actions", json={"type": "choose_mode", "mode": "view"}
    )
    assert viewed.status_code == 200 and viewed.json()["phase"] == "consent"


async def test_an_app_sharer_is_not_marked(
    inprocess_service: InProcessService, inprocess_helper: ScriptedHelper
) -> None:
    created = await inprocess_helper.create_session()
    sharer = ScriptedSharer(inprocess_service.base_url, inprocess_service.ssl_context)
    assert (await sharer.join(created["code"])).json().get("view_only") is False
    helper_side = await inprocess_helper.connect(created["session_id"])
    state = await helper_side.wait_type("state", phase="joined")
    assert "sharer_browser" not in state  # on the wire only when true


async def active_browser_session(
    service: InProcessService, helper: ScriptedHelper
) -> tuple[Side, Side]:
    created = await helper.create_session()
    sharer, _ = await join_from_browser(service, created["code"])
    helper_side = await helper.connect(created["session_id"])
    sharer_side = await sharer.connect()
    joined = await helper_side.wait_type("state", phase="joined", sharer_connected=True)
    assert joined.get("sharer_browser") is True, helper_side.texts
    await helper_side.send_json({"type": "choose_mode", "mode": "view"})
    await sharer_side.wait_type("consent_request", mode="view")
    await sharer_side.send_json({"type": "allow", "mode": "view"})
    await helper_side.wait_type("state", phase="active")
    await sharer_side.wait_type("state", phase="active")
    return helper_side, sharer_side


async def test_the_relay_never_gives_a_browser_sharer_input_or_control(
    inprocess_service: InProcessService, inprocess_helper: ScriptedHelper
) -> None:
    helper_side, sharer_side = await active_browser_session(inprocess_service, inprocess_helper)
    # Asking for control mid-session: refused on the WebSocket too, the session goes on.
    await helper_side.send_json({"type": "request_control"})
    error = await helper_side.wait_type("error")
    assert error["code"] == "view_only_sharer"
    # A client that sends input and clipboard anyway: none reaches the sharer; chat does.
    await helper_side.send_frame(FrameKind.INPUT, KEY)
    await helper_side.send_frame(FrameKind.CLIPBOARD, b'{"text":"secret"}')
    await helper_side.send_frame(FrameKind.CHAT, b'{"id":"c1","text":"hi","sent_at":1}')
    chat = await sharer_side.wait_frame(lambda f: f.kind is FrameKind.CHAT)
    assert chat.payload.endswith(b'"sent_at":1}')
    assert [f.kind for f in sharer_side.frames] == [FrameKind.CHAT]
    try:
        await sharer_side.wait_frame(lambda f: f.kind is not FrameKind.CHAT, timeout=QUIET)
    except TimeoutError:
        pass
    else:  # pragma: no cover - the failure being tested for
        raise AssertionError(f"the relay forwarded {[f.kind for f in sharer_side.frames]}")
    asked = [m["mode"] for m in sharer_side.texts if m["type"] == "consent_request"]
    assert asked == ["view"]
