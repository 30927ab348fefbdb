"""Whole sessions through the real service (in process) over TLS: rendezvous, consent, relay
policy, ending."""

from __future__ import annotations

import json

import httpx
import pytest

from quickassist.protocol.frames import FrameFlags, FrameKind
from tests.fixtures.session_clients import ScriptedSharer, active_session
from tests.timeouts import WAIT

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def test_allow_flow_carries_video_and_input(inprocess_service, inprocess_helper) -> None:
    created = await inprocess_helper.create_session()
    assert len(created["code"]) == 6
    assert created["code_display"] == f"{created['code'][:3]}-{created['code'][3:]}"
    assert 590 <= created["expires_in"] <= 600

    sharer = ScriptedSharer(inprocess_service.base_url, inprocess_service.ssl_context)
    typed = f" {created['code'][:3].lower()} - {created['code'][3:]} "  # as a person types it
    joined = await sharer.join(typed)
    assert joined.status_code == 200, joined.text
    # The sharer learns "First L." and the organisation, never the full name or account:
    # the helper card is exact and nothing else is said.
    assert sharer.helper == {"name": "Ada L.", "organisation": "Contoso", "verified_domain": ""}
    # Field by field, not the whole text: random ids and tokens may spell "ada" in hex.
    body = joined.json()
    assert set(body) == {"session_id", "sharer_token", "helper", "ws_path", "view_only"}
    assert "Lovelace" not in joined.text and "contoso.com" not in joined.text

    helper_side = await inprocess_helper.connect(created["session_id"])
    sharer_side = await sharer.connect()
    await helper_side.wait_type("state", phase="joined")
    await helper_side.send_json({"type": "choose_mode", "mode": "control"})
    consent = await sharer_side.wait_type("consent_request")
    assert consent == {
        "type": "consent_request",
        "mode": "control",
        "helper": {"name": "Ada L.", "organisation": "Contoso"},
    }
    # Before Allow, no pixel reaches the helper.
    await sharer_side.send_frame(FrameKind.VIDEO, b"before-allow")
    await sharer_side.send_json({"type": "allow", "mode": "control"})
    await helper_side.wait_type("state", phase="active", mode="control")

    await sharer_side.send_frame(FrameKind.VIDEO, b"tiles", flags=FrameFlags.KEYFRAME)
    video = await helper_side.wait_frame(lambda f: f.kind is FrameKind.VIDEO)
    assert video.payload == b"tiles"
    assert video.header.flags & FrameFlags.KEYFRAME
    assert all(f.payload != b"before-allow" for f in helper_side.frames)

    await helper_side.send_frame(FrameKind.INPUT, b'{"t":"move","x":1,"y":2}')
    typed_input = await sharer_side.wait_frame(lambda f: f.kind is FrameKind.INPUT)
    assert json.loads(typed_input.payload) == {"t": "move", "x": 1, "y": 2}
    await helper_side.close()
    await sharer_side.close()


async def test_decline_ends_the_session_for_both(inprocess_service, inprocess_helper) -> None:
    created = await inprocess_helper.create_session()
    sharer = ScriptedSharer(inprocess_service.base_url, inprocess_service.ssl_context)
    await sharer.join(created["code"])
    helper_side = await inprocess_helper.connect(created["session_id"])
    sharer_side = await sharer.connect()
    await helper_side.send_json({"type": "choose_mode", "mode": "view"})
    await sharer_side.wait_type("consent_request", mode="view")
    await sharer_side.send_json({"type": "decline"})
    for side in (helper_side, sharer_side):
        ended = await side.wait_type("ended")
        assert ended["reason"] == "declined"
        assert "declined" in ended["message"]
        code, reason = await side.wait_closed()
        assert code == 1000 and "declined" in reason


async def test_wrong_and_malformed_codes_get_plain_sentences(inprocess_service) -> None:
    sharer = ScriptedSharer(inprocess_service.base_url, inprocess_service.ssl_context)
    wrong = await sharer.join("ZZZ-ZZZ")
    assert wrong.status_code == 404
    assert wrong.json()["error"] == "unknown_code"
    assert "not valid" in wrong.json()["message"]
    malformed = await sharer.join("12")
    assert malformed.status_code == 400
    assert malformed.json()["error"] == "invalid_code"


async def test_a_code_is_single_use(inprocess_service, inprocess_helper) -> None:
    created = await inprocess_helper.create_session()
    first = ScriptedSharer(inprocess_service.base_url, inprocess_service.ssl_context)
    assert (await first.join(created["code"])).status_code == 200
    second = ScriptedSharer(inprocess_service.base_url, inprocess_service.ssl_context)
    again = await second.join(created["code"])
    assert again.status_code == 404


