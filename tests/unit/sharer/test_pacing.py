"""The flow window and the link estimate (sharer/pacing.py) as pure code: time is an argument.

Besides rules one at a time, a small simulated bottleneck (a link that carries `rate` bytes a
second, one frame after the other, `delay` seconds each way) shows what pacing is for: a sender
that always has a fresh frame never gets more than the window ahead of what was drawn, and the
estimate finds the link's rate and round trip.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickassist.sharer.bitrate import START_BITRATE
from quickassist.sharer.pacing import (
    MAX_ACK_TIMEOUT,
    MIN_ACK_TIMEOUT,
    UNKNOWN_ACK_TIMEOUT,
    FlowWindow,
    LinkEstimate,
    LinkEstimator,
)

# Rules --------------------------------------------------------------------------------------


def test_an_empty_window_lets_a_frame_leave() -> None:
    assert FlowWindow().hold(0.0) is None


def test_a_full_window_holds_until_an_acknowledgement() -> None:
    window = FlowWindow(max_frames=2)
    window.sent(1, 1000, 0.0)
    assert window.hold(0.0) is None
    window.sent(2, 1000, 0.0)
    held = window.hold(0.01)
    assert held is not None and 0 < held <= UNKNOWN_ACK_TIMEOUT
    assert window.drawn(1, 0.0, 0.05)
    assert window.hold(0.05) is None
    assert window.frames_in_flight == 1


def test_acknowledgements_are_cumulative() -> None:
    window = FlowWindow(max_frames=4)
    for sequence in (5, 6, 7):
        window.sent(sequence, 100, 0.0)
    assert window.drawn(6, 0.0, 0.1)
    assert window.frames_in_flight == 1
    assert window.acknowledged == 2


def test_an_unknown_or_repeated_acknowledgement_changes_nothing() -> None:
    window = FlowWindow(max_frames=1)
    window.sent(9, 100, 0.0)
    assert not window.drawn(8, 0.0, 0.1)
    assert window.frames_in_flight == 1
    assert window.drawn(9, 0.0, 0.1)
    assert not window.drawn(9, 0.0, 0.2)
    assert window.acknowledged == 1


def test_sequences_that_wrap_are_matched_by_identity_not_order() -> None:
    window = FlowWindow(max_frames=3)
    for sequence in (2**32 - 2, 2**32 - 1, 0):
        window.sent(sequence, 10, 0.0)
    assert window.drawn(2**32 - 1, 0.0, 0.1)
    assert window.frames_in_flight == 1


def test_a_lost_acknowledgement_times_out_and_the_window_opens() -> None:
    window = FlowWindow(max_frames=1)
    window.sent(1, 100, 10.0)
    held = window.hold(10.0)
    assert held == pytest.approx(UNKNOWN_ACK_TIMEOUT)
    assert window.hold(10.0 + UNKNOWN_ACK_TIMEOUT) is None
    assert window.timed_out == 1 and window.frames_in_flight == 0


def test_the_timeout_follows_the_measured_link() -> None:
    window = FlowWindow(max_frames=1)
    window.sent(1, 1000, 0.0)
    window.drawn(1, 0.0, 0.02)  # a quick link: the timeout shrinks to its floor
    window.sent(2, 1000, 1.0)
    assert window.hold(1.0) == pytest.approx(MIN_ACK_TIMEOUT)


def test_reset_forgets_frames_and_the_estimate() -> None:
    window = FlowWindow(max_frames=1)
    window.sent(1, 1000, 0.0)
    window.drawn(1, 0.0, 0.02)
    window.sent(2, 1000, 0.1)
    window.reset()
    assert window.hold(0.1) is None
    assert window.estimate == LinkEstimate(video_bitrate_bps=START_BITRATE)


def test_a_window_needs_room_for_one_frame() -> None:
    with pytest.raises(ValueError):
        FlowWindow(max_frames=0)


def test_the_byte_budget_stops_frames_the_link_cannot_carry_in_time() -> None:
    window = FlowWindow(max_frames=4, latency_budget=0.05)
    # 100 kB drawn in 0.1 s on a 20 ms link: about 10 Mbit/s.
    window.sent(1, 100_000, 0.0)
    window.drawn(1, 0.0, 0.1)
    estimate = window.estimate
    assert estimate.known
    budget = estimate.throughput_bps / 8 * (window.link.min_rtt + 0.05)
    window.sent(2, int(budget) + 1, 1.0)
    assert window.hold(1.0) is not None  # one frame past the budget holds the next
    window.reset()
    window.sent(1, 100_000, 0.0)
    window.drawn(1, 0.0, 0.1)
    window.sent(2, 1000, 1.0)
    assert window.hold(1.0) is None  # small frames go on, up to max_frames


def test_the_estimate_is_unknown_until_a_delivery() -> None:
    estimate = LinkEstimator().estimate
    assert not estimate.known and estimate.target_bitrate() == 0.0


def test_the_console_s_drawing_time_is_not_counted_as_round_trip() -> None:
    link = LinkEstimator()
    link.delivered(1000, 0.0, 0.1, 0.06)
    assert link.srtt == pytest.approx(0.04)


def test_the_target_bitrate_is_a_share_of_the_throughput() -> None:
    assert LinkEstimate(10e6, 0.04).target_bitrate(share=0.5) == 5e6


# Properties ---------------------------------------------------------------------------------

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.integers(1, 300_000)),
        st.tuples(st.just("ack"), st.integers(0, 5)),
        st.tuples(st.just("wait"), st.floats(0.0, 3.0)),
    ),
    max_size=60,
)


@settings(max_examples=300)
@given(OPERATIONS, st.integers(1, 4), st.sampled_from([None, 0.02, 0.2]))
def test_what_leaves_only_when_allowed_never_exceeds_the_window(
    operations: list[tuple[str, float]], max_frames: int, budget: float | None
) -> None:
    window = FlowWindow(max_frames=max_frames, latency_budget=budget)
    now, sequence, sent = 0.0, 0, []
    for op, value in operations:
        if op == "send":
            if window.hold(now) is None:
                sequence += 1
                window.sent(sequence, int(value), now)
                sent.append(sequence)
        elif op == "ack" and sent:
            window.drawn(sent[min(int(value), len(sent) - 1)], 0.0, now)
        else:
            now += value
        assert window.frames_in_flight <= max_frames
        held = window.hold(now)
        assert held is None or 0 < held <= MAX_ACK_TIMEOUT + 1e-9
        estimate = window.estimate
        assert estimate.throughput_bps >= 0 and estimate.rtt_s >= 0
    assert window.acknowledged + window.timed_out + window.frames_in_flight == len(sent)


# A simulated bottleneck -----------------------------------------------------------------------


@dataclass
class Bottleneck:
    """One frame after the other at `rate` bytes/s, `delay` seconds each way, acks instantly."""

    rate: float
    delay: float
    busy_until: float = 0.0
    arrivals: list[tuple[float, int]] = field(default_factory=list)  # (drawn at, sequence)

    def send(self, sequence: int, size: int, now: float) -> None:
        start = max(now + self.delay, self.busy_until)
        self.busy_until = start + size / self.rate
        self.arrivals.append((self.busy_until + self.delay, sequence))

    def acks_until(self, now: float) -> list[tuple[float, int]]:
        due = [a for a in self.arrivals if a[0] <= now]
        self.arrivals = [a for a in self.arrivals if a[0] > now]
        return due


def run(
    link: Bottleneck, window: FlowWindow, size: int, seconds: float, start: float = 0.0
) -> tuple[int, int]:
    """A sender with a fresh frame every 1/60 s from `start` for `seconds`; (frames drawn, the
    most ever ahead of drawn)."""
    now, drawn, worst = start, 0, 0
    sequence = window.frames_in_flight + window.acknowledged + window.timed_out
    step = 1 / 60
    while now < start + seconds:
        for at, acked in link.acks_until(now):
            window.drawn(acked, 0.0, at)
            drawn += 1
        if window.hold(now) is None:
            sequence += 1
            window.sent(sequence, size, now)
            link.send(sequence, size, now)
        worst = max(worst, sequence - drawn)
        now += step
    return drawn, worst


#: 40 kB frames, up to 60 a second: 19.2 Mbit/s wanted.
SIZE = 40_000
WANTED = SIZE * 8 * 60


@pytest.mark.parametrize(
    ("rate", "delay"), [(10e6 / 8, 0.02), (2e6 / 8, 0.04), (50e6 / 8, 0.01), (100e6 / 8, 0.0005)]
)
def test_on_a_bottleneck_the_sender_stays_within_the_window_and_learns_the_link(
    rate: float, delay: float
) -> None:
    window = FlowWindow(max_frames=2)
    link = Bottleneck(rate, delay)
    drawn, worst = run(link, window, SIZE, 10.0)
    assert worst <= 2  # never more than the window ahead of the console
    estimate = window.estimate
    assert estimate.rtt_s >= 2 * delay
    if rate * 8 < WANTED:
        # The link is the limit: it reads close to its rate (runs of deliveries include the
        # moments it idled while the sender's tick came round).
        assert 0.7 * rate * 8 <= estimate.throughput_bps <= 1.1 * rate * 8
        # (most of it: frames leave only when the sender's 1/60 s tick finds the window open)
        assert drawn >= 0.7 * 10.0 * rate / SIZE
    else:
        # The sender is the limit: the link reads at least as fast as what it was asked for.
        assert WANTED * 0.99 <= estimate.throughput_bps <= rate * 8 * 1.1


def test_the_byte_budget_keeps_the_link_busy_with_small_frames() -> None:
    """Small frames on a long link: the byte window lets more than two cross at once."""
    frames = FlowWindow(max_frames=2)
    bytes_ = FlowWindow(max_frames=8, latency_budget=0.05)
    drawn_frames, _ = run(Bottleneck(10e6 / 8, 0.05), frames, 2_000, 5.0)
    drawn_bytes, worst = run(Bottleneck(10e6 / 8, 0.05), bytes_, 2_000, 5.0)
    assert drawn_bytes > drawn_frames
    assert worst <= 8


def test_a_sender_with_little_to_send_does_not_read_as_a_slow_link() -> None:
    """Small frames to an idle link after the link was measured full: the estimate stays (an
    encoder that followed a falling estimate would shrink its frames and spiral down)."""
    window = FlowWindow(max_frames=2)
    link = Bottleneck(10e6 / 8, 0.02)
    run(link, window, SIZE, 3.0)
    measured = window.estimate.throughput_bps
    assert measured >= 0.7 * 10e6
    drawn, _ = run(link, window, 500, 3.0, start=3.0)  # tiny frames: the link idles
    assert drawn > 0
    assert window.estimate.throughput_bps >= measured * 0.99


def test_one_large_frame_to_an_idle_link_gives_a_floor_near_its_rate() -> None:
    """A keyframe at the start: its bytes over its round trip, close to the link's rate."""
    link = LinkEstimator()
    # 300 kB at 10 Mbit/s: 0.24 s on the wire, 0.04 s round trip.
    link.delivered(300_000, 0.0, 0.28, 0.0)
    assert 0.8 * 10e6 <= link.estimate.throughput_bps <= 10e6


def test_a_large_frame_that_crossed_fast_seeds_the_video_bitrate() -> None:
    """The first tiles of a session (a rough full screen, ~90 kB) crossing a fast link raise the
    target before any video: the first motion does not start at START_BITRATE on loopback."""
    window = FlowWindow()
    window.sent(1, 90_000, 0.0)
    window.drawn(1, 0.004, 0.034)  # 30 ms on its way: 24 Mbit/s at least
    assert window.link.floor_bps == pytest.approx(90_000 * 8 / 0.030)
    assert window.estimate.video_bitrate_bps > START_BITRATE


def test_a_large_frame_on_a_slow_link_leaves_the_start() -> None:
    window = FlowWindow()
    window.sent(1, 90_000, 0.0)
    window.drawn(1, 0.004, 0.5)  # 2 Mbit/s, 80 ms: 0.44 s on its way, 1.6 Mbit/s at least
    assert window.estimate.video_bitrate_bps == START_BITRATE
