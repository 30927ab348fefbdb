"""Connections to the X server, with the fixes python-xlib needs before they can be trusted.

Every X11 part of the sharer (monitors, damage, cursor, input) opens its display through
`open_display`, so the RandR error-class fix and the "which display" sentence live in one place.
A connection is used by one thread only: python-xlib is not thread-safe.
"""

from __future__ import annotations

import os

import Xlib.display
import Xlib.error

from .errors import SharerError


class DisplayUnavailable(SharerError):
    """No X display to share (not running under X11, or the server refused us)."""

    def __init__(self, display: str | None) -> None:
        name = display or os.environ.get("DISPLAY") or "(none)"
        super().__init__(
            f"The screen cannot be opened (X display {name}). Start the sharer app from the "
            "desktop session you want to share."
        )


def open_display(display: str | None = None) -> Xlib.display.Display:
    """Connect to `display` (default: $DISPLAY) or raise `DisplayUnavailable`."""
    try:
        d = Xlib.display.Display(display)
    except (Xlib.error.DisplayError, Xlib.error.ConnectionClosedError, OSError) as exc:
        raise DisplayUnavailable(display) from exc
    # python-xlib 0.33 registers RandR's error classes without the extension's error offset,
    # which overwrites core errors (BadValue would decode as a RandR error): put them back.
    d.display.error_classes.update(Xlib.error.xerror_class)
    return d


def has_extension(d: Xlib.display.Display, name: str) -> bool:
    """True when the server offers the extension `name` (e.g. "DAMAGE", "XFIXES")."""
    return bool(d.has_extension(name))
