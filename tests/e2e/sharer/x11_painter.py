"""Draws known pixels straight onto an Xvfb's root window, for capture tests."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import Xlib.display
from Xlib import X


class Painter:
    """Fills rectangles and puts RGB images on the root window of `display`."""

    def __init__(self, display: str) -> None:
        self.display = Xlib.display.Display(display)
        self.root = self.display.screen().root

    def fill(self, x: int, y: int, width: int, height: int, rgb: tuple[int, int, int]) -> None:
        r, g, b = rgb
        gc = self.root.create_gc(foreground=(r << 16) | (g << 8) | b)
        self.root.fill_rectangle(gc, x, y, width, height)
        gc.free()
        self.display.sync()

    def put(self, x: int, y: int, rgb: npt.NDArray[np.uint8]) -> None:
        """Draw an (h, w, 3) RGB image with its top-left corner at (x, y)."""
        height, width, _ = rgb.shape
        bgrx = np.zeros((height, width, 4), dtype=np.uint8)
        bgrx[:, :, :3] = rgb[:, :, ::-1]
        gc = self.root.create_gc()
        # Rows in chunks: one PutImage request must stay under the server's request size.
        rows = max(1, 60_000 // (width * 4))
        for top in range(0, height, rows):
            chunk = bgrx[top : top + rows]
            self.root.put_image(
                gc, x, y + top, width, chunk.shape[0], X.ZPixmap, 24, 0, chunk.tobytes()
            )
        gc.free()
        self.display.sync()

    def close(self) -> None:
        self.display.close()
