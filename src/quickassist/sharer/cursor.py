"""The pointer: its position (polled) and its image (XFixes), sent apart from the pixels.

XFixes tells us when the cursor image changes (DisplayCursorNotify) and hands the image as
premultiplied ARGB words plus the hotspot; we turn it into an RGBA PNG for the cursor payload.
The position is read with QueryPointer, and an update goes out only when it moved or the image
changed. XInput 2 raw motion events say when the pointer is moving (real devices and XTEST
alike), so the caller polls at the frame rate only then and rarely otherwise (a warp by an
application makes no raw event: the slow poll catches it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import Xlib.display
import Xlib.error
from Xlib.ext import ge, xfixes, xinput

from quickassist.protocol.payloads import MAX_CURSOR_SIZE, CursorShape, CursorUpdate, MonitorInfo

from .codecs.png import encode_png
from .x11_display import has_extension


class CursorWatch:
    """Cursor position and image through one X connection (used by one thread)."""

    def __init__(self, d: Xlib.display.Display) -> None:
        self._display = d
        self._root = d.screen().root
        self.available = has_extension(d, "XFIXES")
        self._last_position: tuple[int, int, bool] | None = None
        self._shape_dirty = True
        if self.available:
            # XFixes requests fail until the client announced its version.
            d.xfixes_query_version()
            d.xfixes_select_cursor_input(self._root, xfixes.XFixesDisplayCursorNotifyMask)
            self._notify = (
                d.extension_event.DisplayCursorNotify[0],
                d.extension_event.DisplayCursorNotify[1],
            )
        self.motion_events = has_extension(d, "XInputExtension")
        if self.motion_events:
            version = d.xinput_query_version()
            self.motion_events = (version.major_version, version.minor_version) >= (2, 0)
        if self.motion_events:
            self._root.xinput_select_events([(xinput.AllMasterDevices, xinput.RawMotionMask)])

    def is_motion(self, event: Any) -> bool:
        """True for an XInput 2 raw motion event: the pointer is moving."""
        return (
            self.motion_events
            and event.type == ge.GenericEventCode
            and getattr(event, "evtype", None) == xinput.RawMotion
        )

    def is_cursor_change(self, event: Any) -> bool:
        """True for an XFixes cursor-image change; the next update then carries the shape."""
        if self.available and (event.type, getattr(event, "sub_code", None)) == self._notify:
            self._shape_dirty = True
            return True
        return False

    def reset(self) -> None:
        """Forget what was sent: the next update carries position and shape (a new viewer)."""
        self._last_position = None
        self._shape_dirty = True

    def poll(self, monitor: MonitorInfo) -> CursorUpdate | None:
        """An update if the pointer moved (relative to `monitor`) or its image changed."""
        pointer = self._root.query_pointer()
        x, y = pointer.root_x - monitor.x, pointer.root_y - monitor.y
        visible = 0 <= x < monitor.width and 0 <= y < monitor.height
        position = (x, y, visible)
        if position == self._last_position and not self._shape_dirty:
            return None
        self._last_position = position
        shape = None
        if self._shape_dirty:
            self._shape_dirty = False
            shape = self._shape()
        return CursorUpdate(x, y, visible, shape)

    def _shape(self) -> CursorShape | None:
        if not self.available:
            return None
        try:
            image = self._display.xfixes_get_cursor_image(self._root)
        except Xlib.error.XError:
            # Xvfb answers BadAccess once the client that made the cursor has gone (seen with
            # `xsetroot -cursor_name`); the position still goes out, with the old image.
            return None
        width, height = image.width, image.height
        if not (0 < width <= MAX_CURSOR_SIZE and 0 < height <= MAX_CURSOR_SIZE):
            return None
        argb = np.array(image.cursor_image, dtype=np.uint32).reshape(height, width)
        png = encode_png(argb_to_rgba(argb))
        hotspot_x = min(image.xhot, width - 1)
        hotspot_y = min(image.yhot, height - 1)
        return CursorShape(png, hotspot_x, hotspot_y, width, height)


def argb_to_rgba(argb: np.ndarray[Any, np.dtype[np.uint32]]) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Straight-alpha RGBA bytes of XFixes' premultiplied ARGB words."""
    a = (argb >> 24).astype(np.uint32)
    rgba = np.empty((*argb.shape, 4), dtype=np.uint8)
    for channel, shift in enumerate((16, 8, 0)):
        premultiplied = (argb >> shift) & 0xFF
        # Undo premultiplication: c = c' * 255 / a (rounded), 0 where fully transparent.
        straight = np.where(a > 0, (premultiplied * 255 + a // 2) // np.maximum(a, 1), 0)
        rgba[..., channel] = np.minimum(straight, 255).astype(np.uint8)
    rgba[..., 3] = a.astype(np.uint8)
    return rgba
