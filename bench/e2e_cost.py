"""What end-to-end encryption costs per frame in Python (protocol/e2e.py): seal + open.

    .venv/bin/python -m bench.e2e_cost [--repeat 200]

Workloads, as the sharer sends and receives them at 1920x1080:
  keyframe  a full-screen JPEG keyframe (~236 KB, DESIGN.md's q70 figure)
  update    a typical changed-tiles frame while scrolling (~40 KB)
  typing    a small update frame while someone types (~2 KB)
  input     one key event from the helper (~60 bytes of JSON)
Also the handshake (both sides, X25519 and P-256). Times are medians of `repeat` runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from quickassist.protocol.e2e import HelperHandshake, SecureChannel, SharerHandshake
from quickassist.protocol.frames import FrameKind, decode_frame

WORKLOADS = {
    "keyframe": (FrameKind.VIDEO, 236_000),
    "update": (FrameKind.VIDEO, 40_000),
    "typing": (FrameKind.VIDEO, 2_000),
    "input": (FrameKind.INPUT, 60),
}


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def channels(curve: str = "X25519") -> tuple[SecureChannel, SecureChannel]:
    helper = HelperHandshake("bench", curve=curve)
    sharer = SharerHandshake("bench", helper.commit())
    reveal, helper_keys = helper.on_key(sharer.offer())
    sharer_keys = sharer.on_reveal(reveal)
    return SecureChannel(helper_keys, helper=True), SecureChannel(sharer_keys, helper=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    repeat = parser.parse_args().repeat
    helper, sharer = channels()
    print(f"{'workload':<10} {'bytes':>8} {'seal ms':>9} {'open ms':>9} {'MB/s':>8}")
    for name, (kind, size) in WORKLOADS.items():
        payload = os.urandom(size)
        sealed = [sharer.seal(kind, payload) for _ in range(repeat)]
        seal = median_ms(lambda p=payload, k=kind: sharer.seal(k, p), repeat)
        frames = iter([decode_frame(data) for data in sealed])
        opening = median_ms(lambda f=frames: helper.open(next(f)), repeat)
        rate = size / ((seal + opening) / 1000) / 1e6
        print(f"{name:<10} {size:>8} {seal:>9.3f} {opening:>9.3f} {rate:>8.0f}")
    for curve in ("X25519", "P-256"):
        cost = median_ms(lambda c=curve: channels(c), max(20, repeat // 10))
        print(f"handshake {curve}: {cost:.2f} ms (both sides, in one process)")


if __name__ == "__main__":
    main()
