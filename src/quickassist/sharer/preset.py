"""Where the sharer app finds its preset: the service to join and how to trust it.

The format is `protocol.sharer_preset` (the service writes it, this app reads it). A helper's
service hands out a sharer app that carries it, so the person types only the code. It is looked
for in three places, first found wins (`find_preset`):

1. **inside the one-file app**: the trailer the service appended to the executable it served
   (read from the tail of ``sys.executable``, the app's own file under PyInstaller). One file
   to download keeps "download, run, type the code" true;
2. **beside the app**: ``quickassist-sharer.json`` next to the executable, for a build whose file
   must not change after it is signed (a signed Windows .exe, a macOS .app);
3. **the person's config directory**: ``sharer.json`` in platformdirs' user config dir
   (``~/.config/quickassist/sharer.json`` on Linux), written by ``quickassist share --remember``
   or downloaded from the service's console; an installed ``quickassist share`` reads this one.

Reading never writes: the app leaves no traces unless the person asks (``--remember``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..protocol.errors import MessageError
from ..protocol.sharer_preset import MAX_TRAILER_BYTES, SharerPreset, preset_from_tail
from .errors import SharerError

BESIDE_FILE_NAME = "quickassist-sharer.json"
USER_FILE_NAME = "sharer.json"

__all__ = ["SharerPreset", "find_preset", "read_file", "read_trailer", "remember"]


class PresetUnreadable(SharerError):
    """The sharer's settings exist but cannot be used."""

    def __init__(self, source: Path, reason: str) -> None:
        super().__init__(f"{reason} ({source}). Ask your helper to send you the sharer app again.")


def read_trailer(path: Path) -> SharerPreset | None:
    """The preset appended to the file at `path`; None when it carries none or is unreadable."""
    try:
        with path.open("rb") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - MAX_TRAILER_BYTES))
            tail = file.read()
    except OSError:
        return None
    try:
        return preset_from_tail(tail)
    except MessageError as exc:
        raise PresetUnreadable(path, exc.message) from exc


def read_file(path: Path) -> SharerPreset | None:
    """The preset in the JSON file at `path`, or None when there is no such file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PresetUnreadable(path, "The sharer's settings cannot be read") from exc
    try:
        return SharerPreset.from_json(data)
    except MessageError as exc:
        raise PresetUnreadable(path, exc.message) from exc


def user_preset_path() -> Path:
    """The installed sharer's preset file (``~/.config/quickassist/sharer.json`` on Linux)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("quickassist")) / USER_FILE_NAME


def find_preset() -> SharerPreset | None:
    """The first preset found: inside this one-file app, beside it, in the user's config."""
    if getattr(sys, "frozen", False):  # PyInstaller sets it; sys.executable is the app's file
        app = Path(sys.executable)
        found = read_trailer(app) or read_file(app.with_name(BESIDE_FILE_NAME))
        if found is not None:
            return found
    return read_file(user_preset_path())


def remember(preset: SharerPreset) -> Path:
    """Save `preset` as the person's own (``share --remember``); returns the file written."""
    path = user_preset_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(preset.to_json() + b"\n")
    return path
