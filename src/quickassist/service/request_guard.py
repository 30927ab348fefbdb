"""CSRF defence for the API: same-origin checks and JSON-only bodies.

Browsers send ``Origin`` on every cross-origin request and on same-origin POSTs; a state-changing
request (POST, PUT, PATCH, DELETE) or a WebSocket upgrade whose ``Origin`` is present and not our
own is refused. Bodies must be ``application/json``: an HTML form cannot send that type without
a CORS preflight, which this service never grants. Together with SameSite=Strict cookies this
closes cross-site request forgery.

`origin_allowed` is the one check; the lead's WebSocket routes call it on the upgrade request.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def expected_origin(headers: Headers, scheme: str, public_origin: str | None) -> str | None:
    """Our own origin: the configured public one, else the scheme and Host of this request."""
    if public_origin:
        return public_origin.lower()
    host = headers.get("host")
    if not host:
        return None
    scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    default_port = {"https": ":443", "http": ":80"}.get(scheme, "")
    host = host.lower()
    if default_port and host.endswith(default_port):
        host = host[: -len(default_port)]
    return f"{scheme}://{host}"


def origin_allowed(headers: Headers, scheme: str, public_origin: str | None) -> bool:
    """True if the request carries no Origin, or its Origin is exactly our own."""
    origin = headers.get("origin")
    if origin is None:
        return True
    own = expected_origin(headers, scheme, public_origin)
    if own is None:
        return False
    origin = origin.lower().rstrip("/")
    default_port = {"https://": ":443", "http://": ":80"}
    for prefix, port in default_port.items():
        if origin.startswith(prefix) and origin.endswith(port):
            origin = origin[: -len(port)]
    return origin == own


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class RequestGuardMiddleware:
    """Refuses cross-origin state-changing API requests (403) and non-JSON bodies (415)."""

    def __init__(self, app: ASGIApp, *, public_origin: str | None, path_prefix: str = "/api/"):
        self.app = app
        self.public_origin = public_origin
        self.path_prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in STATE_CHANGING_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not origin_allowed(headers, scope.get("scheme", "http"), self.public_origin):
            await _refuse(
                send,
                403,
                "cross_origin",
                "This request came from another site and was refused.",
            )
            return
        has_body = int(headers.get("content-length") or 0) > 0 or ("transfer-encoding" in headers)
        if (
            scope["path"].startswith(self.path_prefix)
            and has_body
            and not _is_json(headers.get("content-type"))
        ):
            await _refuse(
                send,
                415,
                "unsupported_media_type",
                "Send the request body as JSON (Content-Type: application/json).",
            )
            return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": code, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
