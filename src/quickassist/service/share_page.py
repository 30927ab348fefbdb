"""The browser sharer's page: ``/share`` and ``/s/{code}`` (the code filled in), no install.

Both answer the same static file (console/share.html, under the console's CSP like every
answer); its script reads a code from the path itself, so nothing of the code is written into
the page here. The page sets no cookie and stores nothing beyond the tab's life
(docs/security.md, "The browser sharer"). A path that cannot hold a code is a plain 404: the
page never tells whether a code exists (only the join call does, under its limits).
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response

SHARE_PAGE = Path(__file__).with_name("console") / "share.html"
#: What a code link may carry: the code's letters (any case), spaces and dashes, as people type.
_CODE_IN_PATH = re.compile(r"[0-9A-Za-z -]{1,16}")


async def share_page() -> Response:
    """The sharer's page: the warning, the code box, then the browser's screen picker."""
    return FileResponse(SHARE_PAGE, media_type="text/html", headers={"Cache-Control": "no-store"})


async def share_page_with_code(code: str) -> Response:
    """The same page for a link the helper sends (``/s/ABC234``): its script fills the code in."""
    if not _CODE_IN_PATH.fullmatch(code):
        return Response(status_code=404)
    return await share_page()


def install_share_page(app: FastAPI) -> None:
    app.add_api_route("/share", share_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/s/{code}", share_page_with_code, methods=["GET"], include_in_schema=False)
