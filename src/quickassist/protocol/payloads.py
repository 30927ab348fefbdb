"""JSON payloads of the binary frame kinds cursor, input, chat, annotation, clipboard, control-e2e.

Each payload is one UTF-8 JSON object (docs/protocol.md section 5). `parse_payload(kind, data)`
turns bytes into a typed, validated dataclass and rejects anything else with `MessageError`;
`encode_payload(value)` gives the canonical bytes back (compact JSON, keys in field order, the
tag ``"t"`` first). Unknown extra keys are ignored so a newer peer can add fields.

Validation is strict where the sharer acts on a value (input events are injected into a real
desktop: integer pixels, bounded wheel notches and key names) and bounded everywhere (sizes,
counts, lengths), so a hostile peer cannot make the other side allocate or inject without limit.

    Payload kinds and their types
    cursor       CursorUpdate (+ CursorShape)
    input        PointerMove | PointerButton | Wheel | KeyEvent | ReleaseAll   (InputEvent)
    chat         ChatMessage
    annotation   Stroke | Laser | LaserOff | ClearAnnotations                  (Annotation)
    clipboard    ClipboardText
    control-e2e  MonitorList (+ MonitorInfo) | SelectMonitor | Refresh (+ video  (E2EControl)
                 codecs) | FrameDrawn | QualityChoice
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import MessageError
from .frames import FrameKind
from .json_reader import read_json_object

# Limits ---------------------------------------------------------------------------------------
#: Largest JSON payload per kind. Cursor images and strokes can be big-ish; input is tiny.
MAX_PAYLOAD_BYTES: dict[FrameKind, int] = {
    FrameKind.CURSOR: 512 * 1024,
    FrameKind.INPUT: 1024,
    FrameKind.CHAT: 64 * 1024,
    FrameKind.ANNOTATION: 512 * 1024,
    FrameKind.CLIPBOARD: 1024 * 1024,
    FrameKind.CONTROL_E2E: 64 * 1024,
}
#: Pixel coordinates on the wire fit the video payload's u16 fields (with a sign for cursors
#: and strokes that leave the monitor).
MAX_COORDINATE = 0xFFFF
#: Cursor images: X servers cap cursors well below this.
MAX_CURSOR_SIZE = 512
#: Wheel notches per event: a flick of the wheel, not a denial of service.
MAX_WHEEL_NOTCHES = 50
#: KeyboardEvent.code names are short ASCII ("ShiftLeft"); KeyboardEvent.key is a name or one
#: grapheme cluster, which may span several code points ("e" + combining accent).
MAX_KEY_CODE = 32
MAX_KEY_TEXT = 32
MAX_CHAT_TEXT = 16 * 1024
MAX_ID = 64
MAX_STROKE_POINTS = 10_000
MAX_STROKE_WIDTH = 200
MAX_MONITORS = 64
MAX_NAME = 128
#: Video codecs a console may name in a refresh ("h264", "vp8"), and their names' length.
MAX_VIDEO_CODECS = 8
MAX_CODEC_NAME = 16
#: A frame drawn later than this after it arrived is reported as this (a minute).
MAX_DRAW_MS = 60_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# cursor (kind 2) ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CursorShape:
    """The pointer's image: a PNG of `width` x `height` pixels and the hotspot inside it."""

    png: bytes
    hotspot_x: int
    hotspot_y: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class CursorUpdate:
    """Pointer position in monitor pixels; `shape` is None when the image did not change."""

    kind: ClassVar[FrameKind] = FrameKind.CURSOR
    x: int
    y: int
    visible: bool
    shape: CursorShape | None = None


# input (kind 3) -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PointerMove:
    kind: ClassVar[FrameKind] = FrameKind.INPUT
    tag: ClassVar[str] = "move"
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class PointerButton:
    """A button going down or up at (x, y); browser numbering: 0 left, 1 middle, 2 right."""

    kind: ClassVar[FrameKind] = FrameKind.INPUT
    tag: ClassVar[str] = "button"
    button: int
    down: bool
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class Wheel:
    """Wheel notches; positive `dy` scrolls down, positive `dx` scrolls right."""

    kind: ClassVar[FrameKind] = FrameKind.INPUT
    tag: ClassVar[str] = "wheel"
    dx: int
    dy: int


