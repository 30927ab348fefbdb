"""The H.264 target bitrate, following the link as the console's acknowledgements show it.

Issue 9 measured the stream that started from a guess above what a 2 Mbit/s, 80 ms link then
carried: frames queued in the link, the round trip grew past a second and stayed there. So
`BitrateController` starts low and probes upward only while the acknowledgements say the link
keeps up, and backs off at once when they say it does not:

- *keeps up*: the recent round trips of the frames come near the least seen (`min_rtt`: the
  link's own delay plus a small frame's crossing), so nothing stands in a queue. Then every
  `probe_interval` (at least two round trips, so the step's effect is seen before the next) the
  target grows: by `start_step` every `start_interval` (or two round trips) until the first
  backoff (a fast link reaches the ceiling within a second of motion: until then the picture
  is coarse), then by `probe_step`, gently (`cautious_step`) near the rate of the last backoff
  for a while after it, where the link's limit was just found (away from it, a spurious
  backoff, such as the first keyframe's, does not slow the climb). Never, though, past
  `start_headroom` (then `probe_headroom`) times the rate the link was seen to deliver back to
  back: WebRTC's AIMD rate control caps an increase at 1.5x the acknowledged rate likewise.
- *falls behind*: the round trip stands `queue_high` above the least in every one of the last
  `recent` acknowledgements, or frames in flight timed out. The least of the recent ones, not
  their average: one large frame (the first, a keyframe of tiles) or one stall of a loaded
  machine makes one slow sample, a queue in the link makes them all slow. Then the target drops
  to `backoff` of itself, and to a share of the measured delivery rate if that is lower (what
  the link carried while it was full is what it carries), once per congestion: frames that left
  before the last backoff still drain through the old queue and say nothing new. But while the
  link is seen delivering well above the target, the queue is not the video's doing (image
  tiles of the frames before motion turned into video: 2 Mbit/s, 80 ms crossed three of them in
  seconds, and backing off for them took the video down to the floor) and the target stays.

Why the start is capped: x264 makes smaller frames than the target asks while the picture is
easy or frames come seldom (its VBV holds two frames' worth at 30 a second; in traced 2 and
10 Mbit/s runs frames carried about half of target x time between frames), so the round trips
stayed low while the target ran ahead, to 5 Mbit/s on a 2 Mbit/s, 80 ms link, and the backoffs
once the pictures filled it went down to 0.3-0.6 Mbit/s (docs/benchmarks.md, issue 9). With
the cap the target stays within 1.5x (2x after a backoff) of what the frames actually took
through the link, so it cannot run ahead of the delay signal. The cap limits growth only, and
is loose after a backoff: a sender that sends little reads as its own restraint
(sharer/pacing.py), and a cap as tight as what x264 fills would hold the target where a
backoff left it. Pure: time is an argument.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

# Defaults -------------------------------------------------------------------------------------
#: Where a stream starts before anything is measured: under what the slowest link we serve
#: (issue 9's 2 Mbit/s, 80 ms) carries with room for tiles and the cursor; a fast link is
#: reached within about half a second of probing (x1.5 every 0.1 s or two round trips:
#: 1 -> 6 Mbit/s in 5 steps).
START_BITRATE = 1_000_000
#: The least target (below, even a small region turns to mush) and the most: what 1080p
#: motion needs to look right at 30 fps, under issue 9's 10 Mbit/s budget.
FLOOR_BITRATE = 250_000
CEILING_BITRATE = 6_000_000


@dataclass(frozen=True, slots=True)
class BitrateSettings:
    """How the target moves; seconds and factors."""

    start: int = START_BITRATE
    floor: int = FLOOR_BITRATE
    ceiling: int = CEILING_BITRATE
    #: Growth per probe while the link keeps up, and near the rate of a recent backoff
    #: (within `near` of it either way).
    start_step: float = 1.5
    #: How far a probe may lead the delivery rate measured (from back-to-back deliveries: at
    #: most the link's rate, but for acknowledgements' jitter), so the target cannot run past
    #: this many times the link however little the encoder fills it: 1.5 in the start (as
    #: WebRTC's AIMD), 2 after a backoff, where x264 at ~10 frames a second fills half the
    #: target (see the module docstring) and 1.5 would leave the target where it came down.
    start_headroom: float = 1.5
    probe_headroom: float = 2.0
    probe_step: float = 1.25
    cautious_step: float = 1.08
    near: float = 0.2
    #: How long "recent" is, and the pause after a backoff before probing again.
    cautious_for: float = 10.0
    hold_after_backoff: float = 1.0
    #: The least time between two probes (or two round trips, if longer); before the first
    #: backoff, `start_interval`.
    probe_interval: float = 0.25
    start_interval: float = 0.1
    #: Delay over the least round trip (smoothed) that stops probing, and the one that backs
    #: off. Absolute, not a share of the round trip: with two frames in flight the queue
    #: cannot grow without bound, so what grows is each frame's own crossing (its bytes over
    #: the link), and 40 ms of that is a frame that takes longer than a frame interval to
    #: cross: the link no longer carries 30 a second at this size.
    queue_low: float = 0.015
    queue_high: float = 0.040
    #: Acknowledgements the standing delay is the least of (more: slower to see a real queue;
    #: on a slow link acknowledgements come a few a second).
    recent: int = 3
    #: The factor of a backoff, and of the measured delivery rate it may go down to instead
    #: (never lower than `deepest` of the target in one step: one odd sample is not the link).
    backoff: float = 0.7
    delivery_share: float = 0.85
    deepest: float = 0.5
    #: Until the first backoff, the target is at least this share of the best rate one frame
    #: was seen to cross the link at (`seed`). Half: that rate is a floor of the link's (its
    #: bytes over its whole trip), so half of it leaves room for the tiles and the cursor and
    #: for a link shared with others, as the start itself does on the slowest link.
    seed_share: float = 0.5


class BitrateController:
    """The target bitrate for the video encoder; fed with every acknowledgement's measure."""

    def __init__(self, settings: BitrateSettings | None = None) -> None:
        self.settings = settings or BitrateSettings()
        s = self.settings
        if not 0 < s.floor <= s.start <= s.ceiling:
            raise ValueError("the bitrates must be floor <= start <= ceiling, all positive")
        self._rate = float(s.start)
        self._changed_at = float("-inf")
        self._backed_off_at = float("-inf")
        self._limit = 0.0  # the rate the last backoff came down from
        self._rtts: deque[float] = deque(maxlen=s.recent)
        #: Counters for the status, tests and benchmarks (kept across `reset`).
        self.probes = 0
        self.backoffs = 0

    @property
    def bitrate(self) -> int:
        return int(self._rate)

    def reset(self) -> None:
        """A new connection or console: start low again."""
        self._rate = float(self.settings.start)
        self._changed_at = self._backed_off_at = float("-inf")
        self._limit = 0.0
        self._rtts.clear()

    def observe(
        self,
        now: float,
        *,
        rtt_s: float,
        srtt_s: float,
        min_rtt_s: float,
        delivery_bps: float,
        sent_at: float | None = None,
        lost: int = 0,
    ) -> int:
        """One acknowledgement at `now` of a frame sent at `sent_at`: its round trip `rtt_s`,
        the smoothed (for the pace of probes) and least round trips, the delivery rate measured
        (0.0: unknown), and frames given up as lost since the last call. Returns the target
        (bits per second)."""
        s = self.settings
        self._rtts.append(rtt_s)
        standing = min(self._rtts) - min_rtt_s
        full = len(self._rtts) == s.recent
        behind = lost > 0 or (full and standing > s.queue_high)
        if behind:
            sent = now - rtt_s if sent_at is None else sent_at
            if sent > self._backed_off_at:  # sent after the last backoff: a new congestion
                self._back_off(now, delivery_bps)
        elif full and standing < s.queue_low:
            self._probe(now, srtt_s, delivery_bps)
        return self.bitrate

    def seed(self, now: float, floor_bps: float) -> int:
        """A frame crossed the link at `floor_bps` at least (its bytes over its whole trip, so
        never faster than the link): until the first backoff, start from `seed_share` of that if
        it is above the target. Without it the first motion of a session began at `start`
        however fast the link: on loopback its first half second of video was too coarse for
        the benchmark's marker to read (docs/benchmarks.md, issue 9). After a backoff the link's
        limit is known, and the probes and backoffs alone move the target. Returns the target.
        """
        s = self.settings
        if self._limit == 0.0:
            rate = min(float(s.ceiling), floor_bps * s.seed_share)
            if rate > self._rate:
                self._set(rate, now)
        return self.bitrate

    def lost(self, now: float, frames: int, *, srtt_s: float = 0.0) -> int:
        """Frames in flight were given up (no acknowledgement in time): the link fell behind."""
        if frames > 0 and now - self._backed_off_at >= max(srtt_s, self.settings.probe_interval):
            self._back_off(now, 0.0)  # (frames long overdue: no sending time to go by)
        return self.bitrate

    def _back_off(self, now: float, delivery_bps: float) -> None:
        s = self.settings
        if delivery_bps * s.delivery_share >= self._rate:
            return  # the link carries more than the video asks: someone else's queue
        self._limit = self._rate
        rate = self._rate * s.backoff
        if delivery_bps > 0.0:
            rate = min(rate, max(self._rate * s.deepest, delivery_bps * s.delivery_share))
        self._set(max(float(s.floor), rate), now)
        self._backed_off_at = now
        self.backoffs += 1

    def _probe(self, now: float, srtt_s: float, delivery_bps: float) -> None:
        s = self.settings
        interval = s.start_interval if self._limit == 0.0 else s.probe_interval
        if now - self._changed_at < max(interval, 2 * srtt_s):
            return
        if now - self._backed_off_at < s.hold_after_backoff or self._rate >= s.ceiling:
            return
        recent = now - self._backed_off_at < s.cautious_for
        near = abs(self._rate - self._limit) <= s.near * self._limit
        if self._limit == 0.0:  # no backoff yet: the link's limit is not known at all
            step, headroom = s.start_step, s.start_headroom
        else:
            step = s.cautious_step if recent and near else s.probe_step
            headroom = s.probe_headroom
        rate = self._rate * step
        if delivery_bps > 0.0:
            # What the frames took through the link back to back is known: lead it by the
            # headroom, do not outrun it (see the module docstring); never lower the target.
            rate = min(rate, max(self._rate, delivery_bps * headroom))
        if rate <= self._rate:
            return
        self._set(min(float(s.ceiling), rate), now)
        self.probes += 1

    def _set(self, rate: float, now: float) -> None:
        self._rate = rate
        self._changed_at = now
