"""Pacing video by what the helper's console has drawn: the flow window and the link estimate.

The console acknowledges every video frame once it is done with it (`FrameDrawn`: drawn, or
dropped while it waits for a keyframe), sealed like every frame. From those acknowledgements
`LinkEstimator` measures the link's throughput and round trip, and `FlowWindow` says whether a
new video frame may leave now: the sharer keeps no more in flight than the link carries within a
small latency budget, and while the window is full it simply does not take the next capture
(the pipeline merges damage meanwhile, so what leaves next is the newest state, never a
backlog). Pure: time is always an argument (monotonic seconds).

Acknowledgements are cumulative (the transport keeps order, so "done up to N" retires every
frame sent before N too): a lost or skipped acknowledgement costs nothing once a later one
comes. If none comes at all (a console that never acknowledges, frames the relay dropped), the
window opens again after a timeout sized from the link, so the stream slows, never stalls.

`LinkEstimate` is the small interface other parts read (the JPEG quality governor, the H.264
encoder's target bitrate, which `FlowWindow` keeps following the link with a
`bitrate.BitrateController` fed by every acknowledgement and timeout).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .bitrate import BitrateController


@dataclass(frozen=True, slots=True)
class LinkEstimate:
    """What the link carries, as measured from the console's acknowledgements.

    `throughput_bps` is bits per second of frames the console has drawn (0.0 while unknown);
    `rtt_s` is the smoothed round trip from a frame leaving to its acknowledgement coming back,
    less the console's own drawing time (seconds, 0.0 while unknown); `video_bitrate_bps` what
    the H.264 encoder should aim at now (0.0: no advice), from `BitrateController`.
    """

    throughput_bps: float = 0.0
    rtt_s: float = 0.0
    video_bitrate_bps: float = 0.0

    @property
    def known(self) -> bool:
        return self.throughput_bps > 0.0 and self.rtt_s > 0.0

    def target_bitrate(self, *, share: float = 0.8) -> float:
        """The bitrate an encoder should aim for: the controller's advice, else a share of what
        the link was seen to carry."""
        if self.video_bitrate_bps > 0.0:
            return self.video_bitrate_bps
        return self.throughput_bps * share


# Defaults -------------------------------------------------------------------------------------
#: The throughput is the best run of deliveries of the last THROUGHPUT_MEMORY seconds (a
#: windowed maximum, as BBR's: a frame sent to an idle link reads slower than the link, one
#: queued behind another reads true, and a sender with little to send reads as its own
#: restraint, not the link's) ...
THROUGHPUT_MEMORY = 5.0
THROUGHPUT_SAMPLES = 512  # (a bound on memory: 5 s at 100 frames a second)
#: ... each run being this many consecutive deliveries, bytes over time summed: the time
#: between two acknowledgements jitters with both ends' load, the time over a run hardly does.
THROUGHPUT_RUN = 4
#: Weight of the newest round-trip sample in the smoothed round trip (TCP's 1/8).
RTT_SMOOTHING = 0.125
#: The shortest time one delivery is counted to take (a timer's resolution, not a link's).
MIN_INTERVAL = 0.001
#: Frames in flight: two let one cross the link while the next is captured and encoded, so a
#: long link is not idle for a round trip per frame; more would only queue. Measured against a
#: byte budget (`latency_budget`: throughput x (min RTT + 50 ms)), which on a slow link lets
#: one large frame cross at a time: the link then idles between frames and TCP restarts slow
#: start after each gap. Full-screen motion at 10 Mbit/s, 40 ms (bench/motion.py): two frames
#: drew 7.8 frames/s at 283 ms glass to glass (p50), the byte budget 4.2 at 401 ms.
MAX_FRAMES = 2
#: With a byte budget (off by default, see above): what may wait beyond the round trip (s).
LATENCY_BUDGET = 0.05
#: A window that waits this long (or the link's expected delivery time, four times, if longer)
#: for an acknowledgement gives the frames up as lost and opens again. Generous: acknowledgements
#: are cumulative over a reliable transport, so one missing is made good by the next; only a
#: console that never acknowledges, or a relay that dropped all in flight, needs the timeout,
#: while a timeout too eager (a TCP retransmission takes 200 ms and more) lets a backlog build.
MIN_ACK_TIMEOUT = 1.0
MAX_ACK_TIMEOUT = 10.0
#: Before the link is measured: this long, or the bytes in flight at the slowest link we serve.
UNKNOWN_ACK_TIMEOUT = 2.0
SLOWEST_LINK_BPS = 1e6


class LinkEstimator:
    """Throughput and round trip from deliveries; pure, fed by `FlowWindow`.

    A frame sent while the one before was still on its way measures the link when it queued
    there: the time between the two arrivals is the time the link took for it. A frame sent to
    an idle link measures only a floor (its bytes over its whole round trip). And a sender with
    little to send reads as its own restraint: an encoder that followed that would shrink its
    frames, read slower still, and spiral down. So the throughput is the best of the recent
    runs and floors (THROUGHPUT_MEMORY seconds): a quiet stretch shorter than that leaves it
    where it was; after a longer one it is a floor, and an encoder should probe upward while
    the flow window has room (`FlowWindow.hold` None).
    """

    def __init__(self, *, samples: int = THROUGHPUT_SAMPLES) -> None:
        #: (arrived, bytes, seconds on the link) and (arrived, bits per second at least).
        self._queued: deque[tuple[float, int, float]] = deque(maxlen=samples)
        self._floors: deque[tuple[float, float]] = deque(maxlen=samples)
        self.srtt = 0.0
        self.min_rtt = 0.0
        self.last_rtt = 0.0  # the newest sample, unsmoothed (a queue shows here first)
        self._last_delivery = float("-inf")

    def reset(self) -> None:
        self._queued.clear()
        self._floors.clear()
        self.srtt = self.min_rtt = self.last_rtt = 0.0
        self._last_delivery = float("-inf")

    def delivered(
        self,
        size: int,
        sent_at: float,
        now: float,
        draw_s: float,
        *,
        first_sent: float | None = None,
    ) -> None:
        """`size` bytes were drawn by `now`: a frame sent at `sent_at` (and the frames before it
        it retired, the first sent at `first_sent`); `draw_s` of that the console spent drawing."""
        # When the frame reached the console, as seen from here: its acknowledgement's arrival
        # less the console's drawing (the way back is in it, about the same for every frame;
        # the drawing is not: decoding queues behind the frame before).
        arrived = now - draw_s
        rtt = max(MIN_INTERVAL, arrived - sent_at)
        self.last_rtt = rtt
        self.min_rtt = rtt if self.min_rtt == 0.0 else min(self.min_rtt, rtt)
        self.srtt = rtt if self.srtt == 0.0 else self.srtt + RTT_SMOOTHING * (rtt - self.srtt)
        started = sent_at if first_sent is None else first_sent
        if started < self._last_delivery:  # sent while the frame before was still on its way
            self._queued.append((arrived, size, max(MIN_INTERVAL, arrived - self._last_delivery)))
        else:
            self._floors.append((arrived, size * 8 / max(MIN_INTERVAL, arrived - started)))
        self._last_delivery = max(self._last_delivery, arrived)
        for old in (self._queued, self._floors):
            while old and old[0][0] < arrived - THROUGHPUT_MEMORY:
                old.popleft()

    @property
    def floor_bps(self) -> float:
        """The best rate one frame sent to an idle link crossed it at, of the last
        THROUGHPUT_MEMORY seconds (0.0: none): its bytes over its whole trip, so never above the
        link's rate, where a run of queued deliveries can read above it when acknowledgements
        bunch."""
        return max((rate for _, rate in self._floors), default=0.0)

    @property
    def recent_bps(self) -> float:
        """The delivery rate of the newest run of queued deliveries (0.0: none): what the link
        carries now while it is full, where `estimate` remembers the best of seconds."""
        run = list(self._queued)[-THROUGHPUT_RUN:]
        if not run:
            return 0.0
        return sum(b for _, b, _ in run) * 8 / sum(t for _, _, t in run)

    @property
    def estimate(self) -> LinkEstimate:
        if not self._queued and not self._floors:
            return LinkEstimate()
        queued = list(self._queued)
        runs = [queued[i : i + THROUGHPUT_RUN] for i in range(len(queued) - THROUGHPUT_RUN + 1)]
        if queued and not runs:
            runs = [queued]
        best = max(
            [sum(b for _, b, _ in run) * 8 / sum(t for _, _, t in run) for run in runs]
            + [rate for _, rate in self._floors]
        )
        return LinkEstimate(best, self.srtt)


@dataclass(frozen=True, slots=True)
class _InFlight:
    sequence: int
    size: int
    sent_at: float


class FlowWindow:
    """Which video frames are in flight, and whether one more may leave now.

    Without `latency_budget` the window is `max_frames` frames. With it, frames also stop once
    the bytes in flight exceed what the measured link carries in its round trip plus the budget
    (throughput x (min RTT + budget)), still at most `max_frames`. One frame may always leave
    when none is in flight.
    """

    def __init__(
        self,
        *,
        max_frames: int = MAX_FRAMES,
        latency_budget: float | None = None,
        min_timeout: float = MIN_ACK_TIMEOUT,
        max_timeout: float = MAX_ACK_TIMEOUT,
        unknown_timeout: float = UNKNOWN_ACK_TIMEOUT,
    ) -> None:
        if max_frames < 1:
            raise ValueError("the window must hold at least one frame")
        self.max_frames = max_frames
        self.latency_budget = latency_budget
        self._min_timeout = min_timeout
        self._max_timeout = max_timeout
        self._unknown_timeout = unknown_timeout
        self._flight: deque[_InFlight] = deque()
        self.link = LinkEstimator()
        self.bitrate = BitrateController()
        #: Counters for the status and the tests: frames acknowledged, given up as lost.
        self.acknowledged = 0
        self.timed_out = 0

    @property
    def frames_in_flight(self) -> int:
        return len(self._flight)

    @property
    def bytes_in_flight(self) -> int:
        return sum(f.size for f in self._flight)

    @property
    def estimate(self) -> LinkEstimate:
        measured = self.link.estimate
        return LinkEstimate(measured.throughput_bps, measured.rtt_s, self.bitrate.bitrate)

    def reset(self) -> None:
        """Forget everything: new keys, a new connection, a console that starts afresh."""
        self._flight.clear()
        self.link.reset()
        self.bitrate.reset()

    def sent(self, sequence: int, size: int, now: float) -> None:
        """A video frame of `size` bytes left with header sequence `sequence`."""
        self._flight.append(_InFlight(sequence, size, now))

    def drawn(self, sequence: int, draw_s: float, now: float) -> bool:
        """The console is done with frames up to `sequence`; True if any was in flight."""
        if not any(f.sequence == sequence for f in self._flight):
            return False  # a late copy, or a frame given up as lost: nothing to learn
        size, first_sent = 0, self._flight[0].sent_at
        while True:  # ends at `sequence`, which is in flight
            # Earlier frames are retired too (their own acknowledgements were lost).
            frame = self._flight.popleft()
            self.acknowledged += 1
            size += frame.size
            if frame.sequence == sequence:
                link = self.link
                link.delivered(size, frame.sent_at, now, draw_s, first_sent=first_sent)
                self.bitrate.seed(now, link.floor_bps)
                self.bitrate.observe(
                    now,
                    rtt_s=link.last_rtt,
                    srtt_s=link.srtt,
                    min_rtt_s=link.min_rtt,
                    delivery_bps=link.recent_bps,
                    sent_at=frame.sent_at,
                )
                return True

    def hold(self, now: float) -> float | None:
        """None when a video frame may leave now; else the seconds until the window times out.

        At the timeout the frames in flight are given up (counted in `timed_out`) and the
        window opens: the driver looks again then, acknowledgement or not.
        """
        if not self._flight:
            return None
        deadline = self._flight[0].sent_at + self._timeout()
        if now >= deadline:
            self.timed_out += len(self._flight)
            self.bitrate.lost(now, len(self._flight), srtt_s=self.link.srtt)
            self._flight.clear()
            return None
        if len(self._flight) >= self.max_frames or self._over_budget():
            return deadline - now
        return None

    def _over_budget(self) -> bool:
        if self.latency_budget is None:
            return False
        estimate = self.link.estimate
        if not estimate.known:
            return False
        budget = estimate.throughput_bps / 8 * (self.link.min_rtt + self.latency_budget)
        return self.bytes_in_flight >= budget

    def _timeout(self) -> float:
        estimate = self.link.estimate
        if not estimate.known:
            at_slowest = self.bytes_in_flight * 8 / SLOWEST_LINK_BPS
            return min(self._max_timeout, max(self._unknown_timeout, at_slowest))
        expected = estimate.rtt_s + self.bytes_in_flight * 8 / estimate.throughput_bps
        return min(self._max_timeout, max(self._min_timeout, 4 * expected))
