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

# Defaults, measured on 64x64 tiles of a 1080p Xvfb desktop (an xterm of coloured `ls` output in
# DejaVu Sans Mono 10 beside a photo-like region; 2 shared cores):
#: zlib level for PNG. Text tiles averaged 887 B at level 1 (0.06 ms), 844 B at 3, 748 B at 6
#: (0.10 ms) and 712 B at 9 (0.9 ms): 6 saves 16% of the bytes for 0.04 ms a tile.
PNG_ZLIB_LEVEL = 6
#: JPEG quality: 75 averaged 1.1 KB a photo tile (60: 1.0 KB, 90: 1.5 KB) in 0.03 ms.
JPEG_QUALITY = 75
#: Up to this many distinct colours a tile is text-like and goes lossless. Grey anti-aliased
#: text stays under 256; coloured anti-aliased text reached 330.
MAX_PNG_COLORS = 256
#: Between MAX_PNG_COLORS and this, PNG is tried and kept if it stays within PNG_BUDGET of
#: the raw size (coloured text: yes; gradients, which filter-0 PNG compresses badly: no).
#: Photo crops have thousands of colours and go straight to JPEG.
MAX_PNG_TRY_COLORS = 1024
PNG_BUDGET = 0.25


class TileEncoder(Protocol):
    """Encodes one tile of a frame; `pixels` is the (h, w, 4) BGRA view of the tile."""

    def encode(self, pixels: Frame, x: int, y: int) -> Tile: ...


class AdaptiveTileEncoder:
    """SOLID, PNG or JPEG per tile, by how many colours it holds (and what PNG makes of it)."""

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
        colors = _distinct(words)
        if colors <= MAX_PNG_TRY_COLORS:
            png = encode_png(bgra_to_rgb(pixels), level=self.png_level)
            if colors <= self.max_png_colors or len(png) <= PNG_BUDGET * width * height * 3:
                return Tile(x, y, width, height, TileEncoding.PNG, png)
        jpeg = simplejpeg.encode_jpeg(
            np.ascontiguousarray(pixels),
            quality=self.jpeg_quality,
            colorspace="BGRA",
            colorsubsampling="420",
            fastdct=True,
        )
        return Tile(x, y, width, height, TileEncoding.JPEG, jpeg)


def _distinct(words: npt.NDArray[np.uint32]) -> int:
    """How many distinct values: sort and count steps (np.unique hashes: 4x slower here)."""
    ordered = np.sort(words)
    return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))


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
