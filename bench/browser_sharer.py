"""The browser sharer (/share) beside the app: typing glass to glass and full-screen motion at
1920x1080, the same probes and animations as bench/glass_to_glass.py and bench/motion.py.

    .venv/bin/python -m bench.browser_sharer [--typing 60] [--seconds 8] [--no-app]
        [--vp8 [--vp8-first]] [--link 2]

Real parts only: `quickassist serve` on loopback with TLS, a fresh 1920x1080 Xvfb, the helper's
console in headless Chromium (view only: a browser sharer can only be watched), and the sharer
either as the app (`quickassist share --no-gui`, the rig of glass_to_glass.py) or as the page
in a second Chromium, headed on the Xvfb, capturing the entire screen with getDisplayMedia and
encoding with WebCodecs H.264 (PLATFORM-NOTES.md, "Screen capture in the browser"). The sharer's
window is put beside the screen (off its right edge), so the screen it captures is all root
window, as the animations paint it. Each scenario gets a fresh service, Xvfb and browsers, and
both run in the same invocation, one after the other: the machine is shared and noisy, so the
ratio of the two is the figure to read, not either one alone.

`--vp8` adds a third scenario: the page with H.264 encode refused (an init script answers
`isConfigSupported` "no" for avc1, as a browser without an H.264 encoder does), so it encodes
VP8, and the console decodes it; the line after the table gives VP8 / H.264.

`--link RATE` puts the helper's console behind one of issue 9's constrained links
(tests/fixtures/shaped_link.py: 50, 10 or 2 Mbit/s with its round trip), as bench/motion.py
does; the sharer (app or page) stays on loopback to the service, so its frames cross the link
from the relay to the console and the acknowledgements come back over it (needs root).

The capture timestamp of a browser-sharer frame is the page's Date.now() when the picture was
taken from the track: the system clock, the same one the benchmark paints by.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.async_api import Page, async_playwright, expect

from bench.glass_to_glass import HEIGHT, PAGE_PROBE, VIEWPORT, WIDTH, Figures, Rig, typing
from bench.motion import Motion, motion
from bench.service_process import running_service
from tests.e2e.browser_sharer.page_scripts import NO_H264_ENCODE
from tests.e2e.console.console_steps import get_code, sign_in
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS
from tests.fixtures.service import LiveService
from tests.fixtures.shaped_link import SHAPES, DelayingProxy, LinkShape, ShapedLink
from tests.fixtures.xvfb import XvfbServer, start_xvfb
from tests.timeouts import WAIT

#: The sharer's Chromium: the entire screen picked without asking, its own window off the
#: screen's right edge (the capture is of the screen, not of the window).
SHARER_ARGS = [
    *CHROMIUM_ARGS,
    "--auto-select-desktop-capture-source=Entire screen",
    f"--window-position={WIDTH},0",
    "--window-size=1000,800",
]


class BrowserRig(Rig):
    """The console (the rig's page) watching the /share page in a second Chromium."""

    def __init__(self, service: LiveService, xvfb: XvfbServer, page: Page, sharer: Page) -> None:
        super().__init__(service, xvfb, page)
        self.sharer = sharer

    async def start_session(self) -> None:
        page, sharer = self.page, self.sharer
        await sign_in(page, self.service)
        code = await get_code(page)
        await sharer.goto(f"/s/{code.replace('-', '')}")
        await sharer.click("#share-submit")
        await expect(page.locator("#mode-browser-note")).to_be_visible()
        await page.click("#mode-view-only")
        await sharer.click("#consent-allow")
        await expect(page.locator("#view-session")).to_be_visible()
        await expect(page.locator("#waiting-picture")).to_be_hidden()

    async def stop(self) -> None:
        self.painter.close()


async def measure(rig: Rig, count: int, seconds: float) -> tuple[Figures, Motion]:
    await rig.start_session()
    await rig.calibrate()
    typed = await typing(rig, count)
    moved = await motion(rig, seconds)
    return typed, moved


async def run(
    browser_sharer: bool,
    count: int,
    seconds: float,
    *,
    vp8: bool = False,
    shape: LinkShape | None = None,
) -> tuple[Figures, Motion]:
    xvfb = start_xvfb(WIDTH, HEIGHT)
    try:
        await asyncio.to_thread(
            subprocess.run, ["xsetroot", "-solid", "#336699"], env=xvfb.env, check=True
        )
        with (
            running_service() as service,
            ShapedLink(rate_mbit=shape.rate_mbit) if shape else contextlib.nullcontext() as link,
            tempfile.TemporaryDirectory() as scratch,
        ):
            # The console behind the link (if any), through the delaying proxy.
            console_url, console_chromium, proxy = service.base_url, CHROMIUM, None
            if isinstance(link, ShapedLink) and shape is not None:
                proxy = await DelayingProxy.start(link.host_address, service.port, rtt=shape.rtt)
                console_url = f"https://{link.host_address}:{proxy.port}"
                console_chromium = str(link.chromium(Path(scratch)))
            async with async_playwright() as playwright:
                console = await playwright.chromium.launch(
                    executable_path=console_chromium, args=CHROMIUM_ARGS
                )
                sharer_browser = None
                try:
                    context = await console.new_context(
                        base_url=console_url, ignore_https_errors=True, viewport=VIEWPORT
                    )
                    context.set_default_timeout(WAIT * 3 * 1000)
                    await context.add_init_script(PAGE_PROBE)
                    page = await context.new_page()
                    rig: Rig
                    if browser_sharer:
                        env: dict[str, str | float | bool] = dict(xvfb.env)
                        sharer_browser = await playwright.chromium.launch(
                            executable_path=CHROMIUM, headless=False, env=env, args=SHARER_ARGS
                        )
                        sharer_context = await sharer_browser.new_context(
                            base_url=service.base_url, ignore_https_errors=True, no_viewport=True
                        )
                        sharer_context.set_default_timeout(WAIT * 3 * 1000)
                        if vp8:
                            await sharer_context.add_init_script(NO_H264_ENCODE)
                        rig = BrowserRig(service, xvfb, page, await sharer_context.new_page())
                    else:
                        rig = Rig(service, xvfb, page)
                    try:
                        return await measure(rig, count, seconds)
                    finally:
                        await rig.stop()
                finally:
                    if sharer_browser is not None:
                        await sharer_browser.close()
                    await console.close()
                    if proxy is not None:
                        await proxy.close()
    finally:
        xvfb.process.terminate()
        xvfb.process.wait()


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--typing", type=int, default=60, help="glyphs painted")
    parser.add_argument("--seconds", type=float, default=8.0, help="of full-screen motion")
    parser.add_argument("--no-app", action="store_true", help="the browser sharer only")
    parser.add_argument("--vp8", action="store_true", help="also the page encoding VP8")
    parser.add_argument(
        "--vp8-first", action="store_true", help="with --vp8: VP8 before H.264 (alternate runs)"
    )
    parser.add_argument(
        "--link",
        type=float,
        choices=[s.rate_mbit for s in SHAPES],
        help="the console behind this constrained link (Mbit/s; its round trip as issue 9's)",
    )
    args = parser.parse_args()
    sys.setswitchinterval(0.0005)
    shape = next((s for s in SHAPES if s.rate_mbit == args.link), None)
    results = {}
    n, secs = args.typing, args.seconds
    if args.vp8 and args.vp8_first:
        results["browser sharer, VP8"] = await run(True, n, secs, vp8=True, shape=shape)
    results["browser sharer"] = await run(True, n, secs, shape=shape)
    if args.vp8 and not args.vp8_first:
        results["browser sharer, VP8"] = await run(True, n, secs, vp8=True, shape=shape)
    if not args.no_app:
        results["sharer app"] = await run(False, n, secs, shape=shape)
    if shape is not None:
        print(f"over {shape.name} (the console behind it)")
    print(
        "| sharer | typing glass to glass p50 / p95 ms | typing samples (missed) "
        "| motion distinct frames/s | motion glass to glass p50 / p95 ms | motion Mbit/s "
        "| CPU during motion (cores): sharer app / Chromium (both) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, (typed, moved) in results.items():
        f = moved.figures
        print(
            f"| {name} | {p50(typed.latencies_ms):.0f} / {p95(typed.latencies_ms):.0f} "
            f"| {len(typed.latencies_ms)} ({typed.missed}) | {f.extra['fps']:.1f} "
            f"| {p50(f.latencies_ms):.0f} / {p95(f.latencies_ms):.0f} | {f.extra['mbit_s']:.1f} "
            f"| {f.extra.get('cpu sharer', 0.0):.2f} / {f.extra.get('cpu Chromium', 0.0):.2f} |",
            flush=True,
        )
    print()
    bt, bm = results["browser sharer"]
    if "sharer app" in results:
        at, am = results["sharer app"]
        print(
            f"browser / app: typing p50 {p50(bt.latencies_ms) / p50(at.latencies_ms):.2f}x, "
            f"motion frames/s {bm.figures.extra['fps'] / am.figures.extra['fps']:.2f}x"
        )
    if "browser sharer, VP8" in results:
        vt, vm = results["browser sharer, VP8"]
        print(
            f"VP8 / H.264: typing p50 {p50(vt.latencies_ms) / p50(bt.latencies_ms):.2f}x, "
            f"motion frames/s {vm.figures.extra['fps'] / bm.figures.extra['fps']:.2f}x"
        )


if __name__ == "__main__":
    asyncio.run(main())
