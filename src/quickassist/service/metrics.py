"""Service counters, exposed at GET /metrics in the Prometheus text format.

Only anonymous numbers: no session ids, no accounts, no addresses. Still not for everyone (they
tell an outsider how busy the service is and whether an attack works): with a metrics token
configured (``QUICKASSIST_METRICS_TOKEN``) a scraper sends ``Authorization: Bearer TOKEN``;
without one, only a client on this machine (a loopback address) is answered.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections import Counter
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from .client_address import peer_address
from .errors import ServiceError


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
        #: Messages refused before the relay could read them, each once, by reason: invalid_utf8
        #: (a text frame, refused by the server), malformed_message (a control message),
        #: malformed_header and oversized_frame (a binary frame; service.relay).
        self.frames_refused: Counter[str] = Counter()
        #: Telemetry writes the database refused (each retried), records lost, records waiting.
        self.telemetry_write_failures = 0
        self.telemetry_records_dropped = 0
        self.telemetry_records_pending: Callable[[], int] = lambda: 0
        #: Many nodes (service.nodes): this node's name, whether it drains, and the calls it
        #: made to other nodes by outcome ("create:ok", "join:gone", ...).
        self.node_name = ""
        self.node_draining: Callable[[], bool] = lambda: False
        self.node_calls: Counter[str] = Counter()

    def render(self) -> str:
        lines = [
            *self._node_lines(),
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
            "# HELP quickassist_frames_refused_total Frames refused before relaying, by reason.",
            "# TYPE quickassist_frames_refused_total counter",
            *(
                f'quickassist_frames_refused_total{{reason="{reason}"}} {count}'
                for reason, count in sorted(self.frames_refused.items())
            ),
            "# HELP quickassist_telemetry_write_failures_total Telemetry writes that failed.",
            "# TYPE quickassist_telemetry_write_failures_total counter",
            f"quickassist_telemetry_write_failures_total {self.telemetry_write_failures}",
            "# HELP quickassist_telemetry_records_dropped_total Telemetry records never written.",
            "# TYPE quickassist_telemetry_records_dropped_total counter",
            f"quickassist_telemetry_records_dropped_total {self.telemetry_records_dropped}",
            "# HELP quickassist_telemetry_records_pending Telemetry records waiting to be written.",
            "# TYPE quickassist_telemetry_records_pending gauge",
            f"quickassist_telemetry_records_pending {self.telemetry_records_pending()}",
        ]
        return "\n".join(lines) + "\n"

    def _node_lines(self) -> list[str]:
        """Which node these counters are from (each node is scraped on its own path)."""
        if not self.node_name:
            return []
        return [
            "# HELP quickassist_node_info The node these numbers are from.",
            "# TYPE quickassist_node_info gauge",
            f'quickassist_node_info{{node="{self.node_name}"}} 1',
            "# HELP quickassist_node_draining 1 while the node takes no new sessions.",
            "# TYPE quickassist_node_draining gauge",
            f"quickassist_node_draining {int(self.node_draining())}",
            "# HELP quickassist_node_calls_total Calls to other nodes, by call and outcome.",
            "# TYPE quickassist_node_calls_total counter",
            *(
                f'quickassist_node_calls_total{{call="{call}",outcome="{outcome}"}} {count}'
                for call, outcome, count in sorted(
                    (*key.split(":", 1), count) for key, count in self.node_calls.items()
                )
            ),
        ]


class MetricsRefused(ServiceError):
    status = 403
    code = "forbidden"


def metrics_allowed(request: Request, token: str | None) -> bool:
    """Whether ``request`` may read /metrics: the right bearer token, or loopback if none is set."""
    if token:
        offered = request.headers.get("authorization", "")
        scheme, _, value = offered.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), token.encode()
        )
    try:
        return ipaddress.ip_address(peer_address(request)).is_loopback
    except ValueError:
        return False


def install_metrics(app: FastAPI, metrics: Metrics, *, token: str | None) -> None:
    """GET /metrics for ``metrics``, answered as `metrics_allowed` says."""

    @app.get("/metrics", response_class=PlainTextResponse, tags=["service"])
    async def prometheus_metrics(request: Request) -> str:
        """Anonymous counters in the Prometheus text format (token or loopback only)."""
        if not metrics_allowed(request, token):
            if token:
                raise ServiceError(
                    "Metrics need the metrics token (Authorization: Bearer ...).",
                    code="metrics_token",
                    status=401,
                )
            raise MetricsRefused(
                "Metrics are served only to this machine unless a metrics token is set."
            )
        return metrics.render()