async def test_view_only_input_is_dropped_by_the_relay(inprocess_service, inprocess_helper) -> None:
    helper_side, sharer_side, _ = await active_session(
        inprocess_helper, inprocess_service.base_url, inprocess_service.ssl_context, mode="view"
    )
    await helper_side.send_frame(
        FrameKind.INPUT, b'{"t":"key","code":"KeyA","key":"a","down":true}'
    )
    await helper_side.send_frame(FrameKind.CLIPBOARD, b'{"text":"secret"}')
    # Chat follows on the same connection: once it arrives, the input would have arrived first.
    await helper_side.send_frame(FrameKind.CHAT, b'{"id":"1","text":"hi","sent_at":0}')
    await sharer_side.wait_frame(lambda f: f.kind is FrameKind.CHAT)
    assert [f.kind for f in sharer_side.frames] == [FrameKind.CHAT]


async def test_pause_stops_video_and_input_resume_restarts(
    inprocess_service, inprocess_helper
) -> None:
    helper_side, sharer_side, _ = await active_session(
        inprocess_helper, inprocess_service.base_url, inprocess_service.ssl_context
    )
    await sharer_side.send_json({"type": "pause"})
    await helper_side.wait_type("state", paused=True)
    await sharer_side.send_frame(FrameKind.VIDEO, b"while-paused")
    await helper_side.send_frame(FrameKind.INPUT, b'{"t":"move","x":5,"y":5}')
    await sharer_side.send_frame(FrameKind.CHAT, b'{"id":"a","text":"paused","sent_at":0}')
    await helper_side.send_frame(FrameKind.CHAT, b'{"id":"b","text":"ok","sent_at":0}')
    await helper_side.wait_frame(lambda f: f.kind is FrameKind.CHAT)
    await sharer_side.wait_frame(lambda f: f.kind is FrameKind.CHAT)
    assert [f.kind for f in helper_side.frames] == [FrameKind.CHAT]
    assert [f.kind for f in sharer_side.frames] == [FrameKind.CHAT]

    await sharer_side.send_json({"type": "resume"})
    await helper_side.wait_type("state", paused=False, phase="active")
    await sharer_side.send_frame(FrameKind.VIDEO, b"after-resume")
    frame = await helper_side.wait_frame(lambda f: f.kind is FrameKind.VIDEO)
    assert frame.payload == b"after-resume"


async def test_revoke_control_drops_to_view_only(inprocess_service, inprocess_helper) -> None:
    helper_side, sharer_side, _ = await active_session(
        inprocess_helper, inprocess_service.base_url, inprocess_service.ssl_context
    )
    await sharer_side.send_json({"type": "revoke_control"})
    await helper_side.wait_type("state", mode="view")
    await helper_side.send_frame(FrameKind.INPUT, b'{"t":"move","x":5,"y":5}')
    await helper_side.send_frame(FrameKind.CHAT, b'{"id":"b","text":"ok","sent_at":0}')
    await sharer_side.wait_frame(lambda f: f.kind is FrameKind.CHAT)
    assert [f.kind for f in sharer_side.frames] == [FrameKind.CHAT]

    # Asking again goes through the sharer's consent; declining keeps the view going.
    await helper_side.send_json({"type": "request_control"})
    await sharer_side.wait_type("consent_request", mode="control")
    await sharer_side.send_json({"type": "decline"})
    answer = await helper_side.wait_type("control_answer")
    assert answer["granted"] is False
    before = len(sharer_side.texts)
    await helper_side.send_json({"type": "request_control"})
    await sharer_side.wait_type("consent_request", since=before)
    # An answer to a request that is not the one pending is refused, never granted.
    await sharer_side.send_json({"type": "allow", "mode": "view"})
    assert (await sharer_side.wait_type("error"))["code"] == "illegal_event"
    await sharer_side.send_json({"type": "allow", "mode": "control"})
    assert (await helper_side.wait_type("control_answer", granted=True))["granted"] is True
    await helper_side.wait_type("state", mode="control")


@pytest.mark.parametrize("ender", ["helper", "sharer"])
async def test_either_side_ends(inprocess_service, inprocess_helper, ender: str) -> None:
    helper_side, sharer_side, _ = await active_session(
        inprocess_helper, inprocess_service.base_url, inprocess_service.ssl_context
    )
    side = helper_side if ender == "helper" else sharer_side
    await side.send_json({"type": "end"})
    for each in (helper_side, sharer_side):
        ended = await each.wait_type("ended")
        assert ended["reason"] == f"{ender}_ended"
        assert (await each.wait_closed())[0] == 1000


