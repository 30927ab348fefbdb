"""The sharing bar shows who and which mode, and each button asks for its action."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from quickassist.protocol.roles import HelperCard, Mode, Phase
from quickassist.sharer.session_events import SessionStatus
from quickassist.sharer.ui.sharing_bar import SharingBar

ADA = HelperCard("Ada L.", "Contoso")


def status(mode: Mode | None, *, paused: bool = False) -> SessionStatus:
    return SessionStatus(ADA, Phase.ACTIVE, mode, paused, helper_connected=True, connected=True)


def recorder(bar: SharingBar) -> list[str]:
    seen: list[str] = []
    for name in ("pause", "resume", "chat", "revoke", "end"):
        getattr(bar, f"{name}_requested").connect(lambda name=name: seen.append(name))
    return seen


def click(button: Any) -> None:
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_full_control_shows_who_mode_and_take_back(qapp: Any) -> None:
    bar = SharingBar()
    bar.show()
    bar.set_status(status(Mode.CONTROL))
    assert "Ada L. (Contoso) can control your screen" in bar.status_label.text()
    assert bar.mode_label.text() == "full control"
    assert bar.revoke_button.isVisible() and bar.revoke_button.isEnabled()
    seen = recorder(bar)
    click(bar.revoke_button)
    click(bar.chat_button)
    assert seen == ["revoke", "chat"]
    bar.close_quietly()


def test_view_only_hides_take_back(qapp: Any) -> None:
    bar = SharingBar()
    bar.show()
    bar.set_status(status(Mode.VIEW))
    assert bar.mode_label.text() == "view only"
    assert not bar.revoke_button.isVisible()
    assert "can see your screen" in bar.status_label.text()
    bar.close_quietly()


def test_pause_then_resume(qapp: Any) -> None:
    bar = SharingBar()
    bar.show()
    bar.set_status(status(Mode.CONTROL))
    seen = recorder(bar)
    click(bar.pause_button)
    assert bar.pause_button.text() == "Resume"  # shown at once, before the service confirms
    click(bar.pause_button)  # the service has not confirmed yet: still a resume
    bar.set_status(status(Mode.CONTROL, paused=True))
    assert "Paused" in bar.status_label.text()
    click(bar.pause_button)
    assert seen == ["pause", "resume", "resume"]
    bar.close_quietly()


def test_end_button_and_closing_the_bar_end_the_session(qapp: Any) -> None:
    bar = SharingBar()
    bar.show()
    seen = recorder(bar)
    click(bar.end_button)
    assert seen == ["end"]
    bar.close()
    QApplication.processEvents()
    assert seen == ["end", "end"]
    assert not bar.isVisible()


def test_closing_quietly_does_not_end(qapp: Any) -> None:
    bar = SharingBar()
    bar.show()
    seen = recorder(bar)
    bar.close_quietly()
    assert seen == []


def test_the_bar_stays_on_top(qapp: Any) -> None:
    bar = SharingBar()
    assert bar.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
