"""The key that signs helpers' session cookies: from the config, else one file made on first run.

Kept in a file (mode 0600) so sign-ins survive a restart; set ``QUICKASSIST_SECRET_KEY`` instead
when several service nodes must accept each other's cookies.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from .data_dir import create_private_file

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
    """Write ``text`` to ``path``, readable and writable by this user only (0600)."""
    create_private_file(path)  # 0600 before a byte is written, whatever the umask
    path.write_text(text, encoding="utf-8")
