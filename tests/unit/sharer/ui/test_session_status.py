"""What the sharer reads follows the session: the status sentence for each phase, and the
terminal and the Qt code window fed a real controller's events (tests/fixtures/controller_driver.py)
as a helper asks, leaves and comes back."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

from quickassist.protocol.messages import PeerLeft, PeerReturned
from quickassist.protocol.roles import HelperCard, Mode, Phase, Role
from quickassist.sharer.client import SessionClient
from quickassist.sharer.controller import SharerController
from quickassist.sharer.session_events import SessionEvent, SessionStatus, joined_sentence
from quickassist.sharer.ui.terminal import TerminalSharer
from tests.fixtures.controller_driver import HELPER, SESSION, ControllerDriver
from tests.unit.sharer.ui.conftest import no_media

ADA = HelperCard("Ada L.", "Contoso")
WAITING_TO_BE_ASKED = "Waiting for them to ask for your screen"
LOST = "lost the connection"


def status(phase: Phase, mode: Mode | None = None, **changes: bool) -> SessionStatus:
    fields: dict[str, bool] = {"paused": False, "helper_connected": True, "connected": True}
    fields.update(changes)
    return SessionStatus(ADA, phase, mode, **fields)


def test_each_phase_has_its_own_sentence() -> None:
    assert status(Phase.JOINED).sentence() == joined_sentence(ADA)
    asked = status(Phase.CONSENT).sentence()
    assert WAITING_TO_BE_ASKED not in asked and "asks for your screen" in asked
    assert "asks for control" in status(Phase.CONSENT, Mode.VIEW).sentence()
    assert status(Phase.ACTIVE, Mode.VIEW).sentence() == "Ada L. (Contoso) can see your screen."
    assert "can control" in status(Phase.ACTIVE, Mode.CONTROL).sentence()
    assert status(Phase.ACTIVE, Mode.VIEW, paused=True).sentence().startswith("Paused.")
    for phase in (Phase.JOINED, Phase.CONSENT, Phase.ACTIVE):
        assert LOST in status(phase, Mode.VIEW, helper_connected=False).sentence()
    assert "Reconnecting" in status(Phase.ACTIVE, Mode.VIEW, connected=False).sentence()


def story(show: Callable[[SessionEvent], None]) -> Iterator[str]:
    """Drive a controller through a session, handing its events to `show`; yields each step."""
    run = ControllerDriver(controller=SharerController(SESSION, HELPER))
    shown = 0

    def step(name: str) -> str:
        nonlocal shown
        events = run.events()
        for event in events[shown:]:
            show(event)
        shown = len(events)
        return name

    run.start()
    run.state(Phase.JOINED)
    yield step("joined")
    run.server(PeerLeft(Role.HELPER, 30.0))
    run.state(Phase.JOINED, helper_connected=False)
    yield step("helper lost")
    run.server(PeerReturned(Role.HELPER))
    run.state(Phase.JOINED)
    yield step("helper back")
    run.secure()
    run.consent_request(Mode.VIEW)
    run.state(Phase.CONSENT, requested=Mode.VIEW)
    yield step("asked")
    run.controller.answer_consent(Mode.VIEW, True)
    run.state(Phase.ACTIVE, Mode.VIEW)
    yield step("sharing")
    run.server(PeerLeft(Role.HELPER, 30.0))
    run.state(Phase.ACTIVE, Mode.VIEW, helper_connected=False)
    yield step("helper lost while sharing")
    run.server(PeerReturned(Role.HELPER))
    run.state(Phase.ACTIVE, Mode.VIEW)
    yield step("helper back while sharing")


def check_step(name: str, shown: str) -> None:
    """What the person reads at each step of `story`."""
    if name.startswith("helper lost"):
        assert LOST in shown, (name, shown)
        return
    assert LOST not in shown, (name, shown)  # a helper who is back is not said to be gone
    if name in ("joined", "helper back"):
        assert WAITING_TO_BE_ASKED in shown, (name, shown)
    else:
        assert WAITING_TO_BE_ASKED not in shown, (name, shown)
    if name.startswith("sharing") or name.endswith("while sharing"):
        assert "can see your screen" in shown, (name, shown)


def test_the_terminal_says_what_the_session_is_doing_at_each_step() -> None:
    out = io.StringIO()
    terminal = TerminalSharer(SessionClient("https://quickassist.test"), media=no_media, out=out)
    for name in story(terminal._on_event):
        last_line = out.getvalue().splitlines()[-1] if out.getvalue() else ""
        if name != "asked":  # the question itself is the last thing printed there
            check_step(name, last_line)


def test_the_code_window_follows_the_phase(qt_sharer: Any) -> None:
    window = qt_sharer.code_window
    for name in story(qt_sharer._on_event):
        check_step(name, window.message_label.text())
