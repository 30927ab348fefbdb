"""Full-screen motion at 1920x1080 over loopback and over constrained links (issue 9).

    .venv/bin/python -m bench.motion [--seconds 8] [--links all|loopback|10] [--label after]

The same real parts as bench/glass_to_glass.py (whose page probe and rig it uses): `quickassist
serve` with TLS, `quickassist share --no-gui` on a fresh 1920x1080 Xvfb, the console in
headless Chromium in Full control. Each link gets a fresh service, sharer and browser. A
constrained link (tests/fixtures/shaped_link.py) puts Chromium in a network namespace behind a
tbf-limited veth pair and a delaying TCP proxy, so everything between the service and the
helper's browser crosses it; the sharer stays on loopback.

The animation: a photo-like texture panned diagonally across the whole screen 30 times a second
(CopyArea from a pixmap, so painting costs the benchmark little), with a 64x64 marker block
whose colour says which step is on screen. For each new marker colour on the canvas: which step
it shows and when it was painted (glass to glass), how many steps had been painted by the time
it was drawn (frames behind), and the bytes that arrived.

Figures: console distinct frames per second (steps that reached the canvas, per second),
glass to glass p50 / p95, frames behind p50 / max, Mbit/s into the page, and the sharer's CPU
(cores). A second table counts where the painted steps went (`Counts`): captures that reached
the page and were drawn, steps no capture fell in (two paints between two captures), steps
captured twice, steps captured yet never on the canvas as a new marker colour (a frame the
console dropped, or a picture too coarse for the marker to read as its colour), and gaps
between captures longer than a step. Counts, not timings: they hold on a loaded machine.

To measure older code, run this file from this tree with PYTHONPATH pointing at that tree's
src/ (the service and the sharer are started as `python -m quickassist`, so they follow).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from playwright.async_api import ConsoleMessage, async_playwright

import quickassist
from bench.glass_to_glass import (
    BANDS,
    HEIGHT,
    PAGE_PROBE,
    VIEWPORT,
    WIDTH,
    Figures,
    Rig,
    cpu_seconds,
    near,
    p50_p95,
)
from bench.service_process import running_service
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS
from tests.fixtures.shaped_link import SHAPES, DelayingProxy, LinkShape, ShapedLink
from tests.fixtures.xvfb import start_xvfb
from tests.timeouts import WAIT

RATE = 30.0
#: How far the texture pans per step (diagonal: neither a vertical nor a horizontal scroll).
PAN = (7, 5)
PAD = 512
MARKER = (16, 16, 64, 64)
MARKER_PROBE = (MARKER[0] + 32, MARKER[1] + 32)


@dataclass
class Counts:
    """Where the painted steps went, counted (not timed): robust on a loaded machine.

    A step is on screen from its paint to the next; a capture "falls in" the step on screen at
    its capture time. `uncaptured` steps had no capture in their time (two paints between two
    captures: the capture cadence, aliasing against the animation, or a capture held back by
    the flow window); `captured_twice` counts captures beyond the first in one step (wasted);
    `captured_not_shown` steps were captured yet never reached the canvas as a new picture.
    """

    painted: int = 0
    captures: int = 0  # video captures that reached the page (one per capture time)
    drawn: int = 0  # of those, drawn by the console (the rest it dropped)
    shown: int = 0  # distinct steps that reached the canvas
    uncaptured: int = 0
    captured_twice: int = 0
    captured_not_shown: int = 0
    #: Gaps between consecutive captures longer than one animation step (1 / RATE).
    gaps_over_step: int = 0
    #: The steps not captured, by number (1 is the first paint): where in the run they fall
    #: says whether the start of motion or the steady state loses them.
    uncaptured_steps: list[int] = field(default_factory=list)
    #: The steps captured yet not shown, by number, likewise.
    not_shown_steps: list[int] = field(default_factory=list)


def count(painted: list[float], captured: list[float], drawn: int, shown: set[int]) -> Counts:
    """`painted[i]` is when step i + 1 was painted; `captured` the capture times of the
    captures that reached the page during the animation; `shown` the steps on the canvas."""
    counts = Counts(len(painted), len(captured), drawn, len(shown))
    per_step = [0] * (len(painted) + 1)
    for at in captured:
        per_step[bisect.bisect_right(painted, at)] += 1
    for step in range(1, len(painted) + 1):
        n = per_step[step]
        if n == 0:
            counts.uncaptured += 1
            counts.uncaptured_steps.append(step)
        counts.captured_twice += max(0, n - 1)
        if n > 0 and step not in shown:
            counts.captured_not_shown += 1
            counts.not_shown_steps.append(step)
    ordered = sorted(captured)
    counts.gaps_over_step = sum(1 for a, b in itertools.pairwise(ordered) if b - a > 1 / RATE)
    return counts


@dataclass
class Motion:
    figures: Figures
    behind: list[int]
    steps: int
    seconds: float
    counts: Counts
    #: Glass to glass of a change right after the motion stopped (`after_motion`), seconds.
    settled: float | None = None


def texture(rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """A photo-like picture: smooth colour fields with a little grain (what video looks like to
    a JPEG encoder), larger than the screen by PAD to pan across."""
    rows, cols = HEIGHT + PAD, WIDTH + PAD
    coarse = rng.integers(0, 256, (rows // 64 + 2, cols // 64 + 2, 3)).astype(np.float32)
    ys = np.linspace(0, coarse.shape[0] - 1.001, rows)
    xs = np.linspace(0, coarse.shape[1] - 1.001, cols)
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = coarse[y0][:, x0] * (1 - fx) + coarse[y0][:, x0 + 1] * fx
    bottom = coarse[y0 + 1][:, x0] * (1 - fx) + coarse[y0 + 1][:, x0 + 1] * fx
    smooth = top * (1 - fy) + bottom * fy
    grain = rng.normal(0, 4, smooth.shape)
    picture: npt.NDArray[np.uint8] = np.clip(smooth + grain, 0, 255).astype(np.uint8)
    return picture


async def motion(rig: Rig, seconds: float) -> Motion:
    rng = np.random.default_rng(9)
    picture = texture(rng)
    display, root = rig.painter.display, rig.painter.root
    pixmap = root.create_pixmap(WIDTH + PAD, HEIGHT + PAD, 24)
    gc = pixmap.create_gc()

    def upload() -> None:
        bgrx = np.zeros((*picture.shape[:2], 4), dtype=np.uint8)
        bgrx[:, :, :3] = picture[:, :, ::-1]
        rows = max(1, 60_000 // (bgrx.shape[1] * 4))
        for top in range(0, bgrx.shape[0], rows):
            chunk = bgrx[top : top + rows]
            pixmap.put_image(gc, 0, top, bgrx.shape[1], chunk.shape[0], 2, 24, 0, chunk.tobytes())
        display.sync()

    await asyncio.to_thread(upload)
    await rig.set_spots([MARKER_PROBE])
    await asyncio.sleep(1.0)
    await rig.take_changes()
    await rig.take_frames()
    steps = int(seconds * RATE)
    painted: list[float] = []
    marker_gcs = [root.create_gc(foreground=(r << 16) | (g << 8) | b) for r, g, b in BANDS]
    cpu_before = cpu_seconds()
    start = time.time()
    for step in range(1, steps + 1):
        await asyncio.sleep(max(0.0, start + step / RATE - time.time()))

        def paint(step: int = step) -> None:
            sx, sy = (step * PAN[0]) % PAD, (step * PAN[1]) % PAD
            root.copy_area(gc, pixmap, sx, sy, WIDTH, HEIGHT, 0, 0)
            root.fill_rectangle(marker_gcs[step % len(BANDS)], *MARKER)
            display.sync()

        painted.append(time.time())
        await asyncio.to_thread(paint)
    end = time.time()
    cpu_after = cpu_seconds()
    await asyncio.sleep(2.0)  # what is still on its way arrives
    changes = await rig.take_changes()
    frames = await rig.take_frames()
    settled = await after_motion(rig, root, display)
    for marker_gc in marker_gcs:
        marker_gc.free()
    gc.free()
    pixmap.free()
    figures = Figures()
    behind: list[int] = []
    shown_steps: set[int] = set()
    for change in changes:
        if not start <= change.captured <= end + 0.1:
            continue
        step = bisect.bisect_right(painted, change.captured)
        for shown in (step, step - 1):
            if shown >= 1 and near(change.rgb, BANDS[shown % len(BANDS)], 40):
                figures.add(painted[shown - 1], change, frames.get(change.captured))
                shown_steps.add(shown)
                behind.append(bisect.bisect_right(painted, change.drawn) - shown)
                break
        else:
            figures.missed += 1
    during = [f for f in frames.values() if start <= f.captured <= end]
    figures.extra["fps"] = len(shown_steps) / (end - start)
    figures.extra["mbit_s"] = sum(f.bytes for f in during) * 8 / (end - start) / 1e6
    for role, spent in cpu_after.items():
        figures.extra[f"cpu {role}"] = (spent - cpu_before.get(role, 0.0)) / (end - start)
    captured = sorted(f.captured for f in during)
    counts = count(painted, captured, sum(1 for f in during if f.drawn), shown_steps)
    return Motion(figures, behind, steps, end - start, counts, settled)


async def after_motion(rig: Rig, root: Any, display: Any) -> float | None:
    """Glass to glass (seconds) of one change made while the region's lossless refresh after the
    motion may still be under way: the marker repainted white (no step's colour) 0.4 s from
    now, that is 2.4 s after the last paint (the caller waited 2 s for frames on their way; the
    refresh began still_after, 0.3 s, after that paint). What a click or a keystroke soon after
    a video stops waits for, behind that refresh. None: not seen in 10 s."""
    await asyncio.sleep(0.4)
    white = root.create_gc(foreground=0xFFFFFF)

    def paint() -> float:
        root.fill_rectangle(white, *MARKER)
        display.sync()
        return time.time()

    painted = await asyncio.to_thread(paint)
    try:
        deadline = painted + 10.0
        while time.time() < deadline:
            await asyncio.sleep(0.1)
            for change in await rig.take_changes():
                if change.captured >= painted - 0.001 and near(change.rgb, (255, 255, 255), 40):
                    return change.drawn - painted
        return None
    finally:
        white.free()


async def run_link(shape: LinkShape | None, seconds: float, scratch: Path) -> Motion:
    """One fresh service, sharer and browser; the helper's side behind `shape` (None: loopback)."""
    xvfb = start_xvfb(WIDTH, HEIGHT)
    try:
        await asyncio.to_thread(
            subprocess.run, ["xsetroot", "-solid", "#336699"], env=xvfb.env, check=True
        )
        with running_service() as service:
            link = ShapedLink(rate_mbit=shape.rate_mbit) if shape else None
            with link or contextlib.nullcontext():
                proxy = None
                base_url, executable = service.base_url, Path(CHROMIUM)
                if link is not None and shape is not None:
                    proxy = await DelayingProxy.start(
                        link.host_address, service.port, rtt=shape.rtt
                    )
                    base_url = f"https://{link.host_address}:{proxy.port}"
                    executable = link.chromium(scratch)
                try:
                    return await _measure(service, xvfb, base_url, executable, seconds)
                finally:
                    if proxy is not None:
                        await proxy.close()
    finally:
        xvfb.process.terminate()
        xvfb.process.wait()


def _print_warning(message: ConsoleMessage) -> None:
    if message.type in ("warning", "error"):
        print(f"console {message.type}: {message.text}", file=sys.stderr)


async def _measure(
    service: object, xvfb: object, base_url: str, executable: Path, seconds: float
) -> Motion:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS
        )
        context = await browser.new_context(
            base_url=base_url, ignore_https_errors=True, viewport=VIEWPORT
        )
        context.set_default_timeout(WAIT * 3 * 1000)
        await context.add_init_script(PAGE_PROBE)
        page = await context.new_page()
        # The console's own warnings (a video decode that failed, a frame it refused) explain a
        # run that went wrong; they go to stderr, beside the figures, not into them.
        page.on("console", _print_warning)
        rig = Rig(service, xvfb, page)  # type: ignore[arg-type]
        try:
            await rig.start_session()
            await rig.calibrate()
            return await motion(rig, seconds)
        finally:
            await rig.stop()
            await browser.close()