@dataclass(frozen=True, slots=True)
class KeyEvent:
    """A key going down or up: `code` names the physical key, `key` what the layout made of it."""

    kind: ClassVar[FrameKind] = FrameKind.INPUT
    tag: ClassVar[str] = "key"
    code: str
    key: str
    down: bool


@dataclass(frozen=True, slots=True)
class ReleaseAll:
    """Release every key and button the helper holds (focus lost, control revoked)."""

    kind: ClassVar[FrameKind] = FrameKind.INPUT
    tag: ClassVar[str] = "release_all"


InputEvent = PointerMove | PointerButton | Wheel | KeyEvent | ReleaseAll


# chat (kind 4) --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A chat line; `sent_at` in milliseconds since the epoch. Always shown as plain text."""

    kind: ClassVar[FrameKind] = FrameKind.CHAT
    id: str
    text: str
    sent_at: int


# annotation (kind 5) --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stroke:
    """A pen stroke in monitor pixels; sent while drawing (growing) and once more with done."""

    kind: ClassVar[FrameKind] = FrameKind.ANNOTATION
    tag: ClassVar[str] = "stroke"
    id: str
    color: str
    width: float
    points: tuple[tuple[float, float], ...]
    done: bool


@dataclass(frozen=True, slots=True)
class Laser:
    kind: ClassVar[FrameKind] = FrameKind.ANNOTATION
    tag: ClassVar[str] = "laser"
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class LaserOff:
    kind: ClassVar[FrameKind] = FrameKind.ANNOTATION
    tag: ClassVar[str] = "laser_off"


@dataclass(frozen=True, slots=True)
class ClearAnnotations:
    kind: ClassVar[FrameKind] = FrameKind.ANNOTATION
    tag: ClassVar[str] = "clear"


Annotation = Stroke | Laser | LaserOff | ClearAnnotations


# clipboard (kind 6) ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClipboardText:
    kind: ClassVar[FrameKind] = FrameKind.CLIPBOARD
    text: str


# control-e2e (kind 7) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonitorInfo:
    """One monitor of the sharer's desktop, in X screen (virtual desktop) pixels."""

    id: int
    x: int
    y: int
    width: int
    height: int
    primary: bool
    name: str


@dataclass(frozen=True, slots=True)
class MonitorList:
    """The sharer's monitors and the one being shared (sent on start and on change)."""

    kind: ClassVar[FrameKind] = FrameKind.CONTROL_E2E
    tag: ClassVar[str] = "monitors"
    monitors: tuple[MonitorInfo, ...]
    current: int


@dataclass(frozen=True, slots=True)
class SelectMonitor:
    kind: ClassVar[FrameKind] = FrameKind.CONTROL_E2E
    tag: ClassVar[str] = "select_monitor"
    id: int


@dataclass(frozen=True, slots=True)
class Refresh:
    """Asks the sharer for a keyframe, and says which video codecs the console decodes.

    `video` names them ("h264"; empty: tiles only). Every refresh carries it, so the sharer
    learns it from whichever console asks (after a reconnect too, and when a console's decoder
    fails and it falls back to tiles); a console that leaves it out gets tiles only.
    """

    kind: ClassVar[FrameKind] = FrameKind.CONTROL_E2E
    tag: ClassVar[str] = "refresh"
    video: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FrameDrawn:
    """The console is done with every video frame up to sequence `seq` (drawn or discarded).

    Sent once a frame is on the canvas: the sharer paces video by these (sharer/pacing.py).
    `draw_ms` is how long that frame took here from arrival to the canvas (decoding, waiting
    its turn), so the sharer can tell the link's round trip from the console's own work.
    """

    kind: ClassVar[FrameKind] = FrameKind.CONTROL_E2E
    tag: ClassVar[str] = "drawn"
    seq: int
    draw_ms: int


#: What the helper can ask of the picture: adaptive, sharper (fewer frames), or smoother.
QUALITY_MODES = ("auto", "sharp", "smooth")


@dataclass(frozen=True, slots=True)
class QualityChoice:
    """The helper's choice of picture quality (one of `QUALITY_MODES`)."""

    kind: ClassVar[FrameKind] = FrameKind.CONTROL_E2E
    tag: ClassVar[str] = "quality"
    mode: str


