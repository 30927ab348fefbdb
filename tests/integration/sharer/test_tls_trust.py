"""Pinning and CA trust against a real TLS server on loopback."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from quickassist.service.tls import generate_self_signed
from quickassist.sharer.client import SessionClient
from quickassist.sharer.errors import ServiceUnreachable, SharerError, UntrustedCertificate
from quickassist.sharer.tls_trust import (
    TrustSettings,
    build_context,
    certificate_fingerprint,
    format_fingerprint,
    parse_fingerprint,
)
from tests.timeouts import WAIT


def make_cert(tmp: Path, name: str, sans: list[str]) -> tuple[Path, Path, bytes]:
    """A self-signed certificate for `sans` (the service's own maker): (cert, key, DER)."""
    cert_path, key_path = tmp / f"{name}.pem", tmp / f"{name}.key"
    generate_self_signed(cert_path, key_path, sans)
    return cert_path, key_path, ssl.PEM_cert_to_DER_cert(cert_path.read_text())


@dataclass
class TlsServer:
    port: int
    der: bytes
    cert_path: Path
    received: list[bytes] = field(default_factory=list)


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[TlsServer]:
    cert_path, key_path, der = make_cert(tmp_path, "service", ["localhost", "127.0.0.1"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    received: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            data = await reader.read(65536)
            received.append(data)
            if data.startswith(b"ping"):
                writer.write(b"pong")
                await writer.drain()
        except (OSError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    yield TlsServer(port, der, cert_path, received)
    server.close()
    await server.wait_closed()


async def ping(host: str, port: int, context: ssl.SSLContext) -> bytes:
    async with asyncio.timeout(WAIT):
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=context, server_hostname=host
        )
        writer.write(b"ping")
        await writer.drain()
        answer = await reader.read(4)
        writer.close()
        return answer


def test_fingerprint_formats_round_trip() -> None:
    digest = bytes(range(32))
    text = format_fingerprint(digest)
    assert text.startswith("SHA256:00:01:02")
    assert parse_fingerprint(text) == digest
    assert parse_fingerprint(text.lower()) == digest
    assert parse_fingerprint(digest.hex()) == digest
    for bad in ("", "SHA256:abc", "SHA256:" + "zz" * 32, digest.hex() + "00"):
        with pytest.raises(SharerError):
            parse_fingerprint(bad)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_a_matching_pin_verifies_connections(tls_server: TlsServer, host: str) -> None:
    pin = certificate_fingerprint(tls_server.der)
    context = await build_context(host, tls_server.port, TrustSettings(fingerprint=pin))
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert await ping(host, tls_server.port, context) == b"pong"


async def test_a_pinned_certificate_without_the_host_name_still_verifies(
    tmp_path: Path, tls_server: TlsServer
) -> None:
    # The person typed a name the certificate does not carry: the pin is what counts.
    pin = certificate_fingerprint(tls_server.der)
    context = await build_context("127.0.0.1", tls_server.port, TrustSettings(fingerprint=pin))
    from quickassist.sharer.tls_trust import pinned_context

    other = pinned_context(tls_server.der, "helpdesk.example")
    assert not other.check_hostname
    assert other.verify_mode is ssl.CERT_REQUIRED
    assert await ping("helpdesk.example", tls_server.port, other) == b"pong"
    assert context.check_hostname


async def test_a_wrong_pin_is_refused_before_anything_is_sent(tls_server: TlsServer) -> None:
    wrong = bytes(32)
    with pytest.raises(UntrustedCertificate) as caught:
        await build_context("localhost", tls_server.port, TrustSettings(fingerprint=wrong))
    assert "--fingerprint" in caught.value.message
    assert all(data == b"" for data in tls_server.received)


async def test_a_pinned_context_refuses_a_different_certificate(
    tmp_path: Path, tls_server: TlsServer
) -> None:
    _, _, other_der = make_cert(tmp_path, "other", ["localhost"])
    from quickassist.sharer.tls_trust import pinned_context

    context = pinned_context(other_der, "localhost")
    with pytest.raises(ssl.SSLCertVerificationError):
        await ping("localhost", tls_server.port, context)
    assert all(not data.startswith(b"ping") for data in tls_server.received)


async def test_a_ca_file_verifies_normally(tls_server: TlsServer) -> None:
    context = await build_context(
        "localhost", tls_server.port, TrustSettings(ca_file=tls_server.cert_path)
    )
    assert await ping("localhost", tls_server.port, context) == b"pong"


async def test_without_pin_or_ca_the_join_says_the_certificate_is_not_trusted(
    tls_server: TlsServer,
) -> None:
    client = SessionClient(f"https://localhost:{tls_server.port}")
    with pytest.raises(UntrustedCertificate) as caught:
        await client.join("ABC-234")
    assert caught.value.message.startswith("The service's certificate is not trusted.")
    assert all(not data.startswith(b"POST") for data in tls_server.received)


async def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = SessionClient(f"https://127.0.0.1:{port}")
    with pytest.raises(ServiceUnreachable) as caught:
        await client.join("ABC-234")
    assert "cannot be reached" in caught.value.message
    pinned = SessionClient(f"https://127.0.0.1:{port}", trust=TrustSettings(fingerprint=bytes(32)))
    with pytest.raises(ServiceUnreachable):
        await pinned.join("ABC-234")


def test_both_pin_and_ca_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SharerError):
        TrustSettings(fingerprint=bytes(32), ca_file=tmp_path / "ca.pem")
