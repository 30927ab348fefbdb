"""Telemetry through a full disk: records wait in memory, are retried, and are all written once
the database can grow again; what the bound turns away is counted, and the log gets one line.

The database is real SQLite and so is the failure: ``PRAGMA max_page_count`` (set on every
connection the pool hands out) keeps the file from growing, and SQLite then refuses writes with
SQLITE_FULL, "database or disk is full", exactly as on a full disk.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from quickassist.service.database import create_engine, migrate, session_factory
from quickassist.service.metrics import Metrics
from quickassist.service.telemetry import SessionRecord, SessionTelemetry
from tests.timeouts import WAIT

KEPT = 200
SENT = 300
#: SQLite keeps the limit at the database's current size when asked for less.
FULL = 1
ROOMY = 1_000_000


async def test_a_full_disk_delays_records_and_loses_only_what_is_over_the_bound(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'qa.db'}")
    await migrate(engine)
    page_limit = [FULL]
    metrics = Metrics()
    retried = asyncio.Event()

    @event.listens_for(engine.sync_engine, "checkout")
    def limit_size(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # Each write attempt checks out a connection: the one after three refusals is a retry.
        if metrics.telemetry_write_failures >= 3:
            retried.set()
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count = {page_limit[0]}")
        cursor.close()

    sessions = session_factory(engine)
    telemetry = SessionTelemetry(
        sessions,
        clock=lambda: 1_800_000_000.0,
        metrics=metrics,
        max_pending=KEPT,
        retry_first_seconds=0.01,
        retry_max_seconds=0.05,
    )
    caplog.set_level(logging.INFO, logger="quickassist.service.telemetry")
    await telemetry.start()
    try:
        for n in range(SENT):
            telemetry.started(f"session-{n:04d}", 7, "2001:db8::1234:5678:9abc:def0")
        # Queued at once, before the writer ran: the bound turned the rest away, counted.
        assert metrics.telemetry_records_dropped == SENT - KEPT
        async with asyncio.timeout(WAIT):
            await retried.wait()  # refused three times, and tried again
        assert telemetry.pending_count() > 0
        assert f"quickassist_telemetry_records_pending {telemetry.pending_count()}" in (
            metrics.render()
        )

        page_limit[0] = ROOMY  # space again: the next retry gets through
        async with asyncio.timeout(WAIT):
            await telemetry.flush()
        async with sessions() as db:
            ids = (await db.scalars(select(SessionRecord.id).order_by(SessionRecord.id))).all()
            assert await db.scalar(select(func.count()).select_from(SessionRecord)) == KEPT
        assert ids == [f"session-{n:04d}" for n in range(KEPT)]  # all kept, in order
    finally:
        await telemetry.stop()
        await engine.dispose()

    rendered = metrics.render()
    assert f"quickassist_telemetry_records_dropped_total {SENT - KEPT}" in rendered
    assert f"quickassist_telemetry_write_failures_total {metrics.telemetry_write_failures}" in (
        rendered
    )
    records = [r for r in caplog.records if r.name == "quickassist.service.telemetry"]
    messages = [r.getMessage() for r in records]
    # One line when writing stopped, one when it came back, one for the bound: no tracebacks,
    # no line per record, no statement parameters (the address is personal data).
    assert len(messages) == 3, messages
    assert "backlog full" in messages[0]
    assert "OperationalError: database or disk is full" in messages[1]
    assert "work again" in messages[2]
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in records)
    assert not any("2001:db8" in m for m in messages)
