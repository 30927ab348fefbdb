"""The video payload (frame kind 1): changed screen tiles of the shared monitor.

    var screen_width, var screen_height
    then tiles to the end of the payload: { var x, var y, var w, var h, u8 encoding,
                                           var length, bytes[length] }

`var` is an unsigned LEB128 varint (7 bits a byte, least significant group first, the high bit
set on every byte but the last), in its shortest form and at most 4 bytes (docs/protocol.md
section 5). There is no tile count: the tiles run to the payload's end, which is the frame's.
A keystroke's tile head is 8 bytes this way (x, y 2 each, w, h, encoding, length 1 each), where
fixed u16/u32 fields took 13 and the payload head 6 (now 4 at 1080p).

`encoding` says how a tile's bytes are drawn: `SOLID` is 4 bytes R, G, B, A filling the
rectangle; `PNG` and `JPEG` are whole images of exactly w x h pixels that the browser decodes
with createImageBitmap; `PALETTE` is a colour table and packed indices (protocol/palette.py),
for text and other few-colour changes.
`COPY` is a scroll: u16 source_x, u16 source_y; the w x h pixels at the source, as the receiver
has them when it reaches this tile, move to (x, y) (source and destination may overlap).
`H264` is content in motion: u8 flags (bit 0: keyframe, an IDR with its SPS and PPS), then one
H.264 access unit (Annex B), the next picture of the one video stream the payloads carry, drawn
scaled into the tile's w x h rectangle (the sharer codes it at w x h, even sizes for 4:2:0, or
smaller when its CPU is short); a keyframe starts the stream anew (and may change its coded
size).
`VP8` is the same with one VP8 frame in place of the access unit (bit 0: a key frame), for the
browser sharer where H.264 encode is missing; a payload's video tiles are all of one codec.
Tiles apply in payload order. Coordinates are relative to the shared monitor and every tile (and
every copy's source) lies inside the screen rectangle the payload announces.

`VideoPayload.parse` checks structure only (sizes, bounds, counts); it never decodes images, so it
is cheap enough for any receiver and safe to fuzz. Errors are `FrameError`.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from .errors import FrameError, TruncatedFrame

_COPY_SOURCE = struct.Struct("<HH")
#: Bounds on sizes and counts (what the u16 fields of version 1 held).
MAX_DIMENSION = 0xFFFF
MAX_TILES = 0xFFFF
#: A varint is at most this many bytes (values below 2**28: a tile of up to 256 MiB).
MAX_VARINT_BYTES = 4
SOLID_SIZE = 4
COPY_SIZE = _COPY_SOURCE.size  # 4
#: Bits of an H.264 (or VP8) tile's flags byte.
H264_KEYFRAME = 0x01


class TileEncoding(enum.IntEnum):
    """How a tile's bytes are drawn."""

    SOLID = 0  # 4 bytes R, G, B, A filling the rectangle
    PNG = 1  # a PNG image of exactly w x h pixels (lossless: text, UI)
    JPEG = 2  # a JPEG image of exactly w x h pixels (lossy: photos, video)
    PALETTE = 3  # u8 count, count x RGB, raw DEFLATE of packed indices (protocol/palette.py)
    COPY = 4  # u16 source_x, u16 source_y: a w x h rectangle of the receiver's picture moves here
    H264 = 5  # u8 flags (bit 0: keyframe), one H.264 access unit (Annex B) drawn into w x h
    VP8 = 6  # u8 flags (bit 0: keyframe), one VP8 frame of w x h pixels


#: The video stream tiles (a flags byte, then one picture, even sizes) and how errors name them.
_VIDEO_TILES = {
    TileEncoding.H264: ("An H.264 tile", "an access unit"),
    TileEncoding.VP8: ("A VP8 tile", "a frame"),
}


