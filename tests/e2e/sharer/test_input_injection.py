"""InputInjector against a real Xvfb: events reach a real X client window, keys never stick."""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import Xlib.display
from Xlib import X

from quickassist.protocol.payloads import (
    KeyEvent,
    MonitorInfo,
    PointerButton,
    PointerMove,
    ReleaseAll,
    Wheel,
)
from quickassist.sharer.inject import InputInjector
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = pytest.mark.x11

WINDOW_X, WINDOW_Y = 100, 100


class EventLog:
    """A plain X window that has the keyboard focus and records what it receives."""

    def __init__(self, display: str) -> None:
        self.display = Xlib.display.Display(display)
        screen = self.display.screen()
        self.window = screen.root.create_window(
            WINDOW_X,
            WINDOW_Y,
            400,
            300,
            0,
            screen.root_depth,
            background_pixel=screen.white_pixel,
            override_redirect=True,
            event_mask=X.KeyPressMask
            | X.KeyReleaseMask
            | X.ButtonPressMask
            | X.ButtonReleaseMask
            | X.PointerMotionMask
            | X.ExposureMask,
        )
        self.window.map()
        self.wait_for(lambda e: e.type == X.Expose)
        # No window manager: focus stays on root unless we set it.
        self.window.set_input_focus(X.RevertToParent, X.CurrentTime)
        self.display.sync()

    def events(self, timeout: float) -> Iterator[Any]:
        deadline = time.monotonic() + timeout
        while True:
            while self.display.pending_events():
                event = self.display.next_event()
                if event.type == X.MappingNotify:
                    self.display.refresh_keyboard_mapping(event)
                    continue
                yield event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            select.select([self.display.fileno()], [], [], remaining)

    def wait_for(self, matches: Any) -> Any:
        for event in self.events(WAIT):
            if matches(event):
                return event
        raise AssertionError("the window did not receive the expected event")

    def typed(self, count: int) -> tuple[str, list[int]]:
        """The next `count` characters typed into the window, and each KeyPress's state."""
        text, states = "", []
        for event in self.events(WAIT):
            if event.type != X.KeyPress:
                continue
            shifted = 1 if event.state & X.ShiftMask else 0
            keysym = self.display.keycode_to_keysym(event.detail, shifted)
            if 0xFE00 <= keysym <= 0xFFFF:
                continue  # a modifier or function key
            text += chr(keysym & 0xFFFFFF) if keysym >= 0x01000000 else chr(keysym)
            states.append(event.state)
            if len(text) == count:
                return text, states
        raise AssertionError(f"only {text!r} was typed")

    def keysyms(self, count: int) -> list[int]:
        """Keysyms (level 0) of the next `count` key presses, modifiers and function keys too."""
        found = []
        for event in self.events(WAIT):
            if event.type == X.KeyPress:
                found.append(self.display.keycode_to_keysym(event.detail, 0))
                if len(found) == count:
                    return found
        raise AssertionError(f"only {len(found)} key presses arrived")

    def close(self) -> None:
        self.window.destroy()
        self.display.close()


@pytest.fixture
def target(xvfb: XvfbServer) -> Iterator[EventLog]:
    log = EventLog(xvfb.display)
    yield log
    log.close()


@pytest.fixture
def injector(xvfb: XvfbServer) -> Iterator[InputInjector]:
    inj = InputInjector(display=xvfb.display)
    inj.set_monitor(MonitorInfo(0, 0, 0, 1920, 1080, True, "screen"))
    yield inj
    inj.close()


def key(code: str, key: str, down: bool) -> KeyEvent:
    return KeyEvent(code, key, down)


def type_text(injector: InputInjector, text: str) -> None:
    for ch in text:
        injector.apply(key("KeyX", ch, True))
        injector.apply(key("KeyX", ch, False))


def test_pointer_moves_clicks_and_wheel_reach_the_window(
    target: EventLog, injector: InputInjector
) -> None:
    injector.apply(PointerMove(150, 160))
    motion = target.wait_for(lambda e: e.type == X.MotionNotify and e.event_x == 50)
    assert (motion.event_x, motion.event_y) == (50, 60)

    injector.apply(PointerButton(0, True, 200, 210))
    press = target.wait_for(lambda e: e.type == X.ButtonPress)
    assert (press.detail, press.event_x, press.event_y) == (1, 100, 110)
    injector.apply(PointerButton(0, False, 200, 210))
    assert target.wait_for(lambda e: e.type == X.ButtonRelease).detail == 1

    injector.apply(PointerButton(2, True, 200, 210))
    assert target.wait_for(lambda e: e.type == X.ButtonPress).detail == 3
    injector.apply(PointerButton(2, False, 200, 210))

    injector.apply(Wheel(-1, 2))
    wheel = [
        target.wait_for(lambda e: e.type == X.ButtonPress and e.detail >= 4).detail
        for _ in range(3)
    ]
    assert wheel == [5, 5, 6]  # two notches down, one left


def test_coordinates_are_relative_to_the_shared_monitor(
    xvfb: XvfbServer, injector: InputInjector
) -> None:
    injector.set_monitor(MonitorInfo(1, 960, 0, 960, 1080, False, "right"))
    injector.apply(PointerMove(10, 20))
    injector.apply(PointerMove(5000, 5000))  # clamped to the monitor, not beyond
    d = Xlib.display.Display(xvfb.display)
    try:
        pointer = d.screen().root.query_pointer()
        assert (pointer.root_x, pointer.root_y) == (1919, 1079)
    finally:
        d.close()


