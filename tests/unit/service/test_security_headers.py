"""Security headers on every answer, the API docs page included (no policy of its own)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from quickassist.service.app import create_app
from quickassist.service.config import ServiceConfig
from quickassist.service.security_headers import CONTENT_SECURITY_POLICY


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ServiceConfig(data_dir=tmp_path))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://testserver"
        ) as client,
    ):
        yield client


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/healthz", {}, 200),
        ("GET", "/api/openapi.json", {}, 200),
        ("GET", "/no/such/file", {}, 404),
        ("POST", "/api/auth/logout", {"Origin": "https://evil.example"}, 403),
        ("POST", "/api/auth/login", {"Content-Type": "text/plain"}, 415),
    ],
)
async def test_every_answer_carries_the_headers(
    http: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    answer = await http.request(
        method, path, headers=headers, content=b"not json" if status == 415 else None
    )
    assert answer.status_code == status
    assert answer.headers["strict-transport-security"] == "max-age=31536000"
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["content-type"].startswith("application/json")


async def test_the_docs_page_has_the_consoles_policy_and_no_inline_script(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.get("/api/docs")
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert re.findall(r"<script>", answer.text) == []  # every script has a same-origin src
    sources = re.findall(r'(?:src|href)="([^"]+)"', answer.text)
    assert sources and all(s.startswith("/api/docs/assets/") for s in sources)
    for source in sources:
        asset = await http.get(source)
        assert asset.status_code == 200, source
        assert asset.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
