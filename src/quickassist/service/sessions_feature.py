"""Wires live sessions into the app: store, hub, rendezvous, relay, telemetry, retention, metrics.

`install_sessions` is the one call `create_app` makes for all of it; the parts stay separate
modules (`hub`, `rendezvous`, `relay`, `telemetry`, `retention`, `metrics`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from fastapi import FastAPI

from ..protocol.session import SessionPolicy
from .config import ServiceConfig
from .hub import SessionHub
from .live_backend import live_backend
from .metrics import Metrics, install_metrics
from .relay import RelayLimits
from .relay_endpoints import install_relay
from .rendezvous import install_rendezvous
from .retention import RetentionTask
from .sign_in_watch import SignInWatch
from .telemetry import SessionTelemetry


def install_sessions(
    app: FastAPI, config: ServiceConfig, clock: Callable[[], float], *, secret_key: str
) -> None:
    metrics = Metrics()
    telemetry = SessionTelemetry(app.state.db_sessions, clock=clock, metrics=metrics)
    retention = RetentionTask(
        app.state.db_sessions,
        retention_days=config.retention_days,
        interval_seconds=config.retention_interval_seconds,
        clock=clock,
        sweeps=[app.state.helper_sessions.store.sweep],
    )
    backend = live_backend(config, clock, metrics, secret_key=secret_key)
    hub = SessionHub(
        store=backend.store,
        policy=SessionPolicy(
            code_lifetime=config.code_lifetime_seconds,
            consent_timeout=config.consent_timeout_seconds,
            reconnect_grace=config.reconnect_grace_seconds,
        ),
        join_guard=backend.join_guard,
        metrics=metrics,
        session_log=telemetry,
        clock=clock,
        elsewhere=backend.elsewhere,
        relay_path=config.relay_path,
    )
    app.state.live_backend = backend
    app.state.hub = hub
    # From here on the sign-in store's revocations end the helper's sessions too.
    sign_in_watch = SignInWatch(hub, app.state.helper_sessions, clock=clock)
    app.state.sign_in_watch = sign_in_watch
    app.state.helper_quota = backend.helper_quota(hub)
    app.state.sign_in_guard = backend.sign_in_guard
    app.state.metrics = metrics
    app.state.telemetry = telemetry
    app.state.retention = retention
    app.state.relay_limits = RelayLimits(max_frame_bytes=config.max_frame_bytes)

    lifecycle = app.state.lifecycle
    lifecycle.on_startup.extend([telemetry.start, retention.start, hub.start, sign_in_watch.start])
    lifecycle.on_startup.extend(functools.partial(hook, hub) for hook in backend.on_startup)
    # Shut-down runs newest first: a node drains (many nodes), sessions end (peers told why),
    # the node leaves the others, then the sessions' records are written.
    lifecycle.on_shutdown.extend(backend.after_sessions_end)
    lifecycle.on_shutdown.extend([telemetry.stop, retention.stop, hub.shutdown, sign_in_watch.stop])
    lifecycle.on_shutdown.extend(
        functools.partial(hook, hub) for hook in backend.before_sessions_end
    )
    lifecycle.on_closed.extend(backend.on_closed)

    install_rendezvous(app)
    install_relay(app)
    install_metrics(app, metrics, token=config.metrics_token)
