"""Service counters, exposed at GET /metrics in the Prometheus text format.

Only anonymous numbers: no session ids, no accounts, no addresses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable


class Metrics:
    def __init__(self) -> None:
        self.codes_issued = 0
        self.joins_succeeded = 0
        self.joins_failed = 0
        self.sessions_ended: Counter[str] = Counter()
        self.bytes_relayed = 0
        self.frames_relayed = 0
        self.frames_dropped: Counter[str] = Counter()
        #: Read when rendering, so the gauge is never stale.
        self.sessions_active: Callable[[], int] = lambda: 0

    def render(self) -> str:
        lines = [
            "# HELP quickassist_sessions_active Sessions not yet ended.",
            "# TYPE quickassist_sessions_active gauge",
            f"quickassist_sessions_active {self.sessions_active()}",
            "# HELP quickassist_codes_issued_total Security codes issued.",
            "# TYPE quickassist_codes_issued_total counter",
            f"quickassist_codes_issued_total {self.codes_issued}",
            "# HELP quickassist_joins_succeeded_total Sharers that joined with a code.",
            "# TYPE quickassist_joins_succeeded_total counter",
            f"quickassist_joins_succeeded_total {self.joins_succeeded}",
            "# HELP quickassist_joins_failed_total Failed join attempts (wrong, expired, limited).",
            "# TYPE quickassist_joins_failed_total counter",
            f"quickassist_joins_failed_total {self.joins_failed}",
            "# HELP quickassist_sessions_ended_total Sessions ended, by reason.",
            "# TYPE quickassist_sessions_ended_total counter",
            *(
                f'quickassist_sessions_ended_total{{reason="{reason}"}} {count}'
                for reason, count in sorted(self.sessions_ended.items())
            ),
            "# HELP quickassist_bytes_relayed_total Bytes of binary frames forwarded by the relay.",
            "# TYPE quickassist_bytes_relayed_total counter",
            f"quickassist_bytes_relayed_total {self.bytes_relayed}",
            "# HELP quickassist_frames_relayed_total Binary frames forwarded by the relay.",
            "# TYPE quickassist_frames_relayed_total counter",
            f"quickassist_frames_relayed_total {self.frames_relayed}",
            "# HELP quickassist_frames_dropped_total Binary frames the relay dropped, by reason.",
            "# TYPE quickassist_frames_dropped_total counter",
            *(
                f'quickassist_frames_dropped_total{{reason="{reason}"}} {count}'
                for reason, count in sorted(self.frames_dropped.items())
            ),
        ]
        return "\n".join(lines) + "\n"
