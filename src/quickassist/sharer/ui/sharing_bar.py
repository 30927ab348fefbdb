"""The sharing bar: a small always-on-top strip while the screen is shared.

Shows who is connected, in which mode, and the check digits compared before Allow; offers
Pause/Resume, Chat, Take back control (only while the helper has control) and End. Closing the
bar ends the session. The bar knows nothing of sessions: it shows a `SessionStatus` and emits
one signal per button.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from ...protocol.roles import Mode
from ..consent import mode_label
from ..session_events import SessionStatus


class SharingBar(QWidget):
    pause_requested = Signal()
    resume_requested = Signal()
    chat_requested = Signal()
    revoke_requested = Signal()
    end_requested = Signal()
    report_requested = Signal()

    def __init__(self) -> None:
        super().__init__(
            None,
            Qt.WindowType.Window
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.FramelessWindowHint,
        )
        self.setWindowTitle("quickassist: sharing your screen")
        self.status_label = QLabel("Connecting...")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.mode_label = QLabel("")
        # The digits the helper read out before Allow: the console shows the same ones all along.
        self.check_label = QLabel("")
        self.check_label.setToolTip("The security digits your helper read you")
        self.pause_button = QPushButton("Pause")
        self.chat_button = QPushButton("Chat")
        self.revoke_button = QPushButton("Take back control")
        self.report_button = QPushButton("Report")
        self.report_button.setToolTip("Report this session to the service's administrators")
        self.report_button.clicked.connect(self.report_requested)
        self.end_button = QPushButton("End")
        self.end_button.setStyleSheet("background: #b00020; color: white;")
        self.pause_button.clicked.connect(self._toggle_pause)
        self.chat_button.clicked.connect(self.chat_requested)
        self.revoke_button.clicked.connect(self.revoke_requested)
        self.end_button.clicked.connect(self.end_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.status_label, 1)
        layout.addWidget(self.mode_label)
        layout.addWidget(self.check_label)
        buttons = (
            self.pause_button,
            self.chat_button,
            self.revoke_button,
            self.report_button,
            self.end_button,
        )
        for button in buttons:
            button.setAutoDefault(False)
            layout.addWidget(button)
        self._paused = False
        self._closing_by_program = False
        self.revoke_button.setVisible(False)

    def set_status(self, status: SessionStatus) -> None:
        self.status_label.setText(status.sentence())
        self.mode_label.setText(mode_label(status.mode))
        self.check_label.setText(f"Check {status.check}" if status.check else "")
        self._paused = status.paused
        self.pause_button.setText("Resume" if status.paused else "Pause")
        control = status.mode is Mode.CONTROL
        self.revoke_button.setVisible(control)
        self.revoke_button.setEnabled(control)

    def _toggle_pause(self) -> None:
        if self._paused:
            self.resume_requested.emit()
        else:
            # Shown at once: the pause takes effect locally before the service confirms.
            self._paused = True
            self.pause_button.setText("Resume")
            self.pause_requested.emit()

    def close_quietly(self) -> None:
        """Close without ending (the session is already over)."""
        self._closing_by_program = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing_by_program:
            self.end_requested.emit()
        super().closeEvent(event)
