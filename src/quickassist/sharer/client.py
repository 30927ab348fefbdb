"""The sharer's session client: join with a code over HTTPS, then one WSS relay connection.

`SessionClient.join` turns the service's HTTP errors into `SharerError`s with plain sentences;
`SessionClient.connect` opens the relay WebSocket with the sharer token. `RelayConnection` only
moves messages: text frames become typed `ServerMessage`s, binary frames become `Frame`s; what
they mean is the session controller's business.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from ..protocol.close_codes import CloseCode
from ..protocol.codes import SessionCode
from ..protocol.errors import InvalidCode, ProtocolError
from ..protocol.frames import DEFAULT_MAX_PAYLOAD, HEADER_SIZE, Frame, decode_frame
from ..protocol.messages import ClientMessage, ServerMessage, encode, parse_server_message
from ..protocol.roles import HelperCard
from .errors import (
    CodeExpired,
    CodeRefused,
    HelperNotAllowed,
    RelayClosed,
    ServiceUnreachable,
    SharerError,
    TooManyAttempts,
    UntrustedCertificate,
    WrongCode,
)
from .tls_trust import TrustSettings, build_context

DEFAULT_SERVER_URL = "https://localhost:8443"


@dataclass(frozen=True, slots=True)
class JoinTicket:
    """What a successful join returns: the session, the token for the relay, who is asking."""

    session_id: str
    sharer_token: str
    helper: HelperCard
    ws_path: str


class SessionClient:
    """Talks to one service: `join` once, then `connect` (again after a drop) to the relay."""

    def __init__(
        self,
        server_url: str = DEFAULT_SERVER_URL,
        *,
        trust: TrustSettings | None = None,
        #: Managed deployments: only helpers of these verified domains may connect (empty: any).
        allowed_domains: tuple[str, ...] = (),
        # Timeouts (seconds)
        timeout: float = 10.0,
    ) -> None:
        self.allowed_domains = tuple(d.strip().rstrip(".").casefold() for d in allowed_domains)
        parts = urlsplit(server_url if "://" in server_url else f"https://{server_url}")
        if parts.scheme != "https" or not parts.hostname:
            raise SharerError(f"The service address must start with https:// (got {server_url!r}).")
        self.host: str = parts.hostname
        self.port: int = parts.port or 443
        netloc = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"https://{netloc}:{self.port}"
        self._ws_base = f"wss://{netloc}:{self.port}"
        self._trust = trust or TrustSettings()
        self._timeout = timeout
        self._context: ssl.SSLContext | None = None

    async def ssl_context(self) -> ssl.SSLContext:
        """The verifying context, built (and, with a pin, checked) once per client."""
        if self._context is None:
            self._context = await build_context(
                self.host, self.port, self._trust, connect_timeout=self._timeout
            )
        return self._context

    async def join(self, code_text: str) -> JoinTicket:
        """Exchange the security code for a session; raises a `SharerError` with a sentence."""
        try:
            code = SessionCode.parse(code_text)
        except InvalidCode as exc:
            raise CodeRefused(exc.message) from exc
        context = await self.ssl_context()
        try:
            async with httpx.AsyncClient(
                base_url=self.base_url, verify=context, timeout=self._timeout, trust_env=False
            ) as http:
                response = await http.post("/api/join", json={"code": code.value})
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from exc
        ticket = self._ticket(response)
        if self.allowed_domains and ticket.helper.verified_domain not in self.allowed_domains:
            # Refused before any consent is asked: the session ends at the service at once.
            await self._end_refused(ticket)
            raise HelperNotAllowed(ticket.helper.who)
        return ticket

    async def _end_refused(self, ticket: JoinTicket) -> None:
        try:
            async with self._http() as http:
                await http.post(
                    f"/api/sessions/{ticket.session_id}/actions",
                    json={"type": "end"},
                    headers={"Authorization": f"Bearer {ticket.sharer_token}"},
                )
        except httpx.TransportError:
            pass  # the unanswered session expires at the service on its own

    async def report(self, session_id: str, reason: str) -> str:
        """ "Report this session" to the service's administrators; the sentence to show."""
        await self.ssl_context()
        try:
            async with self._http() as http:
                response = await http.post(
                    f"/api/sessions/{session_id}/report", json={"reason": reason[:500]}
                )
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from exc
        message = _json(response).get("message")
        if response.status_code == 202 or isinstance(message, str):
            return str(message or "Your report was sent.")
        raise ServiceUnreachable(self.base_url)

    def _http(self) -> httpx.AsyncClient:
        assert self._context is not None, "ssl_context() first"
        return httpx.AsyncClient(
            base_url=self.base_url, verify=self._context, timeout=self._timeout, trust_env=False
        )

    async def connect(self, ticket: JoinTicket) -> RelayConnection:
        """Open the relay WebSocket for `ticket`; raises `RelayClosed` if the service refuses."""
        context = await self.ssl_context()
        uri = self._ws_base + ticket.ws_path
        try:
            ws = await connect(
                uri,
                ssl=context,
                additional_headers={"Authorization": f"Bearer {ticket.sharer_token}"},
                # Binary media does not compress; deflate costs ~20x throughput (DESIGN.md).
                compression=None,
                max_size=HEADER_SIZE + DEFAULT_MAX_PAYLOAD,
                open_timeout=self._timeout,
                user_agent_header=None,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            final: CloseCode | None = None
            if status == 404:
                final = CloseCode.UNKNOWN_SESSION
            elif status in (401, 403):
                final = CloseCode.NOT_AUTHENTICATED
            raise RelayClosed(final, "The service refused the connection to this session.") from exc
        except ssl.SSLCertVerificationError as exc:
            raise UntrustedCertificate() from exc
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            raise ServiceUnreachable(self.base_url) from exc
        return RelayConnection(ws)

    def _transport_error(self, exc: httpx.TransportError) -> SharerError:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, ssl.SSLCertVerificationError):
                return UntrustedCertificate()
            cause = cause.__cause__ or cause.__context__
        return ServiceUnreachable(self.base_url)

    def _ticket(self, response: httpx.Response) -> JoinTicket:
        body = _json(response)
        if response.status_code == 200:
            try:
                helper = body["helper"]
                return JoinTicket(
                    session_id=str(body["session_id"]),
                    sharer_token=str(body["sharer_token"]),
                    helper=HelperCard(
                        str(helper["name"]),
                        str(helper["organisation"]),
                        str(helper.get("verified_domain") or ""),
                    ),
                    ws_path=str(body["ws_path"]),
                )
            except (KeyError, TypeError) as exc:
                raise ServiceUnreachable(self.base_url) from exc
        error = body.get("error")
        if response.status_code in (400, 404) or error in ("unknown_code", "invalid_code"):
            raise WrongCode()
        if response.status_code == 410 or error == "code_expired":
            raise CodeExpired()
        if response.status_code == 429:
            raise TooManyAttempts(_retry_after(response))
        raise ServiceUnreachable(self.base_url)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None


