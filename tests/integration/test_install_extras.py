"""`pipx install 'quickassist[service]'` and `pipx install 'quickassist[sharer]'`, as README says:
each part from the wheel in its own pipx home, then run as a person runs it.

Slow by nature (the sharer's part brings Qt): one install per part for the whole module. The
wheel comes from test_install.py's fixture.
"""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from quickassist.protocol.sharer_preset import SharerPreset
from quickassist.service.tls import certificate_fingerprint
from tests.e2e.sharer.share_app_steps import share_until_consent_then_stop
from tests.fixtures.service import LiveService, free_port, quickassist_env
from tests.fixtures.session_clients import ScriptedHelper
from tests.fixtures.xvfb import XvfbServer
from tests.integration.test_install import INSTALL_TIMEOUT, run, wheel
from tests.timeouts import WAIT

__all__ = ["wheel"]  # the fixture, shared with test_install.py
# The first test of each part also waits for its install (pytest-timeout counts set-up).
pytestmark = pytest.mark.timeout(INSTALL_TIMEOUT * 4)


def pipx_install(wheel: Path, extra: str, home: Path) -> Path:
    """`pipx install '<wheel>[extra]'` into its own pipx home; the `quickassist` it put on PATH."""
    env = {
        **os.environ,
        "PIPX_HOME": str(home / "pipx"),
        "PIPX_BIN_DIR": str(home / "bin"),
        "PIPX_MAN_DIR": str(home / "man"),
    }
    subprocess.run(
        [sys.executable, "-m", "pipx", "install", "--python", sys.executable, f"{wheel}[{extra}]"],
        check=True,
        timeout=INSTALL_TIMEOUT * 2,
        env=env,
        capture_output=True,
    )
    return home / "bin" / "quickassist"


@pytest.fixture(scope="module")
def service_part(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pipx_install(wheel, "service", tmp_path_factory.mktemp("pipx-service"))


@pytest.fixture(scope="module")
def sharer_part(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pipx_install(wheel, "sharer", tmp_path_factory.mktemp("pipx-sharer"))


@pytest.fixture
def served(service_part: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`quickassist serve` from the service's pipx install: its address and certificate."""
    data_dir, port = tmp_path / "data", free_port()
    where = ["--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)]
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(service_part), "serve", *where],
            env=quickassist_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"https://127.0.0.1:{port}"
    try:
        # Its certificate is made before it listens; poll until it answers (or gives up).
        deadline = time.monotonic() + WAIT * 3
        while True:
            assert process.poll() is None, log.read_text()
            try:
                cert = data_dir / "cert.pem"
                trusted = ssl.create_default_context(cafile=str(cert))  # OSError: not made yet
                response = httpx.get(f"{url}/healthz", verify=trusted, timeout=WAIT)
                break
            except (httpx.TransportError, OSError):
                assert time.monotonic() < deadline, "quickassist serve did not answer"
                time.sleep(0.1)
        assert response.json() == {"status": "ok"}  # verified against its own certificate
        yield url, cert
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(WAIT * 2) == 0, log.read_text()


def test_the_service_part_serves_over_tls_and_stops(served: tuple[str, Path]) -> None:
    url, cert = served
    with httpx.Client(verify=ssl.create_default_context(cafile=str(cert)), timeout=WAIT) as client:
        listed = client.get(f"{url}/api/downloads").json()
    assert listed["fingerprint"] == certificate_fingerprint(cert)
    assert listed["sharer_apps"] == []  # nothing built in this data directory


def test_the_sharer_part_talks_to_the_service_part(
    sharer_part: Path, served: tuple[str, Path]
) -> None:
    url, cert = served
    fingerprint = certificate_fingerprint(cert)
    assert run(sharer_part, "share", "--help").returncode == 0
    # A real join over the pinned TLS connection, refused as a person would see it.
    trust = ["--fingerprint", fingerprint]
    refused = subprocess.run(
        [str(sharer_part), "share", url, *trust, "--no-gui", "--code", "ABC-234"],
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        stdin=subprocess.DEVNULL,
        env=quickassist_env(),
    )
    assert refused.returncode == 1, refused.stderr
    assert "That code is not valid." in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr


def read_exec(entry: Path) -> list[str]:
    """The Exec line of a desktop entry as argv (our entry quotes nothing: plain paths)."""
    line = next(x for x in entry.read_text().splitlines() if x.startswith("Exec="))
    return line.removeprefix("Exec=").split(" ")


async def test_the_desktop_entry_is_valid_and_opens_the_preset_service(
    sharer_part: Path,
    live_service: LiveService,
    scripted_helper: ScriptedHelper,
    xvfb: XvfbServer,
    tmp_path: Path,
) -> None:
    env = quickassist_env(
        {
            "DISPLAY": xvfb.display,
            "QT_QPA_PLATFORM": "xcb",
            "HOME": str(tmp_path),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
        }
    )
    installed = await asyncio.to_thread(
        subprocess.run,
        [str(sharer_part), "install-desktop"],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
    )
    assert installed.returncode == 0, installed.stderr
    entry = tmp_path / "data" / "applications" / "quickassist-sharer.desktop"
    icon = tmp_path / "data" / "icons" / "hicolor" / "scalable" / "apps" / "quickassist-sharer.svg"
    assert icon.read_bytes().startswith(b"<svg")
    validated = await asyncio.to_thread(
        subprocess.run, ["desktop-file-validate", str(entry)], capture_output=True, text=True
    )
    assert validated.returncode == 0 and not validated.stdout.strip(), validated.stdout
    argv = read_exec(entry)
    assert argv == [str(sharer_part), "share"]
    # The preset an installed sharer reads: what --remember writes, or the console's download.
    preset = SharerPreset(service_url=live_service.base_url, fingerprint=live_service.fingerprint)
    (tmp_path / "config" / "quickassist").mkdir(parents=True)
    (tmp_path / "config" / "quickassist" / "sharer.json").write_bytes(preset.to_json())
    created = await scripted_helper.create_session()
    process = await asyncio.create_subprocess_exec(
        *argv, "--code", created["code_display"], env=env, stderr=subprocess.PIPE
    )
    try:
        await share_until_consent_then_stop(
            process, xvfb, scripted_helper, created, type_code=False
        )
    finally:
        if process.returncode is None:
            process.kill()
        _, stderr = await process.communicate()
    assert b"Traceback" not in stderr, stderr.decode()
