"""Sharer capture at 1920x1080 on Xvfb: latency, frame rate, bytes and CPU per workload.

    .venv/bin/python -m bench.sharer_capture [--seconds 5]

Each workload runs against a fresh Xvfb with one `CapturePipeline` (DAMAGE-driven, 60/s cap)
and a consumer that takes frames as fast as they come (a fast link):

- idle: nothing changes on screen;
- draws: 30 small rectangles per second drawn with python-xlib; latency from the draw call
  to the frame handed out by `next_frame`;
- typing: 10 characters per second typed (XTEST) into an xterm running `cat`; latency from the
  key press to the frame;
- scrolling: an xterm printing 30 lines per second;
- animation: a 320x240 photo-like region repainted 30 times per second;
- keyframes: a full refresh requested twice a second of a desktop with an xterm of coloured
  `ls` output and an 800x500 photo-like region; latency from `request_keyframe` to the frame.

CPU is that of the capture thread alone (from /proc), in seconds per second; the X server's own
work is not counted. "video KiB/s" counts video payloads; "wire B/s" counts every frame the
pipeline hands out (video, cursor, monitor list) with its 10-byte frame header, i.e. what goes
into the WebSocket before TLS and (when on) end-to-end encryption. Prints a markdown table;
`--frames` also prints each frame's kind and size (to see what a keystroke sends).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np
import Xlib.display
from Xlib import X

from quickassist.protocol.frames import HEADER_SIZE, FrameFlags, FrameKind
from quickassist.protocol.payloads import KeyEvent
from quickassist.sharer.inject import InputInjector
from quickassist.sharer.pipeline import CapturePipeline, EncodedFrame
from tests.fixtures.video_canvas import photo
from tests.fixtures.xvfb import XvfbServer, start_xvfb

THREAD_NAME = "quickassist-capture"
#: Print every frame counted (--frames).
LOG_FRAMES = False


@dataclass
class Result:
    name: str
    seconds: float = 0.0
    video_frames: int = 0
    video_bytes: int = 0
    cursor_frames: int = 0
    other_frames: int = 0
    wire_bytes: int = 0  # every frame, header included
    cpu_seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    def row(self) -> str:
        if self.latencies_ms:
            ordered = sorted(self.latencies_ms)
            p50 = statistics.median(ordered)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            latency = f"{p50:.1f} / {p95:.1f}"
        else:
            latency = "-"
        fps = self.video_frames / self.seconds
        cursor_fps = self.cursor_frames / self.seconds
        kib = self.video_bytes / self.seconds / 1024
        wire = self.wire_bytes / self.seconds
        cpu = self.cpu_seconds / self.seconds
        return (
            f"| {self.name} | {latency} | {fps:.1f} | {cursor_fps:.1f} | {kib:.1f} | {wire:.0f} "
            f"| {cpu:.3f} |"
        )

    def count(self, frame: EncodedFrame) -> None:
        """Count one frame handed out by the pipeline."""
        self.wire_bytes += HEADER_SIZE + len(frame.payload)
        if frame.kind is FrameKind.VIDEO:
            self.video_frames += 1
            self.video_bytes += len(frame.payload)
        elif frame.kind is FrameKind.CURSOR:
            self.cursor_frames += 1
        else:
            self.other_frames += 1
        if LOG_FRAMES:
            print(f"  {self.name}: {frame.kind.name} {len(frame.payload)} B", file=sys.stderr)


def capture_thread_cpu() -> float:
    """CPU seconds (user + system) used so far by the capture thread of this process."""
    ticks = os.sysconf("SC_CLK_TCK")
    for thread in threading.enumerate():
        if thread.name == THREAD_NAME and thread.native_id is not None:
            with open(f"/proc/self/task/{thread.native_id}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks
    raise RuntimeError("the capture thread is not running")


class Painter:
    def __init__(self, display: str) -> None:
        self.display = Xlib.display.Display(display)
        self.root = self.display.screen().root
        self.gc = self.root.create_gc(foreground=0)

    def rect(self, x: int, y: int, w: int, h: int, pixel: int) -> None:
        self.gc.change(foreground=pixel)
        self.root.fill_rectangle(self.gc, x, y, w, h)
        self.display.sync()

    def image(self, x: int, y: int, rgb: np.ndarray) -> None:
        height, width, _ = rgb.shape
        bgrx = np.zeros((height, width, 4), dtype=np.uint8)
        bgrx[:, :, :3] = rgb[:, :, ::-1]
        rows = 60_000 // (width * 4)
        for top in range(0, height, rows):
            chunk = bgrx[top : top + rows]
            self.root.put_image(
                self.gc, x, y + top, width, chunk.shape[0], X.ZPixmap, 24, 0, chunk.tobytes()
            )
        self.display.sync()

    def close(self) -> None:
        self.display.close()


Workload = Callable[[CapturePipeline, XvfbServer, float, Result], Awaitable[None]]


async def count_frames(pipeline: CapturePipeline, result: Result, until: float) -> None:
    """Take frames until `until` (monotonic), counting them."""
    while (remaining := until - time.monotonic()) > 0:
        try:
            async with asyncio.timeout(remaining):
                frame = await pipeline.next_frame()
        except TimeoutError:
            return
        result.count(frame)


async def next_video(pipeline: CapturePipeline, result: Result) -> None:
    while True:
        frame = await pipeline.next_frame()
        result.count(frame)
        if frame.kind is FrameKind.VIDEO:
            return


async def idle(pipeline: CapturePipeline, xvfb: XvfbServer, seconds: float, r: Result) -> None:
    await count_frames(pipeline, r, time.monotonic() + seconds)


async def draws(pipeline: CapturePipeline, xvfb: XvfbServer, seconds: float, r: Result) -> None:
    painter = Painter(xvfb.display)
    rng = np.random.default_rng(7)
    try:
        end = time.monotonic() + seconds
        slot = time.monotonic()
        while time.monotonic() < end:
            x, y = int(rng.integers(0, 1900)), int(rng.integers(0, 1060))
            started = time.monotonic()
            painter.rect(x, y, 12, 18, int(rng.integers(0, 0xFFFFFF)))
            await next_video(pipeline, r)
            r.latencies_ms.append((time.monotonic() - started) * 1000)
            slot += 1 / 30
            await asyncio.sleep(max(0.0, slot - time.monotonic()))
    finally:
        painter.close()


async def typing(pipeline: CapturePipeline, xvfb: XvfbServer, seconds: float, r: Result) -> None:
    injector = InputInjector(display=xvfb.display)
    try:
        end = time.monotonic() + seconds
        slot = time.monotonic()
        text = "the quick brown fox jumps over the lazy dog "
        i = 0
        while time.monotonic() < end:
            ch = text[i % len(text)]
            i += 1
            started = time.monotonic()
            injector.apply(KeyEvent("KeyA", ch, True))
            injector.apply(KeyEvent("KeyA", ch, False))
            try:
                async with asyncio.timeout(1.0):
                    await next_video(pipeline, r)
                r.latencies_ms.append((time.monotonic() - started) * 1000)
            except TimeoutError:
                pass
            slot += 1 / 10
            await count_frames(pipeline, r, slot)
    finally:
        injector.close()


async def scrolling(pipeline: CapturePipeline, xvfb: XvfbServer, seconds: float, r: Result) -> None:
    # The xterm is already printing (see `xterm_for`); just count what comes out.
    await count_frames(pipeline, r, time.monotonic() + seconds)


async def animation(pipeline: CapturePipeline, xvfb: XvfbServer, seconds: float, r: Result) -> None:
    base = photo(640, 240)
    stop = threading.Event()

    def paint() -> None:
        painter = Painter(xvfb.display)
        try:
            slot = time.monotonic()
            shift = 0
            while not stop.is_set():
                painter.image(400, 300, np.ascontiguousarray(base[:, shift : shift + 320]))
                shift = (shift + 4) % 320
                slot += 1 / 30
                time.sleep(max(0.0, slot - time.monotonic()))
        finally:
            painter.close()

    thread = threading.Thread(target=paint)
    thread.start()
    try:
        await count_frames(pipeline, r, time.monotonic() + seconds)
    finally:
        stop.set()
        await asyncio.to_thread(thread.join)


async def keyframes(pipeline: CapturePipeline, xvfb: XvfbServer, seconds: float, r: Result) -> None:
    painter = Painter(xvfb.display)
    try:
        painter.image(1000, 500, photo(800, 500))  # beside the xterm's text
    finally:
        painter.close()
    await count_frames(pipeline, Result("settle"), time.monotonic() + 0.5)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        pipeline.request_keyframe()
        while True:
            frame = await pipeline.next_frame()
            if frame.kind is FrameKind.VIDEO and frame.flags & FrameFlags.KEYFRAME:
                break
        r.count(frame)
        r.latencies_ms.append((time.monotonic() - started) * 1000)
        await count_frames(pipeline, Result("gap"), started + 0.5)


SCROLLER = (
    "import itertools, time\n"
    "for i in itertools.count():\n"
    "    print('line', i, 'lorem ipsum dolor sit amet ' * 2, flush=True)\n"
    "    time.sleep(1 / 30)\n"
)


def xterm_for(name: str, xvfb: XvfbServer) -> subprocess.Popen[bytes] | None:
    if name == "typing":
        command = ["cat"]
    elif name == "keyframes":
        command = ["sh", "-c", "ls -la --color=always /usr/bin | head -60; exec cat"]
    elif name == "scrolling":
        command = [sys.executable, "-c", SCROLLER]
    else:
        return None
    process = subprocess.Popen(
        ["xterm", "-geometry", "120x40+0+0", "-title", "bench", "-e", *command],
        env=dict(xvfb.env, LC_ALL="C.UTF-8"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    window = subprocess.run(
        ["xdotool", "search", "--sync", "--onlyvisible", "--name", "bench"],
        env=xvfb.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()[0]
    subprocess.run(["xdotool", "windowfocus", "--sync", window], env=xvfb.env, check=True)
    return process


async def run_workload(name: str, workload: Workload, seconds: float) -> Result:
    xvfb = start_xvfb()
    xterm = None
    try:
        xterm = xterm_for(name, xvfb)
        pipeline = CapturePipeline(display=xvfb.display)
        await pipeline.start()
        try:
            pipeline.set_enabled(True)
            # Warm up: the first keyframe and the grabber's first (slow) XShm grab.
            await count_frames(pipeline, Result("warm-up"), time.monotonic() + 1.0)
            result = Result(name)
            cpu = capture_thread_cpu()
            started = time.monotonic()
            await workload(pipeline, xvfb, seconds, result)
            result.seconds = time.monotonic() - started
            result.cpu_seconds = capture_thread_cpu() - cpu
            return result
        finally:
            await pipeline.stop()
    finally:
        if xterm is not None:
            xterm.terminate()
            xterm.wait()
        xvfb.process.terminate()
        xvfb.process.wait()


WORKLOADS: dict[str, Workload] = {
    "idle": idle,
    "draws": draws,
    "typing": typing,
    "scrolling": scrolling,
    "animation": animation,
    "keyframes": keyframes,
}


async def main(seconds: float, only: list[str]) -> None:
    print(f"Sharer capture, 1920x1080 Xvfb, {seconds:g} s per workload, {os.cpu_count()} CPUs\n")
    print(
        "| workload | latency p50 / p95 (ms) | video fps | cursor fps | video KiB/s | wire B/s "
        "| capture CPU (s/s) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, workload in WORKLOADS.items():
        if only and name not in only:
            continue
        result = await run_workload(name, workload, seconds)
        print(result.row(), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--frames", action="store_true", help="print each frame's kind and size")
    parser.add_argument("workloads", nargs="*", choices=[*WORKLOADS, []], default=[])
    args = parser.parse_args()
    LOG_FRAMES = args.frames
    asyncio.run(main(args.seconds, args.workloads))
