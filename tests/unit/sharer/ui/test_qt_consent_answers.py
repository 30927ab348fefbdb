"""The Qt app answers the question the person saw: a dialog replaced by a newer question is
nobody's answer, and a click carries the mode its dialog asked for (the controller refuses a
stale one: tests/unit/sharer/test_controller.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from quickassist.protocol.roles import HelperCard, Mode
from quickassist.sharer.session_events import ConsentRequested

ADA = HelperCard("Ada L.", "Contoso")


class RecordedActions:
    """Stands in for the session behind the window: records what the buttons ask it to do."""

    def __init__(self) -> None:
        self.asked: list[tuple[object, ...]] = []

    def call_soon(self, action: Callable[..., None], *args: object) -> None:
        self.asked.append((action.__name__, *args))

    def answer_consent(self, seen: Mode, allow: bool) -> None: ...

    def end(self) -> None: ...


def test_a_replaced_question_is_not_answered_and_a_click_carries_its_mode(
    qt_sharer: Any,
) -> None:
    actions = RecordedActions()
    qt_sharer.session = actions
    qt_sharer._on_event(ConsentRequested(Mode.VIEW, ADA, "123 456"))
    first = qt_sharer.dialog
    qt_sharer._on_event(ConsentRequested(Mode.CONTROL, ADA, "123 456"))
    QApplication.processEvents()
    assert not first.isVisible() and qt_sharer.dialog is not first
    assert actions.asked == []  # closing the view question declined nothing
    QTest.mouseClick(qt_sharer.dialog.allow_button, Qt.MouseButton.LeftButton)
    assert actions.asked == [("answer_consent", Mode.CONTROL, True)]
    qt_sharer.session = None
