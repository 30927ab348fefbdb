"""Regenerate media.json and payloads.json (video and JSON payload vectors) from Python.

The console's JS and the Python parsers are both tested against these files; the Python tests
also check that the committed files equal what this script produces, so a wire change shows up
as a failing test until the vectors (and the JS) follow.

    .venv/bin/python tests/vectors/generate_payloads.py          # rewrite both files
    .venv/bin/python tests/vectors/generate_payloads.py --check  # exit 1 if either is stale
"""

from __future__ import annotations

import base64
import json
import struct
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from quickassist.protocol import palette
from quickassist.protocol import payloads as p
from quickassist.protocol.errors import MessageError
from quickassist.protocol.frames import FrameKind
from quickassist.protocol.media import Tile, TileEncoding, VideoPayload
from quickassist.sharer.codecs.palette import encode_indices

HERE = Path(__file__).resolve().parent

#: An 8x8 JPEG (libjpeg-turbo, quality 75), fixed here so the vectors do not depend on the
#: encoder's version.
JPEG_8X8 = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIs"
    "IxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIy"
    "MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAAIAAgDAREAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAA"
    "AAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAk"
    "M2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKT"
    "lJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QA"
    "HwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdh"
    "cRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hp"
    "anN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk"
    "5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDmP+Ec/wCnv/yH/wDXr5L67/d/E/Rv7R/u/j/wD//Z"
)


#: Annex B access units with the right NAL types (SPS, PPS, IDR slice; a non-IDR slice), for
#: structure only: the parsers never decode H.264.
H264_IDR = bytes.fromhex("00000001674200280000000168ce3c800000000165888400")
H264_DELTA = bytes.fromhex("00000001419a0010")
#: VP8 frames of the same kind: a key frame (frame tag, start code 9d 01 2a, 640x360) and an
#: inter frame (tag bit 0 set), structure only.
VP8_KEY = bytes.fromhex("5002009d012a80026801")
VP8_DELTA = bytes.fromhex("71020000")


