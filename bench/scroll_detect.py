"""What scroll detection and the update path cost per capture at 1920x1080 (CPU milliseconds).

    .venv/bin/python -m bench.scroll_detect [--repeat 30]

Workloads (a terminal-like page of two-colour lines, one every 16 rows):
  find_shift scroll     the page scrolled one line: the shift is found
  find_shift no scroll  the page replaced by another: no shift (the cost of looking)
  update scroll         ScreenUpdates.update on the scrolled page: copy + the exposed strip
  update tiles          the same change with copies off (SCROLL_MIN_TILES out of reach): tiles
Bytes per update are printed beside the update rows. Times are process time (the machine is
shared), medians of `repeat` runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from quickassist.protocol.media import VideoPayload
from quickassist.sharer import updates as updates_module
from quickassist.sharer.codecs.adaptive import AdaptiveTileEncoder
from quickassist.sharer.scroll import find_shift
from quickassist.sharer.tiles import Rect, TileGrid
from quickassist.sharer.updates import ScreenUpdates
from tests.fixtures.terminal_page import terminal_page

WIDTH, HEIGHT = 1920, 1080


def text_page(height: int, seed: int) -> npt.NDArray[np.uint8]:
    return terminal_page(height, WIDTH, seed)


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def update_cost(
    before: npt.NDArray[np.uint8], after: npt.NDArray[np.uint8], repeat: int
) -> tuple[float, int]:
    sizes: list[int] = []

    def one() -> None:
        screen = ScreenUpdates(TileGrid(WIDTH, HEIGHT), AdaptiveTileEncoder())
        screen.shown = before.copy()
        tiles = screen.update(after, None, full=False, quality=75, now=0.0)
        sizes.append(VideoPayload(WIDTH, HEIGHT, tuple(tiles)).wire_size)

    return median_ms(one, repeat), sizes[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    repeat = parser.parse_args().repeat
    document = text_page(HEIGHT + 16, seed=1)
    before, after = document[:HEIGHT].copy(), document[16 : 16 + HEIGHT].copy()
    other = text_page(HEIGHT, seed=2)
    whole = Rect(0, 0, WIDTH, HEIGHT)
    print(f"{'workload':<22} {'ms':>7} {'bytes':>9}")
    found = median_ms(lambda: find_shift(before, after, whole), repeat)
    print(f"{'find_shift scroll':<22} {found:7.1f}")
    no_scroll = median_ms(lambda: find_shift(before, other, whole), repeat)
    print(f"{'find_shift no scroll':<22} {no_scroll:7.1f}")
    ms, size = update_cost(before, after, repeat)
    print(f"{'update scroll':<22} {ms:7.1f} {size:9d}")
    saved = updates_module.SCROLL_MIN_TILES
    updates_module.SCROLL_MIN_TILES = 10**9
    try:
        ms, size = update_cost(before, after, max(3, repeat // 5))
    finally:
        updates_module.SCROLL_MIN_TILES = saved
    print(f"{'update tiles':<22} {ms:7.1f} {size:9d}")


if __name__ == "__main__":
    main()
