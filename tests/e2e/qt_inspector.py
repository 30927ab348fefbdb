"""Run the real ``quickassist`` command with a window inspector attached (for e2e tests).

``python -m tests.e2e.qt_inspector DUMP.json share URL --fingerprint ...`` runs
``quickassist.cli.main`` unchanged in this process, after creating the QApplication it will use
and a timer that writes, ten times a second, what a screen reader would read: each visible
top-level window (title, X window id, geometry) and its visible labels, buttons and text boxes
(text, global geometry, enabled, focus). Tests read the words a person sees (the consent
dialog's "Ada L." and check digits, the chat) and click buttons where they are on the X screen.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

INTERVAL_MS = 100


def describe_widget(widget: QWidget) -> dict[str, Any] | None:
    if isinstance(widget, QLabel | QAbstractButton | QLineEdit):
        text = widget.text()
    elif isinstance(widget, QPlainTextEdit):
        text = widget.toPlainText()
    else:
        return None
    corner = widget.mapToGlobal(widget.rect().topLeft())
    return {
        "class": type(widget).__name__,
        "text": text,
        "x": corner.x(),
        "y": corner.y(),
        "width": widget.width(),
        "height": widget.height(),
        "enabled": widget.isEnabled(),
        "focus": widget.hasFocus(),
    }


def describe_windows() -> list[dict[str, Any]]:
    windows = []
    for window in QApplication.topLevelWidgets():
        if not window.isVisible():
            continue
        geometry = window.frameGeometry()
        widgets = [
            described
            for child in window.findChildren(QWidget)
            if child.isVisible() and (described := describe_widget(child)) is not None
        ]
        windows.append(
            {
                "title": window.windowTitle(),
                "window_id": int(window.winId()),
                "minimized": window.isMinimized(),
                "x": geometry.x(),
                "y": geometry.y(),
                "width": geometry.width(),
                "height": geometry.height(),
                "widgets": widgets,
            }
        )
    return windows


def dump(path: Path) -> None:
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(describe_windows()))
    os.replace(scratch, path)  # readers never see half a file


def main() -> int:
    path = Path(sys.argv[1])
    app = QApplication(["quickassist"])
    timer = QTimer()
    timer.timeout.connect(lambda: dump(path))
    timer.start(INTERVAL_MS)
    from quickassist.cli import main as quickassist_main

    status = quickassist_main(sys.argv[2:])
    timer.stop()
    del app
    return status


if __name__ == "__main__":
    sys.exit(main())
