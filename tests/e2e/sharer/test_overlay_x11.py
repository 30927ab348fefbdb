"""The overlay on a real X server (Xvfb, no window manager, no compositor): strokes appear on
screen where the helper drew them, and a click on a stroke still reaches the window below."""

from __future__ import annotations

import json
import select
import subprocess
import sys
import time
from collections.abc import Iterator

import mss
import pytest
import Xlib.display
from Xlib import X

from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = pytest.mark.x11

RED = (255, 0, 0)


class Target:
    """A plain white X window covering the screen that records button presses."""

    def __init__(self, display: str, width: int, height: int) -> None:
        self.d = Xlib.display.Display(display)
        screen = self.d.screen()
        self.window = screen.root.create_window(
            0,
            0,
            width,
            height,
            0,
            screen.root_depth,
            X.InputOutput,
            X.CopyFromParent,
            background_pixel=screen.white_pixel,
            override_redirect=True,
            event_mask=X.ButtonPressMask | X.ExposureMask,
        )
        self.window.map()
        self.d.sync()

    def presses(self, timeout: float) -> list[tuple[int, int]]:
        """Button presses (x, y) seen within `timeout` seconds (returns at the first one)."""
        deadline = time.monotonic() + timeout
        found: list[tuple[int, int]] = []
        while not found and time.monotonic() < deadline:
            while self.d.pending_events():
                event = self.d.next_event()
                if event.type == X.ButtonPress:
                    found.append((event.event_x, event.event_y))
            if not found:
                select.select([self.d.fileno()], [], [], 0.05)
        return found

    def close(self) -> None:
        self.window.destroy()
        self.d.close()


class Driver:
    def __init__(self, xvfb: XvfbServer) -> None:
        env = dict(xvfb.env, QT_QPA_PLATFORM="xcb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.e2e.sharer.overlay_driver",
                "0",
                "0",
                str(xvfb.width),
                str(xvfb.height),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert self.expect() == "ready"

    def expect(self) -> str:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], WAIT)
        assert ready, "the overlay driver did not answer"
        return self.process.stdout.readline().strip()

    def send(self, annotation: dict[str, object]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(annotation) + "\n")
        self.process.stdin.flush()
        assert self.expect() == "applied"

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(WAIT)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def target(xvfb: XvfbServer) -> Iterator[Target]:
    window = Target(xvfb.display, xvfb.width, xvfb.height)
    yield window
    window.close()


@pytest.fixture
def driver(xvfb: XvfbServer, target: Target) -> Iterator[Driver]:
    running = Driver(xvfb)
    yield running
    running.close()


def pixel(xvfb: XvfbServer, x: int, y: int) -> tuple[int, int, int]:
    with mss.MSS(display=xvfb.display) as grabber:
        shot = grabber.grab({"left": x, "top": y, "width": 1, "height": 1})
        return shot.pixel(0, 0)


def wait_pixel(xvfb: XvfbServer, x: int, y: int, rgb: tuple[int, int, int]) -> None:
    deadline = time.monotonic() + WAIT
    seen = pixel(xvfb, x, y)
    while seen != rgb and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the screen: X has no event for "these pixels are drawn"
        seen = pixel(xvfb, x, y)
    assert seen == rgb, f"pixel ({x}, {y}) is {seen}, expected {rgb}"


def test_strokes_show_on_screen_and_clicks_pass_through(
    xvfb: XvfbServer, target: Target, driver: Driver
) -> None:
    white = (255, 255, 255)
    wait_pixel(xvfb, 600, 400, white)
    driver.send(
        {
            "t": "stroke",
            "id": "s1",
            "color": "#ff0000",
            "width": 12,
            "points": [[500, 400], [900, 400]],
            "done": True,
        }
    )
    # The stroke is on the real screen (so the capture sends it too), exactly where drawn ...
    wait_pixel(xvfb, 600, 400, RED)
    wait_pixel(xvfb, 899, 400, RED)
    # ... and nowhere else: the desktop shows through the rest of the overlay.
    assert pixel(xvfb, 600, 420) == white
    assert pixel(xvfb, 100, 100) == white
    # A click on the stroke reaches the window below.
    subprocess.run(["xdotool", "mousemove", "700", "400", "click", "1"], env=xvfb.env, check=True)
    assert target.presses(WAIT) == [(700, 400)]
    # Clearing removes it from the screen.
    driver.send({"t": "clear"})
    wait_pixel(xvfb, 600, 400, white)


def test_the_laser_pointer_shows_and_goes(xvfb: XvfbServer, target: Target, driver: Driver) -> None:
    driver.send({"t": "laser", "x": 300, "y": 200})
    wait_pixel(xvfb, 300, 200, (230, 0, 0))
    driver.send({"t": "laser_off"})
    wait_pixel(xvfb, 300, 200, (255, 255, 255))
