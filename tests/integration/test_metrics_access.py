"""GET /metrics against the real service over TLS: a bearer token when one is set, else
clients on this machine only."""

from __future__ import annotations

import httpx

from tests.fixtures.service import LiveService, ServiceFactory
from tests.timeouts import WAIT

TOKEN = "a-metrics-token-for-tests"


def client(service: LiveService) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=service.base_url, verify=service.ssl_context, timeout=WAIT)


async def test_with_a_token_metrics_need_it_even_from_loopback(
    service_factory: ServiceFactory,
) -> None:
    service = service_factory(env={"QUICKASSIST_METRICS_TOKEN": TOKEN}, add_helper=False)
    async with client(service) as http:
        missing = await http.get("/metrics")
        assert missing.status_code == 401
        assert missing.json()["error"] == "metrics_token"
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer not-it"})
        assert wrong.status_code == 401
        right = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        assert "quickassist_sessions_active 0" in right.text


async def test_without_a_token_metrics_answer_only_this_machine(
    service_factory: ServiceFactory,
) -> None:
    # Behind a proxy on loopback the client is the one the proxy names: not this machine.
    service = service_factory(args=["--trusted-proxy", "127.0.0.1"], add_helper=False)
    async with client(service) as http:
        assert (await http.get("/metrics")).status_code == 200
        remote = await http.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"})
        assert remote.status_code == 403
        assert remote.json() == {
            "error": "forbidden",
            "message": "Metrics are served only to this machine unless a metrics token is set.",
        }
