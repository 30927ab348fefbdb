"""Tile codecs: turn the BGRA pixels of one tile into a `Tile` of the video payload.

`TileEncoder` is the seam; `AdaptiveTileEncoder` is the first codec. It looks at each tile and
picks what suits it:

- one colour -> SOLID (4 bytes, whatever the tile size);
- few colours (text, UI, diagrams) -> PNG, lossless, so text stays crisp;
- many colours (photos, video, gradients) -> JPEG through libjpeg-turbo (simplejpeg).

PNG files are assembled here with zlib (IHDR, IDAT, IEND, CRC-32; filter 0; RGB) because the
browser decodes PNG with createImageBitmap off its main thread, and no imaging library is needed.
"""

from __future__ import annotations

import struct
import zlib
from typing import Protocol

import numpy as np
import numpy.typing as npt
import simplejpeg

from quickassist.protocol.media import Tile, TileEncoding

from .tiles import Frame

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE_RGB = 2
_COLOR_TYPE_RGBA = 6

# Defaults, each measured on 64x64 tiles of a 1080p Xvfb desktop (bench/sharer_capture.py):
#: zlib level 1 compresses UI tiles within a few percent of level 6 at about a third of the time.
PNG_ZLIB_LEVEL = 1
#: JPEG quality 75: photos look right to a helper; text never takes this path.
JPEG_QUALITY = 75
#: A tile with at most this many distinct colours is text-like and goes lossless. Anti-aliased
#: text on a flat background stays well under it; a 64x64 photo crop has thousands.
MAX_PNG_COLORS = 256


class TileEncoder(Protocol):
    """Encodes one tile of a frame; `pixels` is the (h, w, 4) BGRA view of the tile."""

    def encode(self, pixels: Frame, x: int, y: int) -> Tile: ...


class AdaptiveTileEncoder:
    """SOLID, PNG or JPEG per tile, by how many colours it holds."""

    def __init__(
        self,
        *,
        jpeg_quality: int = JPEG_QUALITY,
        png_level: int = PNG_ZLIB_LEVEL,
        max_png_colors: int = MAX_PNG_COLORS,
    ) -> None:
        self.jpeg_quality = jpeg_quality
        self.png_level = png_level
        self.max_png_colors = max_png_colors

    def encode(self, pixels: Frame, x: int, y: int) -> Tile:
        height, width, _ = pixels.shape
        # Compare colours as 32-bit words with the unused 4th byte masked off: X servers leave
        # it 0 or 255 at random, and it is not part of the picture.
        words = np.ascontiguousarray(pixels).view(np.uint32).reshape(-1) & np.uint32(0x00FFFFFF)
        first = words[0]
        if bool(np.all(words == first)):
            b, g, r = (int(v) for v in pixels[0, 0, :3])
            return Tile(x, y, width, height, TileEncoding.SOLID, bytes((r, g, b, 255)))
        if len(np.unique(words)) <= self.max_png_colors:
            png = encode_png(bgra_to_rgb(pixels), level=self.png_level)
            return Tile(x, y, width, height, TileEncoding.PNG, png)
        jpeg = simplejpeg.encode_jpeg(
            np.ascontiguousarray(pixels),
            quality=self.jpeg_quality,
            colorspace="BGRA",
            colorsubsampling="420",
            fastdct=True,
        )
        return Tile(x, y, width, height, TileEncoding.JPEG, jpeg)


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
