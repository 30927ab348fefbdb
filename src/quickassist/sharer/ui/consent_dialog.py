"""The consent dialog: who is asking, what they ask, the warning, Allow or Decline.

Decline is the default: Enter and Escape both decline, so a stray key press never shares a
screen. The same dialog is shown when the helper asks for control in the middle of a session.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..consent import ConsentText


class ConsentDialog(QDialog):
    """Modal question; `exec()` returns Accepted only when the person clicks Allow."""

    def __init__(self, text: ConsentText, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(text.title)
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.setModal(True)
        self.who_label = QLabel(text.who)
        bold = QFont(self.who_label.font())
        bold.setBold(True)
        self.who_label.setFont(bold)
        self.what_label = QLabel(text.what)
        # The end-to-end check digits, large: the helper reads out the same ones.
        self.check_label = QLabel(text.check)
        check_font = QFont(self.who_label.font())
        check_font.setPointSizeF(check_font.pointSizeF() * 1.3)
        self.check_label.setFont(check_font)
        self.check_label.setVisible(bool(text.check))
        self.warning_label = QLabel(text.warning)
        self.warning_label.setStyleSheet("color: #a00000;")
        for label in (self.who_label, self.what_label, self.check_label, self.warning_label):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)  # names come from the network

        self.allow_button = QPushButton("Allow")
        self.decline_button = QPushButton("Decline")
        # Enter must never mean Allow: only Decline can be the default button.
        self.allow_button.setAutoDefault(False)
        self.allow_button.setDefault(False)
        self.decline_button.setAutoDefault(True)
        self.decline_button.setDefault(True)
        self.allow_button.clicked.connect(self.accept)
        self.decline_button.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.allow_button)
        buttons.addWidget(self.decline_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.who_label)
        layout.addWidget(self.what_label)
        layout.addWidget(self.check_label)
        layout.addWidget(self.warning_label)
        layout.addLayout(buttons)
        self.setMinimumWidth(420)
        self.decline_button.setFocus()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.decline_button.setFocus()
