"""The quality governor: down fast while frames wait, up slowly once they flow."""

from __future__ import annotations

from quickassist.sharer.pacing import LinkEstimate
from quickassist.sharer.quality import BEST_QUALITY, PROFILES, WORST_QUALITY, QualityGovernor

FRAME = 1 / 60


def test_a_prompt_link_keeps_the_best_quality() -> None:
    governor = QualityGovernor(frame_interval=FRAME)
    for step in range(100):
        governor.observe(0.002)
        assert governor.quality(step * 0.1) == BEST_QUALITY


def test_waiting_frames_lower_quality_stepwise_to_the_floor_and_it_recovers() -> None:
    governor = QualityGovernor(frame_interval=FRAME)
    now = 0.0
    seen = []
    for _ in range(60):  # 6 s of frames waiting 200 ms each
        governor.observe(0.2)
        now += 0.1
        seen.append(governor.quality(now))
    assert seen[0] < BEST_QUALITY
    assert seen == sorted(seen, reverse=True)  # only ever down
    assert seen[-1] == WORST_QUALITY
    # Steps down are at least DOWN_AFTER apart: not all at once.
    assert len(set(seen[:5])) <= 2

    recovered = []
    for _ in range(300):  # 30 s of prompt frames
        governor.observe(0.001)
        now += 0.1
        recovered.append(governor.quality(now))
    assert recovered == sorted(recovered)  # only ever up
    assert recovered[-1] == BEST_QUALITY
    assert recovered[10] < BEST_QUALITY  # slowly


def test_a_single_late_frame_does_not_drop_quality() -> None:
    governor = QualityGovernor(frame_interval=FRAME)
    governor.observe(0.1)
    assert governor.quality(1.0) == BEST_QUALITY


# From the console's acknowledgements (sharer/pacing.py's LinkEstimate) ------------------------


def test_frames_that_cross_the_link_too_slowly_lower_quality_to_the_floor() -> None:
    governor = QualityGovernor(frame_interval=FRAME)
    governor.observe_link(LinkEstimate(throughput_bps=2e6, rtt_s=0.08))
    now, seen = 0.0, []
    for _ in range(40):  # 100 kB captures over 2 Mbit/s: 0.4 s each, far over 1/20 s
        governor.observe_frame(100_000)
        now += 0.2
        seen.append(governor.quality(now))
    assert seen == sorted(seen, reverse=True) and seen[-1] == WORST_QUALITY


def test_a_fast_link_brings_quality_back_slowly_even_if_frames_wait() -> None:
    governor = QualityGovernor(frame_interval=FRAME)
    governor.observe_link(LinkEstimate(throughput_bps=1e6, rtt_s=0.05))
    governor.observe_frame(200_000)
    assert governor.quality(1.0) < BEST_QUALITY
    governor.observe_link(LinkEstimate(throughput_bps=200e6, rtt_s=0.005))
    governor.observe(0.5)  # waits no longer decide once the link is measured
    later = [governor.quality(1.0 + 0.5 * i) for i in range(1, 40)]
    assert later == sorted(later) and later[-1] == BEST_QUALITY and later[0] < BEST_QUALITY


def test_the_helper_s_choice_sets_the_range_and_the_pace() -> None:
    governor = QualityGovernor(frame_interval=FRAME)
    governor.set_mode("sharp")
    assert governor.quality(0.0) == PROFILES["sharp"].best
    assert governor.capture_interval() == PROFILES["sharp"].min_interval
    governor.observe_link(LinkEstimate(throughput_bps=1e6, rtt_s=0.05))
    for step in range(40):
        governor.observe_frame(500_000)
        governor.quality(1.0 + step)
    assert governor.quality(100.0) == PROFILES["sharp"].worst  # sharp never goes below its floor
    governor.set_mode("smooth")  # (the link is still slow: it steps down from the top at once)
    smooth = PROFILES["smooth"]
    assert smooth.worst <= governor.quality(100.0) < smooth.best
    assert governor.capture_interval() == FRAME
    governor.set_mode("auto")
    assert WORST_QUALITY <= governor.quality(100.0) <= BEST_QUALITY
    governor.set_mode("turbo")  # unknown: ignored
    assert governor.mode == "auto"
