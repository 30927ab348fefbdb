"""The binary frame: a fixed 10-byte little-endian header, then an opaque payload.

    offset size field
    0      1    version      (FRAME_VERSION, 2)
    1      1    kind | flags << 4   (FrameKind in the low 4 bits, FrameFlags in the high 4)
    2      4    sequence     per-sender counter, wraps at 2**32
    6      4    timestamp    capture time, milliseconds since the Unix epoch mod 2**32 (0: none)

Every frame is one whole WebSocket message, so the payload is the rest of the message: its
length is the message's less the header, and is not written again. The timestamp is cut to 32
bits of milliseconds (it wraps every 49.7 days): it only feeds the console's latency guide,
which reads it as the instant nearest its own clock (`unwrap_timestamp_ms`), right while the two
clocks are within 24 days of each other. Version 1 had 20 bytes (a reserved byte, a u64
microsecond timestamp and a u32 length): half of a keystroke's frame on the wire.

The relay reads only this header: it routes and enforces policy on `kind` and never parses the
payload, so the same header serves clear and end-to-end-encrypted payloads alike.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from .errors import FrameError, OversizedFrame, TruncatedFrame

FRAME_VERSION = 2
_HEADER = struct.Struct("<BBII")
HEADER_SIZE = _HEADER.size  # 10
#: Default payload limit. A sharer splits larger updates into several frames; 4 MiB holds a
#: full 1920x1080 JPEG many times over and bounds what one frame can make the relay buffer.
DEFAULT_MAX_PAYLOAD = 4 * 1024 * 1024
_U32 = 2**32
_KIND_BITS = 0x0F
_FLAGS_SHIFT = 4


class FrameKind(enum.IntEnum):
    """What a binary frame carries; the relay's policy is keyed on this alone."""

    VIDEO = 1  # sharer -> helper: screen tiles
    CURSOR = 2  # sharer -> helper: pointer position and shape
    INPUT = 3  # helper -> sharer: pointer and keyboard
    CHAT = 4  # both ways
    ANNOTATION = 5  # helper -> sharer: pen strokes, laser pointer
    CLIPBOARD = 6  # both ways, full control only
    CONTROL_E2E = 7  # both ways: end-to-end control (monitors, refresh, key exchange)


class FrameFlags(enum.IntFlag):
    NONE = 0
    #: A full refresh: the receiver can draw it without earlier frames.
    KEYFRAME = 1
    #: The payload is end-to-end encrypted.
    ENCRYPTED = 2


_KINDS = frozenset(int(k) for k in FrameKind)
_KNOWN_FLAGS = int(FrameFlags.KEYFRAME | FrameFlags.ENCRYPTED)


def wrap_timestamp_ms(epoch_ms: int) -> int:
    """The header's timestamp for a capture at `epoch_ms` (milliseconds since the epoch)."""
    return epoch_ms % _U32


def unwrap_timestamp_ms(timestamp_ms: int, now_ms: int) -> int:
    """The instant (ms since the epoch) a header's timestamp names: of those it can name, the
    one nearest `now_ms`, the receiver's clock. 0 stays 0 (no timestamp)."""
    if timestamp_ms == 0:
        return 0
    return now_ms + (timestamp_ms - now_ms + _U32 // 2) % _U32 - _U32 // 2


@dataclass(frozen=True, slots=True)
class FrameHeader:
    kind: FrameKind
    sequence: int = 0
    #: Capture time in milliseconds since the epoch mod 2**32 (`wrap_timestamp_ms`), 0 if none.
    timestamp_ms: int = 0
    flags: FrameFlags = FrameFlags.NONE
    version: int = FRAME_VERSION

    def __bytes__(self) -> bytes:
        self._check()
        return _HEADER.pack(
            self.version,
            int(self.kind) | int(self.flags) << _FLAGS_SHIFT,
            self.sequence % _U32,
            self.timestamp_ms,
        )

    def _check(self) -> None:
        """Refuse to write a header that `parse` would refuse (not a bare struct.error)."""
        if self.version != FRAME_VERSION:
            raise FrameError(f"Only frame version {FRAME_VERSION} can be written.")
        if self.kind not in _KINDS:
            raise FrameError(f"Unknown frame kind {self.kind}.")
        if not 0 <= self.flags <= _KNOWN_FLAGS:
            raise FrameError(f"Unknown frame flags {int(self.flags):#x}.")
        if not 0 <= self.timestamp_ms < _U32:
            raise FrameError("A frame timestamp must fit in 32 bits (wrap_timestamp_ms).")

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview) -> FrameHeader:
        """Read the header at the start of `data` (the payload may follow)."""
        if len(data) < 1:
            raise TruncatedFrame("A frame cannot be empty.")
        if data[0] != FRAME_VERSION:
            raise FrameError(
                f"Frame version {data[0]} is not supported (this side speaks {FRAME_VERSION}). "
                "Update the app."
            )
        if len(data) < HEADER_SIZE:
            raise TruncatedFrame(
                f"A frame must start with a {HEADER_SIZE}-byte header; got {len(data)} bytes."
            )
        version, kind_flags, sequence, timestamp = _HEADER.unpack_from(data)
        kind, flags = kind_flags & _KIND_BITS, kind_flags >> _FLAGS_SHIFT
        try:
            frame_kind = FrameKind(kind)
        except ValueError as exc:
            raise FrameError(f"Unknown frame kind {kind}.") from exc
        if flags & ~_KNOWN_FLAGS:
            raise FrameError(f"Unknown frame flags {flags:#x}.")
        return cls(frame_kind, sequence, timestamp, FrameFlags(flags), version)


@dataclass(frozen=True, slots=True)
class Frame:
    header: FrameHeader
    payload: bytes

    @property
    def kind(self) -> FrameKind:
        return self.header.kind


def encode_frame(
    kind: FrameKind,
    payload: bytes,
    *,
    sequence: int = 0,
    timestamp_ms: int = 0,
    flags: FrameFlags = FrameFlags.NONE,
    max_payload: int = DEFAULT_MAX_PAYLOAD,
) -> bytes:
    """Header plus payload, ready for one binary WebSocket message."""
    if len(payload) > max_payload:
        raise OversizedFrame(
            f"A frame payload may be at most {max_payload} bytes; this one is {len(payload)}."
        )
    header = FrameHeader(kind, sequence, timestamp_ms, flags)
    return bytes(header) + payload


def decode_frame(
    data: bytes | bytearray | memoryview, *, max_payload: int = DEFAULT_MAX_PAYLOAD
) -> Frame:
    """Parse one whole binary message: the header, and the rest as the payload."""
    header = parse_header(data, max_payload=max_payload)
    return Frame(header, bytes(data[HEADER_SIZE:]))


def parse_header(
    data: bytes | bytearray | memoryview, *, max_payload: int = DEFAULT_MAX_PAYLOAD
) -> FrameHeader:
    """Validate a whole binary message (its size included) and return its header only.

    The relay uses this: it needs the header and the size check, not a copy of the payload.
    """
    header = FrameHeader.parse(data)
    length = len(data) - HEADER_SIZE
    if length > max_payload:
        raise OversizedFrame(
            f"A frame payload may be at most {max_payload} bytes; this one has {length}."
        )
    return header