def png(width: int, height: int, rows: list[list[int]]) -> bytes:
    """A filter-0 RGB PNG, built by hand (as the sharer's codec does)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _tile_fields(t: Tile) -> dict[str, Any]:
    return {
        "x": t.x,
        "y": t.y,
        "w": t.width,
        "h": t.height,
        "encoding": int(t.encoding),
        "data_base64": base64.b64encode(t.data).decode(),
    }


def _var(value: int) -> bytes:
    """LEB128 by hand (docs/protocol.md section 5), independent of media.py."""
    out = bytearray()
    while True:
        out.append(value & 0x7F | (0x80 if value >= 0x80 else 0))
        value >>= 7
        if not value:
            return bytes(out)


def _video_heads(width: int, height: int) -> bytes:
    return _var(width) + _var(height)


def _tile_head(x: int, y: int, w: int, h: int, encoding: int, length: int) -> bytes:
    return _var(x) + _var(y) + _var(w) + _var(h) + bytes((encoding,)) + _var(length)


def palette_sequence() -> list[tuple[int, int, bytes]]:
    """Palette tiles in the order a receiver reads them: (width, height, data).

    Covers 1, 2, 4 and 8 bits per pixel, rows that end inside a byte (not padded), indices
    stored and deflated (whichever is shorter), and palette reuse.
    """
    rng = np.random.default_rng(5)
    two = ((0, 0, 0), (255, 255, 255))
    glyph = (rng.integers(0, 2, (13, 12))).astype(np.uint8)  # a keystroke: 12 x 13, 2 colours
    three = ((10, 20, 30), (200, 100, 0), (1, 2, 3))
    sixteen = tuple((i * 16, 255 - i * 16, i) for i in range(16))
    many = tuple((i, i, 255 - i) for i in range(40))
    line = np.zeros((8, 64), dtype=np.uint8)
    line[2:6, 3:9] = 1
    return [
        (12, 13, encode_indices(glyph, two)),
        (12, 13, encode_indices(glyph[::-1].copy(), None, count=2)),
        (5, 3, encode_indices(rng.integers(0, 3, (3, 5)).astype(np.uint8), three)),
        (7, 2, encode_indices(rng.integers(0, 16, (2, 7)).astype(np.uint8), sixteen)),
        (9, 4, encode_indices(rng.integers(0, 40, (4, 9)).astype(np.uint8), many)),
        (3, 1, encode_indices(np.zeros((1, 3), dtype=np.uint8), ((7, 8, 9),))),
        (64, 8, encode_indices(line, two)),  # a mostly blank line: deflated
    ]


def palette_vectors() -> dict[str, Any]:
    """Palette tiles with their pixels, decoded in order, and tiles a decoder must refuse."""
    sequence, held = [], None
    for width, height, data in palette_sequence():
        tile = palette.decode(data, width, height, held)
        held = tile.palette
        sequence.append(
            {
                "w": width,
                "h": height,
                "data_base64": base64.b64encode(data).decode(),
                "rgb_hex": tile.rgb().hex(),
            }
        )
    # 2 x 2 at 1 bit: one byte of indices (0b0110_0000: [0, 1], [1, 0]).
    good = encode_indices(np.array([[0, 1], [1, 0]], dtype=np.uint8), ((0, 0, 0), (9, 9, 9)))
    head = bytes((2, 0, 0, 0, 9, 9, 9))
    assert good == head + b"\x60"  # stored
    three = bytes((3, 0, 0, 0, 9, 9, 9, 5, 5, 5))
    invalid = [
        ("reuse with no palette held", bytes((0,)) + good[7:]),
        ("cut inside the palette", head[:5]),
        ("not DEFLATE data", head + b"\xff\xff"),
        ("indices inflate one byte short", head + raw_deflate(b"")),
        ("indices inflate one byte long", head + raw_deflate(b"\x60\x80")),
        ("bytes after the DEFLATE stream", head + raw_deflate(b"\x60") + b"!"),
        ("an index past the palette, stored", three + b"\xc0"),
        ("an index past the palette, deflated", three + raw_deflate(b"\xc0")),
    ]
    return {
        "sequence": sequence,
        "invalid": [
            {"name": name, "w": 2, "h": 2, "data_base64": base64.b64encode(data).decode()}
            for name, data in invalid
        ],
    }


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def media_vectors() -> dict[str, Any]:
    png2 = png(2, 2, [[255, 0, 0, 0, 255, 0], [0, 0, 255, 255, 255, 255]])
    keystroke = palette_sequence()[:2]
    valid = [
        ("empty update (no tiles)", VideoPayload(1920, 1080, ())),
        (
            "one solid tile",
            VideoPayload(1920, 1080, (Tile.solid(64, 128, 64, 64, (0x11, 0x22, 0x33, 0xFF)),)),
        ),
        (
            "png, jpeg and solid tiles on a small screen",
            VideoPayload(
                16,
                8,
                (
                    Tile(0, 0, 2, 2, TileEncoding.PNG, png2),
                    Tile(8, 0, 8, 8, TileEncoding.JPEG, JPEG_8X8),
                    Tile(2, 0, 6, 8, TileEncoding.SOLID, bytes([1, 2, 3, 255])),
                ),
            ),
        ),
        (
            "palette tiles: a full palette, then one reusing it",
            VideoPayload(
                64,
                32,
                (
                    Tile(3, 3, 12, 13, TileEncoding.PALETTE, keystroke[0][2]),
                    Tile(9, 3, 12, 13, TileEncoding.PALETTE, keystroke[1][2]),
                ),
            ),
        ),
        (
            "a keystroke at (1200, 300) of a 1080p screen: two-byte varints",
            VideoPayload(
                1920, 1080, (Tile(1200, 300, 12, 13, TileEncoding.PALETTE, keystroke[0][2]),)
            ),
        ),
        (
            "tile touching the bottom-right corner",
            VideoPayload(1366, 768, (Tile.solid(1302, 704, 64, 64, (0, 0, 0, 255)),)),
        ),
        (
            "a scroll: the page moved up 24 rows by a copy, then the exposed strip",
            VideoPayload(
                640,
                480,
                (
                    Tile.copy(0, 0, 640, 456, (0, 24)),
                    Tile.solid(0, 456, 640, 24, (255, 255, 255, 255)),
                ),
            ),
        ),
        (
            "a copy whose source and destination overlap sideways",
            VideoPayload(100, 50, (Tile.copy(10, 5, 80, 40, (0, 10)),)),
        ),
        (
            "h264 keyframe of the video region",
            VideoPayload(1920, 1080, (Tile.h264(64, 128, 640, 360, H264_IDR, keyframe=True),)),
        ),
        (
            "h264 delta beside a tile",
            VideoPayload(
                1920,
                1080,
                (
                    Tile.h264(64, 128, 640, 360, H264_DELTA, keyframe=False),
                    Tile.solid(0, 0, 64, 64, (9, 9, 9, 255)),
                ),
            ),
        ),
        (
            "vp8 keyframe of the whole screen",
            VideoPayload(640, 360, (Tile.vp8(0, 0, 640, 360, VP8_KEY, keyframe=True),)),
        ),
        (
            "vp8 delta",
            VideoPayload(640, 360, (Tile.vp8(0, 0, 640, 360, VP8_DELTA, keyframe=False),)),
        ),
    ]
    s, t = _video_heads, _tile_head
    solid = b"\x01\x02\x03\xff"
    invalid = [
        ("empty (no screen size)", b""),
        ("screen height missing", _var(1920)),
        ("screen width cut inside its varint", b"\x80"),
        ("zero screen width", s(0, 1080)),
        ("screen wider than 65535", s(65536, 10)),
        ("a varint not in its shortest form", b"\xe4\x00" + _var(100)),
        ("a varint of 5 bytes", b"\x80\x80\x80\x80\x01" + _var(100)),
        ("tile head cut short", s(100, 100) + b"\x00\x00\x0a"),
        ("tile head cut before its encoding", s(100, 100) + b"\x00\x00\x0a\x0a"),
        ("tile head cut before its length", s(100, 100) + b"\x00\x00\x0a\x0a\x00"),
        ("tile data cut short", s(100, 100) + t(0, 0, 10, 10, 1, 10) + b"\x89PNG"),
        (
            "bytes after the last tile (a tile head cut short)",
            s(100, 100) + t(0, 0, 10, 10, 0, 4) + solid + b"\x00",
        ),
        ("unknown tile encoding", s(100, 100) + t(0, 0, 10, 10, 9, 1) + b"\x00"),
        ("tile outside the screen", s(100, 100) + t(96, 0, 10, 10, 0, 4) + solid),
        ("empty tile rectangle", s(100, 100) + t(0, 0, 0, 10, 0, 4) + solid),
        ("solid tile with 3 bytes", s(100, 100) + t(0, 0, 10, 10, 0, 3) + b"\x01\x02\x03"),
        ("empty png tile", s(100, 100) + t(0, 0, 10, 10, 1, 0)),
        ("copy tile with 3 bytes", s(100, 100) + t(0, 0, 10, 10, 4, 3) + b"\x00\x00\x00"),
        (
            "copy source outside the screen",
            s(100, 100) + t(0, 0, 10, 10, 4, 4) + struct.pack("<HH", 95, 0),
        ),
        ("h264 tile of odd width", s(100, 100) + t(0, 0, 9, 10, 5, 2) + b"\x01\x00"),
        ("h264 tile with unknown flags", s(100, 100) + t(0, 0, 10, 10, 5, 2) + b"\x02\x00"),
        ("h264 tile without an access unit", s(100, 100) + t(0, 0, 10, 10, 5, 1) + b"\x01"),
        ("vp8 tile of odd height", s(100, 100) + t(0, 0, 10, 9, 6, 2) + b"\x01\x00"),
        ("vp8 tile with unknown flags", s(100, 100) + t(0, 0, 10, 10, 6, 2) + b"\x03\x00"),
        ("vp8 tile without a frame", s(100, 100) + t(0, 0, 10, 10, 6, 1) + b"\x00"),
        (
            "palette tile cut inside its palette",
            s(100, 100) + t(0, 0, 10, 10, 3, 5) + bytes((2, 0, 0, 0, 9)),
        ),
    ]
    return {
        "description": (
            "Video payloads (frame kind 1, docs/protocol.md section 5): varint screen width and "
            "height, then tiles to the end (varint x, y, w, h, u8 encoding, varint length, data; "
            "varints LEB128, shortest form, at most 4 bytes). 'hex' is the whole "
            "payload; tiles list the decoded fields with data in base64. 'invalid' payloads "
            "must be rejected. 'palette' holds palette tiles (encoding 3) with their RGB pixels, "
            "to be decoded in order (a tile may reuse the previous palette), and palette tiles "
            "a decoder must refuse. Encoding 4 (copy) is a source corner; encoding 5 (h264) a "
            "flags byte and an access unit, encoding 6 (vp8) a flags byte and a VP8 frame (the "
            "vectors' units are structure only, not decodable). Regenerate with "
            "tests/vectors/generate_payloads.py."
        ),
        "valid": [
            {
                "name": name,
                "hex": bytes(payload).hex(),
                "screen_width": payload.screen_width,
                "screen_height": payload.screen_height,
                "tiles": [_tile_fields(tile) for tile in payload.tiles],
            }
            for name, payload in valid
        ],
        "invalid": [{"name": name, "hex": data.hex()} for name, data in invalid],
        "palette": palette_vectors(),
    }


def payload_vectors() -> dict[str, Any]:
    cursor_png = png(2, 2, [[0, 0, 0, 255, 255, 255], [255, 255, 255, 0, 0, 0]])
    monitors = (
        p.MonitorInfo(0, 0, 0, 1920, 1080, True, "DP-1"),
        p.MonitorInfo(1, 1920, 0, 1280, 1024, False, "HDMI-1"),
    )
    valid: list[tuple[str, p.Payload]] = [
        ("cursor position only", p.CursorUpdate(100, 200, True)),
        ("cursor hidden, off the monitor", p.CursorUpdate(-5, 3000, False)),
        (
            "cursor with a new shape",
            p.CursorUpdate(10, 20, True, p.CursorShape(cursor_png, 1, 0, 2, 2)),
        ),
        ("pointer move", p.PointerMove(960, 540)),
        ("left button down", p.PointerButton(0, True, 10, 20)),
        ("right button up", p.PointerButton(2, False, 1919, 1079)),
        ("wheel three notches down", p.Wheel(0, 3)),
        ("wheel one notch left", p.Wheel(-1, 0)),
        ("key down: shift", p.KeyEvent("ShiftLeft", "Shift", True)),
        ("key up: letter A with shift", p.KeyEvent("KeyA", "A", False)),
        ("key down: non-ASCII euro sign", p.KeyEvent("KeyE", "\u20ac", True)),
        ("key down: e with combining accent", p.KeyEvent("KeyE", "e\u0301", True)),
        ("release all", p.ReleaseAll()),
        (
            "chat",
            p.ChatMessage(
                "m-1", "Hello <b>not bold</b> \u2013 \u00e7a va? \U0001f44b", 1764115200000
            ),
        ),
        (
            "stroke in progress",
            p.Stroke("s1", "#ff0000", 4, ((10, 10), (12.5, 11), (20, 30)), False),
        ),
        ("stroke done, no points", p.Stroke("s1", "#00ff7f", 2.5, (), True)),
        ("laser", p.Laser(100.5, 200)),
        ("laser off", p.LaserOff()),
        ("clear annotations", p.ClearAnnotations()),
        ("clipboard", p.ClipboardText("line 1\nline 2\t\u00df\u20ac")),
        ("monitors", p.MonitorList(monitors, 1)),
        ("select monitor", p.SelectMonitor(1)),
        ("refresh, a console that decodes only tiles", p.Refresh()),
        ("refresh, a console that decodes H.264", p.Refresh(("h264",))),
        ("frame drawn", p.FrameDrawn(4294967295, 12)),
        ("quality: sharp", p.QualityChoice("sharp")),
    ]
    hotspot_outside = (
        '{"x":1,"y":2,"visible":true,"shape":{"png":"'
        + base64.b64encode(cursor_png).decode()
        + '","hotspot_x":2,"hotspot_y":0,"width":2,"height":2}}'
    )
    long_key = '{"t":"key","code":"KeyA","key":"' + "a" * 33 + '","down":true}'
    invalid: list[tuple[str, FrameKind, bytes]] = [
        ("cursor: not JSON", FrameKind.CURSOR, b"{x"),
        ("cursor: missing visible", FrameKind.CURSOR, b'{"x":1,"y":2,"shape":null}'),
        (
            "cursor: shape png not base64",
            FrameKind.CURSOR,
            b'{"x":1,"y":2,"visible":true,"shape":{"png":"***","hotspot_x":0,"hotspot_y":0,'
            b'"width":1,"height":1}}',
        ),
        (
            "cursor: shape png not a PNG",
            FrameKind.CURSOR,
            b'{"x":1,"y":2,"visible":true,"shape":{"png":"AAAA","hotspot_x":0,"hotspot_y":0,'
            b'"width":1,"height":1}}',
        ),
        ("cursor: hotspot outside the image", FrameKind.CURSOR, hotspot_outside.encode()),
        ("input: JSON array", FrameKind.INPUT, b"[1,2]"),
        ("input: unknown event", FrameKind.INPUT, b'{"t":"teleport"}'),
        ("input: move with fractional x", FrameKind.INPUT, b'{"t":"move","x":1.5,"y":2}'),
        ("input: move with negative y", FrameKind.INPUT, b'{"t":"move","x":1,"y":-2}'),
        (
            "input: button 3",
            FrameKind.INPUT,
            b'{"t":"button","button":3,"down":true,"x":0,"y":0}',
        ),
        (
            "input: button down as 1 instead of true",
            FrameKind.INPUT,
            b'{"t":"button","button":0,"down":1,"x":0,"y":0}',
        ),
        ("input: wheel of 1000 notches", FrameKind.INPUT, b'{"t":"wheel","dx":0,"dy":1000}'),
        ("input: key without code", FrameKind.INPUT, b'{"t":"key","key":"a","down":true}'),
        ("input: key name too long", FrameKind.INPUT, long_key.encode()),
        (
            "input: not UTF-8",
            FrameKind.INPUT,
            b'{"t":"key","code":"KeyA","key":"\xff","down":true}',
        ),
        ("chat: empty id", FrameKind.CHAT, b'{"id":"","text":"hi","sent_at":0}'),
        ("chat: sent_at as string", FrameKind.CHAT, b'{"id":"a","text":"hi","sent_at":"now"}'),
        (
            "annotation: colour not #rrggbb",
            FrameKind.ANNOTATION,
            b'{"t":"stroke","id":"s","color":"red","width":2,"points":[],"done":false}',
        ),
        (
            "annotation: point with three numbers",
            FrameKind.ANNOTATION,
            b'{"t":"stroke","id":"s","color":"#000000","width":2,"points":[[1,2,3]],"done":false}',
        ),
        ("annotation: NaN coordinate", FrameKind.ANNOTATION, b'{"t":"laser","x":NaN,"y":0}'),
        (
            "annotation: zero width",
            FrameKind.ANNOTATION,
            b'{"t":"stroke","id":"s","color":"#000000","width":0,"points":[],"done":false}',
        ),
        ("clipboard: text is a number", FrameKind.CLIPBOARD, b'{"text":5}'),
        (
            "control: current not among monitors",
            FrameKind.CONTROL_E2E,
            b'{"t":"monitors","monitors":[{"id":0,"x":0,"y":0,"width":10,"height":10,'
            b'"primary":true,"name":"a"}],"current":3}',
        ),
        (
            "control: monitor with zero width",
            FrameKind.CONTROL_E2E,
            b'{"t":"monitors","monitors":[{"id":0,"x":0,"y":0,"width":0,"height":10,'
            b'"primary":true,"name":"a"}],"current":0}',
        ),
        ("control: unknown", FrameKind.CONTROL_E2E, b'{"t":"format_disk"}'),
        (
            "control: drawn past 32 bits",
            FrameKind.CONTROL_E2E,
            b'{"t":"drawn","seq":4294967296,"draw_ms":0}',
        ),
        ("control: drawn without draw_ms", FrameKind.CONTROL_E2E, b'{"t":"drawn","seq":1}'),
        ("control: unknown quality", FrameKind.CONTROL_E2E, b'{"t":"quality","mode":"max"}'),
        (
            "control: refresh with video not a list",
            FrameKind.CONTROL_E2E,
            b'{"t":"refresh","video":"h264"}',
        ),
        (
            "control: refresh with an empty codec name",
            FrameKind.CONTROL_E2E,
            b'{"t":"refresh","video":[""]}',
        ),
    ]
    for name, kind, data in invalid:
        try:
            p.parse_payload(kind, data)
        except MessageError:
            continue
        raise AssertionError(f"the invalid vector {name!r} parses")
    out_valid = []
    for name, value in valid:
        encoded = p.encode_payload(value)
        assert p.parse_payload(value.kind, encoded) == value, name
        out_valid.append(
            {
                "name": name,
                "kind": int(value.kind),
                "hex": encoded.hex(),
                "json": encoded.decode(),
                "fields": json.loads(encoded),
            }
        )
    return {
        "description": (
            "JSON payloads of frame kinds 2-7 (docs/protocol.md section 5). 'hex' is the "
            "canonical encoding (compact JSON, keys in the order shown, tag 't' first, non-ASCII "
            "as UTF-8, whole numbers without '.0'); 'fields' is what a parser must return. Cursor "
            "'png' is base64 on the wire. 'invalid' payloads (hex) must be rejected. Regenerate "
            "with tests/vectors/generate_payloads.py."
        ),
        "valid": out_valid,
        "invalid": [
            {"name": name, "kind": int(kind), "hex": data.hex()} for name, kind, data in invalid
        ],
    }


def render(vectors: dict[str, Any]) -> str:
    return json.dumps(vectors, indent=1, ensure_ascii=False) + "\n"


FILES = {"media.json": media_vectors, "payloads.json": payload_vectors}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, build in FILES.items():
        path = HERE / name
        text = render(build())
        if check:
            if not path.exists() or path.read_text("utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, "utf-8")
    if stale:
        print("out of date:", ", ".join(stale), "- run tests/vectors/generate_payloads.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
