"""TLS for the service: a self-signed certificate on first run, its fingerprint, the server context.

The sharer app pins a self-signed certificate by the fingerprint `quickassist serve` prints
(``SHA256:AB:CD:...``, the SHA-256 of the DER certificate), so both sides must compute it the
same way: `certificate_fingerprint` is that one way.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import socket
import ssl
from pathlib import Path

from .data_dir import create_private_file
from .errors import ConfigError

#: A self-signed certificate is replaced by nobody but the operator; ten years avoids a surprise
#: expiry on a forgotten box, and pinning by fingerprint (not expiry) is what protects it.
SELF_SIGNED_VALIDITY = datetime.timedelta(days=3650)


def certificate_fingerprint(pem_or_path: str | bytes | Path) -> str:
    """The SHA-256 fingerprint of a certificate as ``SHA256:AB:CD:...`` (upper-case colon hex).

    Accepts PEM text or bytes, DER bytes, or a path to a PEM file.
    """
    if isinstance(pem_or_path, Path):
        data = pem_or_path.read_bytes()
    elif isinstance(pem_or_path, str):
        if "-----BEGIN" in pem_or_path:
            data = pem_or_path.encode("ascii")
        else:
            data = Path(pem_or_path).read_bytes()
    else:
        data = pem_or_path
    der = ssl.PEM_cert_to_DER_cert(data.decode("ascii")) if b"-----BEGIN" in data else data
    return der_fingerprint(der)


def der_fingerprint(der: bytes) -> str:
    """The ``SHA256:AB:CD:...`` fingerprint of DER bytes (what ``getpeercert(True)`` gives)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return "SHA256:" + ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def subject_alternative_names() -> list[str]:
    """Names a self-signed certificate covers: loopback names plus this machine's hostname."""
    names = ["localhost", "127.0.0.1", "::1"]
    # Not socket.getfqdn(): it asks DNS, which can stall a first start on a closed network.
    hostname = socket.gethostname()
    if hostname and hostname not in names:
        names.append(hostname)
    return names


def generate_self_signed(cert_path: Path, key_path: Path, names: list[str]) -> None:
    """Write a new ECDSA P-256 key and a self-signed certificate for ``names`` (both 0600)."""
    # Imported here: only a first run needs them, and `cryptography` would add ~16 MB to the
    # resident memory of every running service (bench/idle_sessions.py).
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "quickassist (self-signed)"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + SELF_SIGNED_VALIDITY)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    _write_private(key_path, key_pem)
    # The certificate is public, but it lives in the private data directory, where every file
    # is 0600 (service.data_dir): a 0644 one would only be fixed, with a warning, next start.
    _write_private(cert_path, certificate.public_bytes(serialization.Encoding.PEM))


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` 0600 from the start, rather than chmod-ing after the bytes land."""
    create_private_file(path)
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def ensure_certificate(cert_path: Path, key_path: Path) -> bool:
    """Make a self-signed certificate if neither file exists; True if one was made.

    A certificate without its key (or the reverse) is an operator's mistake, not a first run:
    refuse rather than overwrite what they gave.
    """
    cert_exists, key_exists = cert_path.exists(), key_path.exists()
    if cert_exists and key_exists:
        return False
    if cert_exists or key_exists:
        missing = key_path if cert_exists else cert_path
        raise ConfigError(f"The certificate or its key is missing: {missing} does not exist.")
    generate_self_signed(cert_path, key_path, subject_alternative_names())
    return True


def server_ssl_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """A server context that refuses anything older than TLS 1.2 (docs/security: the floor)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # Only one protocol rides on this port; HTTP/2 is not offered (uvicorn speaks HTTP/1.1).
    context.set_alpn_protocols(["http/1.1"])
    try:
        context.load_cert_chain(cert_path, key_path)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"The certificate {cert_path} and key {key_path} cannot be used together."
        ) from exc
    return context
