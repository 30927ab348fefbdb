"""Input injection on X11 through XTEST: the helper's pointer and keyboard, as real events.

XTEST events are indistinguishable from hardware ones (xterm, which ignores synthetic
XSendEvent keys, accepts them). Keys go through `Keymap`, which types any character, including
ones the sharer's layout lacks, by lending spare keycodes. python-xlib talks XTEST directly; the
issue's suggestion, pynput, does the same on X11 but remaps one keycode for every extra character
and never restores it (PLATFORM-NOTES, "Input").

Everything pressed is tracked, so `release_all` (focus lost, control revoked, session over)
releases exactly what the helper holds and no key stays stuck on the sharer's desktop.
"""

from __future__ import annotations

import logging
import threading

from Xlib import X
from Xlib.ext import xtest

from quickassist.protocol.payloads import (
    InputEvent,
    KeyEvent,
    MonitorInfo,
    PointerButton,
    PointerMove,
    ReleaseAll,
    Wheel,
)

from .errors import SharerError
from .keymap import SHIFT_KEYSYMS, SHIFT_L, Keymap, keysym_for
from .x11_display import has_extension, open_display

log = logging.getLogger(__name__)

#: Browser button numbers (0 left, 1 middle, 2 right) to X buttons.
_BUTTONS = {0: 1, 1: 2, 2: 3}
#: X wheel buttons: 4 up, 5 down, 6 left, 7 right; one press and release per notch.
_WHEEL_UP, _WHEEL_DOWN, _WHEEL_LEFT, _WHEEL_RIGHT = 4, 5, 6, 7


class InputUnavailable(SharerError):
    """The X server offers no XTEST: input cannot be injected."""

    def __init__(self) -> None:
        super().__init__("This desktop does not accept remote input, so control is not possible.")


class InputInjector:
    """Applies `InputEvent`s to the X display; monitor-relative coordinates map to the screen."""

    def __init__(self, *, display: str | None = None) -> None:
        self._display = open_display(display)
        if not has_extension(self._display, "XTEST"):
            self._display.close()
            raise InputUnavailable()
        self._display.xtest_get_version(2, 2)
        self._root = self._display.screen().root
        self._keymap = Keymap(self._display)
        self._lock = threading.Lock()  # python-xlib connections are not thread-safe
        geometry = self._root.get_geometry()
        self._monitor = MonitorInfo(0, 0, 0, geometry.width, geometry.height, True, "Screen")
        self._keys: dict[str, tuple[int, bool]] = {}  # key id -> (keycode, added shift)
        self._buttons: set[int] = set()
        self._shift_keycodes: set[int] = set()
        self._closed = False

    def set_monitor(self, monitor: MonitorInfo) -> None:
        """Coordinates of later events are relative to `monitor`."""
        self._monitor = monitor

    def apply(self, event: InputEvent) -> None:
        """Inject one event (pointer move, button, wheel, key, release_all)."""
        with self._lock:
            if self._closed:
                return
            self._read_events()
            if isinstance(event, PointerMove):
                self._move(event.x, event.y)
            elif isinstance(event, PointerButton):
                self._button(event)
            elif isinstance(event, Wheel):
                self._wheel(event)
            elif isinstance(event, KeyEvent):
                self._key(event)
            elif isinstance(event, ReleaseAll):
                self._release_all()
            self._display.flush()

    def release_all(self) -> None:
        """Release every key and button this injector pressed."""
        with self._lock:
            if not self._closed:
                self._release_all()
                self._display.sync()

    def close(self) -> None:
        """Release everything, restore the keymap and disconnect."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._release_all()
                self._keymap.restore()
                self._display.sync()
            finally:
                self._display.close()

    def _read_events(self) -> None:
        """Read what the server sent us (MappingNotify: every client gets them).

        Left unread they would pile up; a keymap change by someone else (a layout switch)
        means our table is stale.
        """
        while self._display.pending_events():
            event = self._display.next_event()
            if (
                event.type == X.MappingNotify
                and event.request == X.MappingKeyboard
                and not self._keymap.is_own_change(event.first_keycode, event.count)
            ):
                self._keymap.reload()

    # Pointer -------------------------------------------------------------------------------

    def _move(self, x: int, y: int) -> None:
        m = self._monitor
        # Clamp to the shared monitor: the helper can only point at what it sees.
        sx = m.x + min(max(x, 0), m.width - 1)
        sy = m.y + min(max(y, 0), m.height - 1)
        xtest.fake_input(self._display, X.MotionNotify, x=sx, y=sy, root=self._root.id)

    def _button(self, event: PointerButton) -> None:
        button = _BUTTONS[event.button]
        self._move(event.x, event.y)
        if event.down:
            xtest.fake_input(self._display, X.ButtonPress, button)
            self._buttons.add(button)
        elif button in self._buttons:
            xtest.fake_input(self._display, X.ButtonRelease, button)
            self._buttons.discard(button)

    def _wheel(self, event: Wheel) -> None:
        for delta, negative, positive in (
            (event.dy, _WHEEL_UP, _WHEEL_DOWN),
            (event.dx, _WHEEL_LEFT, _WHEEL_RIGHT),
        ):
            button = positive if delta > 0 else negative
            for _ in range(abs(delta)):
                xtest.fake_input(self._display, X.ButtonPress, button)
                xtest.fake_input(self._display, X.ButtonRelease, button)

    # Keyboard ------------------------------------------------------------------------------

    def _key(self, event: KeyEvent) -> None:
        key_id = event.code or event.key
        if not event.down:
            held = self._keys.pop(key_id, None)
            if held is not None:
                self._release_key(*held)
            return
        keysym = keysym_for(event.code, event.key)
        if keysym is None:
            log.debug("no keysym for code %r", event.code)
            return
        stroke = self._keymap.stroke(keysym, shift_held=bool(self._shift_keycodes))
        if stroke is None:
            log.debug("cannot type keysym %#x", keysym)
            return
        if key_id in self._keys:  # auto-repeat: a second down without an up
            self._release_key(*self._keys.pop(key_id))
        if stroke.add_shift:
            shift = self._keymap.stroke(SHIFT_L, shift_held=False)
            if shift is None:
                return
            xtest.fake_input(self._display, X.KeyPress, shift.keycode)
        xtest.fake_input(self._display, X.KeyPress, stroke.keycode)
        self._keys[key_id] = (stroke.keycode, stroke.add_shift)
        if keysym in SHIFT_KEYSYMS:
            self._shift_keycodes.add(stroke.keycode)

    def _release_key(self, keycode: int, added_shift: bool) -> None:
        xtest.fake_input(self._display, X.KeyRelease, keycode)
        self._shift_keycodes.discard(keycode)
        if added_shift:
            shift = self._keymap.stroke(SHIFT_L, shift_held=False)
            if shift is not None:
                xtest.fake_input(self._display, X.KeyRelease, shift.keycode)

    def _release_all(self) -> None:
        for keycode, added_shift in list(self._keys.values()):
            self._release_key(keycode, added_shift)
        self._keys.clear()
        self._shift_keycodes.clear()
        for button in sorted(self._buttons):
            xtest.fake_input(self._display, X.ButtonRelease, button)
        self._buttons.clear()
