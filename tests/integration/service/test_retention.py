"""Retention on each real store (SQLite, PostgreSQL) with an injected clock: personal data goes
after 3 days, anonymous counts stay."""

from __future__ import annotations

from sqlalchemy import select

from quickassist.protocol.roles import EndReason
from quickassist.service.database import create_engine, migrate_here, session_factory
from quickassist.service.retention import RetentionTask
from quickassist.service.telemetry import SessionRecord, SessionTelemetry

DAY = 86400.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_personal_data_is_cleared_after_three_days_and_counts_kept(store_url: str) -> None:
    engine = create_engine(store_url)
    await migrate_here(engine)
    sessions = session_factory(engine)
    clock = Clock(1_800_000_000.0)
    telemetry = SessionTelemetry(sessions, clock=clock)
    retention = RetentionTask(sessions, retention_days=3, interval_seconds=3600, clock=clock)
    await telemetry.start()
    try:
        telemetry.started("old", 7, "192.0.2.1")
        telemetry.joined("old", "198.51.100.2")
        telemetry.ended("old", EndReason.HELPER_ENDED, ["full_control", "chat"])
        clock.now += 2 * DAY
        telemetry.started("recent", 7, "192.0.2.1")
        telemetry.joined("recent", "198.51.100.3")
        await telemetry.flush()

        clock.now += DAY - 1  # "old" is 3 days minus a second old: nothing goes yet
        assert await retention.run_once() == 0
        clock.now += 2
        assert await retention.run_once() == 1
        assert await retention.run_once() == 0  # idempotent

        async with sessions() as db:
            rows = {r.id: r for r in (await db.scalars(select(SessionRecord))).all()}
        old, recent = rows["old"], rows["recent"]
        assert (old.helper_id, old.helper_address, old.sharer_address) == (None, None, None)
        assert old.personal_data_cleared
        # What stays is anonymous and still counts.
        assert old.end_reason == "helper_ended"
        assert old.features == "chat,full_control"
        assert old.started_at is not None and old.ended_at is not None
        assert (recent.helper_id, recent.sharer_address) == (7, "198.51.100.3")
        assert len(rows) == 2
    finally:
        await telemetry.stop()
        await engine.dispose()
