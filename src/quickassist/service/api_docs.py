"""The browsable API reference at /api/docs: Swagger UI served from the package itself.

The page, its script and its style all come from this origin (``/api/docs/assets/``, files
vendored from ``swagger-ui-dist``, see api_docs_assets/README.md), and it starts from a script
file of ours, so it runs under the console's strict Content-Security-Policy: no CDN, no inline
script, nothing from any other origin.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/api/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"
ASSETS_DIR = Path(__file__).with_name("api_docs_assets")
SWAGGER_UI_VERSION = "5.35.0"
#: The vendored files as npm's swagger-ui-dist@5.35.0 ships them (checked by a unit test).
VENDORED_SHA256 = {
    "swagger-ui-bundle.js": "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2",
    "swagger-ui.css": "5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d",
}


def docs_page(title: str, openapi_url: str) -> str:
    """The /api/docs HTML: only same-origin style and scripts, no inline script."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{html.escape(openapi_url)}"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_PATH}/api-docs.js"></script>
</body>
</html>
"""


def install_api_docs(app: FastAPI) -> None:
    """Serve Swagger UI for ``app.openapi_url`` at /api/docs (create the app with docs_url=None).

    Call before the console's catch-all "/" mount.
    """
    assert app.openapi_url is not None
    page = docs_page(f"{app.title} API", app.openapi_url)

    @app.get(DOCS_PATH, include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(page)

    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="api-docs-assets")
