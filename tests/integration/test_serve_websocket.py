"""The served WebSockets: same port as HTTPS, no permessage-deflate, bounded message size."""

from __future__ import annotations

import httpx
import websockets

from tests.fixtures.service import LiveService


async def test_websocket_runs_over_tls_without_compression(
    live_service: LiveService, helper_client: httpx.AsyncClient
) -> None:
    created = await helper_client.post("/api/sessions")
    assert created.status_code == 201
    session_id = created.json()["session_id"]
    cookie = helper_client.cookies["qa_session"]
    async with websockets.connect(
        f"{live_service.ws_base_url}/ws/helper/{session_id}",
        ssl=live_service.ssl_context,
        origin=websockets.Origin(live_service.base_url),
        additional_headers={"Cookie": f"qa_session={cookie}"},
        compression="deflate",  # offered by the client; the service must decline it
    ) as socket:
        assert socket.response is not None
        assert "Sec-WebSocket-Extensions" not in socket.response.headers
        first = await socket.recv()
        assert '"type"' in str(first)
