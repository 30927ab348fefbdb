"""The sharer's own guard: what may leave this machine and what may reach it.

The relay already enforces the session's policy; this guard enforces it a second time on the
sharer's side (DESIGN.md, security invariants), from the sharer's own view of the session:

* the service's `state` messages (phase, mode, paused), and
* the person's own choices, which take effect at once, before the service confirms them:
  Allow grants a mode, Pause stops pixels and input, Take back control drops to view only,
  End stops everything for good.

Both views must agree before anything flows: pixels need the service's `active` and a local
Allow, and neither side paused; input additionally needs full control granted locally *and*
reported by the service. A lost connection stops both until the service speaks again.

The guard is pure (no I/O, no clock), so every combination is tested exhaustively.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol.messages import StateUpdate
from ..protocol.roles import Mode, Phase


@dataclass(slots=True)
class GuardCounters:
    """What the guard refused, for the status line and the tests."""

    input_dropped: int = 0
    video_withheld: int = 0


class SharerGuard:
    """Decides, from local choices and service state, whether pixels and input may flow."""

    def __init__(self) -> None:
        self._phase: Phase = Phase.JOINED
        self._service_mode: Mode | None = None
        self._service_paused = False
        self._granted: Mode | None = None
        self._locally_paused = False
        self._connected = False
        self._ended = False
        self.counters = GuardCounters()

    # Inputs from the service --------------------------------------------------------------

    def on_state(self, state: StateUpdate) -> None:
        """Record the service's latest snapshot of the session."""
        if self._ended:
            return
        self._phase = state.phase
        self._service_mode = state.mode
        self._service_paused = state.paused
        self._connected = True
        if state.phase is Phase.ENDED:
            self._ended = True

    def on_connected(self) -> None:
        """The relay connection is (back) up; nothing flows until the service's next state."""
        self._connected = False

    def on_disconnected(self) -> None:
        """The relay connection dropped: nothing flows until the service speaks again."""
        self._connected = False

    # Inputs from the person ---------------------------------------------------------------

    def allow(self, mode: Mode) -> None:
        """The person clicked Allow for `mode` (view, or full control)."""
        if not self._ended:
            self._granted = mode

    def decline(self, mode: Mode) -> None:
        """The person declined `mode`. Declining control keeps an earlier view grant."""
        if mode is Mode.VIEW:
            self._granted = None
        elif self._granted is Mode.CONTROL:
            self._granted = Mode.VIEW

    def revoke_control(self) -> None:
        """Take back control: at most view only from now on, until control is allowed again."""
        if self._granted is Mode.CONTROL:
            self._granted = Mode.VIEW

    def pause(self) -> None:
        self._locally_paused = True

    def resume(self) -> None:
        """Lift the local pause; pixels flow again once the service also says not paused."""
        self._locally_paused = False

    def end(self) -> None:
        """Nothing flows again, whatever the service says later."""
        self._ended = True

    # Decisions ----------------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def paused(self) -> bool:
        """Paused in the person's eyes: their own click or the service's state."""
        return self._locally_paused or self._service_paused

    @property
    def granted_mode(self) -> Mode | None:
        return self._granted

    @property
    def mode(self) -> Mode | None:
        """The mode actually in force: the lesser of the local grant and the service's mode."""
        if self._granted is None or self._service_mode is None:
            return None
        if Mode.VIEW in (self._granted, self._service_mode):
            return Mode.VIEW
        return Mode.CONTROL

    @property
    def video_allowed(self) -> bool:
        """Screen pixels may leave: active, allowed locally, connected, not paused, not ended."""
        return (
            not self._ended
            and self._connected
            and self._phase is Phase.ACTIVE
            and self.mode is not None
            and not self.paused
        )

    @property
    def input_allowed(self) -> bool:
        """Remote input may be injected: everything video needs, plus full control both ways."""
        return self.video_allowed and self.mode is Mode.CONTROL

    def admit_input(self) -> bool:
        """Whether to inject one incoming input event; counts the ones refused."""
        if self.input_allowed:
            return True
        self.counters.input_dropped += 1
        return False

    def admit_video(self) -> bool:
        """Whether to send one captured frame; counts the ones withheld."""
        if self.video_allowed:
            return True
        self.counters.video_withheld += 1
        return False
