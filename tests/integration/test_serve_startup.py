"""`quickassist serve` as a real process: what it prints, the certificate it serves, stopping."""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets

from quickassist.service.tls import certificate_fingerprint, der_fingerprint, generate_self_signed
from tests.fixtures.service import LiveService, ServiceFactory, run_cli
from tests.timeouts import WAIT

PASSWORD_LINE = re.compile(r"^\s*password: in (\S+) \(readable only by this user\)$", re.MULTILINE)


def served_certificate(service: LiveService) -> bytes:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", service.port), timeout=WAIT) as raw,
        context.wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return der


def test_first_run_prints_url_fingerprint_and_where_the_admin_password_is(
    service_factory: ServiceFactory,
) -> None:
    service = service_factory(add_helper=False)
    out = service.stdout
    assert f"https://127.0.0.1:{service.port}" in out
    fingerprint = re.search(r"SHA256(?::[0-9A-F]{2}){32}", out)
    assert fingerprint is not None
    assert fingerprint.group(0) == der_fingerprint(served_certificate(service))
    assert fingerprint.group(0) == service.fingerprint
    password_files = PASSWORD_LINE.findall(out)
    assert len(password_files) == 1
    password_file = Path(password_files[0])
    assert password_file == service.data_dir / "admin-password.txt"
    # The data directory holds keys and password hashes: nobody else may read it.
    assert service.data_dir.stat().st_mode & 0o777 == 0o700
    # Written once, for this user only; never to stdout (a journal others may read).
    assert password_file.stat().st_mode & 0o777 == 0o600
    password = password_file.read_text(encoding="utf-8").strip()
    assert len(password) >= 20
    assert password not in out

    with httpx.Client(base_url=service.base_url, verify=service.ssl_context) as client:
        answer = client.post("/api/auth/login", json={"username": "admin", "password": password})
        assert answer.status_code == 200
        assert answer.json() == {
            "username": "admin",
            "display_name": "Administrator",
            "organisation": "quickassist",
            "verified_domain": "",
            "role": "admin",
            "full_control": True,
            "local": True,
            "totp_enabled": False,
            "two_factor_enrolment_required": False,
        }

    service.restart()
    assert PASSWORD_LINE.search(service.stdout) is None
    assert "admin" not in service.stdout.lower().replace("administrator", "")
    # Same certificate after a restart: the sharer's pin stays valid.
    assert fingerprint.group(0) in service.stdout


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_shuts_down_cleanly_and_quickly(
    service_factory: ServiceFactory, stop_signal: signal.Signals
) -> None:
    service = service_factory(add_helper=False)
    process = service.process
    assert process is not None
    started = time.monotonic()
    process.send_signal(stop_signal)
    assert process.wait(WAIT) == 0
    assert time.monotonic() - started < 5
    service.stop()  # joins the output reader
    output = service.stdout
    # The lifespan shutdown ran: that is where live sessions are ended and the store closed.
    assert "Application shutdown complete." in output
    assert output.rstrip().endswith("quickassist stopped.")


def test_healthz_and_security_headers(live_service: LiveService) -> None:
    with httpx.Client(base_url=live_service.base_url, verify=live_service.ssl_context) as client:
        for path in ("/healthz", "/api/auth/me", "/no-such-page"):
            answer = client.get(path)
            headers = answer.headers
            assert headers["strict-transport-security"] == "max-age=31536000"
            csp = headers["content-security-policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert "script-src 'self';" in csp
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "no-referrer"
        assert client.get("/healthz").json() == {"status": "ok"}


async def test_no_client_address_is_logged(live_service: LiveService) -> None:
    async with httpx.AsyncClient(
        base_url=live_service.base_url, verify=live_service.ssl_context
    ) as client:
        await client.get("/healthz")
        await client.post("/api/auth/login", json={"username": "ada", "password": "wrong one"})
    with contextlib.suppress(websockets.InvalidStatus):
        async with websockets.connect(
            f"{live_service.ws_base_url}/ws/nowhere", ssl=live_service.ssl_context
        ):
            pass
    # Every line uvicorn would have written for a request starts with "ADDRESS:PORT - ".
    assert re.search(r"127\.0\.0\.1:\d+ - ", live_service.stdout) is None
    assert "ada" not in live_service.stdout


def test_a_given_certificate_is_served_instead_of_a_self_signed_one(
    service_factory: ServiceFactory, tmp_path: Path
) -> None:
    cert, key = tmp_path / "real.pem", tmp_path / "real.key"
    generate_self_signed(cert, key, ["quickassist.test", "127.0.0.1"])
    expected = certificate_fingerprint(cert)
    service = service_factory(args=["--cert", str(cert), "--key", str(key)], add_helper=False)
    assert der_fingerprint(served_certificate(service)) == expected
    assert f"Certificate fingerprint: {expected}" in service.stdout
    assert not (service.data_dir / "cert.pem").exists()


def test_cert_without_key_is_refused_with_a_sentence(tmp_path: Path) -> None:
    result = run_cli(["serve", "--data-dir", str(tmp_path), "--cert", str(tmp_path / "c.pem")])
    assert result.returncode == 1
    assert result.stderr.strip() == "quickassist: Give --cert and --key together."


PREPARE_AND_REPORT = """
import sys
from pathlib import Path
from quickassist.service.app import create_app
from quickassist.service.config import ServiceConfig
from quickassist.service.server import prepare
config = ServiceConfig(data_dir=Path(sys.argv[1]))
first, again = prepare(config), prepare(config)
create_app(config, migrate_on_start=False)
print(first.admin_password_file is not None, again.admin_password_file is None)
print("alembic" in sys.modules, "cryptography" in sys.modules)
"""


def test_preparation_keeps_migration_tooling_out_of_the_server_process(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PREPARE_AND_REPORT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "False", "False"]
