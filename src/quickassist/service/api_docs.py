"""The browsable API reference at /api/docs (Swagger UI), under a CSP of its own.

Swagger UI comes from a CDN and starts with a small inline script; the service's strict
Content-Security-Policy (no inline script, nothing from other origins) would leave the page
blank. This one page gets a policy that allows exactly the CDN and that one script (by its
SHA-256), and nothing else; the security headers middleware keeps a policy a route set itself.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

DOCS_PATH = "/api/docs"
SWAGGER_ORIGIN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions ('sha256-...') for every inline script in ``html``."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def docs_content_security_policy(html: str) -> str:
    scripts = " ".join([SWAGGER_ORIGIN, *inline_script_hashes(html)])
    return (
        f"default-src 'none'; script-src {scripts}; style-src {SWAGGER_ORIGIN}; "
        f"img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def install_api_docs(app: FastAPI) -> None:
    """Serve Swagger UI for ``app.openapi_url`` at /api/docs (create the app with docs_url=None)."""
    assert app.openapi_url is not None
    page = get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} API")
    html = bytes(page.body).decode()
    policy = docs_content_security_policy(html)

    @app.get(DOCS_PATH, include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})
