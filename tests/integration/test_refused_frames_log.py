"""A text frame that is not UTF-8 costs the service one log line and a count, not a traceback.

The real `quickassist serve` process (its log is what the operator reads) over TLS: the sharer
side of an active session sends a text frame of invalid UTF-8, which closes that connection
with 1007; the log says so in one line and /metrics counts it.
"""

from __future__ import annotations

import httpx

from tests.fixtures.session_clients import active_session, signed_in_helper


async def test_an_invalid_utf8_text_frame_is_one_line_and_counted(service_factory) -> None:
    service = service_factory()
    async with signed_in_helper(service) as helper:
        _helper_side, sharer_side, _ = await active_session(
            helper, service.base_url, service.ssl_context
        )
        await sharer_side.ws.send(b"\xff\xfe not UTF-8", text=True)
        code, _reason = await sharer_side.wait_closed()
        assert code == 1007
        async with httpx.AsyncClient(base_url=service.base_url, verify=service.ssl_context) as http:
            metrics = (await http.get("/metrics")).text
        assert 'quickassist_frames_refused_total{reason="invalid_utf8"} 1' in metrics
    service.stop()  # every line the process wrote has been read once it has exited
    log = service.stdout
    assert log.count("refused a text frame that is not UTF-8") == 1
    assert "Traceback" not in log
    assert "UnicodeDecodeError" not in log
