"""The first window warns about scams before the code box, in plain words."""

from __future__ import annotations

from typing import Any

from quickassist.sharer.consent import SCAM_WARNING
from quickassist.sharer.ui.code_window import CodeWindow


def test_the_warning_comes_before_the_code_box(qapp: Any) -> None:
    window = CodeWindow("https://help.example.org")
    layout = window.layout()
    assert layout is not None
    assert window.warning_label.text() == SCAM_WARNING
    assert layout.indexOf(window.warning_label) < layout.indexOf(window.code_edit)
    window.close()