@dataclass(frozen=True, slots=True)
class Tile:
    """One changed rectangle of the screen and its encoded pixels."""

    x: int
    y: int
    width: int
    height: int
    encoding: TileEncoding
    data: bytes

    @classmethod
    def solid(
        cls, x: int, y: int, width: int, height: int, rgba: tuple[int, int, int, int]
    ) -> Tile:
        """A rectangle filled with one colour."""
        return cls(x, y, width, height, TileEncoding.SOLID, bytes(rgba))

    @classmethod
    def copy(cls, x: int, y: int, width: int, height: int, source: tuple[int, int]) -> Tile:
        """The `width` x `height` pixels at `source` (as the receiver has them) moved to (x, y)."""
        return cls(x, y, width, height, TileEncoding.COPY, _COPY_SOURCE.pack(*source))

    @classmethod
    def h264(
        cls, x: int, y: int, width: int, height: int, access_unit: bytes, *, keyframe: bool
    ) -> Tile:
        """One H.264 picture of the video stream, drawn at (x, y)."""
        flags = H264_KEYFRAME if keyframe else 0
        return cls(x, y, width, height, TileEncoding.H264, bytes((flags,)) + access_unit)

    @classmethod
    def vp8(cls, x: int, y: int, width: int, height: int, frame: bytes, *, keyframe: bool) -> Tile:
        """One VP8 frame of the video stream, drawn at (x, y)."""
        flags = H264_KEYFRAME if keyframe else 0
        return cls(x, y, width, height, TileEncoding.VP8, bytes((flags,)) + frame)

    @property
    def copy_source(self) -> tuple[int, int]:
        """Where a COPY tile's pixels come from."""
        source_x, source_y = _COPY_SOURCE.unpack(self.data)
        return source_x, source_y

    @property
    def wire_size(self) -> int:
        """Bytes this tile takes in a payload: its head and its data (exact)."""
        fields = (self.x, self.y, self.width, self.height, len(self.data))
        return 1 + sum(map(varint_size, fields)) + len(self.data)


@dataclass(frozen=True, slots=True)
class VideoPayload:
    """A set of tiles for a screen of `screen_width` x `screen_height` pixels.

    The screen size travels in every payload so the receiver can resize its canvas the moment the
    shared monitor changes (monitor switch, resolution change).
    """

    screen_width: int
    screen_height: int
    tiles: tuple[Tile, ...]

    def __post_init__(self) -> None:
        _check_screen(self.screen_width, self.screen_height)
        if len(self.tiles) > MAX_TILES:
            raise FrameError(f"A video payload may hold at most {MAX_TILES} tiles.")
        for tile in self.tiles:
            _check_tile(tile, self.screen_width, self.screen_height)

    def __bytes__(self) -> bytes:
        parts = [_varint(self.screen_width), _varint(self.screen_height)]
        for tile in self.tiles:
            head = (tile.x, tile.y, tile.width, tile.height)
            parts.extend(map(_varint, head))
            parts.append(bytes((int(tile.encoding),)))
            parts.append(_varint(len(tile.data)))
            parts.append(tile.data)
        return b"".join(parts)

    @property
    def wire_size(self) -> int:
        """Bytes of the encoded payload, without building it (exact)."""
        head = screen_head_size(self.screen_width, self.screen_height)
        return head + sum(tile.wire_size for tile in self.tiles)

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview) -> VideoPayload:
        """Read a whole video payload; anything malformed raises `FrameError`."""
        view = memoryview(data)
        width, offset = _read_varint(view, 0, "the screen width")
        height, offset = _read_varint(view, offset, "the screen height")
        _check_screen(width, height)
        tiles: list[Tile] = []
        while offset < len(view):
            index = len(tiles)
            if index == MAX_TILES:
                raise FrameError(f"A video payload may hold at most {MAX_TILES} tiles.")
            where = f"the head of tile {index}"
            x, offset = _read_varint(view, offset, where)
            y, offset = _read_varint(view, offset, where)
            w, offset = _read_varint(view, offset, where)
            h, offset = _read_varint(view, offset, where)
            if offset >= len(view):
                raise TruncatedFrame(f"The video payload ends inside {where}.")
            encoding = view[offset]
            length, offset = _read_varint(view, offset + 1, where)
            if len(view) - offset < length:
                raise TruncatedFrame(f"The video payload ends inside the data of tile {index}.")
            try:
                kind = TileEncoding(encoding)
            except ValueError as exc:
                raise FrameError(f"Tile {index} has an unknown encoding {encoding}.") from exc
            tile = Tile(x, y, w, h, kind, bytes(view[offset : offset + length]))
            _check_tile(tile, width, height)
            tiles.append(tile)
            offset += length
        return cls(width, height, tuple(tiles))


