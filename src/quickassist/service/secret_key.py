"""The key that signs helpers' session cookies: from the config, else one file made on first run.

Kept in a file (mode 0600) so sign-ins survive a restart; set ``QUICKASSIST_SECRET_KEY`` instead
when several service nodes must accept each other's cookies.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


def load_or_create_secret_key(data_dir: Path, configured: str | None = None) -> str:
    """The configured key if given, else the one in ``data_dir/secret.key`` (made if absent)."""
    if configured:
        return configured
    path = data_dir / SECRET_KEY_FILE
    try:
        existing = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    write_private_file(path, key + "\n")
    return key


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable and writable by this user only (0600).

    The mode is set on the open descriptor too: ``os.open``'s mode applies only when the file
    is created, and is narrowed further by the umask, never widened.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        if hasattr(os, "fchmod"):  # not on Windows before Python 3.13
            os.fchmod(file.fileno(), 0o600)
        file.write(text)