E2EControl = MonitorList | SelectMonitor | Refresh | FrameDrawn | QualityChoice

Payload = CursorUpdate | InputEvent | ChatMessage | Annotation | ClipboardText | E2EControl


# Encoding -------------------------------------------------------------------------------------


def to_json(value: Payload) -> dict[str, Any]:
    """The JSON object of a payload (tag first, then fields in declaration order)."""
    if isinstance(value, CursorUpdate):
        shape: dict[str, Any] | None = None
        if value.shape is not None:
            shape = {
                "png": base64.b64encode(value.shape.png).decode("ascii"),
                "hotspot_x": value.shape.hotspot_x,
                "hotspot_y": value.shape.hotspot_y,
                "width": value.shape.width,
                "height": value.shape.height,
            }
        return {"x": value.x, "y": value.y, "visible": value.visible, "shape": shape}
    if isinstance(value, ChatMessage):
        return {"id": value.id, "text": value.text, "sent_at": value.sent_at}
    if isinstance(value, ClipboardText):
        return {"text": value.text}
    if isinstance(value, Stroke):
        return {
            "t": value.tag,
            "id": value.id,
            "color": value.color,
            "width": _plain(value.width),
            "points": [[_plain(x), _plain(y)] for x, y in value.points],
            "done": value.done,
        }
    if isinstance(value, MonitorList):
        return {
            "t": value.tag,
            "monitors": [
                {
                    "id": m.id,
                    "x": m.x,
                    "y": m.y,
                    "width": m.width,
                    "height": m.height,
                    "primary": m.primary,
                    "name": m.name,
                }
                for m in value.monitors
            ],
            "current": value.current,
        }
    out: dict[str, Any] = {"t": value.tag}
    for name in value.__slots__:
        out[name] = _plain(getattr(value, name))
    return out


