"""From browser keyboard events to X keysyms, and the keysym -> keycode table with spare slots.

The helper's browser says two things about a key: `code`, the physical key ("ShiftLeft",
"KeyA"), and `key`, what the helper's layout made of it ("A", "é", "ArrowLeft"). For printable
characters `key` is right (it carries the helper's layout, so "é" arrives as "é"); for
everything else `code` is (it tells left from right and keypad from main block).

`Keymap` mirrors the server's core keyboard mapping and lends spare keycodes (ones with no
keysyms) to characters the layout lacks: the keycode is remapped to the character on every
shift level, pressed, released, and given back empty on `restore`. Spare keycodes are reused
least-recently first, so a client still reading an earlier character's mapping is not fooled by
an immediate remap of the same keycode (PLATFORM-NOTES, "Input").
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

import Xlib.display

# Keysym values (X11 keysymdef.h): numbers, since python-xlib loads only some keysym groups.
SHIFT_L, SHIFT_R = 0xFFE1, 0xFFE2
CONTROL_L, CONTROL_R = 0xFFE3, 0xFFE4
CAPS_LOCK = 0xFFE5
ALT_L, ALT_R = 0xFFE9, 0xFFEA
SUPER_L, SUPER_R = 0xFFEB, 0xFFEC
ISO_LEVEL3_SHIFT = 0xFE03
F1 = 0xFFBE
KP_0 = 0xFFB0
UNICODE_KEYSYM = 0x01000000

#: KeyboardEvent.code of keys that do not type a character, to X keysyms.
CODE_KEYSYMS: dict[str, int] = {
    "ShiftLeft": SHIFT_L,
    "ShiftRight": SHIFT_R,
    "ControlLeft": CONTROL_L,
    "ControlRight": CONTROL_R,
    "AltLeft": ALT_L,
    "AltRight": ALT_R,
    "MetaLeft": SUPER_L,
    "MetaRight": SUPER_R,
    "OSLeft": SUPER_L,
    "OSRight": SUPER_R,
    "CapsLock": CAPS_LOCK,
    "NumLock": 0xFF7F,
    "ScrollLock": 0xFF14,
    "Backspace": 0xFF08,
    "Tab": 0xFF09,
    "Enter": 0xFF0D,
    "Escape": 0xFF1B,
    "Space": 0x0020,
    "Pause": 0xFF13,
    "PrintScreen": 0xFF61,
    "ContextMenu": 0xFF67,
    "Insert": 0xFF63,
    "Delete": 0xFFFF,
    "Home": 0xFF50,
    "End": 0xFF57,
    "PageUp": 0xFF55,
    "PageDown": 0xFF56,
    "ArrowLeft": 0xFF51,
    "ArrowUp": 0xFF52,
    "ArrowRight": 0xFF53,
    "ArrowDown": 0xFF54,
    "NumpadEnter": 0xFF8D,
    "NumpadMultiply": 0xFFAA,
    "NumpadAdd": 0xFFAB,
    "NumpadComma": 0xFFAC,
    "NumpadSubtract": 0xFFAD,
    "NumpadDecimal": 0xFFAE,
    "NumpadDivide": 0xFFAF,
    "NumpadEqual": 0xFFBD,
    **{f"Numpad{n}": KP_0 + n for n in range(10)},
    **{f"F{n}": F1 + n - 1 for n in range(1, 25)},
}

#: KeyboardEvent.key names, for events whose `code` we do not know.
KEY_NAME_KEYSYMS: dict[str, int] = {
    "Shift": SHIFT_L,
    "Control": CONTROL_L,
    "Alt": ALT_L,
    "AltGraph": ISO_LEVEL3_SHIFT,
    "Meta": SUPER_L,
    "OS": SUPER_L,
    "CapsLock": CAPS_LOCK,
    **{
        name: CODE_KEYSYMS[name]
        for name in [
            "Backspace",
            "Tab",
            "Enter",
            "Escape",
            "Pause",
            "Insert",
            "Delete",
            "Home",
            "End",
            "PageUp",
            "PageDown",
            "ArrowLeft",
            "ArrowUp",
            "ArrowRight",
            "ArrowDown",
            "ContextMenu",
            "PrintScreen",
            "NumLock",
            "ScrollLock",
        ]
    },
    **{f"F{n}": F1 + n - 1 for n in range(1, 25)},
}

#: What the US layout types on a key, for events whose `key` says nothing ("Unidentified").
US_CODE_CHARACTERS: dict[str, str] = {
    **{f"Key{c}": c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    **{f"Digit{n}": str(n) for n in range(10)},
    "Minus": "-",
    "Equal": "=",
    "BracketLeft": "[",
    "BracketRight": "]",
    "Backslash": "\\",
    "Semicolon": ";",
    "Quote": "'",
    "Backquote": "`",
    "Comma": ",",
    "Period": ".",
    "Slash": "/",
}

#: Keys that are names of modifiers: pressed as themselves, never via a spare keycode.
SHIFT_KEYSYMS = frozenset({SHIFT_L, SHIFT_R})


def character_keysym(text: str) -> int | None:
    """The keysym typing `text`, if it is one printable character (after NFC composition)."""
    text = unicodedata.normalize("NFC", text)
    if len(text) != 1:
        return None
    cp = ord(text)
    if unicodedata.category(text)[0] == "C":
        return None  # control and unassigned characters type nothing
    if 0x20 <= cp <= 0x7E or 0xA0 <= cp <= 0xFF:
        return cp  # Latin-1 keysyms equal their code points
    return UNICODE_KEYSYM | cp


def keysym_for(code: str, key: str) -> int | None:
    """The keysym for a browser key event: `key` for characters, else `code`, else `key` name."""
    if key == "Dead":
        return None  # the composed character arrives with the next key
    if key == "AltGraph":
        return ISO_LEVEL3_SHIFT
    keysym = character_keysym(key) if key else None
    if keysym is not None:
        return keysym
    if code in CODE_KEYSYMS:
        return CODE_KEYSYMS[code]
    if key in KEY_NAME_KEYSYMS:
        return KEY_NAME_KEYSYMS[key]
    if code in US_CODE_CHARACTERS:
        return ord(US_CODE_CHARACTERS[code])
    return None


@dataclass(frozen=True)
class KeyStroke:
    """How to type a keysym: press `keycode`, with Shift added (`add_shift`) if needed."""

    keycode: int
    add_shift: bool = False


class Keymap:
    """The server's core keymap, plus spare keycodes lent to keysyms the layout lacks."""

    def __init__(self, d: Xlib.display.Display) -> None:
        self._display = d
        self._table: dict[int, list[int]] = {}
        self._per_keycode = 2
        # Spare keycodes (no keysyms of their own) -> the keysym lent to them, least recently
        # lent first; and the reverse, keysym -> keycode.
        self._spare: OrderedDict[int, int | None] = OrderedDict()
        self._lent: dict[int, int] = {}
        self.reload()

    def reload(self) -> None:
        """Re-read the server's mapping (the user switched layouts); lent keycodes stay lent."""
        info = self._display.display.info
        first, count = info.min_keycode, info.max_keycode - info.min_keycode + 1
        mapping = self._display.get_keyboard_mapping(first, count)
        self._per_keycode = len(mapping[0]) if mapping else 2
        self._table = {first + i: list(keysyms) for i, keysyms in enumerate(mapping)}
        lent_to = {keycode: keysym for keysym, keycode in self._lent.items()}
        spare: OrderedDict[int, int | None] = OrderedDict(
            (keycode, None)
            for keycode, keysyms in self._table.items()
            if not any(keysyms) and keycode not in lent_to
        )
        for keycode in self._spare:  # keep the lending order of what is still lent
            if keycode in lent_to:
                spare[keycode] = lent_to[keycode]
        self._spare = spare
        self._lent = {keysym: keycode for keycode, keysym in lent_to.items() if keycode in spare}

    def is_own_change(self, first_keycode: int, count: int) -> bool:
        """True if a MappingNotify for these keycodes is the echo of our own lending."""
        return count == 1 and first_keycode in self._spare

    def stroke(self, keysym: int, *, shift_held: bool) -> KeyStroke | None:
        """How to type `keysym` given whether Shift is held; None if it cannot be typed."""
        if keysym in self._lent:
            keycode = self._lent[keysym]
            self._spare.move_to_end(keycode)
            return KeyStroke(keycode)
        plain, shifted = self._find(keysym)
        if keysym in SHIFT_KEYSYMS or self._is_modifier_or_function(keysym):
            found = plain if plain is not None else shifted
            if found is not None:
                return KeyStroke(found)
        elif plain is not None and not shift_held:
            return KeyStroke(plain)
        elif shifted is not None and shift_held:
            return KeyStroke(shifted)
        elif shifted is not None and not self._spare:
            return KeyStroke(shifted, add_shift=True)
        elif plain is not None and not self._spare:
            return KeyStroke(plain)
        return self._lend(keysym)

    def restore(self) -> None:
        """Give every lent keycode back its original (empty) mapping."""
        for keysym, keycode in list(self._lent.items()):
            self._set(keycode, [0] * self._per_keycode)
            self._spare[keycode] = None
            del self._lent[keysym]
        self._display.flush()

    def _find(self, keysym: int) -> tuple[int | None, int | None]:
        """A keycode with `keysym` unshifted (level 0), and one with it shifted (level 1)."""
        plain = shifted = None
        for keycode, keysyms in self._table.items():
            if keycode in self._spare:
                continue
            if plain is None and keysyms[:1] == [keysym]:
                plain = keycode
            if shifted is None and keysyms[1:2] == [keysym]:
                shifted = keycode
        return plain, shifted

    @staticmethod
    def _is_modifier_or_function(keysym: int) -> bool:
        # Keys outside the character range (0xff00.. function/modifier, 0xfe00.. ISO keys) mean
        # the same on every level: any keycode that has them will do.
        return 0xFE00 <= keysym <= 0xFFFF

    def _lend(self, keysym: int) -> KeyStroke | None:
        if not self._spare:
            return None
        keycode, previous = next(iter(self._spare.items()))
        if previous is not None:
            self._lent.pop(previous, None)
        self._spare.move_to_end(keycode)
        self._spare[keycode] = keysym
        self._lent[keysym] = keycode
        # The same keysym on every level: whatever modifiers are held, this key types it.
        self._set(keycode, [keysym] * self._per_keycode)
        return KeyStroke(keycode)

    def _set(self, keycode: int, keysyms: list[int]) -> None:
        self._display.change_keyboard_mapping(keycode, [keysyms])
        self._table[keycode] = list(keysyms)
