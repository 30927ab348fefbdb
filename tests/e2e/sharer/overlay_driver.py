"""Runs the real annotation overlay on an X display, driven by JSON lines on stdin.

Used by test_overlay_x11.py in a subprocess: Qt allows one QApplication per process, and the
test process's one runs offscreen. Each stdin line is an annotation payload (docs/protocol.md,
kind 5); "applied" is printed once it is on screen. Usage: overlay_driver X Y WIDTH HEIGHT.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QSocketNotifier
from PySide6.QtWidgets import QApplication

from quickassist.protocol.payloads import parse_annotation
from quickassist.sharer.ui.overlay import AnnotationOverlay


def main() -> int:
    x, y, width, height = (int(v) for v in sys.argv[1:5])
    app = QApplication(["overlay-driver"])
    overlay = AnnotationOverlay()
    overlay.cover(x, y, width, height)

    def read() -> None:
        line = sys.stdin.readline()
        if not line:
            app.quit()
            return
        overlay.apply(parse_annotation(line.strip().encode()))
        app.processEvents()
        print("applied", flush=True)

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(read)
    print("ready", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