def test_ctrl_shift_combination_carries_both_modifiers(
    target: EventLog, injector: InputInjector
) -> None:
    injector.apply(key("ControlLeft", "Control", True))
    injector.apply(key("ShiftLeft", "Shift", True))
    injector.apply(key("KeyK", "K", True))
    injector.apply(key("KeyK", "K", False))
    injector.apply(key("ShiftLeft", "Shift", False))
    injector.apply(key("ControlLeft", "Control", False))

    text, states = target.typed(1)
    assert text == "K"
    assert states[0] & X.ShiftMask and states[0] & X.ControlMask


def test_ascii_and_non_ascii_characters_arrive_as_typed(
    target: EventLog, injector: InputInjector
) -> None:
    sample = "Hi! é ß € → ñ Ж 😀 a"
    type_text(injector, sample)
    text, _ = target.typed(len(sample))
    assert text == sample


def test_release_all_leaves_nothing_pressed(xvfb: XvfbServer, injector: InputInjector) -> None:
    injector.apply(key("ShiftLeft", "Shift", True))
    injector.apply(key("KeyA", "A", True))
    injector.apply(key("KeyE", "€", True))
    injector.apply(PointerButton(1, True, 10, 10))
    d = Xlib.display.Display(xvfb.display)
    try:
        assert any(d.query_keymap())
        assert d.screen().root.query_pointer().mask & X.Button2Mask
        injector.apply(ReleaseAll())
        d.sync()
        assert not any(d.query_keymap())
        assert not d.screen().root.query_pointer().mask & (
            X.Button1Mask | X.Button2Mask | X.Button3Mask
        )
    finally:
        d.close()


def test_close_releases_keys_and_restores_the_keymap(xvfb: XvfbServer) -> None:
    d = Xlib.display.Display(xvfb.display)
    try:
        first, last = d.display.info.min_keycode, d.display.info.max_keycode
        before = [list(k) for k in d.get_keyboard_mapping(first, last - first + 1)]
        injector = InputInjector(display=xvfb.display)
        injector.apply(key("KeyE", "€", True))
        injector.apply(key("KeyA", "ä", True))
        # The injector's remap travels on its own X connection, which it flushes but does not
        # sync after a key: read the mapping until the server has it (seen stale once in CI).
        deadline = time.monotonic() + WAIT
        changed = before
        while changed == before and time.monotonic() < deadline:
            changed = [list(k) for k in d.get_keyboard_mapping(first, last - first + 1)]
        assert changed != before
        injector.close()
        after = [list(k) for k in d.get_keyboard_mapping(first, last - first + 1)]
        assert after == before
        assert not any(d.query_keymap())
    finally:
        d.close()


def test_xterm_receives_unicode_text(
    xvfb: XvfbServer, injector: InputInjector, tmp_path: Path
) -> None:
    out = tmp_path / "typed.txt"
    env = dict(xvfb.env, LC_ALL="C.UTF-8")
    env.pop("XTERM_LOCALE", None)
    xterm = subprocess.Popen(
        [
            "xterm",
            "-u8",
            "-title",
            "qa-input-test",
            "-geometry",
            "80x10+0+0",
            "-e",
            "sh",
            "-c",
            f"stty -icanon -echo; exec cat > {out}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # --onlyvisible: a window can be named before it is mapped, and focusing it fails then.
        found = subprocess.run(
            ["xdotool", "search", "--sync", "--onlyvisible", "--name", "qa-input-test"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
        window = found.stdout.split()[0]
        subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, check=True)
        sample = "abc é ß € → Ж\n"
        for ch in sample:
            if ch == "\n":
                injector.apply(key("Enter", "Enter", True))
                injector.apply(key("Enter", "Enter", False))
            else:
                type_text(injector, ch)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if out.exists() and out.read_bytes().endswith(b"\n"):
                break
            select.select([], [], [], 0.05)  # polling a file: there is no event to wait on
        assert out.read_bytes().decode("utf-8") == sample
    finally:
        xterm.terminate()
        xterm.wait(WAIT)
        if os.path.exists(out):
            out.unlink()


def test_a_layout_change_by_someone_else_is_followed(
    xvfb: XvfbServer, target: EventLog, injector: InputInjector
) -> None:
    type_text(injector, "a")
    assert target.typed(1)[0] == "a"
    # Another client turns the "a" key (keycode 38 on Xvfb's US layout) into "q".
    other = Xlib.display.Display(xvfb.display)
    try:
        keycode = other.keysym_to_keycode(ord("a"))
        per = len(other.get_keyboard_mapping(keycode, 1)[0])
        other.change_keyboard_mapping(keycode, [[ord("q"), ord("Q")] + [0] * (per - 2)])
        other.sync()
        target.display.sync()
        type_text(injector, "aq")
        assert target.typed(2)[0] == "aq"
    finally:
        other.close()


def test_function_navigation_and_keypad_keys_use_the_physical_key(
    target: EventLog, injector: InputInjector
) -> None:
    presses = [
        ("F5", "F5"),
        ("ArrowLeft", "ArrowLeft"),
        ("PageDown", "PageDown"),
        ("Escape", "Escape"),
        ("NumpadEnter", "Enter"),
        ("MetaLeft", "Meta"),
        ("AltLeft", "Alt"),
        ("ControlRight", "Control"),
    ]
    for code, name in presses:
        injector.apply(key(code, name, True))
        injector.apply(key(code, name, False))
    assert target.keysyms(len(presses)) == [
        0xFFC2,  # F5
        0xFF51,  # Left
        0xFF56,  # Next (Page Down)
        0xFF1B,  # Escape
        0xFF8D,  # KP_Enter
        0xFFEB,  # Super_L
        0xFFE9,  # Alt_L
        0xFFE4,  # Control_R
    ]
