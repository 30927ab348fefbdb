"""Wires live sessions into the app: store, hub, rendezvous, relay, telemetry, retention, metrics.

`install_sessions` is the one call `create_app` makes for all of it; the parts stay separate
modules (`hub`, `rendezvous`, `relay`, `telemetry`, `retention`, `metrics`).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from ..protocol.session import SessionPolicy
from .config import ServiceConfig
from .helper_quota import HelperQuota
from .hub import SessionHub
from .join_guard import JoinGuard
from .live_store import MemoryLiveStore
from .metrics import Metrics, install_metrics
from .relay import RelayLimits
from .relay_endpoints import install_relay
from .rendezvous import install_rendezvous
from .retention import RetentionTask
from .telemetry import SessionTelemetry


def install_sessions(app: FastAPI, config: ServiceConfig, clock: Callable[[], float]) -> None:
    metrics = Metrics()
    telemetry = SessionTelemetry(app.state.db_sessions, clock=clock, metrics=metrics)
    retention = RetentionTask(
        app.state.db_sessions,
        retention_days=config.retention_days,
        interval_seconds=config.retention_interval_seconds,
        clock=clock,
        sweeps=[app.state.helper_sessions.store.sweep],
    )
    hub = SessionHub(
        store=MemoryLiveStore(),
        policy=SessionPolicy(
            code_lifetime=config.code_lifetime_seconds,
            consent_timeout=config.consent_timeout_seconds,
            reconnect_grace=config.reconnect_grace_seconds,
        ),
        join_guard=JoinGuard(
            per_address=config.join_failures_per_address,
            overall=config.join_failures_global,
            under_attack_per_network=config.join_failures_under_attack_per_network,
            under_attack_overall=config.join_failures_under_attack_global,
        ),
        metrics=metrics,
        session_log=telemetry,
        clock=clock,
    )
    app.state.hub = hub
    app.state.helper_quota = HelperQuota(
        live_sessions=config.live_sessions_per_helper,
        code_requests=config.code_requests_per_helper,
    )
    app.state.metrics = metrics
    app.state.telemetry = telemetry
    app.state.retention = retention
    app.state.relay_limits = RelayLimits(max_frame_bytes=config.max_frame_bytes)

    lifecycle = app.state.lifecycle
    lifecycle.on_startup.extend([telemetry.start, retention.start, hub.start])
    # Shut-down runs newest first: sessions end (peers told why), then their records are written.
    lifecycle.on_shutdown.extend([telemetry.stop, retention.stop, hub.shutdown])

    install_rendezvous(app)
    install_relay(app)
    install_metrics(app, metrics, token=config.metrics_token)
