"""The data directory is private to the service's user: 0700, and no file in it open to others.

It holds the TLS key, the cookie-signing key, the helpers' password hashes, the first admin's
password and, for 3 days, client addresses. Modes are set explicitly rather than left to the
umask, and an existing directory made with a looser mode (``mkdir`` by hand, an older version)
is fixed at start, with a sentence saying so.

SQLite creates its ``-wal`` and ``-shm`` files with the mode of the database file, so a
database file created 0600 (`create_private_file`) keeps them 0600 whatever the umask.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


@dataclass(frozen=True, slots=True)
class Tightened:
    """What `make_private` had to fix."""

    directory: Path
    #: The directory's mode before, if group or others could reach it.
    old_directory_mode: int | None
    #: Files in it that group or others could read or write.
    files: tuple[str, ...]

    def sentence(self) -> str | None:
        """One plain sentence for the operator, or None if nothing was open."""
        if self.old_directory_mode is None and not self.files:
            return None
        parts = []
        if self.old_directory_mode is not None:
            parts.append(
                f"the data directory {self.directory} was open to other users "
                f"(mode {self.old_directory_mode:04o}); it is now {PRIVATE_DIRECTORY_MODE:04o}"
            )
        if self.files:
            parts.append(
                f"{', '.join(self.files)} could be read by other users; now only by this user"
            )
        text = "; ".join(parts)
        return f"Warning: {text[0].lower()}{text[1:]}."


def make_private(directory: Path) -> Tightened:
    """Create ``directory`` (0700) or take group/other access away from it and its files.

    Only the directory's own regular files are changed (not symbolic links, which may point
    at an operator's certificate elsewhere, and not subdirectories); the owner's bits stay.
    """
    directory.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
    mode = stat.S_IMODE(directory.stat().st_mode)
    old_directory_mode = None
    if mode & _OTHERS:
        os.chmod(directory, PRIVATE_DIRECTORY_MODE)
        old_directory_mode = mode
    opened = []
    with os.scandir(directory) as entries:
        for entry in entries:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_mode & _OTHERS:
                os.chmod(entry.path, stat.S_IMODE(info.st_mode) & ~_OTHERS)
                opened.append(entry.name)
    return Tightened(directory, old_directory_mode, tuple(sorted(opened)))


def create_private_file(path: Path) -> None:
    """Make ``path`` exist with mode 0600 (others' access taken away if it already exists),
    before a library creates it with the umask's mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        if hasattr(os, "fchmod"):  # not on Windows before Python 3.13
            os.fchmod(fd, stat.S_IMODE(os.fstat(fd).st_mode) & ~_OTHERS)
    finally:
        os.close(fd)
