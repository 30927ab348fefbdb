"""Self-signed certificates, their fingerprint format, and the server context's TLS floor."""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from quickassist.service.errors import ConfigError
from quickassist.service.tls import (
    certificate_fingerprint,
    der_fingerprint,
    ensure_certificate,
    server_ssl_context,
)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    assert ensure_certificate(cert, key) is True
    return cert, key


def test_fingerprint_is_colon_hex_of_the_der_sha256(pair: tuple[Path, Path]) -> None:
    cert, _ = pair
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    expected = hashlib.sha256(der).hexdigest().upper()
    fingerprint = certificate_fingerprint(cert)
    assert fingerprint.startswith("SHA256:")
    assert fingerprint[7:].replace(":", "") == expected
    assert len(fingerprint) == 7 + 32 * 3 - 1
    # Same answer for every way of naming the certificate.
    assert certificate_fingerprint(str(cert)) == fingerprint
    assert certificate_fingerprint(cert.read_text()) == fingerprint
    assert certificate_fingerprint(cert.read_bytes()) == fingerprint
    assert certificate_fingerprint(der) == fingerprint
    assert der_fingerprint(der) == fingerprint


def test_known_vector() -> None:
    assert der_fingerprint(b"") == (
        "SHA256:E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:"
        "27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55"
    )


def test_self_signed_certificate_covers_loopback_and_hostname(pair: tuple[Path, Path]) -> None:
    cert_path, key_path = pair
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost", socket.gethostname()} <= set(sans.get_values_for_type(x509.DNSName))
    ips = set(sans.get_values_for_type(x509.IPAddress))
    assert {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")} <= ips
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert key_path.stat().st_mode & 0o777 == 0o600


def test_existing_pair_is_kept(pair: tuple[Path, Path]) -> None:
    cert, key = pair
    before = certificate_fingerprint(cert)
    assert ensure_certificate(cert, key) is False
    assert certificate_fingerprint(cert) == before


def test_half_a_pair_is_an_error_not_overwritten(pair: tuple[Path, Path]) -> None:
    cert, key = pair
    key.unlink()
    with pytest.raises(ConfigError):
        ensure_certificate(cert, key)


def test_server_context_floor_is_tls_1_2(pair: tuple[Path, Path]) -> None:
    context = server_ssl_context(*pair)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2


def test_mismatched_files_are_a_config_error(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    other_cert, other_key = tmp_path / "o.pem", tmp_path / "o.key"
    ensure_certificate(other_cert, other_key)
    with pytest.raises(ConfigError):
        server_ssl_context(pair[0], other_key)
