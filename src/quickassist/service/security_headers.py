"""Security headers on every HTTP response (docs/security: HSTS, CSP, no sniffing, no referrer).

A plain ASGI middleware (not Starlette's BaseHTTPMiddleware) so streamed and WebSocket traffic
passes untouched and nothing is buffered.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    # A year, the value HSTS preload lists ask for; the service is only ever served over TLS.
    (b"strict-transport-security", b"max-age=31536000"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)

_CSP = b"content-security-policy"


class SecurityHeadersMiddleware:
    """Adds `SECURITY_HEADERS` to every HTTP response.

    A Content-Security-Policy a route set itself is kept (only /api/docs does, to allow Swagger
    UI's CDN); every other header replaces whatever the app set.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                own_policy = any(k.lower() == _CSP for k, _ in headers)
                added = [(k, v) for k, v in SECURITY_HEADERS if not (own_policy and k == _CSP)]
                names = {name for name, _ in added}
                kept = [(k, v) for k, v in headers if k.lower() not in names]
                message = {**message, "headers": [*kept, *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