class RelayConnection:
    """One open relay WebSocket: typed control messages in and out, binary frames both ways."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws

    async def send_control(self, message: ClientMessage) -> None:
        await self._guarded(self._ws.send(encode(message)))

    async def send_frame(self, data: bytes) -> None:
        """Send one encoded binary frame (`protocol.frames.encode_frame`)."""
        await self._guarded(self._ws.send(data))

    async def receive(self) -> ServerMessage | Frame:
        """The next message; raises `RelayClosed` when the connection closes.

        A malformed message from the service ends the connection: the service is trusted to
        speak the protocol, and anything else is not worth guessing at.
        """
        try:
            data = await self._ws.recv()
        except ConnectionClosed as exc:
            raise _closed(exc) from exc
        try:
            if isinstance(data, str):
                return parse_server_message(data)
            return decode_frame(data)
        except ProtocolError as exc:
            await self._ws.close(CloseCode.MALFORMED, "The sharer could not read a message.")
            raise RelayClosed(CloseCode.MALFORMED, exc.message) from exc

    async def close(self) -> None:
        await self._ws.close()

    async def _guarded(self, sending: Awaitable[None]) -> None:
        try:
            await sending
        except ConnectionClosed as exc:
            raise _closed(exc) from exc


def _closed(exc: ConnectionClosed) -> RelayClosed:
    if exc.rcvd is not None:
        return RelayClosed(exc.rcvd.code, exc.rcvd.reason)
    return RelayClosed(None, "The connection to the service was lost.")
