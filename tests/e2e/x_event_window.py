"""An X client window that logs the input it receives, as an application on the sharer would.

`EventWindow` maps a plain window of one colour on an X display and, in its own thread, records
every button and key event with the wall-clock time it arrived (`time.time()`): tests check
that a helper's click and typing reached it (or never did), and the glass-to-glass benchmark
measures click-to-event latency against it. A button press gives it the keyboard focus, as a
click-to-focus window manager would (the test displays have none). It also writes what it got
in its own window (the text typed, where it was clicked), so screenshots of either side show it.
"""

from __future__ import annotations

import select
import threading
import time
from dataclasses import dataclass
from typing import Any

import Xlib.display
import Xlib.XK
from Xlib import X

from tests.timeouts import WAIT

EVENT_MASK = (
    X.ButtonPressMask
    | X.ButtonReleaseMask
    | X.KeyPressMask
    | X.KeyReleaseMask
    | X.StructureNotifyMask
    | X.ExposureMask
)


@dataclass(frozen=True, slots=True)
class InputEvent:
    """One event as the window saw it: `kind` is "press"/"release"/"key"/"key_release"."""

    at: float
    kind: str
    x: int = 0
    y: int = 0
    button: int = 0
    text: str = ""


class EventWindow:
    """A mapped window at (x, y, width, height) of `rgb` that logs its input events."""

    def __init__(
        self, display: str, x: int, y: int, width: int, height: int, rgb: tuple[int, int, int]
    ) -> None:
        self.geometry = (x, y, width, height)
        self.rgb = rgb
        self.events: list[InputEvent] = []
        self._display_name = display
        self._stop = threading.Event()
        self._mapped = threading.Event()
        self._failure: BaseException | None = None
        self._gc: Any = None
        self._thread = threading.Thread(target=self._run, name="x-event-window", daemon=True)
        self._thread.start()
        if not self._mapped.wait(WAIT):
            self.close()
            raise RuntimeError(f"the event window was never mapped ({self._failure})")

    def typed(self) -> str:
        """The text of every key press so far, in order."""
        return "".join(e.text for e in self.events if e.kind == "key")

    def presses(self) -> list[InputEvent]:
        return [e for e in self.events if e.kind == "press"]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(WAIT)

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # reported by the constructor or left for close()
            self._failure = exc
            self._mapped.set()

    def _loop(self) -> None:
        display = Xlib.display.Display(self._display_name)
        try:
            screen = display.screen()
            r, g, b = self.rgb
            x, y, width, height = self.geometry
            window = screen.root.create_window(
                x,
                y,
                width,
                height,
                0,
                screen.root_depth,
                background_pixel=(r << 16) | (g << 8) | b,
                event_mask=EVENT_MASK,
                override_redirect=True,  # no window manager: exactly where we ask
            )
            window.set_wm_name("quickassist test: event window")
            # A large font where installed; "fixed" is built into every X server.
            font = display.open_font("10x20") or display.open_font("fixed")
            self._gc = window.create_gc(foreground=0xFFFFFF, background=(r << 16) | (g << 8) | b)
            self._gc.change(font=font)
            window.map()
            display.sync()
            while not self._stop.is_set():
                readable, _, _ = select.select([display.fileno()], [], [], 0.05)
                arrived = time.time()
                if not readable and not display.pending_events():
                    continue
                while display.pending_events():
                    self._record(display, window, display.next_event(), arrived)
            window.destroy()
            display.sync()
        finally:
            display.close()

    def _record(
        self, display: Xlib.display.Display, window: object, event: object, at: float
    ) -> None:
        kind = getattr(event, "type", None)
        if kind == X.MapNotify:
            self._mapped.set()
        elif kind in (X.ButtonPress, X.ButtonRelease):
            pressed = kind == X.ButtonPress
            self.events.append(
                InputEvent(
                    at,
                    "press" if pressed else "release",
                    event.event_x,  # type: ignore[attr-defined]
                    event.event_y,  # type: ignore[attr-defined]
                    event.detail,  # type: ignore[attr-defined]
                )
            )
            if pressed:
                window.set_input_focus(X.RevertToParent, X.CurrentTime)  # type: ignore[attr-defined]
                self._draw(display, window)
        elif kind in (X.KeyPress, X.KeyRelease):
            shifted = 1 if event.state & X.ShiftMask else 0  # type: ignore[attr-defined]
            keysym = display.keycode_to_keysym(event.detail, shifted)  # type: ignore[attr-defined]
            text = Xlib.XK.keysym_to_string(keysym) or ""
            name = "key" if kind == X.KeyPress else "key_release"
            self.events.append(InputEvent(at, name, text=text))
            if name == "key":
                self._draw(display, window)
        elif kind == X.Expose:
            self._draw(display, window)

    def _draw(self, display: Xlib.display.Display, window: Any) -> None:
        """Write the last click and the text typed so far (after recording the event)."""
        presses = self.presses()
        lines = [
            "This window logs its input.",
            f"Clicked at {presses[-1].x},{presses[-1].y}" if presses else "Not clicked yet",
            f"Typed: {self.typed()[-60:]}",
        ]
        window.clear_area(0, 0, self.geometry[2], 90)
        for row, line in enumerate(lines):
            window.image_text(self._gc, 14, 28 + 24 * row, line)
        display.flush()