async def test_illegal_actions_are_refused_and_the_session_goes_on(
    inprocess_service, inprocess_helper
) -> None:
    helper_side, sharer_side, sharer = await active_session(
        inprocess_helper, inprocess_service.base_url, inprocess_service.ssl_context, mode="view"
    )
    # A sharer cannot choose the mode; a helper cannot pause or allow.
    await sharer_side.send_json({"type": "choose_mode", "mode": "control"})
    error = await sharer_side.wait_type("error")
    assert error["code"] == "illegal_event"
    await helper_side.send_json({"type": "allow", "mode": "view"})
    assert (await helper_side.wait_type("error"))["message"]
    # Over HTTP the same rules answer 409 with a sentence.
    async with httpx.AsyncClient(
        base_url=inprocess_service.base_url, verify=inprocess_service.ssl_context
    ) as http:
        refused = await http.post(
            f"/api/sessions/{sharer.session_id}/actions",
            json={"type": "request_control"},
            headers={"Authorization": f"Bearer {sharer.token}"},
        )
        assert refused.status_code == 409
        assert refused.json()["error"] == "illegal_event"
        paused = await http.post(
            f"/api/sessions/{sharer.session_id}/actions",
            json={"type": "pause"},
            headers={"Authorization": f"Bearer {sharer.token}"},
        )
        assert paused.status_code == 200 and paused.json()["paused"] is True
        bad_token = await http.get(
            f"/api/sessions/{sharer.session_id}", headers={"Authorization": "Bearer nope"}
        )
        assert bad_token.status_code == 401
    await helper_side.wait_type("state", paused=True)


async def test_a_second_connection_replaces_the_first(inprocess_service, inprocess_helper) -> None:
    helper_side, sharer_side, sharer = await active_session(
        inprocess_helper, inprocess_service.base_url, inprocess_service.ssl_context
    )
    replacement = await sharer.connect()
    code, reason = await sharer_side.wait_closed()
    assert code == 4409 and reason
    # The helper learns the sharer's side started afresh (new handshake, new keyframe).
    await helper_side.wait_type("peer_left", role="sharer")
    await helper_side.wait_type("peer_returned", role="sharer")
    await replacement.wait_type("state", phase="active")
    await replacement.send_frame(FrameKind.VIDEO, b"from-the-new-one")
    frame = await helper_side.wait_frame(lambda f: f.kind is FrameKind.VIDEO)
    assert frame.payload == b"from-the-new-one"


async def test_cross_origin_websocket_is_refused(inprocess_service, inprocess_helper) -> None:
    import websockets

    created = await inprocess_helper.create_session()
    with pytest.raises(websockets.InvalidStatus) as refused:
        await inprocess_helper.connect(created["session_id"], origin="https://evil.example")
    assert refused.value.response.status_code == 403


async def test_metrics_and_health(inprocess_service, inprocess_helper) -> None:
    await inprocess_helper.create_session()
    async with httpx.AsyncClient(
        base_url=inprocess_service.base_url, verify=inprocess_service.ssl_context, timeout=WAIT
    ) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        text = (await http.get("/metrics")).text
    values = dict(
        line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    assert int(values["quickassist_codes_issued_total"]) >= 1
    assert "quickassist_sessions_active" in values
    assert "quickassist_bytes_relayed_total" in values
    assert "quickassist_joins_failed_total" in values
    assert "Ada" not in text and "127.0.0.1" not in text


async def test_helper_cannot_open_another_helpers_session(
    inprocess_service, inprocess_helper
) -> None:
    created = await inprocess_helper.create_session()
    async with httpx.AsyncClient(
        base_url=inprocess_service.base_url, verify=inprocess_service.ssl_context
    ) as anonymous:
        response = await anonymous.post("/api/sessions")
        assert response.status_code == 401
        response = await anonymous.get(f"/api/sessions/{created['session_id']}")
        assert response.status_code == 401


async def test_permessage_deflate_is_never_negotiated(inprocess_service, inprocess_helper) -> None:
    import websockets

    created = await inprocess_helper.create_session()
    cookie = "; ".join(f"{k}={v}" for k, v in inprocess_helper.http.cookies.items())
    url = inprocess_service.base_url.replace("https://", "wss://")
    async with websockets.connect(
        f"{url}/ws/helper/{created['session_id']}",
        ssl=inprocess_service.ssl_context,
        additional_headers={"Cookie": cookie},
        origin=inprocess_service.base_url,
        compression="deflate",  # the client offers it
    ) as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        assert ws.request.headers["Sec-WebSocket-Extensions"].startswith("permessage-deflate")
