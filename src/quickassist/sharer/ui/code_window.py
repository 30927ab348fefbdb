"""The first window: a box for the code from the helper and a Share screen button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QIcon, QResizeEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ..consent import SCAM_WARNING
from ..desktop_entry import icon_file
from .text_fit import fit_to_text

#: Wide enough for the code box and the intro in a few lines (it grows for longer text).
MIN_WIDTH = 380


class CodeWindow(QWidget):
    share_requested = Signal(str)
    closed = Signal()
    report_requested = Signal()

    def __init__(self, service_url: str, code: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("quickassist: share your screen")
        self.setWindowIcon(QIcon(icon_file()))  # the same as the app menu's (desktop_entry)
        intro = QLabel(
            "Type the code your helper gave you, then click Share screen. You will see who "
            "is asking before anything is shared."
        )
        intro.setWordWrap(True)
        self.warning_label = QLabel(SCAM_WARNING)
        self.warning_label.setWordWrap(True)
        self.warning_label.setObjectName("scam-warning")
        self.warning_label.setStyleSheet("color: #a00000;")
        self.code_label = QLabel("Code from your helper")
        self.code_edit = QLineEdit(code or "")
        self.code_edit.setPlaceholderText("ABC-234")
        self.code_edit.setMaxLength(32)
        self.code_label.setBuddy(self.code_edit)
        self.share_button = QPushButton("Share screen")
        self.share_button.setDefault(True)
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        # Offered once a session ended: a scam is often recognised only afterwards.
        self.report_button = QPushButton("Report this session")
        self.report_button.setVisible(False)
        self.report_button.clicked.connect(self.report_requested)
        service = QLabel(f"Service: {service_url}")
        service.setStyleSheet("color: gray;")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.warning_label)  # before the code box: read before typing
        layout.addWidget(self.code_label)
        layout.addWidget(self.code_edit)
        layout.addWidget(self.share_button)
        layout.addWidget(self.message_label)
        layout.addWidget(self.report_button)
        layout.addWidget(service)
        self.share_button.clicked.connect(self._share)
        self.code_edit.returnPressed.connect(self._share)
        self.setMinimumWidth(MIN_WIDTH)

    def _share(self) -> None:
        code = self.code_edit.text().strip()
        if not code:
            self.show_message("Type the code from your helper first.")
            return
        self.set_busy(True)
        self.show_message("Connecting...")
        self.share_requested.emit(code)

    def offer_report(self, offered: bool) -> None:
        self.report_button.setVisible(offered)

    def set_busy(self, busy: bool) -> None:
        self.share_button.setEnabled(not busy)
        self.code_edit.setEnabled(not busy)

    def show_message(self, text: str) -> None:
        self.message_label.setText(text)
        fit_to_text(self, min_width=MIN_WIDTH)  # a long sentence shows whole, never cut

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        fit_to_text(self, min_width=MIN_WIDTH)  # narrower means more lines: taller

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit()
        super().closeEvent(event)