def row(name: str, result: Motion) -> str:
    f = result.figures
    behind = (
        f"{statistics.median(result.behind):.0f} / {max(result.behind)}" if result.behind else "-"
    )
    return (
        f"| {name} | {f.extra['fps']:.1f} | {p50_p95(f.latencies_ms)} | {behind} "
        f"| {f.extra['mbit_s']:.1f} | {f.extra.get('cpu sharer', 0.0):.2f} "
        f"| {len(f.latencies_ms)} ({f.missed}) "
        f"| {_p50(f.capture_ms)} / {_p50(f.transit_ms)} / {_p50(f.draw_ms)} "
        f"| {'-' if result.settled is None else f'{result.settled * 1000:.0f}'} |"
    )


COUNTS_HEAD = (
    "| link | painted | captures (drawn) | distinct on canvas | not captured (in the first second) "
    "| captured twice | captured, not shown | capture gaps > 1 step |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- |"
)


def count_row(name: str, result: Motion) -> str:
    c = result.counts
    return (
        f"| {name} | {c.painted} | {c.captures} ({c.drawn}) | {c.shown} "
        f"| {c.uncaptured} ({sum(1 for step in c.uncaptured_steps if step <= RATE)}) "
        f"| {c.captured_twice} | {c.captured_not_shown} | {c.gaps_over_step} |"
    )


