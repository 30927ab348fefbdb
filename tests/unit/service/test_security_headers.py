"""Security headers on every answer, and the API docs page's own narrow policy."""

from __future__ import annotations

import base64
import hashlib
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


async def test_docs_page_allows_only_its_cdn_and_its_own_inline_script(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.get("/api/docs")
    assert answer.status_code == 200
    policy = answer.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy
    inline = re.findall(r"<script>(.*?)</script>", answer.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["strict-transport-security"] == "max-age=31536000"
