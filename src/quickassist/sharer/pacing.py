"""Pacing video by what the helper's console has drawn: the flow window and the link estimate.

The console acknowledges every video frame once it is on the canvas (`FrameDrawn`, sealed like
every frame). From those acknowledgements `LinkEstimator` measures the link's throughput and
round trip, and `FlowWindow` says whether a new video frame may leave now: the sharer keeps no
more in flight than the link carries within a small latency budget, and while the window is
full it simply does not take the next capture (the pipeline merges damage meanwhile, so what
leaves next is the newest state, never a backlog). Pure: time is always an argument.

`LinkEstimate` is the small interface other parts read (the JPEG quality governor, the H.264
encoder's target bitrate).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LinkEstimate:
    """What the link carries, as measured from the console's acknowledgements.

    `throughput_bps` is bits per second of video payload the console has drawn (0.0 while
    unknown); `rtt_s` is the round trip from a frame leaving to its acknowledgement coming back
    (seconds, 0.0 while unknown).
    """

    throughput_bps: float = 0.0
    rtt_s: float = 0.0

    @property
    def known(self) -> bool:
        return self.throughput_bps > 0.0 and self.rtt_s > 0.0

    def target_bitrate(self, *, share: float = 0.8) -> float:
        """The bitrate an encoder should aim for: a share of what the link was seen to carry."""
        return self.throughput_bps * share
