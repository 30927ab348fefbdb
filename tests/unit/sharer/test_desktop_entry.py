"""The desktop entry's Exec line quotes what the specification says must be quoted."""

from __future__ import annotations

from pathlib import Path

import pytest

from quickassist.sharer.desktop_entry import (
    desktop_entry,
    exec_value,
    icon_svg,
    install_desktop_entry,
)


def spec_unquote(value: str) -> list[str]:
    """Read an Exec value back as the specification says: the string escapes first (\\\\ is
    one backslash, %% one percent sign), then words split on spaces, where a double-quoted
    word may hold a space and \\" \\` \\$ \\\\ stand for the character after the backslash."""
    text = value.replace("%%", "%").replace("\\\\", "\\")
    words: list[str] = []
    index = 0
    while index < len(text):
        if text[index] == " ":
            index += 1
            continue
        if text[index] != '"':
            end = text.find(" ", index)
            end = len(text) if end < 0 else end
            words.append(text[index:end])
            index = end
            continue
        index += 1
        word = []
        while text[index] != '"':
            if text[index] == "\\":
                index += 1
            word.append(text[index])
            index += 1
        words.append("".join(word))
        index += 1
    return words


@pytest.mark.parametrize(
    "argv",
    [
        ["/usr/bin/quickassist", "share"],
        ["/home/ada lovelace/.local/bin/quickassist", "share"],
        ['/opt/odd "name"/$HOME/`x`\\y', "100%"],
    ],
)
def test_exec_round_trips(argv: list[str]) -> None:
    assert spec_unquote(exec_value(argv)) == argv


def test_a_plain_path_is_left_plain() -> None:
    assert exec_value(["/usr/bin/quickassist", "share"]) == "/usr/bin/quickassist share"


def test_install_writes_the_entry_and_the_icon(tmp_path: Path) -> None:
    entry, icon = install_desktop_entry(argv=["/opt/qa/quickassist-sharer"], home=tmp_path)
    assert entry == tmp_path / "applications" / "quickassist-sharer.desktop"
    assert entry.read_text() == desktop_entry(["/opt/qa/quickassist-sharer"])
    assert "Exec=/opt/qa/quickassist-sharer\n" in entry.read_text()
    assert icon.read_bytes() == icon_svg() and icon_svg().startswith(b"<svg")
