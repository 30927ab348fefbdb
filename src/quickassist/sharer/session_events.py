"""What the session controller tells the UIs: small immutable events, and the status line.

The UIs (Qt and terminal) observe a `SharerSession` through one callable (`Listener`) that
receives these; they never reach into the controller's state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..protocol.payloads import Annotation, MonitorInfo
from ..protocol.roles import HelperCard, Mode, Phase


@dataclass(frozen=True, slots=True)
class SessionStatus:
    """What the sharer should see in the sharing bar or the terminal's status line."""

    helper: HelperCard
    phase: Phase
    mode: Mode | None
    paused: bool
    helper_connected: bool
    connected: bool

    def sentence(self) -> str:
        who = f"{self.helper.name} ({self.helper.organisation})"
        if not self.connected:
            return "Connection lost. Reconnecting..."
        if self.phase is not Phase.ACTIVE or self.mode is None:
            return f"Waiting for {who}."
        what = "can control your screen" if self.mode is Mode.CONTROL else "can see your screen"
        if self.paused:
            return f"Paused. {who} sees nothing until you resume."
        if not self.helper_connected:
            return f"{who} lost the connection; waiting for them to come back."
        return f"{who} {what}."


@dataclass(frozen=True, slots=True)
class StatusChanged:
    status: SessionStatus


@dataclass(frozen=True, slots=True)
class ConsentRequested:
    """Ask the person; answer with `SharerSession.answer_consent`.

    `check` is the end-to-end check string ("123 456") the helper should read out: the question
    is only asked once the connection is encrypted.
    """

    mode: Mode
    helper: HelperCard
    check: str = ""


@dataclass(frozen=True, slots=True)
class ChatReceived:
    text: str


@dataclass(frozen=True, slots=True)
class AnnotationReceived:
    annotation: Annotation


@dataclass(frozen=True, slots=True)
class MonitorChanged:
    """The shared monitor changed (the overlay follows it)."""

    monitor: MonitorInfo


@dataclass(frozen=True, slots=True)
class Notice:
    """A sentence to show; the session goes on."""

    message: str


@dataclass(frozen=True, slots=True)
class SessionFinished:
    message: str


SessionEvent = (
    StatusChanged
    | ConsentRequested
    | ChatReceived
    | AnnotationReceived
    | MonitorChanged
    | Notice
    | SessionFinished
)
Listener = Callable[[SessionEvent], None]
