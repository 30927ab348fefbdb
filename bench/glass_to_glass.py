"""Glass to glass at 1920x1080: a change on the sharer's X screen to the console's canvas, and
a click in the browser to the X event on the sharer.

    .venv/bin/python -m bench.glass_to_glass [--typing 80] [--scroll-seconds 4] [--clicks 60]

Real parts only: `quickassist serve` on loopback with TLS, `quickassist share --no-gui` (the
same session, capture, encoder and injector as the Qt app) on a fresh 1920x1080 Xvfb, the
console in headless Chromium in Full control. End-to-end encryption is always on.

The shared clock: the page stamps events with performance.timeOrigin + performance.now(), the
benchmark with time.time(); the offset between the two is taken from the quickest of 30
evaluate() round trips (its error is at most half that round trip, printed).

The page side: an init script wraps EventTarget.dispatchEvent to see the display's "drawn"
event (core/display.js emits it right after a frame's tiles are painted on the canvas). At each
one it reads the canvas pixels at a few probe spots, and for each change records when it was
drawn, the frame's capture timestamp, and when the next animation frame ran (the first frame
the browser can show it in: "shown").

- typing: a 10x18 glyph in a new colour painted (PutImage) at one spot, at 8 to 14 per second;
  glass to glass is from just before the PutImage to the canvas having the glyph's pixel.
- scrolling: the whole screen scrolls 24 pixels up 30 times a second (CopyArea of the root
  window plus the new strip at the bottom, as a scrolling application draws), for
  --scroll-seconds; the left margin's colour bands tell which step each probe shows. A step
  counts as shown when all three probes (top, middle, bottom) show it; console frames per
  second counts the canvas's drawn frames while scrolling.
- click: page.mouse.down() on the canvas over an X client window on the sharer, to the
  ButtonPress arriving at that window's connection (python-xlib, its own thread).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from playwright.async_api import Page, ViewportSize, async_playwright, expect

from bench.service_process import percentile, running_service
from tests.e2e.console.console_steps import ShareProcess, get_code, sign_in
from tests.e2e.sharer.x11_painter import Painter
from tests.e2e.x_event_window import EventWindow
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS
from tests.fixtures.service import LiveService
from tests.fixtures.xvfb import XvfbServer, start_xvfb
from tests.timeouts import WAIT

WIDTH, HEIGHT = 1920, 1080
VIEWPORT: ViewportSize = {"width": 1920, "height": 1200}
WHITE = (255, 255, 255)
GLYPH_SPOT = (1200, 300)  # where "typed" glyphs go; the probe is their pixel (3, 5)
GLYPH_PROBE = (GLYPH_SPOT[0] + 3, GLYPH_SPOT[1] + 5)
GLYPH_COLOURS = [(0, 0, 0), (200, 20, 20), (20, 120, 20), (20, 20, 200), (150, 0, 150)]
CLICK_WINDOW = (1100, 650, 600, 350)
SCROLL_STEP = 24
SCROLL_RATE = 30.0
MARGIN = 48
BANDS = [
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
]
#: Probe rows in the scrolled margin (band centres): top, middle, bottom of the screen.
SCROLL_PROBES = [SCROLL_STEP * m + SCROLL_STEP // 2 for m in (4, 22, 42)]

PAGE_PROBE = """
(() => {
  const probe = { spots: [], last: [], changes: [], drawn: [], arrived: [], down: [], sent: [] };
  window.__glass = probe;
  const now = () => performance.timeOrigin + performance.now();
  // The clear header of either frame version (this bench also runs against older code):
  // version 1 is 20 bytes (kind at 1, u64 capture time in us at 8), version 2 is 10 (kind in
  // the low 4 bits of byte 1, u32 capture time in ms mod 2**32 at 6).
  const header = (bytes) => {
    if (bytes.byteLength >= 20 && bytes[0] === 1) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, 20);
      return { kind: bytes[1], capturedMs: Number(view.getBigUint64(8, true)) / 1000 };
    }
    if (bytes.byteLength >= 10 && bytes[0] === 2) {
      const wire = new DataView(bytes.buffer, bytes.byteOffset, 10).getUint32(6, true);
      const nowMs = Math.floor(Date.now());
      const near = (((wire - nowMs + 2 ** 31) % 2 ** 32) + 2 ** 32) % 2 ** 32;
      const capturedMs = wire ? nowMs + near - 2 ** 31 : 0;
      return { kind: bytes[1] & 15, capturedMs };
    }
    return null;
  };
  // A mouse button going down in the page (first listener of all), and input frames sent.
  window.addEventListener("pointerdown", () => probe.down.push(now()), { capture: true });
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    if (bytes instanceof Uint8Array && header(bytes)?.kind === 3) {
      probe.sent.push(now());
    }
    return send.call(this, data);
  };
  // Video frames as they arrive (before the console's own listener): time, capture time, size.
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const data = event.data;
        const head = data instanceof ArrayBuffer ? header(new Uint8Array(data)) : null;
        if (head && head.kind === 1) {
          probe.arrived.push([now(), head.capturedMs, data.byteLength]);
        }
      });
    }
  };
  const dispatch = EventTarget.prototype.dispatchEvent;
  EventTarget.prototype.dispatchEvent = function (event) {
    if (event.type === "drawn" && this.ctx && this.screen && this.screen.id === "screen-canvas") {
      const at = now();
      const captured = event.detail.timestampUs / 1000;
      probe.drawn.push([at, captured]);
      probe.spots.forEach(([x, y], i) => {
        const d = this.ctx.getImageData(x, y, 1, 1).data;
        const rgb = [d[0], d[1], d[2]];
        const last = probe.last[i];
        if (!last || last.some((v, j) => v !== rgb[j])) {
          probe.last[i] = rgb;
          const change = { spot: i, at, rgb, captured, shown: 0 };
          probe.changes.push(change);
          requestAnimationFrame(() => {
            change.shown = now();
          });
        }
      });
    }
    return dispatch.call(this, event);
  };
})();
"""


@dataclass
class Change:
    """A probe spot's new colour on the canvas; times in seconds on the benchmark's clock."""

    spot: int
    drawn: float
    shown: float
    captured: float
    rgb: tuple[int, int, int]


@dataclass
class FrameTimes:
    """One captured picture on its way (seconds, the benchmark's clock)."""

    captured: float
    arrived: float = 0.0
    drawn: float = 0.0
    bytes: int = 0


@dataclass
class Figures:
    """Per-sample milliseconds: the whole way, and its parts."""

    latencies_ms: list[float] = field(default_factory=list)  # painted -> on the canvas
    shown_ms: list[float] = field(default_factory=list)  # painted -> next animation frame
    capture_ms: list[float] = field(default_factory=list)  # painted -> grabbed by the sharer
    transit_ms: list[float] = field(default_factory=list)  # grabbed -> arrived in the page
    draw_ms: list[float] = field(default_factory=list)  # arrived -> on the canvas
    missed: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    def add(self, painted: float, change: Change, frame: FrameTimes | None) -> None:
        self.latencies_ms.append((change.drawn - painted) * 1000)
        if change.shown:
            self.shown_ms.append((change.shown - painted) * 1000)
        self.capture_ms.append((change.captured - painted) * 1000)
        if frame is not None and frame.arrived:
            self.transit_ms.append((frame.arrived - change.captured) * 1000)
            self.draw_ms.append((change.drawn - frame.arrived) * 1000)


def near(a: tuple[int, int, int], b: tuple[int, int, int], slack: int) -> bool:
    return all(abs(x - y) <= slack for x, y in zip(a, b, strict=True))


def p50_p95(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.1f} / {percentile(values, 95):.1f}"


class Rig:
    """One service, one Xvfb, one sharer, one console page in Full control."""

    def __init__(self, service: LiveService, xvfb: XvfbServer, page: Page) -> None:
        self.service = service
        self.xvfb = xvfb
        self.page = page
        self.painter = Painter(xvfb.display)
        self.offset = 0.0  # page clock - benchmark clock, seconds
        self.offset_error = 0.0
        self.share: ShareProcess | None = None

    async def start_session(self) -> None:
        page = self.page
        await sign_in(page, self.service)
        code = await get_code(page)
        self.share = await ShareProcess.start(self.service, self.xvfb.display, code)
        await expect(page.locator("#view-mode")).to_be_visible()
        await page.click("#mode-full-control")
        await self.share.expect("Allow? [y/N] ")
        await self.share.type("y")
        await expect(page.locator("#view-session")).to_be_visible()
        await expect(page.locator("#waiting-picture")).to_be_hidden()

    async def stop(self) -> None:
        if self.share is not None:
            await self.share.stop()
        self.painter.close()

    async def calibrate(self) -> None:
        best = float("inf")
        for _ in range(30):
            before = time.time()
            page_ms = await self.page.evaluate("performance.timeOrigin + performance.now()")
            after = time.time()
            if after - before < best:
                best = after - before
                self.offset = page_ms / 1000 - (before + after) / 2
        self.offset_error = best / 2

    async def set_spots(self, spots: list[tuple[int, int]]) -> None:
        await self.page.evaluate(
            "(spots) => { window.__glass.spots = spots; window.__glass.last = []; }", spots
        )

    async def take_changes(self) -> list[Change]:
        raw = await self.page.evaluate(
            "() => { const c = window.__glass.changes; window.__glass.changes = []; return c; }"
        )
        return [self._change(c) for c in raw]

    def _change(self, raw: dict[str, Any]) -> Change:
        shown = raw["shown"] / 1000 - self.offset if raw["shown"] else 0.0
        return Change(
            raw["spot"],
            raw["at"] / 1000 - self.offset,
            shown,
            raw["captured"] / 1000,  # the sharer's time.time(): same clock as ours
            (raw["rgb"][0], raw["rgb"][1], raw["rgb"][2]),
        )

    async def take_frames(self) -> dict[float, FrameTimes]:
        """Video frames since the last call, by capture time: last arrival, last draw, bytes.

        (A large capture travels as several payloads with the same capture time.)
        """
        raw = await self.page.evaluate(
            """() => {
                const taken = { drawn: window.__glass.drawn, arrived: window.__glass.arrived };
                window.__glass.drawn = [];
                window.__glass.arrived = [];
                return taken;
            }"""
        )
        frames: dict[float, FrameTimes] = {}
        for at, captured, size in raw["arrived"]:
            frame = frames.setdefault(captured / 1000, FrameTimes(captured / 1000))
            frame.arrived = max(frame.arrived, at / 1000 - self.offset)
            frame.bytes += size
        for at, captured in raw["drawn"]:
            frame = frames.setdefault(captured / 1000, FrameTimes(captured / 1000))
            frame.drawn = max(frame.drawn, at / 1000 - self.offset)
        return frames

    async def canvas_point(self, x: int, y: int) -> tuple[float, float]:
        box = await self.page.locator("#screen-canvas").bounding_box()
        assert box is not None
        return (
            box["x"] + (x + 0.5) * box["width"] / WIDTH,
            box["y"] + (y + 0.5) * box["height"] / HEIGHT,
        )


def cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) so far of this process and all it started, by role.

    Roles: the X server, the sharer, the service, Chromium (all its processes) and this
    benchmark (it paints the screen).
    """
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    stats: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        stats[pid] = (cmdline, (int(fields[11]) + int(fields[12])) / ticks)
    mine = {os.getpid()}
    changed = True
    while changed:
        found = {pid for pid, parent in parents.items() if parent in mine} - mine
        changed = bool(found)
        mine |= found
    totals: dict[str, float] = {}
    for pid in mine:
        cmdline, seconds = stats.get(pid, ("", 0.0))
        role = (
            "benchmark (painting)"
            if pid == os.getpid()
            else "X server"
            if "Xvfb" in cmdline
            else "sharer"
            if " share " in cmdline
            else "service"
            if " serve " in cmdline
            else "Chromium"
            if "chrom" in cmdline
            else "other"
        )
        totals[role] = totals.get(role, 0.0) + seconds
    return totals


def glyph(colour: tuple[int, int, int], rng: random.Random) -> npt.NDArray[np.uint8]:
    """A 10x18 character-cell-like picture: strokes of `colour` on white, probe pixel set."""
    cell = np.full((18, 10, 3), 255, dtype=np.uint8)
    ink = np.array([[rng.random() < 0.35 for _ in range(8)] for _ in range(14)])
    cell[2:16, 1:9][ink] = colour
    cell[5, 3] = colour
    return cell


async def typing(rig: Rig, count: int) -> Figures:
    rng = random.Random(1)
    rig.painter.fill(GLYPH_SPOT[0] - 40, GLYPH_SPOT[1] - 20, 200, 60, WHITE)
    await rig.set_spots([GLYPH_PROBE])
    await asyncio.sleep(0.5)
    await rig.take_changes()
    await rig.take_frames()
    matched: list[tuple[float, Change]] = []
    figures = Figures()
    for i in range(count + 5):
        colour = GLYPH_COLOURS[i % len(GLYPH_COLOURS)]
        picture = glyph(colour, rng)
        painted = time.time()
        await asyncio.to_thread(rig.painter.put, *GLYPH_SPOT, picture)
        match = await wait_change(rig, colour, painted)
        if match is None:
            figures.missed += 1
        elif i >= 5:  # warm-up
            matched.append((painted, match))
        await asyncio.sleep(rng.uniform(0.07, 0.125))
    frames = await rig.take_frames()
    for painted, change in matched:
        figures.add(painted, change, frames.get(change.captured))
    # What typing costs on the wire toward the console: every video byte (headers and sealing
    # included) over the glyphs painted, as kB per 10 s at 10 characters a second.
    figures.extra["kb_per_10s"] = sum(f.bytes for f in frames.values()) / (count + 5) * 100 / 1000
    return figures


async def wait_change(rig: Rig, colour: tuple[int, int, int], since: float) -> Change | None:
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        await asyncio.sleep(0.01)
        for change in await rig.take_changes():
            if change.drawn >= since - rig.offset_error and near(change.rgb, colour, 40):
                await asyncio.sleep(0.03)  # let the next animation frame stamp "shown"
                return change
    return None


def document(steps: int, rng: random.Random) -> npt.NDArray[np.uint8]:
    """A long page of text with a left margin of colour bands, one band per scroll step.

    The text is lines of words set from a fixed "font" of 60 random 9x14 glyphs (as a real page
    repeats the same letters), 24 pixels apart, ragged on the right.
    """
    rows = HEIGHT + (steps + 2) * SCROLL_STEP
    page = np.full((rows, WIDTH, 3), 255, dtype=np.uint8)
    for band in range(rows // SCROLL_STEP + 1):
        page[band * SCROLL_STEP : (band + 1) * SCROLL_STEP, :MARGIN] = BANDS[band % len(BANDS)]
    noise = np.random.default_rng(rng.randrange(2**32))
    font = noise.random((60, 14, 9)) < 0.3
    font[:, :, 8] = False  # letter spacing
    for top in range(0, rows - 20, SCROLL_STEP):
        x = MARGIN + 20
        end = WIDTH - rng.randrange(40, 600)
        while x < end - 9:
            for _ in range(rng.randrange(2, 10)):  # one word
                if x >= end - 9:
                    break
                letter = font[rng.randrange(len(font))]
                page[top + 3 : top + 17, x : x + 9][letter] = (30, 30, 30)
                x += 9
            x += 9  # space
    return page


def band_at(step: int, y: int) -> tuple[int, int, int]:
    return BANDS[((step * SCROLL_STEP + y) // SCROLL_STEP) % len(BANDS)]


async def scrolling(rig: Rig, seconds: float) -> Figures:
    rng = random.Random(2)
    steps = int(seconds * SCROLL_RATE)
    page = document(steps, rng)
    await asyncio.to_thread(rig.painter.put, 0, 0, page[:HEIGHT])
    await rig.set_spots([(MARGIN // 2, y) for y in SCROLL_PROBES])
    await asyncio.sleep(1.0)
    await rig.take_changes()
    await rig.take_frames()
    display = rig.painter.display
    root = rig.painter.root
    gc = root.create_gc()
    painted: list[float] = []
    cpu_before = cpu_seconds()
    start = time.time()
    for step in range(1, steps + 1):
        due = start + step / SCROLL_RATE
        await asyncio.sleep(max(0.0, due - time.time()))
        painted.append(time.time())
        strip = page[HEIGHT - SCROLL_STEP + step * SCROLL_STEP :][:SCROLL_STEP]

        def scroll(strip: npt.NDArray[np.uint8] = strip) -> None:
            root.copy_area(gc, root, 0, SCROLL_STEP, WIDTH, HEIGHT - SCROLL_STEP, 0, 0)
            bgrx = np.zeros((SCROLL_STEP, WIDTH, 4), dtype=np.uint8)
            bgrx[:, :, :3] = strip[:, :, ::-1]
            rows = max(1, 60_000 // (WIDTH * 4))
            for top in range(0, SCROLL_STEP, rows):
                chunk = bgrx[top : top + rows]
                root.put_image(
                    gc, 0, HEIGHT - SCROLL_STEP + top, WIDTH, chunk.shape[0], 2, 24, 0,
                    chunk.tobytes(),
                )  # fmt: skip
            display.sync()

        await asyncio.to_thread(scroll)
    end = time.time()
    cpu_after = cpu_seconds()
    await asyncio.sleep(1.0)
    gc.free()
    changes = await rig.take_changes()
    frames = await rig.take_frames()
    figures = Figures()
    # Each new picture at the middle probe: which step it shows (the last one painted before
    # its capture; the one before if the grab raced the painting), and how old it is when drawn.
    middle = SCROLL_PROBES[1]
    for change in changes:
        if change.spot != 1 or not start <= change.captured <= end + 0.1:
            continue
        step = bisect.bisect_right(painted, change.captured)
        for shown_step in (step, step - 1):
            if shown_step >= 1 and near(change.rgb, band_at(shown_step, middle), 40):
                figures.add(painted[shown_step - 1], change, frames.get(change.captured))
                break
        else:
            figures.missed += 1
    during = [f for f in frames.values() if start <= f.captured <= end and f.drawn]
    for role, seconds in cpu_after.items():
        figures.extra[f"cpu {role}"] = (seconds - cpu_before.get(role, 0.0)) / (end - start)
    figures.extra["steps"] = steps
    figures.extra["fps"] = len(during) / (end - start)
    figures.extra["kib_per_frame"] = (
        statistics.mean(f.bytes for f in during) / 1024 if during else 0
    )
    figures.extra["mbit_s"] = sum(f.bytes for f in during) * 8 / (end - start) / 1e6
    return figures


async def clicks(rig: Rig, count: int) -> Figures:
    """Click latency: `latencies_ms` from the benchmark's mouse down (through Playwright) to the
    X event; `capture_ms` the automation's share (to the page's pointerdown), `transit_ms` the
    console's (pointerdown to the input frame handed to the WebSocket, sealed), `draw_ms` the
    rest (TLS, relay, the sharer opening and injecting it, the X server)."""
    rng = random.Random(3)
    x0, y0, w, h = CLICK_WINDOW
    window = EventWindow(rig.xvfb.display, x0, y0, w, h, (0x22, 0xAA, 0x44))
    figures = Figures()
    try:
        await asyncio.sleep(0.5)
        for i in range(count + 5):
            x, y = x0 + rng.randrange(20, w - 20), y0 + rng.randrange(20, h - 20)
            await rig.page.mouse.move(*await rig.canvas_point(x, y))
            await asyncio.sleep(0.05)
            await rig.page.evaluate("() => { window.__glass.down = []; window.__glass.sent = []; }")
            before = len(window.presses())
            pressed = time.time()
            await rig.page.mouse.down()
            deadline = time.monotonic() + 2.0
            # Filled by the window's X thread: poll it.
            while len(window.presses()) == before and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.001)
            await rig.page.mouse.up()
            if len(window.presses()) == before:
                figures.missed += 1
                continue
            arrived = window.presses()[-1].at
            marks = await rig.page.evaluate("() => [window.__glass.down, window.__glass.sent]")
            if i < 5:
                continue  # warm-up
            figures.latencies_ms.append((arrived - pressed) * 1000)
            if marks[0] and marks[1]:
                down = marks[0][0] / 1000 - rig.offset
                sent = marks[1][0] / 1000 - rig.offset
                figures.capture_ms.append((down - pressed) * 1000)
                figures.transit_ms.append((sent - down) * 1000)
                figures.draw_ms.append((arrived - sent) * 1000)
            await asyncio.sleep(rng.uniform(0.05, 0.1))
    finally:
        window.close()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--typing", type=int, default=80, help="glyphs painted")
    parser.add_argument("--scroll-seconds", type=float, default=4.0)
    parser.add_argument("--clicks", type=int, default=60)
    args = parser.parse_args()
    # The X event thread must get the GIL at once when its event arrives.
    sys.setswitchinterval(0.0005)
    xvfb = start_xvfb(WIDTH, HEIGHT)
    try:
        await asyncio.to_thread(
            subprocess.run, ["xsetroot", "-solid", "#336699"], env=xvfb.env, check=True
        )
        with running_service() as service:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
                context = await browser.new_context(
                    base_url=service.base_url, ignore_https_errors=True, viewport=VIEWPORT
                )
                context.set_default_timeout(WAIT * 1000)
                await context.add_init_script(PAGE_PROBE)
                page = await context.new_page()
                rig = Rig(service, xvfb, page)
                try:
                    await rig.start_session()
                    await rig.calibrate()
                    results = {
                        "typing": await typing(rig, args.typing),
                        "scrolling": await scrolling(rig, args.scroll_seconds),
                        "click": await clicks(rig, args.clicks),
                    }
                    await rig.calibrate()  # drift check
                    secure = await page.locator("#status-secure").text_content()
                finally:
                    await rig.stop()
                    await browser.close()
    finally:
        xvfb.process.terminate()
        xvfb.process.wait()
    report(results, rig, secure or "")


def report(results: dict[str, Figures], rig: Rig, secure: str) -> None:
    typing_, scroll, click = results["typing"], results["scrolling"], results["click"]
    print(f"clock offset error <= {rig.offset_error * 1000:.2f} ms; console: {secure!r}")
    print()
    print("| measure | typing (small change) | scrolling (whole screen) | target |")
    print("| --- | --- | --- | --- |")
    rows = [
        ("glass to glass: painted -> on the canvas, p50 / p95 ms", "latencies_ms",
         "typing p50 < 20, p95 < 35"),
        ("painted -> next animation frame (can be shown)", "shown_ms", ""),
        ("part: painted -> grabbed by the sharer", "capture_ms", ""),
        ("part: grabbed -> message event in the page (encode, seal, relay, queue)", "transit_ms",
         ""),
        ("part: message event -> on the canvas (open, decode, draw)", "draw_ms", ""),
    ]  # fmt: skip
    for label, name, target in rows:
        print(
            f"| {label} | {p50_p95(getattr(typing_, name))} | {p50_p95(getattr(scroll, name))} "
            f"| {target} |"
        )
    print(
        f"| typing on the wire: kB per 10 s at 10 characters/s | "
        f"{typing_.extra['kb_per_10s']:.1f} | | <= 6 |"
    )
    print(
        f"| samples (not matched) | {len(typing_.latencies_ms)} ({typing_.missed}) "
        f"| {len(scroll.latencies_ms)} pictures for {int(scroll.extra['steps'])} steps "
        f"({scroll.missed}) | |"
    )
    print(
        f"| console frames per second | | {scroll.extra['fps']:.1f} "
        f"({scroll.extra['kib_per_frame']:.0f} KiB/frame, {scroll.extra['mbit_s']:.1f} Mbit/s) "
        f"| 30 while scrolling |"
    )
    cpu = ", ".join(
        f"{name[4:]} {value:.2f}" for name, value in scroll.extra.items() if name.startswith("cpu ")
    )
    print(f"| CPU while scrolling (cores) | | {cpu} | 2 cores in all |")
    print()
    print("| measure | p50 / p95 ms | samples (missed) | target |")
    print("| --- | --- | --- | --- |")
    print(
        f"| click: mouse down (Playwright) -> ButtonPress at the X window "
        f"| {p50_p95(click.latencies_ms)} | {len(click.latencies_ms)} ({click.missed}) "
        f"| p50 < 3, p95 < 10 |"
    )
    print(
        f"| part: Playwright -> the page's pointerdown (automation, not the product) "
        f"| {p50_p95(click.capture_ms)} | {len(click.capture_ms)} | |"
    )
    print(
        f"| part: pointerdown -> input frame sealed and sent "
        f"| {p50_p95(click.transit_ms)} | {len(click.transit_ms)} | |"
    )
    print(
        f"| part: sent -> ButtonPress (TLS, relay, sharer, XTest, X server) "
        f"| {p50_p95(click.draw_ms)} | {len(click.draw_ms)} | |"
    )
    product = [t + d for t, d in zip(click.transit_ms, click.draw_ms, strict=True)]
    print(
        f"| click: the page's pointerdown -> ButtonPress | {p50_p95(product)} "
        f"| {len(product)} | p50 < 3, p95 < 10 |"
    )


if __name__ == "__main__":
    asyncio.run(main())
