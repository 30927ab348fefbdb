"""The terminal fallback shows a helper's text as text, never as terminal control codes."""

from __future__ import annotations

from quickassist.sharer.ui.terminal import printable


def test_control_characters_are_neutralised() -> None:
    assert printable("hello world") == "hello world"
    assert "\x1b" not in printable("\x1b]0;owned\x07\x1b[2J")
    assert "\n" not in printable("line\nfake prompt: ")
    assert printable("é → ü") == "é → ü"
