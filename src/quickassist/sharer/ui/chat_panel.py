"""The chat panel: plain-text lines from the helper and a box to answer."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ChatPanel(QWidget):
    """Shows the conversation; `send_requested(text)` when the person sends a line."""

    send_requested = Signal(str)

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowTitle("quickassist: chat")
        # QPlainTextEdit shows text as text: a helper's message cannot inject markup or links.
        self.history = QPlainTextEdit()
        self.history.setReadOnly(True)
        self.entry = QLineEdit()
        self.entry.setPlaceholderText("Type a message")
        self.send_button = QPushButton("Send")
        self.send_button.clicked.connect(self._send)
        self.entry.returnPressed.connect(self._send)
        row = QHBoxLayout()
        row.addWidget(self.entry, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.history, 1)
        layout.addLayout(row)
        self.resize(360, 280)

    def add_line(self, who: str, text: str) -> None:
        self.history.appendPlainText(f"{who}: {text}")

    def _send(self) -> None:
        text = self.entry.text().strip()
        if text:
            self.entry.clear()
            self.add_line("You", text)
            self.send_requested.emit(text)
