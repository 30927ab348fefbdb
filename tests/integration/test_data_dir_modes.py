"""`quickassist serve` keeps its data directory private whatever the umask or an old mode.

A real `serve` process, started under umask 022 in an existing 0755 directory holding a stray
0644 file: afterwards the directory is 0700 and every file in it (the database and its -wal and
-shm, certificate, key, cookie-signing key, admin password file) is 0600, and the operator was
told what was fixed.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.fixtures.service import LiveService, free_port
from tests.timeouts import WAIT


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    """Run the block (and the processes it starts) with ``mask`` as the umask."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def modes(directory: Path) -> dict[str, int]:
    return {path.name: stat.S_IMODE(path.stat().st_mode) for path in directory.iterdir()}


def test_serve_makes_an_open_data_directory_and_its_files_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data_dir.chmod(0o755)
    (data_dir / "notes.txt").write_text("left here by hand\n")
    (data_dir / "notes.txt").chmod(0o644)
    service = LiveService(data_dir=data_dir, port=free_port())
    with umask(0o022):
        service.start()
    try:
        password = (data_dir / "admin-password.txt").read_text().strip()
        with httpx.Client(base_url=service.base_url, verify=service.ssl_context, timeout=WAIT) as c:
            # Signing in reads the database: the server's own SQLite connection (and so its
            # -wal and -shm files, made by the server under umask 022) is open now.
            signed_in = c.post("/api/auth/login", json={"username": "admin", "password": password})
            assert signed_in.status_code == 200, signed_in.text
        found = modes(data_dir)
        expected = {
            "quickassist.db",
            "quickassist.db-wal",
            "quickassist.db-shm",
            "cert.pem",
            "key.pem",
            "secret.key",
            "admin-password.txt",
            "notes.txt",
        }
        assert expected <= set(found), found
        assert {name: mode for name, mode in found.items() if mode != 0o600} == {}
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        assert f"the data directory {data_dir} was open to other users (mode 0755)" in (
            service.stdout
        )
        assert "notes.txt could be read by other users" in service.stdout
    finally:
        service.stop()

    # A second start finds nothing to fix and says nothing about it.
    with umask(0o022):
        service.start()
    try:
        assert "open to other users" not in service.stdout
        assert set(modes(data_dir).values()) == {0o600}
    finally:
        service.stop()
