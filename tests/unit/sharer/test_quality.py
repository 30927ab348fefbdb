"""The quality governor: down fast while frames wait, up slowly once they flow."""

from __future__ import annotations

from quickassist.sharer.quality import BEST_QUALITY, WORST_QUALITY, QualityGovernor

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
