"""The binary frame: a fixed 20-byte little-endian header, then an opaque payload.

    offset size field
    0      1    version      (FRAME_VERSION)
    1      1    kind         (FrameKind)
    2      1    flags        (FrameFlags)
    3      1    reserved     (0)
    4      4    sequence     per-sender counter, wraps at 2**32
    8      8    timestamp    capture time, microseconds since the Unix epoch (0 if none)
    16     4    length       payload length in bytes

The relay reads only this header: it routes and enforces policy on `kind` and never parses the
payload, so the same header serves clear and end-to-end-encrypted payloads alike.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from .errors import FrameError, OversizedFrame, TruncatedFrame

FRAME_VERSION = 1
_HEADER = struct.Struct("<BBBBIQI")
HEADER_SIZE = _HEADER.size  # 20
#: Default payload limit. A sharer splits larger updates into several frames; 4 MiB holds a
#: full 1920x1080 JPEG many times over and bounds what one frame can make the relay buffer.
DEFAULT_MAX_PAYLOAD = 4 * 1024 * 1024
_U32 = 2**32


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


@dataclass(frozen=True, slots=True)
class FrameHeader:
    kind: FrameKind
    length: int
    sequence: int = 0
    timestamp_us: int = 0
    flags: FrameFlags = FrameFlags.NONE
    version: int = FRAME_VERSION

    def __bytes__(self) -> bytes:
        self._check()
        return _HEADER.pack(
            self.version,
            int(self.kind),
            int(self.flags),
            0,
            self.sequence % _U32,
            self.timestamp_us,
            self.length,
        )

    def _check(self) -> None:
        """Refuse to write a header that `parse` would refuse (not a bare struct.error)."""
        if self.version != FRAME_VERSION:
            raise FrameError(f"Only frame version {FRAME_VERSION} can be written.")
        if self.kind not in _KINDS:
            raise FrameError(f"Unknown frame kind {self.kind}.")
        if not 0 <= self.flags <= _KNOWN_FLAGS:
            raise FrameError(f"Unknown frame flags {int(self.flags):#x}.")
        if not 0 <= self.timestamp_us < 2**64:
            raise FrameError("A frame timestamp must fit in 64 bits and not be negative.")
        if not 0 <= self.length < _U32:
            raise FrameError("A frame payload length must fit in 32 bits.")

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview) -> FrameHeader:
        """Read the header at the start of `data` (the payload may follow)."""
        if len(data) < HEADER_SIZE:
            raise TruncatedFrame(
                f"A frame must start with a {HEADER_SIZE}-byte header; got {len(data)} bytes."
            )
        version, kind, flags, _reserved, sequence, timestamp, length = _HEADER.unpack_from(data)
        if version != FRAME_VERSION:
            raise FrameError(
                f"Frame version {version} is not supported (this side speaks {FRAME_VERSION}). "
                "Update the app."
            )
        try:
            frame_kind = FrameKind(kind)
        except ValueError as exc:
            raise FrameError(f"Unknown frame kind {kind}.") from exc
        if flags & ~_KNOWN_FLAGS:
            raise FrameError(f"Unknown frame flags {flags:#x}.")
        return cls(frame_kind, length, sequence, timestamp, FrameFlags(flags), version)


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
    timestamp_us: int = 0,
    flags: FrameFlags = FrameFlags.NONE,
    max_payload: int = DEFAULT_MAX_PAYLOAD,
) -> bytes:
    """Header plus payload, ready for one binary WebSocket message."""
    if len(payload) > max_payload:
        raise OversizedFrame(
            f"A frame payload may be at most {max_payload} bytes; this one is {len(payload)}."
        )
    header = FrameHeader(kind, len(payload), sequence, timestamp_us, flags)
    return bytes(header) + payload


def decode_frame(
    data: bytes | bytearray | memoryview, *, max_payload: int = DEFAULT_MAX_PAYLOAD
) -> Frame:
    """Parse one whole binary message: exactly a header and the payload it announces."""
    header = parse_header(data, max_payload=max_payload)
    return Frame(header, bytes(data[HEADER_SIZE:]))


def parse_header(
    data: bytes | bytearray | memoryview, *, max_payload: int = DEFAULT_MAX_PAYLOAD
) -> FrameHeader:
    """Validate a whole binary message (sizes included) and return its header only.

    The relay uses this: it needs the header and the size checks, not a copy of the payload.
    """
    header = FrameHeader.parse(data)
    if header.length > max_payload:
        raise OversizedFrame(
            f"A frame payload may be at most {max_payload} bytes; this one says {header.length}."
        )
    actual = len(data) - HEADER_SIZE
    if actual < header.length:
        raise TruncatedFrame(
            f"The frame announces {header.length} payload bytes but carries {actual}."
        )
    if actual > header.length:
        raise FrameError(f"The frame announces {header.length} payload bytes but carries {actual}.")
    return header
