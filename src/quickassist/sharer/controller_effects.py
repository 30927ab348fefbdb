"""What `SharerController` asks its driver to do: small immutable effects, carried out in order.

The controller decides; the driver (`SharerSession`) only carries out. Sends are of two kinds:
`SendControl` and `SendFrame` leave as they are; `SendEncrypted` is a frame whose plaintext is
sealed at the very moment it leaves (the driver hands it back to `SharerController.outgoing`
right before the write), so the encryption counters go out in the order they were taken.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol.frames import FrameFlags, FrameKind
from ..protocol.messages import ClientMessage
from ..protocol.payloads import InputEvent, MonitorInfo
from .pacing import LinkEstimate
from .session_events import SessionEvent

# Sends -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendControl:
    """A JSON control message for the service."""

    message: ClientMessage


@dataclass(frozen=True, slots=True)
class SendFrame:
    """An encoded binary frame to write now: sealed, or the clear handshake key offer."""

    data: bytes


@dataclass(frozen=True, slots=True)
class SendEncrypted:
    """A frame to seal at the moment it leaves (or to hold while there is no key)."""

    kind: FrameKind
    payload: bytes
    flags: FrameFlags = FrameFlags.NONE


# Media and input ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetCapture:
    """Capture on or off (off: nothing is captured or handed out)."""

    enabled: bool


@dataclass(frozen=True, slots=True)
class RequestKeyframe:
    """The next video frame covers the whole monitor.

    `video` is what the console said it decodes ("h264"; empty: tiles only) when it asked;
    None when the sharer asks on its own (what the console said still holds).
    """

    video: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class SelectMonitor:
    """Share `monitor` from now on; input coordinates follow it."""

    monitor: MonitorInfo


@dataclass(frozen=True, slots=True)
class WindowOpened:
    """The flow window has room again (the console drew frames, or it starts afresh): take
    the next capture; the link now measures `link` (for the encoders' quality and bitrate)."""

    link: LinkEstimate


@dataclass(frozen=True, slots=True)
class SetQuality:
    """The helper chose a picture quality: "auto", "sharp" or "smooth"."""

    mode: str


@dataclass(frozen=True, slots=True)
class Inject:
    """Apply one input event from the helper (already admitted by the guard)."""

    event: InputEvent


@dataclass(frozen=True, slots=True)
class ReleaseInput:
    """Release every key and button the helper holds."""


# The person and the clock ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Emit:
    """Tell the UI."""

    event: SessionEvent


@dataclass(frozen=True, slots=True)
class ArmTimer:
    """Call `SharerController.tick` at `deadline` (monotonic seconds); replaces an armed one."""

    deadline: float


@dataclass(frozen=True, slots=True)
class CancelTimer:
    """Forget the armed timer."""


@dataclass(frozen=True, slots=True)
class Finish:
    """The session is over: `sentence` says why; `failed` when it was not a person's choice."""

    sentence: str
    failed: bool


Send = SendControl | SendFrame | SendEncrypted
Effect = (
    SendControl
    | SendFrame
    | SendEncrypted
    | SetCapture
    | RequestKeyframe
    | SelectMonitor
    | WindowOpened
    | SetQuality
    | Inject
    | ReleaseInput
    | Emit
    | ArmTimer
    | CancelTimer
    | Finish
)
