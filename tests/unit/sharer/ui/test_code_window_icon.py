"""The code window shows the app menu's icon (offscreen Qt)."""

from __future__ import annotations

from typing import Any


def test_the_code_window_has_the_apps_icon(qapp: Any) -> None:
    from quickassist.sharer.ui.code_window import CodeWindow

    window = CodeWindow("https://support.example.org")
    icon = window.windowIcon()
    assert not icon.isNull() and not icon.pixmap(48, 48).isNull()
    window.close()
