"""The service hands out the sharer app with its own address and pin appended (real TLS)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from quickassist.protocol.sharer_preset import SharerPreset, preset_from_tail, trailer
from quickassist.service.config import ServiceConfig
from quickassist.service.downloads import self_signed_pin
from tests.fixtures.service import LiveService
from tests.timeouts import WAIT

APP_NAME = "quickassist-sharer-linux-x86_64"
#: Stands in for the PyInstaller build (tests/e2e/sharer/test_bundle.py runs the real one).
APP_BYTES = b"\x7fELF" + bytes(range(256)) * 4096  # 1 MiB: more than one read of the server's


@pytest.fixture
def client(live_service: LiveService) -> httpx.Client:
    with httpx.Client(
        base_url=live_service.base_url, verify=live_service.ssl_context, timeout=WAIT
    ) as client:
        yield client


@pytest.fixture
def built_app(live_service: LiveService) -> Path:
    downloads = live_service.data_dir / "downloads"
    downloads.mkdir(exist_ok=True)
    app = downloads / APP_NAME
    app.write_bytes(APP_BYTES)
    yield app
    app.unlink()


def test_without_a_build_nothing_is_offered_but_the_preset(
    client: httpx.Client, live_service: LiveService
) -> None:
    listed = client.get("/api/downloads").json()
    assert listed == {
        "service_url": live_service.base_url,
        "fingerprint": live_service.fingerprint,
        "sharer_apps": [],
        "preset_url": "/download/quickassist-sharer.json",
    }
    assert client.get(f"/download/{APP_NAME}").status_code == 404


def test_the_app_is_the_build_with_the_preset_appended(
    client: httpx.Client, live_service: LiveService, built_app: Path
) -> None:
    expected = SharerPreset(service_url=live_service.base_url, fingerprint=live_service.fingerprint)
    listed = client.get("/api/downloads").json()["sharer_apps"]
    assert listed == [
        {
            "platform": "linux-x86_64",
            "url": f"/download/{APP_NAME}",
            "bytes": len(APP_BYTES) + len(trailer(expected)),
        }
    ]
    response = client.get(listed[0]["url"])
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="{APP_NAME}"'
    assert response.headers["cache-control"] == "no-store"
    assert response.content.startswith(APP_BYTES)
    assert response.content == APP_BYTES + trailer(expected)
    assert preset_from_tail(response.content[-5000:]) == expected


def test_the_preset_names_the_address_the_browser_used(
    client: httpx.Client, live_service: LiveService, built_app: Path
) -> None:
    # Reached as localhost, the preset says localhost (the certificate names both).
    host = f"localhost:{live_service.port}"
    response = client.get("/download/quickassist-sharer.json", headers={"Host": host})
    assert response.headers["content-disposition"].endswith('filename="quickassist-sharer.json"')
    assert SharerPreset.from_json(response.content) == SharerPreset(
        service_url=f"https://{host}", fingerprint=live_service.fingerprint
    )
    assert json.loads(response.content)["quickassist_sharer"] == 1


@pytest.mark.parametrize("host", ["help.example/x", "help example", "user@help.example:1:2"])
def test_a_host_that_is_no_address_gets_no_download(
    client: httpx.Client, built_app: Path, host: str
) -> None:
    for path in ("/api/downloads", "/download/quickassist-sharer.json", f"/download/{APP_NAME}"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code in (400, 404), (path, response.status_code)
        assert response.json()["error"] in ("unknown_download", "bad_request")


@pytest.mark.parametrize(
    "name",
    ["quickassist-sharer.json.bak", "..%2Fcert.pem", "quickassist-sharer-linux-x86_64.part", "x"],
)
def test_only_built_apps_are_served(client: httpx.Client, built_app: Path, name: str) -> None:
    (built_app.parent / "quickassist-sharer-linux-x86_64.part").write_bytes(b"half")
    assert client.get(f"/download/{name}").status_code == 404


def _certificate(
    subject: str, issuer: str, key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(signer, hashes.SHA256())
    )


def test_a_ca_issued_certificate_is_not_pinned(tmp_path: Path, live_service: LiveService) -> None:
    ca_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    leaf = _certificate("help.example.org", "Example CA", leaf_key, ca_key)
    ca = _certificate("Example CA", "Example CA", ca_key, ca_key)
    path = tmp_path / "chain.pem"
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, ca)))
    assert self_signed_pin(path) is None  # renewed every few months: the system trusts it
    # Same subject and issuer, but signed by another key: not self-signed either.
    impostor = tmp_path / "impostor.pem"
    impostor.write_bytes(
        _certificate("Example CA", "Example CA", ca_key, leaf_key).public_bytes(
            serialization.Encoding.PEM
        )
    )
    assert self_signed_pin(impostor) is None
    assert self_signed_pin(live_service.cert_path) == live_service.fingerprint


def test_the_downloads_directory_by_flag_environment_or_default(tmp_path: Path) -> None:
    assert ServiceConfig(data_dir=tmp_path).downloads_path == tmp_path / "downloads"
    by_env = ServiceConfig.from_sources(
        {"data_dir": tmp_path}, {"QUICKASSIST_DOWNLOADS_DIR": "/srv/sharer"}
    )
    assert by_env.downloads_path == Path("/srv/sharer")
    by_flag = ServiceConfig.from_sources(
        {"data_dir": tmp_path, "downloads_dir": Path("/opt/apps")},
        {"QUICKASSIST_DOWNLOADS_DIR": "/srv/sharer"},
    )
    assert by_flag.downloads_path == Path("/opt/apps")
