"""Per-helper bounds against the real service over TLS: sessions open at once and codes asked
for, each refused with 429 and a sentence (the console shows the service's sentence as is)."""

from __future__ import annotations

from tests.fixtures.service import ServiceFactory, signed_in_client


async def test_open_sessions_per_helper_are_bounded(service_factory: ServiceFactory) -> None:
    service = service_factory(env={"QUICKASSIST_LIVE_SESSIONS_PER_HELPER": "2"})
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


async def test_code_requests_per_helper_are_bounded(service_factory: ServiceFactory) -> None:
    service = service_factory(env={"QUICKASSIST_CODE_REQUESTS_PER_HELPER": "3/600"})
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
        assert refused.json()["message"].startswith("You asked for many codes in a short time.")
        assert 1 <= int(refused.headers["retry-after"]) <= 600
    finally:
        await http.aclose()