def _p50(values: list[float]) -> str:
    return f"{statistics.median(values):.0f}" if values else "-"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument(
        "--links", default="all", help="all, loopback, or a rate in Mbit/s of SHAPES (50, 10, 2)"
    )
    parser.add_argument("--label", default="", help="printed with the table (before, after)")
    args = parser.parse_args()
    shapes: list[LinkShape | None] = [None, *SHAPES]
    if args.links == "loopback":
        shapes = [None]
    elif args.links != "all":
        shapes = [s for s in SHAPES if f"{s.rate_mbit:g}" == args.links]
    sys.setswitchinterval(0.0005)
    print(f"{args.label} code: {Path(quickassist.__file__).parent}; {args.seconds:g} s each")
    print()
    print(
        "| link | distinct frames/s | glass to glass p50 / p95 ms | frames behind p50 / max "
        "| Mbit/s | sharer CPU (cores) | samples (missed) "
        "| parts p50 ms: to capture / capture to page / page to canvas "
        "| a change 2.4 s after the last paint, glass to glass ms |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    results: list[tuple[str, Motion]] = []
    with tempfile.TemporaryDirectory(prefix="qa-motion-") as scratch:
        for shape in shapes:
            result = await run_link(shape, args.seconds, Path(scratch))
            name = shape.name if shape else "loopback"
            results.append((name, result))
            print(row(name, result), flush=True)
    print()
    print(COUNTS_HEAD)
    for name, result in results:
        print(count_row(name, result))
    for name, result in results:
        c = result.counts
        print(f"{name}: steps not captured {c.uncaptured_steps}", file=sys.stderr)
        print(f"{name}: steps captured, not shown {c.not_shown_steps}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
