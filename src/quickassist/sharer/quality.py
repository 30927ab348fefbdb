"""Picture quality that follows the link and the helper's choice: JPEG quality and frame rate.

The capture pipeline hands over at most one video frame at a time, and the flow window
(sharer/pacing.py) lets it leave only when the console has drawn the ones before, so a slow
link already lowers the frame rate. When even so a frame takes long to cross (its bytes over
the throughput the console's acknowledgements measure), smaller frames help more than fewer
ones: `QualityGovernor` steps JPEG quality down quickly and back up slowly once frames cross
in good time again. Before anything is measured (an older console that does not acknowledge)
the time frames wait to be taken says the same, less precisely. Lossless tiles (text) are
never touched.

The helper picks the trade (`QualityChoice`): "auto" aims at a smooth picture at the default
quality range; "sharp" keeps quality high and accepts fewer frames a second; "smooth" goes lower
in quality to keep the frame rate up.
"""

from __future__ import annotations

from dataclasses import dataclass

from .pacing import LinkEstimate


@dataclass(frozen=True, slots=True)
class QualityProfile:
    """One choice of the helper: the JPEG quality range, and how long a frame may take to cross
    the link (`frame_budget`, seconds) before quality steps down; `min_interval` is the least
    time between captures (0: as fast as the pipeline's own pace)."""

    best: int
    worst: int
    frame_budget: float
    min_interval: float = 0.0


# Defaults -------------------------------------------------------------------------------------
#: Quality on a fast link, and the floor on a slow one (below ~35 blocks show on photos).
BEST_QUALITY = 75
WORST_QUALITY = 35
PROFILES = {
    # About 20 frames a second before quality gives way.
    "auto": QualityProfile(BEST_QUALITY, WORST_QUALITY, 1 / 20),
    # Text and photos crisp (q 90 is close to lossless to the eye); 5 frames a second will do.
    "sharp": QualityProfile(90, 70, 1 / 5, min_interval=1 / 10),
    # Motion first: 30 frames a second, blocks allowed.
    "smooth": QualityProfile(60, 25, 1 / 30),
}
#: Step down fast, up slowly, so a congested link is relieved at once and not re-congested.
STEP_DOWN = 10
STEP_UP = 5
DOWN_AFTER = 0.5  # seconds between steps down
UP_AFTER = 2.0  # seconds between steps up
#: Smoothing of the measured wait and frame sizes (exponentially weighted: the newest's weight).
SMOOTHING = 0.3


class QualityGovernor:
    """Turns the link's measure and the helper's choice into a JPEG quality. Pure: time is given."""

    def __init__(
        self,
        *,
        frame_interval: float,
        best: int = BEST_QUALITY,
        worst: int = WORST_QUALITY,
    ) -> None:
        self.frame_interval = frame_interval
        self.mode = "auto"
        self._profile = QualityProfile(best, worst, PROFILES["auto"].frame_budget)
        self._auto = self._profile
        self._quality = best
        self._wait = 0.0
        self._frame_bytes = 0.0
        self.link = LinkEstimate()
        self._changed_at = float("-inf")

    @property
    def best(self) -> int:
        return self._profile.best

    @property
    def worst(self) -> int:
        return self._profile.worst

    def set_mode(self, mode: str) -> None:
        """The helper's choice ("auto", "sharp", "smooth"); quality moves into its range now."""
        profile = self._auto if mode == "auto" else PROFILES.get(mode)
        if profile is None:
            return
        self.mode = mode
        self._profile = profile
        self._quality = min(profile.best, max(profile.worst, self._quality))
        if mode != "auto":
            self._quality = profile.best  # a deliberate choice shows at once

    def observe(self, waited: float) -> None:
        """A video frame waited `waited` seconds between capture and being taken for sending."""
        self._wait += SMOOTHING * (waited - self._wait)

    def observe_frame(self, size: int) -> None:
        """A capture of `size` bytes was handed over for sending."""
        if self._frame_bytes == 0.0:
            self._frame_bytes = float(size)
        else:
            self._frame_bytes += SMOOTHING * (size - self._frame_bytes)

    def observe_link(self, link: LinkEstimate) -> None:
        """The latest measure of the link, from the console's acknowledgements."""
        self.link = link

    def crossing_time(self) -> float | None:
        """How long a typical frame takes to cross the link (None while unmeasured)."""
        if not self.link.known or self._frame_bytes == 0.0:
            return None
        return self._frame_bytes * 8 / self.link.throughput_bps

    def capture_interval(self) -> float:
        """The least time between two captures under the helper's choice."""
        return max(self.frame_interval, self._profile.min_interval)

    def quality(self, now: float) -> int:
        """The quality to encode with at time `now` (monotonic seconds)."""
        since = now - self._changed_at
        crossing = self.crossing_time()
        if crossing is not None:
            budget = self._profile.frame_budget
            slow, fast = crossing > 1.5 * budget, crossing < 0.5 * budget
        else:
            slow, fast = self._wait > 3 * self.frame_interval, self._wait < self.frame_interval
        if slow and since >= DOWN_AFTER:
            new = max(self.worst, self._quality - STEP_DOWN)
        elif fast and since >= UP_AFTER:
            new = min(self.best, self._quality + STEP_UP)
        else:
            new = self._quality
        if new != self._quality:
            self._quality = new
            self._changed_at = now
        return self._quality
