"""`VideoScale`: when the capture thread cannot keep up, the video region is encoded at half size.

WebRTC's CPU-overuse adaptation, for one region: on this 2-core machine a 1080p capture (grab,
compare, H.264 encode) took 20-39 ms against the 33 ms between a 30 fps animation's paints, and
x264 with its BGRA -> I420 conversion was 75-80 % of it (docs/benchmarks.md, issue 9). Half the
width and height is a quarter of the pixels for x264; the console draws the picture scaled into
the tile's rectangle, and the lossless refresh after the motion makes the region exact anyway.

Pure: each video capture's cost (seconds of the capture thread) and its time go in, the scale
comes out; no clock is read.

- Down (scale 2) when the median cost of the last `window` video captures exceeds `high` of the
  frame interval: there is no room for the next capture within the content's cadence. (The
  median: one capture held up by a stall says nothing of the next.)
- Up (scale 1) when, at half size, the median stays under `low` of the interval, at least `hold`
  seconds after the last switch. At half size the encode is about a quarter, so a half-size cost
  under ~0.4x of a full one means the full size would fit under `high` again; `low` sits below
  that so the two do not alternate.
- Going up and having to come down again within `hold` doubles `hold` (up to `max_hold`): the
  room seen at half size was not real (the load comes and goes).
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass

#: The scales: full size, and half the width and height.
FULL = 1
HALF = 2


@dataclass(frozen=True, slots=True)
class ScaleSettings:
    """When the video goes to half size and back."""

    #: Video captures whose median cost is compared (8: a quarter second at 30 fps).
    window: int = 8
    #: Down when the median cost exceeds this share of the frame interval (25 ms of 33).
    high: float = 0.75
    #: Up when the median cost at half size stays under this share of the interval (10 ms of 33).
    low: float = 0.3
    #: Seconds at one scale before going up; doubled by a quick fall back, up to `max_hold`.
    hold: float = 2.0
    max_hold: float = 16.0


class VideoScale:
    """The scale of the video region, from the recent capture costs against `interval` seconds."""

    def __init__(self, interval: float, settings: ScaleSettings | None = None) -> None:
        self.settings = settings or ScaleSettings()
        self.interval = interval
        self.scale = FULL
        self._costs: deque[float] = deque(maxlen=self.settings.window)
        self._switched_at = float("-inf")
        self._hold = self.settings.hold
        #: Switches so far (down, up): tests and benchmarks count them.
        self.downs = 0
        self.ups = 0

    def observe(self, cost: float, now: float) -> int:
        """One video capture at `now` took `cost` seconds; the scale for the next one."""
        s = self.settings
        self._costs.append(cost)
        if len(self._costs) < s.window:
            return self.scale
        typical = statistics.median(self._costs)
        if self.scale == FULL and typical > s.high * self.interval:
            if now - self._switched_at < self._hold:
                self._hold = min(2 * self._hold, s.max_hold)  # the way up was a mistake
            self._switch(HALF, now)
            self.downs += 1
        elif (
            self.scale == HALF
            and typical < s.low * self.interval
            and now - self._switched_at >= self._hold
        ):
            self._switch(FULL, now)
            self.ups += 1
        return self.scale

    def _switch(self, scale: int, now: float) -> None:
        self.scale = scale
        self._switched_at = now
        self._costs.clear()  # costs at the other size say nothing about this one
