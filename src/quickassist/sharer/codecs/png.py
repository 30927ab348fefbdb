"""PNG tiles (anti-aliased text, UI, diagrams): lossless, so text stays crisp.

PNG files are assembled here with zlib (IHDR, IDAT, IEND, CRC-32; filter 0; RGB) because the
browser decodes PNG with createImageBitmap off its main thread, and no imaging library is needed.
"""

from __future__ import annotations

import struct
import zlib
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from ...protocol.media import TileEncoding
from ...protocol.payloads import PNG_SIGNATURE
from ..tiles import Frame
from .base import TileJob

_COLOR_TYPE_RGB = 2
_COLOR_TYPE_RGBA = 6

#: zlib level for PNG, measured on 64x64 tiles of a 1080p Xvfb desktop (an xterm of coloured
#: `ls` output in DejaVu Sans Mono 10 beside a photo-like region; 2 shared cores). Text tiles
#: averaged 887 B at level 1 (0.06 ms), 844 B at 3, 748 B at 6 (0.10 ms) and 712 B at 9
#: (0.9 ms): 6 saves 16% of the bytes for 0.04 ms a tile.
PNG_ZLIB_LEVEL = 6
#: PNG zlib level for big changes. A 1080p screen of anti-aliased xterm text (mostly PNG tiles)
#: encoded in 38.8 ms at 6 (131 KiB), 31.6 ms at 3 (155 KiB), 29.8 ms at 1 (167 KiB).
PNG_ZLIB_LEVEL_FAST = 3


class PngCodec:
    """Lossless RGB PNG at `level`, or PNG_ZLIB_LEVEL_FAST for a big change."""

    encoding: ClassVar[TileEncoding] = TileEncoding.PNG

    def __init__(self, *, level: int = PNG_ZLIB_LEVEL) -> None:
        self.level = level

    def encode(self, job: TileJob) -> bytes:
        level = PNG_ZLIB_LEVEL_FAST if job.fast else self.level
        return encode_png(bgra_to_rgb(job.pixels), level=level)

    def forget(self) -> None:
        pass  # every PNG stands alone


def bgra_to_rgb(pixels: Frame) -> Frame:
    """RGB bytes (h, w, 3) of BGRA pixels."""
    return np.ascontiguousarray(pixels[:, :, 2::-1])


def encode_png(pixels: npt.NDArray[np.uint8], *, level: int = PNG_ZLIB_LEVEL) -> bytes:
    """A PNG of (h, w, 3) RGB or (h, w, 4) RGBA 8-bit pixels; filter 0 on every row."""
    height, width, channels = pixels.shape
    if channels == 3:
        color_type = _COLOR_TYPE_RGB
    elif channels == 4:
        color_type = _COLOR_TYPE_RGBA
    else:
        raise ValueError("PNG pixels must have 3 (RGB) or 4 (RGBA) channels")
    # Each scanline starts with its filter type byte (0 = None).
    rows = np.zeros((height, 1 + width * channels), dtype=np.uint8)
    rows[:, 1:] = pixels.reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
