"""The served WebSockets (the service in process): same port as HTTPS, no permessage-deflate."""

from __future__ import annotations

import httpx
import websockets

from tests.fixtures.inprocess_service import InProcessService


async def test_websocket_runs_over_tls_without_compression(
    inprocess_service: InProcessService, inprocess_helper_client: httpx.AsyncClient
) -> None:
    created = await inprocess_helper_client.post("/api/sessions")
    assert created.status_code == 201
    session_id = created.json()["session_id"]
    cookie = inprocess_helper_client.cookies["qa_session"]
    async with websockets.connect(
        f"{inprocess_service.ws_base_url}/ws/helper/{session_id}",
        ssl=inprocess_service.ssl_context,
        origin=websockets.Origin(inprocess_service.base_url),
        additional_headers={"Cookie": f"qa_session={cookie}"},
        compression="deflate",  # offered by the client; the service must decline it
    ) as socket:
        assert socket.response is not None
        assert "Sec-WebSocket-Extensions" not in socket.response.headers
        first = await socket.recv()
        assert '"type"' in str(first)