def screen_head_size(width: int, height: int) -> int:
    """Bytes of a payload's head (its screen size) before the tiles."""
    return varint_size(width) + varint_size(height)


def varint_size(value: int) -> int:
    """Bytes of `value` as a varint."""
    return max(1, -(-value.bit_length() // 7))


def _varint(value: int) -> bytes:
    if not 0 <= value < 1 << 7 * MAX_VARINT_BYTES:
        raise FrameError(f"A video payload cannot carry the number {value}.")
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _read_varint(view: memoryview, offset: int, where: str) -> tuple[int, int]:
    """The varint at `offset` and the offset after it; only its shortest form is accepted, so
    each payload has one encoding (what the sharer writes is what the console reads back)."""
    value = 0
    for i in range(MAX_VARINT_BYTES):
        if offset + i >= len(view):
            raise TruncatedFrame(f"The video payload ends inside {where}.")
        byte = view[offset + i]
        value |= (byte & 0x7F) << 7 * i
        if not byte & 0x80:
            if byte == 0 and i:
                raise FrameError(f"A number in {where} is not in its shortest form.")
            return value, offset + i + 1
    raise FrameError(f"A number in {where} is longer than {MAX_VARINT_BYTES} bytes.")


def _check_screen(width: int, height: int) -> None:
    if not (0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION):
        raise FrameError(f"A video payload cannot describe a {width}x{height} screen.")


def _check_tile(tile: Tile, screen_width: int, screen_height: int) -> None:
    if tile.width <= 0 or tile.height <= 0 or tile.x < 0 or tile.y < 0:
        raise FrameError("A tile must be a non-empty rectangle.")
    if tile.x + tile.width > screen_width or tile.y + tile.height > screen_height:
        raise FrameError(
            f"The tile {tile.width}x{tile.height} at ({tile.x}, {tile.y}) lies outside the "
            f"{screen_width}x{screen_height} screen."
        )
    if tile.encoding is TileEncoding.SOLID and len(tile.data) != SOLID_SIZE:
        raise FrameError(f"A solid tile carries {SOLID_SIZE} bytes (R, G, B, A).")
    if tile.encoding is TileEncoding.COPY:
        if len(tile.data) != COPY_SIZE:
            raise FrameError(f"A copy tile carries {COPY_SIZE} bytes (source x, source y).")
        source_x, source_y = tile.copy_source
        if source_x + tile.width > screen_width or source_y + tile.height > screen_height:
            raise FrameError(
                f"The copy source {tile.width}x{tile.height} at ({source_x}, {source_y}) lies "
                f"outside the {screen_width}x{screen_height} screen."
            )
    if tile.encoding in _VIDEO_TILES:
        what, picture = _VIDEO_TILES[tile.encoding]
        if tile.width % 2 or tile.height % 2:
            raise FrameError(f"{what} has an even width and height.")
        if len(tile.data) < 2 or tile.data[0] & ~H264_KEYFRAME:
            raise FrameError(f"{what} is a flags byte (0 or 1) and {picture}.")
    if tile.encoding is not TileEncoding.SOLID and not tile.data:
        raise FrameError("An image tile cannot be empty.")
    # A palette tile: its count, that many RGB triples, then at least one byte of DEFLATE.
    if tile.encoding is TileEncoding.PALETTE and len(tile.data) < 2 + 3 * tile.data[0]:
        raise FrameError("A palette tile ends inside its palette.")
