"""The served TLS: 1.2 and 1.3 accepted, anything older refused by the server."""

from __future__ import annotations

import socket
import ssl
import threading
import warnings

import pytest

from tests.fixtures.service import LiveService
from tests.timeouts import WAIT


def client_context(maximum: ssl.TLSVersion) -> ssl.SSLContext:
    """A client willing to speak anything up to ``maximum``, old versions included.

    OpenSSL's default security level refuses TLS 1.0/1.1 on the client side already; level 0
    makes the client try, so a refusal can only come from the server.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # naming TLSv1 is deprecated
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = maximum
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def handshake(port: int, context: ssl.SSLContext) -> str | None:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=WAIT) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        return tls.version()


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")],
)
def test_tls_1_2_and_1_3_are_accepted(
    live_service: LiveService, maximum: ssl.TLSVersion, expected: str
) -> None:
    assert handshake(live_service.port, client_context(maximum)) == expected


@pytest.mark.parametrize("maximum", ["TLSv1", "TLSv1_1"])
def test_tls_1_0_and_1_1_are_refused(live_service: LiveService, maximum: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        version = getattr(ssl.TLSVersion, maximum)
    with pytest.raises(ssl.SSLError):
        handshake(live_service.port, client_context(version))


def test_the_tls_1_1_client_works_against_a_server_that_allows_it(
    live_service: LiveService,
) -> None:
    """Control: the refusal above is the service's floor, not the client's inability."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        server.minimum_version = ssl.TLSVersion.TLSv1
        client = client_context(ssl.TLSVersion.TLSv1_1)
    server.set_ciphers("DEFAULT:@SECLEVEL=0")
    server.load_cert_chain(live_service.cert_path, live_service.data_dir / "key.pem")
    results: list[str | None] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def accept() -> None:
            conn, _ = listener.accept()
            with server.wrap_socket(conn, server_side=True) as tls:
                results.append(tls.version())

        thread = threading.Thread(target=accept)
        thread.start()
        assert handshake(listener.getsockname()[1], client) == "TLSv1.1"
        thread.join(WAIT)
    assert results == ["TLSv1.1"]


def test_the_fixture_context_verifies_the_self_signed_certificate(
    live_service: LiveService,
) -> None:
    context = live_service.ssl_context
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert handshake(live_service.port, context) in ("TLSv1.2", "TLSv1.3")
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(live_service.port, ssl.create_default_context())
