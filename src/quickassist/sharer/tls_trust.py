"""How the sharer app decides to trust the service's TLS certificate.

Three ways, never "no verification":

* the system's trust store (a service with a public certificate);
* a CA file (`--ca-file`): normal verification against that file, host name included;
* a pin (`--fingerprint SHA256:...`, printed by `quickassist serve` for its self-signed
  certificate): the app first fetches the certificate with a bare TLS handshake (nothing is sent
  over it), checks its SHA-256 against the pin, and only then uses that very certificate as the
  one trust anchor of a normally verifying context. Every later connection (HTTPS and WSS) is
  thus verified against the pinned certificate, and a different certificate fails the handshake
  before any byte of ours is sent. The host name is checked too, unless the pinned certificate
  does not name the host the person typed (an IP address, say); the pin is the stronger check.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

from .errors import ServiceUnreachable, SharerError, UntrustedCertificate

_HEX64 = re.compile(r"[0-9a-f]{64}")


def parse_fingerprint(text: str) -> bytes:
    """``SHA256:AB:CD:...`` (or bare hex, with or without colons) -> the 32 digest bytes."""
    value = text.strip()
    if value.upper().startswith("SHA256:"):
        value = value[len("SHA256:") :]
    value = value.replace(":", "").replace(" ", "").lower()
    if not _HEX64.fullmatch(value):
        raise SharerError(
            "The fingerprint must look like SHA256: followed by 64 hexadecimal digits "
            "(colons allowed). Copy it again from your helper."
        )
    return bytes.fromhex(value)


def format_fingerprint(digest: bytes) -> str:
    """The digest as people compare it: ``SHA256:AB:CD:...``."""
    return "SHA256:" + ":".join(f"{b:02X}" for b in digest)


def certificate_fingerprint(der: bytes) -> bytes:
    return hashlib.sha256(der).digest()


@dataclass(frozen=True, slots=True)
class TrustSettings:
    """What the person told the app to trust. At most one of the two is set."""

    fingerprint: bytes | None = None
    ca_file: Path | None = None

    def __post_init__(self) -> None:
        if self.fingerprint is not None and self.ca_file is not None:
            raise SharerError("Give either --fingerprint or --ca-file, not both.")


def _base_context() -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def build_context(
    host: str, port: int, trust: TrustSettings, *, connect_timeout: float = 10.0
) -> ssl.SSLContext:
    """A verifying client context for `host:port` according to `trust`.

    With a pin, this makes one TLS handshake to fetch the certificate and raises
    `UntrustedCertificate` if it does not match; `ServiceUnreachable` if no handshake happens.
    """
    if trust.ca_file is not None:
        context = _base_context()
        try:
            context.load_verify_locations(cafile=str(trust.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise SharerError(
                f"The CA file {trust.ca_file} cannot be read as PEM certificates."
            ) from exc
        return context
    if trust.fingerprint is None:
        return _base_context()
    der = await fetch_certificate(host, port, connect_timeout=connect_timeout)
    if certificate_fingerprint(der) != trust.fingerprint:
        raise UntrustedCertificate("The service's certificate does not match the fingerprint.")
    return pinned_context(der, host)


def pinned_context(der: bytes, host: str) -> ssl.SSLContext:
    """A context whose only trust anchor is the (already checked) certificate `der`."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=der)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # A pinned certificate is trusted for exactly what it is; the host name check adds nothing
    # when the certificate does not name the host, and would refuse a good pin.
    context.check_hostname = _names_host(der, host)
    return context


async def fetch_certificate(host: str, port: int, *, connect_timeout: float = 10.0) -> bytes:
    """The server's certificate (DER) from a bare handshake; no application data is sent.

    This handshake alone does not verify anything: the caller compares the result with a pin.
    """
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.minimum_version = ssl.TLSVersion.TLSv1_2
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE  # only to read the certificate; compared with the pin next
    try:
        async with asyncio.timeout(connect_timeout):
            _reader, writer = await asyncio.open_connection(
                host, port, ssl=probe, server_hostname=host
            )
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        raise ServiceUnreachable(f"https://{host}:{port}") from exc
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    finally:
        writer.close()
        # The certificate is what we came for; a messy close does not matter.
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
    if not der:
        raise UntrustedCertificate("The service sent no certificate.")
    return bytes(der)


def _names_host(der: bytes, host: str) -> bool:
    """Whether the certificate's subjectAltName covers `host` (exact DNS name or IP)."""
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        names = [n.lower() for n in san.get_values_for_type(x509.DNSName)]
        return host.lower().rstrip(".") in names
    return address in san.get_values_for_type(x509.IPAddress)
