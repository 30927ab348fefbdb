"""Grabbing a monitor's pixels with mss (XShm on X11; DXGI/GDI and CoreGraphics elsewhere)."""

from __future__ import annotations

import mss
import mss.exception
import numpy as np

from quickassist.protocol.payloads import MonitorInfo

from .tiles import Frame
from .x11_display import DisplayUnavailable


class ScreenGrabber:
    """Grabs rectangles of the screen as (h, w, 4) BGRA arrays. One thread uses it."""

    def __init__(self, *, display: str | None = None) -> None:
        self._display = display
        try:
            self._mss = mss.MSS(display=display) if display else mss.MSS()
        except mss.exception.ScreenShotError as exc:
            raise DisplayUnavailable(display) from exc

    def grab(self, monitor: MonitorInfo) -> Frame:
        """The current pixels of `monitor`: a fresh array the caller may keep."""
        area = {
            "left": monitor.x,
            "top": monitor.y,
            "width": monitor.width,
            "height": monitor.height,
        }
        try:
            shot = self._mss.grab(area)
        except mss.exception.ScreenShotError as exc:
            raise DisplayUnavailable(self._display) from exc
        height, width = shot.size.height, shot.size.width
        return np.frombuffer(shot.raw, dtype=np.uint8).reshape(height, width, 4)

    def close(self) -> None:
        self._mss.close()
