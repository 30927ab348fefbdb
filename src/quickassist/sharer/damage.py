"""Which parts of the screen changed, as the X DAMAGE extension reports them.

A damage object on the root window with DamageReportRawRectangles delivers one event per drawn
rectangle, about 0.5 ms after the draw (PLATFORM-NOTES, "Change-driven capture"), so a keystroke
can be captured and sent at once and an idle screen costs nothing. (NonEmpty would need a
DamageSubtract after every event and reports the whole screen.)
"""

from __future__ import annotations

from typing import Any

import Xlib.display
from Xlib.ext import damage

from .tiles import Rect
from .x11_display import has_extension


class DamageWatch:
    """Subscribes a connection to damage events of the whole screen; `rect` reads one event.

    `available` is False when the server has no DAMAGE extension: the caller then polls.
    """

    def __init__(self, d: Xlib.display.Display) -> None:
        self._display = d
        self._damage: int | None = None
        self.available = has_extension(d, "DAMAGE")
        if not self.available:
            return
        # DamageCreate fails unless the client announced its version first.
        d.damage_query_version()
        root = d.screen().root
        self._damage = root.damage_create(damage.DamageReportRawRectangles)
        self._event_type = d.extension_event.DamageNotify

    def is_damage(self, event: Any) -> bool:
        return self.available and event.type == self._event_type

    @staticmethod
    def rect(event: Any) -> Rect:
        """The damaged rectangle of a DamageNotify event, in X screen coordinates."""
        area = event.area
        return Rect(area.x, area.y, area.width, area.height)

    def close(self) -> None:
        if self._damage is not None:
            self._display.damage_destroy(self._damage)
            self._damage = None
