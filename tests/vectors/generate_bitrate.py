"""Regenerate bitrate.json: the H.264 target bitrate's decisions (sharer/bitrate.py), replayed by
the browser sharer's twin (core/bitrate.js, core/link-estimator.js; tests/js/bitrate.test.mjs).

Two kinds of sequence, from the Python implementation:

- `controller`: calls of `BitrateController` (`seed`, `observe`, `lost`, `reset`) with their
  arguments
  and what the controller answers after each (its bitrate, probes and backoffs). Most come from
  a simulated link (a bottleneck of `rate` bits a second with a queue, half the round trip each
  way, two frames in flight as the page's flow window keeps them, frames captured 30 times a
  second, each the target's share of the time since the one before (or a part of it: an easy
  picture), the first four times that (a keyframe); a slowing link; a stall that times the
  window out; a reset as a new connection makes one); a few are written by hand for the rules
  the simulation seldom reaches (no delivery rate, someone else's queue, losses, a reset).
- `link`: the deliveries `LinkEstimator` was fed in two of those simulations, and what it then
  measured (`last_rtt`, `srtt`, `min_rtt`, `recent_bps`, `floor_bps`): the inputs of the
  controller above.

JSON carries each float as the shortest text that reads back the same double, and both sides
do the same IEEE arithmetic in the same order, so the JS must agree exactly.
tests/unit/sharer/test_bitrate_vectors.py checks that the committed file is what this makes now.

    .venv/bin/python tests/vectors/generate_bitrate.py          # rewrite bitrate.json
    .venv/bin/python tests/vectors/generate_bitrate.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import json
import random
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quickassist.sharer.bitrate import BitrateController
from quickassist.sharer.pacing import LinkEstimator

TARGET = Path(__file__).resolve().with_name("bitrate.json")

#: The page's flow window (core/flow-window.js): frames in flight, and its acknowledgement timeout.
MAX_FRAMES = 2
ACK_TIMEOUT = 2.0
FRAME_INTERVAL = 1 / 30
TICK = 0.001


@dataclass
class _Frame:
    size: int
    sent_at: float
    acked_at: float


@dataclass(frozen=True)
class Link:
    """A simulated link and what goes over it (see the module docstring)."""

    name: str
    rate_bps: float
    rtt: float
    seconds: float
    #: The share of target x time since the last frame (at most two frame intervals: the
    #: encoder's rate control follows timestamps) a frame carries; the first (a keyframe) 4x.
    fill: float = 1.0
    #: (from, to): the link carries nothing meanwhile (a stall: the window times out).
    stall: tuple[float, float] | None = None
    #: The link's rate from this time on (it slows or speeds up), and a reset at this time.
    change: tuple[float, float] | None = None
    reset_at: float | None = None
    #: Random jitter of the console's drawing (seconds, at most), seeded: a loaded machine.
    jitter: float = 0.004
    seed: int = 1


def simulate(link: Link) -> tuple[list[list[Any]], list[list[Any]]]:
    """The controller's calls and the estimator's deliveries over `link`."""
    rng = random.Random(link.seed)
    controller, estimator = BitrateController(), LinkEstimator()
    calls: list[list[Any]] = []
    deliveries: list[list[Any]] = []
    flight: deque[_Frame] = deque()
    link_free = 0.0
    next_capture = last_sent = 0.0
    first = True
    rate = link.rate_bps
    for tick in range(round(link.seconds / TICK)):
        now = tick * TICK
        if link.change is not None and now >= link.change[0]:
            rate = link.change[1]
        if link.reset_at is not None and abs(now - link.reset_at) < TICK / 2:
            controller.reset()
            estimator.reset()
            flight.clear()
            first = True
            calls.append(["reset", now, *answer(controller)])
            deliveries.append(["reset"])
        while flight and flight[0].acked_at <= now:
            frame = flight.popleft()
            draw = 0.002 + rng.random() * link.jitter
            acked = frame.acked_at + draw
            estimator.delivered(frame.size, frame.sent_at, acked, draw)
            rtts = [estimator.last_rtt, estimator.srtt, estimator.min_rtt]
            measured = [*rtts, estimator.recent_bps, estimator.floor_bps]
            deliveries.append([frame.size, frame.sent_at, acked, draw, *measured])
            controller.seed(acked, estimator.floor_bps)  # (as pacing.py's FlowWindow.drawn)
            calls.append(["seed", acked, estimator.floor_bps, *answer(controller)])
            ack = {
                "rtt_s": estimator.last_rtt,
                "srtt_s": estimator.srtt,
                "min_rtt_s": estimator.min_rtt,
                "delivery_bps": estimator.recent_bps,
                "sent_at": frame.sent_at,
            }
            controller.observe(acked, **ack)
            calls.append(["observe", acked, ack, *answer(controller)])
        if flight and now - flight[0].sent_at >= ACK_TIMEOUT:
            controller.lost(now, len(flight), srtt_s=estimator.srtt)
            calls.append(["lost", now, len(flight), estimator.srtt, *answer(controller)])
            flight.clear()  # given up: their acknowledgements, if ever, say nothing
        if now >= next_capture and len(flight) < MAX_FRAMES:
            since = min(now - last_sent, 2 * FRAME_INTERVAL) if not first else FRAME_INTERVAL
            share = controller.bitrate * since / 8 * link.fill
            size = max(300, int(share * (4 if first else 1)))
            first, last_sent = False, now
            start = max(now, link_free)
            if link.stall is not None and link.stall[0] <= start < link.stall[1]:
                start = link.stall[1]
            link_free = start + size * 8 / rate
            flight.append(_Frame(size, now, link_free + link.rtt))
            next_capture = now + FRAME_INTERVAL
    return calls, deliveries


def answer(controller: BitrateController) -> list[int]:
    return [controller.bitrate, controller.probes, controller.backoffs]


LINKS = (
    # Issue 9's slow link: the start probes past it, backs off, settles near it.
    Link("2 Mbit/s, 80 ms", 2e6, 0.080, 12.0),
    # A fast link: probing to the ceiling, and staying there.
    Link("50 Mbit/s, 20 ms", 50e6, 0.020, 4.0),
    # An encoder that makes half the target's bytes (easy pictures): the delivery rate it shows
    # caps the start (the sender's restraint, not the link's).
    Link("10 Mbit/s, 40 ms, half-filled frames", 10e6, 0.040, 4.0, fill=0.5, seed=4),
    # A link that slows under the stream, then a stall that times the window out, then a new
    # connection (reset) on the slow link.
    Link(
        "10 -> 1 Mbit/s, 40 ms, a stall, a reset",
        10e6,
        0.040,
        16.0,
        change=(4.0, 1e6),
        stall=(8.0, 10.5),
        reset_at=12.0,
        seed=2,
    ),
    # Below the floor: the target comes down to it and stays.
    Link("0.2 Mbit/s, 200 ms", 0.2e6, 0.200, 12.0, seed=3),
)


def by_hand() -> list[dict[str, Any]]:
    """Rules a simulation seldom reaches, one sequence each."""
    quiet = {"rtt_s": 0.01, "srtt_s": 0.01, "min_rtt_s": 0.01, "delivery_bps": 0.0}

    def run(name: str, script: list[tuple[Any, ...]]) -> dict[str, Any]:
        controller = BitrateController()
        calls: list[list[Any]] = []
        for op, now, *args in script:
            if op == "observe":
                controller.observe(now, **args[0])
                calls.append(["observe", now, args[0], *answer(controller)])
            elif op == "lost":
                controller.lost(now, args[0], srtt_s=args[1])
                calls.append(["lost", now, args[0], args[1], *answer(controller)])
            elif op == "seed":
                controller.seed(now, args[0])
                calls.append(["seed", now, args[0], *answer(controller)])
            else:
                controller.reset()
                calls.append(["reset", now, *answer(controller)])
        return {"name": name, "calls": calls}

    queue = {**quiet, "rtt_s": 0.2}
    return [
        # No delivery rate, no sending time: probing by the clock to the ceiling, then a queue
        # (behind from acknowledgements' own round trips), once per congestion.
        run(
            "no delivery rate: the ceiling, a queue, one backoff per congestion",
            [("observe", t * 0.05, quiet) for t in range(40)]
            + [("observe", 2.0 + t * 0.05, queue) for t in range(10)],
        ),
        # A queue while the link delivers well above the target: someone else's, no backoff.
        run(
            "a queue on a link that delivers above the target",
            [("observe", 1 + t * 0.05, {**queue, "delivery_bps": 3e6}) for t in range(6)],
        ),
        # Frames lost: a backoff, not twice within a probe interval, then the floor.
        run(
            "losses",
            [("lost", 1.0, 2, 0.05), ("lost", 1.1, 2, 0.05), ("lost", 1.3, 1, 0.5)]
            + [("lost", 1.9 + t, 2, 0.0) for t in range(8)]
            + [("lost", 20.0, 0, 0.0)],
        ),
        # Lost frames reported with an acknowledgement, then a reset mid-probe.
        # A seed: half the floor, never lower, never past the ceiling, nothing after a backoff
        # until a reset; the next probe waits its interval after it.
        run(
            "seeds",
            [("seed", 0.0, 4e6), ("seed", 0.1, 1e6), ("seed", 0.2, 100e6), ("reset", 0.3)]
            + [("seed", 1.0, 2.4e6)]
            + [("observe", t, quiet) for t in (1.03, 1.06, 1.09, 1.2)]
            + [("lost", 1.5, 1, 0.0), ("seed", 2.0, 40e6), ("reset", 2.5), ("seed", 3.0, 1.5e6)],
        ),
        run(
            "lost with an acknowledgement, and a reset",
            [("observe", t * 0.05, quiet) for t in range(8)]
            + [("observe", 0.4, {**quiet, "lost": 1, "sent_at": 0.35})]
            + [("reset", 0.45)]
            + [("observe", 0.5 + t * 0.05, quiet) for t in range(8)],
        ),
    ]


def bitrate_vectors() -> dict[str, Any]:
    controller, link = [], []
    for shape in LINKS:
        calls, deliveries = simulate(shape)
        controller.append({"name": shape.name, "calls": calls})
        if shape.name.startswith(("2 Mbit/s", "10 -> 1")):
            link.append({"name": shape.name, "deliveries": deliveries})
    return {
        "about": (
            "BitrateController and LinkEstimator (sharer/bitrate.py, sharer/pacing.py) decisions, "
            "from tests/vectors/generate_bitrate.py. controller calls: "
            "[op, now, args..., bitrate, probes, backoffs]; observe args: {rtt_s, srtt_s, "
            "min_rtt_s, delivery_bps, sent_at?, lost?}; seed args: floor_bps; lost args: frames, "
            "srtt_s; reset: none. link deliveries: [size, sent_at, now, draw_s, last_rtt, srtt, "
            "min_rtt, recent_bps, floor_bps], "
            'or ["reset"].'
        ),
        "controller": controller + by_hand(),
        "link": link,
    }


def render(vectors: dict[str, Any]) -> str:
    """One call or delivery a line: diffs of a changed rule stay readable."""
    lines = ["{", f'  "about": {json.dumps(vectors["about"])},']
    for key, rows in (("controller", "calls"), ("link", "deliveries")):
        lines.append(f'  "{key}": [')
        for i, sequence in enumerate(vectors[key]):
            lines.append(f'    {{"name": {json.dumps(sequence["name"])}, "{rows}": [')
            body = [f"      {json.dumps(row)}" for row in sequence[rows]]
            lines.append(",\n".join(body))
            lines.append("    ]}" + ("," if i < len(vectors[key]) - 1 else ""))
        lines.append("  ]" + ("," if key == "controller" else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render(bitrate_vectors())
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text("utf-8") != text:
            print("tests/vectors/bitrate.json is out of date: run generate_bitrate.py")
            return 1
        return 0
    TARGET.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
