"""Picture quality that follows the link: lower JPEG quality while frames wait to be sent.

The capture pipeline hands over at most one video frame at a time, so a slow link already
lowers the frame rate. When frames still wait long for the sender (the link drains slowly),
smaller frames help more than fewer ones: `QualityGovernor` steps JPEG quality down quickly
and back up slowly once frames leave promptly again. Lossless tiles (text) are never touched.
"""

from __future__ import annotations

# Defaults -------------------------------------------------------------------------------------
#: Quality on a fast link, and the floor on a slow one (below ~35 blocks show on photos).
BEST_QUALITY = 75
WORST_QUALITY = 35
#: Step down fast, up slowly, so a congested link is relieved at once and not re-congested.
STEP_DOWN = 10
STEP_UP = 5
DOWN_AFTER = 0.5  # seconds between steps down
UP_AFTER = 2.0  # seconds between steps up
#: Smoothing of the measured wait (exponentially weighted: weight of the newest sample).
SMOOTHING = 0.3


class QualityGovernor:
    """Turns "how long did frames wait for the sender" into a JPEG quality. Pure: time is given."""

    def __init__(
        self,
        *,
        frame_interval: float,
        best: int = BEST_QUALITY,
        worst: int = WORST_QUALITY,
    ) -> None:
        self.frame_interval = frame_interval
        self.best = best
        self.worst = worst
        self._quality = best
        self._wait = 0.0
        self._changed_at = float("-inf")

    def observe(self, waited: float) -> None:
        """A video frame waited `waited` seconds between capture and being taken for sending."""
        self._wait += SMOOTHING * (waited - self._wait)

    def quality(self, now: float) -> int:
        """The quality to encode with at time `now` (monotonic seconds)."""
        since = now - self._changed_at
        if self._wait > 3 * self.frame_interval and since >= DOWN_AFTER:
            new = max(self.worst, self._quality - STEP_DOWN)
        elif self._wait < self.frame_interval and since >= UP_AFTER:
            new = min(self.best, self._quality + STEP_UP)
        else:
            new = self._quality
        if new != self._quality:
            self._quality = new
            self._changed_at = now
        return self._quality