def _plain(value: Any) -> Any:
    # A whole float goes out as an integer ("100", not "100.0"), as JavaScript writes it, so
    # both sides produce the same canonical bytes.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def encode_payload(value: Payload) -> bytes:
    """Canonical bytes of a payload: compact UTF-8 JSON."""
    return json.dumps(to_json(value), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# Parsing --------------------------------------------------------------------------------------


def parse_payload(kind: FrameKind, data: bytes | bytearray | memoryview) -> Payload:
    """Read the JSON payload of a frame of `kind`; anything malformed raises `MessageError`."""
    reader = _READERS.get(kind)
    if reader is None:
        raise MessageError(f"Frames of kind {kind.name.lower()} do not carry a JSON payload.")
    return reader(_load(kind, data))


def parse_cursor(data: bytes | bytearray | memoryview) -> CursorUpdate:
    return _read_cursor(_load(FrameKind.CURSOR, data))


def parse_input(data: bytes | bytearray | memoryview) -> InputEvent:
    return _read_input(_load(FrameKind.INPUT, data))


def parse_chat(data: bytes | bytearray | memoryview) -> ChatMessage:
    return _read_chat(_load(FrameKind.CHAT, data))


def parse_annotation(data: bytes | bytearray | memoryview) -> Annotation:
    return _read_annotation(_load(FrameKind.ANNOTATION, data))


def parse_clipboard(data: bytes | bytearray | memoryview) -> ClipboardText:
    return _read_clipboard(_load(FrameKind.CLIPBOARD, data))


def parse_e2e_control(data: bytes | bytearray | memoryview) -> E2EControl:
    return _read_e2e_control(_load(FrameKind.CONTROL_E2E, data))


def _load(kind: FrameKind, data: bytes | bytearray | memoryview) -> _Fields:
    what = _KIND_NAMES[kind]
    obj = read_json_object(data, limit=MAX_PAYLOAD_BYTES[kind], what=f"A {what} payload")
    return _Fields(obj, what)


_KIND_NAMES = {
    FrameKind.CURSOR: "cursor",
    FrameKind.INPUT: "input",
    FrameKind.CHAT: "chat",
    FrameKind.ANNOTATION: "annotation",
    FrameKind.CLIPBOARD: "clipboard",
    FrameKind.CONTROL_E2E: "control",
}
_COLOR = re.compile(r"#[0-9a-f]{6}\Z")


class _Fields:
    """Typed access to a JSON object's fields; every failure is a `MessageError` sentence."""

    def __init__(self, obj: dict[str, Any], what: str) -> None:
        self.obj = obj
        self.what = what

    def _get(self, name: str) -> Any:
        if name not in self.obj:
            raise MessageError(f'The {self.what} payload needs a "{name}" field.')
        return self.obj[name]

    def _bad(self, name: str, expected: str) -> MessageError:
        return MessageError(f'The field "{name}" of the {self.what} payload must be {expected}.')

    def integer(self, name: str, low: int, high: int) -> int:
        value = self._get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self._bad(name, f"an integer from {low} to {high}")
        return value

    def number(self, name: str, low: float, high: float) -> float:
        value = self._get(name)
        return _number(value, low, high, lambda: self._bad(name, f"a number from {low} to {high}"))

    def boolean(self, name: str) -> bool:
        value = self._get(name)
        if not isinstance(value, bool):
            raise self._bad(name, "true or false")
        return value

    def text(self, name: str, max_length: int, *, allow_empty: bool = True) -> str:
        value = self._get(name)
        if not isinstance(value, str) or len(value) > max_length or (not value and not allow_empty):
            raise self._bad(name, f"a string of at most {max_length} characters")
        return value

    def tag(self) -> str:
        return self.text("t", 32)

    def nested(self, name: str) -> _Fields | None:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._bad(name, "an object or null")
        return _Fields(value, self.what)

    def array(self, name: str, max_items: int) -> list[Any]:
        value = self._get(name)
        if not isinstance(value, list) or len(value) > max_items:
            raise self._bad(name, f"a list of at most {max_items} items")
        return value


def _number(value: Any, low: float, high: float, error: Callable[[], MessageError]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise error()
    # The range test comes first and is exact for any int: math.isfinite(10**400) raises
    # OverflowError (found by bench/fuzz_parsers.py). NaN fails the range test too.
    if not low <= value <= high or not math.isfinite(value):
        raise error()
    return value


def _read_cursor(f: _Fields) -> CursorUpdate:
    x = f.integer("x", -MAX_COORDINATE, MAX_COORDINATE)
    y = f.integer("y", -MAX_COORDINATE, MAX_COORDINATE)
    visible = f.boolean("visible")
    shape_fields = f.nested("shape")
    shape = None
    if shape_fields is not None:
        encoded = shape_fields.text("png", MAX_PAYLOAD_BYTES[FrameKind.CURSOR], allow_empty=False)
        try:
            png = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MessageError('The cursor "png" must be base64.') from exc
        if not png.startswith(PNG_SIGNATURE):
            raise MessageError('The cursor "png" must be a PNG image.')
        width = shape_fields.integer("width", 1, MAX_CURSOR_SIZE)
        height = shape_fields.integer("height", 1, MAX_CURSOR_SIZE)
        shape = CursorShape(
            png,
            shape_fields.integer("hotspot_x", 0, width - 1),
            shape_fields.integer("hotspot_y", 0, height - 1),
            width,
            height,
        )
    return CursorUpdate(x, y, visible, shape)


def _read_input(f: _Fields) -> InputEvent:
    tag = f.tag()
    if tag == "move":
        return PointerMove(f.integer("x", 0, MAX_COORDINATE), f.integer("y", 0, MAX_COORDINATE))
    if tag == "button":
        return PointerButton(
            f.integer("button", 0, 2),
            f.boolean("down"),
            f.integer("x", 0, MAX_COORDINATE),
            f.integer("y", 0, MAX_COORDINATE),
        )
    if tag == "wheel":
        return Wheel(
            f.integer("dx", -MAX_WHEEL_NOTCHES, MAX_WHEEL_NOTCHES),
            f.integer("dy", -MAX_WHEEL_NOTCHES, MAX_WHEEL_NOTCHES),
        )
    if tag == "key":
        return KeyEvent(
            f.text("code", MAX_KEY_CODE),
            f.text("key", MAX_KEY_TEXT),
            f.boolean("down"),
        )
    if tag == "release_all":
        return ReleaseAll()
    raise MessageError(f'Unknown input event "{tag}".')


def _read_chat(f: _Fields) -> ChatMessage:
    return ChatMessage(
        f.text("id", MAX_ID, allow_empty=False),
        f.text("text", MAX_CHAT_TEXT),
        f.integer("sent_at", 0, 2**53 - 1),
    )


def _read_annotation(f: _Fields) -> Annotation:
    tag = f.tag()
    if tag == "stroke":
        color = f.text("color", 7)
        if not _COLOR.match(color):
            raise MessageError('The stroke "color" must look like "#rrggbb" (lower case).')
        raw_points = f.array("points", MAX_STROKE_POINTS)
        points: list[tuple[float, float]] = []
        for raw in raw_points:
            if not isinstance(raw, list) or len(raw) != 2:
                raise MessageError("Each stroke point must be a pair [x, y].")
            points.append(
                (_point_coordinate(raw[0]), _point_coordinate(raw[1])),
            )
        return Stroke(
            f.text("id", MAX_ID, allow_empty=False),
            color,
            f.number("width", 0.5, MAX_STROKE_WIDTH),
            tuple(points),
            f.boolean("done"),
        )
    if tag == "laser":
        return Laser(
            f.number("x", -MAX_COORDINATE, MAX_COORDINATE),
            f.number("y", -MAX_COORDINATE, MAX_COORDINATE),
        )
    if tag == "laser_off":
        return LaserOff()
    if tag == "clear":
        return ClearAnnotations()
    raise MessageError(f'Unknown annotation "{tag}".')


def _point_coordinate(value: Any) -> float:
    return _number(
        value,
        -MAX_COORDINATE,
        MAX_COORDINATE,
        lambda: MessageError("Stroke points must be numbers within the screen's range."),
    )


def _read_clipboard(f: _Fields) -> ClipboardText:
    # The byte limit of the payload bounds the text; no separate character limit.
    return ClipboardText(f.text("text", MAX_PAYLOAD_BYTES[FrameKind.CLIPBOARD]))


def _read_e2e_control(f: _Fields) -> E2EControl:
    tag = f.tag()
    if tag == "monitors":
        monitors: list[MonitorInfo] = []
        for raw in f.array("monitors", MAX_MONITORS):
            if not isinstance(raw, dict):
                raise MessageError("Each monitor must be a JSON object.")
            m = _Fields(raw, "monitor")
            monitors.append(
                MonitorInfo(
                    m.integer("id", 0, 0xFFFF),
                    m.integer("x", -MAX_COORDINATE, MAX_COORDINATE),
                    m.integer("y", -MAX_COORDINATE, MAX_COORDINATE),
                    m.integer("width", 1, MAX_COORDINATE),
                    m.integer("height", 1, MAX_COORDINATE),
                    m.boolean("primary"),
                    m.text("name", MAX_NAME),
                )
            )
        current = f.integer("current", 0, 0xFFFF)
        if monitors and current not in {m.id for m in monitors}:
            raise MessageError('The "current" monitor must be one of the listed monitors.')
        return MonitorList(tuple(monitors), current)
    if tag == "select_monitor":
        return SelectMonitor(f.integer("id", 0, 0xFFFF))
    if tag == "refresh":
        if "video" not in f.obj:
            return Refresh()
        codecs = f.array("video", MAX_VIDEO_CODECS)
        if not all(isinstance(c, str) and 0 < len(c) <= MAX_CODEC_NAME for c in codecs):
            raise MessageError(
                f"Each video codec must be a name of 1 to {MAX_CODEC_NAME} characters."
            )
        return Refresh(tuple(codecs))
    if tag == "drawn":
        return FrameDrawn(f.integer("seq", 0, 2**32 - 1), f.integer("draw_ms", 0, MAX_DRAW_MS))
    if tag == "quality":
        mode = f.text("mode", 16)
        if mode not in QUALITY_MODES:
            raise MessageError(f"The quality must be one of {', '.join(QUALITY_MODES)}.")
        return QualityChoice(mode)
    raise MessageError(f'Unknown control "{tag}".')


_READERS: dict[FrameKind, Callable[[_Fields], Payload]] = {
    FrameKind.CURSOR: _read_cursor,
    FrameKind.INPUT: _read_input,
    FrameKind.CHAT: _read_chat,
    FrameKind.ANNOTATION: _read_annotation,
    FrameKind.CLIPBOARD: _read_clipboard,
    FrameKind.CONTROL_E2E: _read_e2e_control,
}
