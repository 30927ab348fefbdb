"""What the session controller tells the UIs: small immutable events, and the status line.

The UIs (Qt and terminal) observe a `SharerSession` through one callable (`Listener`) that
receives these; they never reach into the controller's state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..protocol.payloads import Annotation, MonitorInfo
from ..protocol.roles import HelperCard, Mode, Phase


def joined_sentence(helper: HelperCard) -> str:
    """What the person reads once joined, until the helper asks for their screen."""
    return (
        f"Connected to the session of {helper.name} from {helper.organisation}. "
        "Waiting for them to ask for your screen..."
    )


@dataclass(frozen=True, slots=True)
class SessionStatus:
    """What the sharer should see in the sharing bar, the code window and the terminal.

    A status replaces the one before it (unlike a `Notice`): the UIs show the latest one's
    `sentence`, so what they say follows the session's phase, and a helper who came back is no
    longer said to be gone.
    """

    helper: HelperCard
    phase: Phase
    mode: Mode | None
    paused: bool
    helper_connected: bool
    connected: bool
    #: The end-to-end check digits the two people compared ("" before the first handshake);
    #: the console shows the same ones for the whole session, reconnects included.
    check: str = ""

    def sentence(self) -> str:
        who = f"{self.helper.name} ({self.helper.organisation})"
        if not self.connected:
            return "Connection lost. Reconnecting..."
        if self.phase is Phase.ENDED:
            return "The session has ended."
        if self.phase is Phase.ACTIVE and self.mode is not None and self.paused:
            return f"Paused. {who} sees nothing until you resume."
        if not self.helper_connected:
            return f"{who} lost the connection; waiting for them to come back."
        if self.phase is Phase.CONSENT:
            if self.mode is Mode.VIEW:  # asked for control in the middle of a session
                return f"{who} can see your screen and asks for control."
            return f"{who} asks for your screen. Nothing is shared until you allow it."
        if self.phase is not Phase.ACTIVE or self.mode is None:
            return joined_sentence(self.helper)
        what = "can control your screen" if self.mode is Mode.CONTROL else "can see your screen"
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
