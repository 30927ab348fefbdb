"""`quickassist share --remember` saves the service; `quickassist share` alone then uses it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from tests.fixtures.service import quickassist_env
from tests.timeouts import WAIT

PIN = "SHA256:" + ":".join(["5A"] * 32)


def share(config_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quickassist", "share", "--no-gui", "--code", "ABC-234", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=WAIT * 2,
        env=quickassist_env({"XDG_CONFIG_HOME": str(config_home)}),
        check=False,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_remember_then_share_alone(tmp_path: Path) -> None:
    url = f"https://127.0.0.1:{closed_port()}"
    first = share(tmp_path, url, "--fingerprint", PIN.lower(), "--remember")
    saved = tmp_path / "quickassist" / "sharer.json"
    assert f"Saved {url} in {saved}" in first.stdout
    assert json.loads(saved.read_text()) == {
        "quickassist_sharer": 1,
        "service_url": url,
        "fingerprint": PIN,  # written the way people compare it, whatever way it was typed
    }
    again = share(tmp_path)
    assert again.returncode == 1
    assert f"The service at {url} cannot be reached." in again.stdout
    assert "Traceback" not in again.stdout + again.stderr


def test_a_broken_settings_file_is_a_sentence(tmp_path: Path) -> None:
    (tmp_path / "quickassist").mkdir()
    (tmp_path / "quickassist" / "sharer.json").write_text('{"quickassist_sharer": 1}')
    result = share(tmp_path)
    assert result.returncode == 1
    assert "Ask your helper to send you the sharer app again." in result.stderr
    assert "Traceback" not in result.stderr


def test_remember_refuses_what_is_not_a_service_address(tmp_path: Path) -> None:
    result = share(tmp_path, "https://help.example/some/page", "--remember")
    assert result.returncode == 1
    assert "https:// address with no path" in result.stderr
    assert not (tmp_path / "quickassist").exists()
