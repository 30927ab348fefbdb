"""The sharer app in the desktop's app menu: a freedesktop.org desktop entry and its icon.

`install_desktop_entry` writes ``applications/quickassist-sharer.desktop`` and the SVG icon
under the user's data directory (``$XDG_DATA_HOME``, else ``~/.local/share``), which GNOME,
KDE and the other freedesktop desktops read for their menus, searches and shortcuts. The
entry starts whatever runs now: the one-file app itself, or ``quickassist share``.
"""

from __future__ import annotations

import sys
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .errors import SharerError

APP_ID = "quickassist-sharer"
ICON_FILE = "quickassist-sharer.svg"
# Desktop Entry Specification, "The Exec key": arguments holding any of these are quoted.
# The entry says Version=1.4: Debian 12's desktop-file-validate (0.26) knows no later one.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
_ESCAPED_IN_QUOTES = '"`$\\'


class DesktopEntryError(SharerError):
    """The desktop entry cannot be installed here (the sentence says why)."""


def exec_value(argv: list[str]) -> str:
    """The Exec key's value that runs `argv`, quoted as the specification says.

    An argument with a reserved character goes in double quotes with ``"`$\\`` escaped by a
    backslash; then, the value being a string, every backslash is doubled once more, and a
    literal ``%`` (a field code otherwise) is written ``%%``.
    """
    words = []
    for arg in argv:
        if arg and not (_RESERVED & set(arg)):
            words.append(arg)
            continue
        inner = "".join("\\" + ch if ch in _ESCAPED_IN_QUOTES else ch for ch in arg)
        words.append(f'"{inner}"')
    return " ".join(words).replace("\\", "\\\\").replace("%", "%%")


def desktop_entry(argv: list[str]) -> str:
    """The text of the desktop entry that starts `argv`."""
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.4",
            "Name=quickassist sharer",
            "GenericName=Remote support",
            "Comment=Share your screen with a helper who gave you a code",
            f"Exec={exec_value(argv)}",
            f"Icon={APP_ID}",
            "Terminal=false",
            "Categories=Network;RemoteAccess;",
            "Keywords=remote;support;help;assist;share;screen;",
            "StartupNotify=true",
            "",
        ]
    )


def launcher_argv() -> list[str]:
    """The command that starts this sharer app with no arguments (its code window)."""
    if getattr(sys, "frozen", False):  # the one-file app: sys.executable is the app's file
        return [str(Path(sys.executable).absolute())]
    script = Path(sys.argv[0])
    if script.name == "quickassist" and script.is_file():
        # The console script itself, not its target: pipx upgrades keep this path.
        return [str(script.absolute()), "share"]
    return [sys.executable, "-m", "quickassist", "share"]


def data_home() -> Path:
    """``$XDG_DATA_HOME`` or ``~/.local/share`` (platformdirs reads the variable)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir())


def install_desktop_entry(*, argv: list[str] | None = None, home: Path | None = None) -> list[Path]:
    """Write the desktop entry and the icon; returns the files written."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        raise DesktopEntryError(
            "Desktop entries are for Linux desktops. On Windows and macOS, pin the sharer app "
            "to the taskbar or the Dock instead."
        )
    base = home or data_home()
    entry = base / "applications" / f"{APP_ID}.desktop"
    icon = base / "icons" / "hicolor" / "scalable" / "apps" / ICON_FILE
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        icon.parent.mkdir(parents=True, exist_ok=True)
        entry.write_text(desktop_entry(argv or launcher_argv()), encoding="utf-8")
        icon.write_bytes(icon_svg())
    except OSError as exc:
        raise DesktopEntryError(f"The desktop entry cannot be written to {base}: {exc}.") from exc
    return [entry, icon]


def icon_svg() -> bytes:
    """The app's icon (SVG), shipped in the package."""
    return _icon().read_bytes()


def icon_file() -> str:
    """The icon's file name for Qt (the package is installed as files, never zipped)."""
    return str(_icon())


def _icon() -> Traversable:
    return resources.files("quickassist.sharer").joinpath("assets", ICON_FILE)
