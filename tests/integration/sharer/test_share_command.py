"""`quickassist share --no-gui` says what went wrong in plain sentences, and exits 1."""

from __future__ import annotations

import socket
import subprocess
import sys

from tests.timeouts import WAIT


def share(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quickassist", "share", "--no-gui", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=WAIT * 2,
        check=False,
    )


def test_an_unreachable_service() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = share(f"https://127.0.0.1:{port}", "--code", "ABC-234")
    assert result.returncode == 1
    assert f"The service at https://127.0.0.1:{port} cannot be reached." in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_malformed_fingerprint() -> None:
    result = share("--fingerprint", "SHA256:nope")
    assert result.returncode == 1
    assert "The fingerprint must look like SHA256:" in result.stderr
    assert "Traceback" not in result.stderr


def test_not_an_https_address() -> None:
    result = share("http://example.invalid")
    assert result.returncode == 1
    assert "must start with https://" in result.stderr
