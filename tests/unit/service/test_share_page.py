"""The browser sharer's page (service/share_page.py): /share and /s/CODE answer the same static
file under the console's policy, set no cookie and are not cached; a path that cannot hold a
code is a plain 404 (nothing of it is echoed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from quickassist.service.app import create_app
from quickassist.service.config import ServiceConfig
from quickassist.service.security_headers import CONTENT_SECURITY_POLICY
from quickassist.service.share_page import SHARE_PAGE


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


@pytest.mark.parametrize("path", ["/share", "/s/ABC234", "/s/abc-234", "/s/ABC 234"])
async def test_the_page_is_the_one_static_file_under_the_policy(
    http: httpx.AsyncClient, path: str
) -> None:
    answer = await http.get(path)
    assert answer.status_code == 200
    assert answer.text == SHARE_PAGE.read_text(encoding="utf-8")
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["cache-control"] == "no-store"
    assert "set-cookie" not in answer.headers


@pytest.mark.parametrize("path", ["/s/<script>", "/s/" + "A" * 17, "/s/ABC%22onload"])
async def test_a_path_that_cannot_hold_a_code_is_not_found(
    http: httpx.AsyncClient, path: str
) -> None:
    answer = await http.get(path)
    assert answer.status_code == 404
    assert "script" not in answer.text and "onload" not in answer.text
