"""Per-helper bounds against the real service over TLS: sessions open at once and codes asked
for, each refused with 429 and a sentence (the console shows the service's sentence as is).

On both backends (`fresh_backend`): one node's memory, and PostgreSQL + Redis, where the counts
are every node's (three nodes behind nginx: tests/integration/scale/test_limits_across_nodes.py).
"""

from __future__ import annotations

from tests.fixtures.inprocess_service import InProcessFactory
from tests.fixtures.service import signed_in_client


async def test_open_sessions_per_helper_are_bounded(
    inprocess_service_factory: InProcessFactory, fresh_backend: dict[str, str]
) -> None:
    service = inprocess_service_factory(
        env={**fresh_backend, "QUICKASSIST_LIVE_SESSIONS_PER_HELPER": "2"}
    )
    http = await signed_in_client(service)
    try:
        first = await http.post("/api/sessions")
        assert (await http.post("/api/sessions")).status_code == 201
        refused = await http.post("/api/sessions")
        assert refused.status_code == 429
        assert refused.json() == {
            "error": "too_many_sessions",
            "message": "You already have 2 sessions open. "
            "End one of them before you start another.",
        }
        ended = await http.post(
            f"/api/sessions/{first.json()['session_id']}/actions", json={"type": "end"}
        )
        assert ended.status_code == 200
        assert (await http.post("/api/sessions")).status_code == 201
    finally:
        await http.aclose()


async def test_code_requests_per_helper_are_bounded(
    inprocess_service_factory: InProcessFactory, fresh_backend: dict[str, str]
) -> None:
    service = inprocess_service_factory(
        env={**fresh_backend, "QUICKASSIST_CODE_REQUESTS_PER_HELPER": "3/600"}
    )
    http = await signed_in_client(service)
    try:
        for _ in range(3):
            created = await http.post("/api/sessions")
            assert created.status_code == 201
            # Ending each keeps the open-sessions bound out of the way: only the rate counts.
            session_id = created.json()["session_id"]
            await http.post(f"/api/sessions/{session_id}/actions", json={"type": "end"})
        refused = await http.post("/api/sessions")
        assert refused.status_code == 429
        assert refused.json()["error"] == "too_many_codes"
        assert refused.json()["message"] == (
            "You asked for many codes in a short time. Wait 10 minutes and try again."
        )
        assert 595 <= int(refused.headers["retry-after"]) <= 600
        service.clock.advance(600)  # the first request leaves the window
        assert (await http.post("/api/sessions")).status_code == 201
    finally:
        await http.aclose()
