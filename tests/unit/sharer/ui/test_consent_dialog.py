"""The consent dialog says who asks and what, warns, and only an explicit Allow allows."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from quickassist.protocol.roles import HelperCard, Mode
from quickassist.sharer.consent import WARNING, consent_text
from quickassist.sharer.ui.consent_dialog import ConsentDialog

ADA = HelperCard("Ada L.", "Contoso")


def shown(mode: Mode = Mode.CONTROL) -> ConsentDialog:
    dialog = ConsentDialog(consent_text(mode, ADA))
    dialog.open()
    QApplication.processEvents()
    return dialog


def all_text(dialog: ConsentDialog) -> str:
    return " ".join(
        label.text() for label in (dialog.who_label, dialog.what_label, dialog.warning_label)
    )


def test_it_says_who_asks_from_where_and_warns(qapp: Any) -> None:
    dialog = shown(Mode.CONTROL)
    text = all_text(dialog)
    assert "Ada L. · Contoso (organisation not verified)" in text
    assert "control your screen" in text or "control it" in text
    assert WARNING == "Only allow if you started this contact and trust this person."
    assert dialog.warning_label.text() == WARNING
    dialog.done(QDialog.DialogCode.Rejected)


def test_it_shows_the_verified_domain(qapp: Any) -> None:
    verified = HelperCard("Ada L.", "Contoso", "contoso.com")
    dialog = ConsentDialog(consent_text(Mode.CONTROL, verified))
    assert dialog.who_label.text() == "Ada L. · Contoso (verified: contoso.com) is asking."
    assert dialog.who_label.textFormat() is Qt.TextFormat.PlainText


def test_view_only_request_says_view_only(qapp: Any) -> None:
    dialog = shown(Mode.VIEW)
    assert "see your screen" in dialog.what_label.text()
    assert "not be able to control" in dialog.what_label.text()
    dialog.done(QDialog.DialogCode.Rejected)


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape])
def test_enter_and_escape_decline(qapp: Any, key: Qt.Key) -> None:
    dialog = shown()
    assert dialog.focusWidget() is dialog.decline_button
    QTest.keyClick(dialog.focusWidget() or dialog, key)
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Rejected.value


def test_enter_declines_even_when_allow_has_focus(qapp: Any) -> None:
    dialog = shown()
    dialog.activateWindow()
    dialog.allow_button.setFocus()
    QApplication.processEvents()
    QTest.keyClick(dialog.allow_button, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Rejected.value


def test_allow_allows(qapp: Any) -> None:
    dialog = shown()
    QTest.mouseClick(dialog.allow_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Accepted.value


def test_decline_button_declines(qapp: Any) -> None:
    dialog = shown()
    QTest.mouseClick(dialog.decline_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Rejected.value


def test_names_are_shown_as_plain_text(qapp: Any) -> None:
    dialog = ConsentDialog(consent_text(Mode.VIEW, HelperCard("<b>Eve</b>", "<a href=x>Org</a>")))
    assert dialog.who_label.textFormat() is Qt.TextFormat.PlainText
    assert "<b>Eve</b>" in dialog.who_label.text()


def test_it_shows_the_check_digits_the_helper_reads_out(qapp: Any) -> None:
    dialog = ConsentDialog(consent_text(Mode.VIEW, ADA, "123 456"))
    dialog.open()
    QApplication.processEvents()
    assert dialog.check_label.isVisible()
    assert dialog.check_label.text() == "Your helper should read you these digits: 123 456"
    dialog.done(QDialog.DialogCode.Rejected)
    assert not ConsentDialog(consent_text(Mode.VIEW, ADA)).check_label.text()
