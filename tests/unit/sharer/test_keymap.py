"""Browser key events to X keysyms: `key` for characters, `code` for everything else."""

from __future__ import annotations

import pytest

from quickassist.sharer.keymap import (
    ALT_L,
    CONTROL_L,
    F1,
    ISO_LEVEL3_SHIFT,
    SHIFT_L,
    SUPER_L,
    character_keysym,
    keysym_for,
)


@pytest.mark.parametrize(
    ("code", "key", "keysym"),
    [
        ("KeyA", "a", ord("a")),
        ("KeyA", "A", ord("A")),
        ("KeyQ", "a", ord("a")),  # an AZERTY helper: the layout's character wins
        ("Digit1", "!", ord("!")),
        ("Space", " ", 0x20),
        ("KeyE", "é", 0xE9),  # Latin-1 keysyms are the code points
        ("KeyS", "ß", 0xDF),
        ("KeyE", "€", 0x010020AC),  # beyond Latin-1: Unicode keysyms
        ("KeyE", "e\u0301", 0xE9),  # composed to NFC first
        ("ShiftLeft", "Shift", SHIFT_L),
        ("ControlLeft", "Control", CONTROL_L),
        ("AltLeft", "Alt", ALT_L),
        ("MetaLeft", "Meta", SUPER_L),
        ("AltRight", "AltGraph", ISO_LEVEL3_SHIFT),
        ("F1", "F1", F1),
        ("F12", "F12", F1 + 11),
        ("ArrowLeft", "ArrowLeft", 0xFF51),
        ("PageDown", "PageDown", 0xFF56),
        ("Enter", "Enter", 0xFF0D),
        ("NumpadEnter", "Enter", 0xFF8D),
        ("Numpad7", "Home", 0xFFB7),  # keypad with NumLock off: the physical key
        ("Numpad7", "7", ord("7")),
        ("", "Tab", 0xFF09),  # no code: the key name
        ("KeyZ", "Unidentified", ord("z")),  # no key: the US layout's character for the code
    ],
)
def test_keysym_for(code: str, key: str, keysym: int) -> None:
    assert keysym_for(code, key) == keysym


def test_dead_keys_and_unknown_keys_type_nothing() -> None:
    assert keysym_for("Quote", "Dead") is None
    assert keysym_for("Lang9", "Unidentified") is None


def test_control_characters_and_clusters_are_not_characters() -> None:
    assert character_keysym("\x07") is None
    assert character_keysym("ab") is None
    assert character_keysym("👍🏽") is None  # two code points that do not compose
