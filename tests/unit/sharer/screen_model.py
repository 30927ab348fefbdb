"""A receiver of video payload tiles in numpy, as the console draws them: for sharer tests.

Solid, palette, PNG (the sharer's own filter-0 RGB PNGs), COPY and H.264 (PyAV's decoder) tiles
are applied in order onto an RGB picture, JPEG too (tests that compare pixels exactly use
content the sharer sends losslessly).
"""

from __future__ import annotations

import struct
import zlib

import av
import numpy as np
import numpy.typing as npt
import simplejpeg

from quickassist.protocol import palette
from quickassist.protocol.media import H264_KEYFRAME, Tile, TileEncoding

Picture = npt.NDArray[np.uint8]  # (h, w, 3) RGB


class ScreenModel:
    def __init__(self, width: int, height: int) -> None:
        self.rgb: Picture = np.zeros((height, width, 3), dtype=np.uint8)
        self.palette: palette.Palette | None = None
        self.decoder: av.CodecContext | None = None
        self.decoded_pictures = 0

    def apply(self, tiles: list[Tile]) -> None:
        for tile in tiles:
            area = (slice(tile.y, tile.y + tile.height), slice(tile.x, tile.x + tile.width))
            if tile.encoding is TileEncoding.SOLID:
                self.rgb[area] = tuple(tile.data[:3])
            elif tile.encoding is TileEncoding.PALETTE:
                decoded = palette.decode(tile.data, tile.width, tile.height, self.palette)
                self.palette = decoded.palette
                self.rgb[area] = _rows(decoded.rgb(), tile.width, tile.height)
            elif tile.encoding is TileEncoding.PNG:
                self.rgb[area] = _png_rgb(tile.data)
            elif tile.encoding is TileEncoding.JPEG:
                self.rgb[area] = simplejpeg.decode_jpeg(tile.data, colorspace="RGB")
            elif tile.encoding is TileEncoding.COPY:
                sx, sy = tile.copy_source
                self.rgb[area] = self.rgb[sy : sy + tile.height, sx : sx + tile.width].copy()
            elif tile.encoding is TileEncoding.H264:
                self.rgb[area] = self._h264(tile)

    def _h264(self, tile: Tile) -> Picture:
        if tile.data[0] & H264_KEYFRAME or self.decoder is None:
            self.decoder = av.CodecContext.create("h264", "r")
        pictures = self.decoder.decode(av.Packet(tile.data[1:]))
        assert len(pictures) == 1, "one access unit in, one picture out"
        self.decoded_pictures += 1
        picture = pictures[0]
        if (picture.width, picture.height) != (tile.width, tile.height):
            # Coded smaller (the sharer's CPU was short): drawn scaled into the tile, as the
            # console's drawImage does.
            picture = picture.reformat(width=tile.width, height=tile.height)
        rgb: Picture = picture.to_ndarray(format="rgb24")
        return rgb[: tile.height, : tile.width]


def bgra_to_rgb(frame: npt.NDArray[np.uint8]) -> Picture:
    out: Picture = frame[:, :, 2::-1].copy()
    return out


def _rows(data: bytes, width: int, height: int) -> Picture:
    return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)


def _png_rgb(data: bytes) -> Picture:
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 2), "the sharer writes 8-bit RGB PNGs"
    offset, idat = 8, b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            idat += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, 1 + width * 3)
    assert not raw[:, 0].any(), "filter 0 on every row"
    return raw[:, 1:].reshape(height, width, 3)
