"""The chat panel shows lines as plain text and sends what the person types."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from quickassist.sharer.ui.chat_panel import ChatPanel


def test_send_and_receive(qapp: Any) -> None:
    panel = ChatPanel()
    panel.show()
    sent: list[str] = []
    panel.send_requested.connect(sent.append)
    panel.add_line("Helper", "<b>hello</b>")
    QTest.keyClicks(panel.entry, "  thanks  ")
    QTest.keyClick(panel.entry, Qt.Key.Key_Return)
    assert sent == ["thanks"]
    assert panel.entry.text() == ""
    assert panel.history.toPlainText().splitlines() == ["Helper: <b>hello</b>", "You: thanks"]
    QTest.keyClick(panel.entry, Qt.Key.Key_Return)  # empty: nothing sent
    assert sent == ["thanks"]
    panel.close()
