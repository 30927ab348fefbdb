"""What administrators see besides accounts: their own actions, and sharers' abuse reports.

Both keep personal data (who acted and on whom; which helper a report names, the reporter's
address) only as long as `ServiceConfig.retention_days` (3 days): `clear_personal_data` is one
of the retention task's sweeps, after which each row stays as an anonymous fact (what was done,
when; a report's reason).
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import Boolean, DateTime, Integer, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from .database import Base

#: How many rows the console is shown (the newest).
SHOWN_ROWS = 200
MAX_REASON_CHARS = 500


class AdminActionRow(Base):
    """One administrator action (the ``admin_actions`` table, migration 0004_identity)."""

    __tablename__ = "admin_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), index=True)
    action: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target: Mapped[str | None] = mapped_column(String(200), nullable=True)
    personal_data_cleared: Mapped[bool] = mapped_column(Boolean, default=False)


class AbuseReportRow(Base):
    """One "Report this session" from a sharer (the ``abuse_reports`` table)."""

    __tablename__ = "abuse_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), index=True)
    session_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(MAX_REASON_CHARS))
    helper_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reporter_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    personal_data_cleared: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True, slots=True)
class AdminAction:
    at: datetime.datetime
    action: str
    actor: str | None
    target: str | None


@dataclass(frozen=True, slots=True)
class AbuseReport:
    at: datetime.datetime
    session_id: str
    reason: str
    helper_id: int | None


class AdminRecords:
    """The admin log and the abuse reports of one store; ``clock`` dates each row."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, clock: Callable[[], float]
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    def _now(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self._clock(), datetime.UTC)

    async def record(self, actor: str, action: str, target: str | None = None) -> None:
        """Note that administrator ``actor`` did ``action`` (to ``target``)."""
        async with self._sessions.begin() as db:
            db.add(AdminActionRow(at=self._now(), action=action, actor=actor, target=target))

    async def actions(self) -> list[AdminAction]:
        async with self._sessions() as db:
            rows = await db.scalars(
                select(AdminActionRow).order_by(AdminActionRow.id.desc()).limit(SHOWN_ROWS)
            )
            return [AdminAction(r.at, r.action, r.actor, r.target) for r in rows]

    async def report(
        self, session_id: str, reason: str, *, helper_id: int | None, address: str | None
    ) -> None:
        async with self._sessions.begin() as db:
            db.add(
                AbuseReportRow(
                    at=self._now(),
                    session_id=session_id,
                    reason=reason[:MAX_REASON_CHARS],
                    helper_id=helper_id,
                    reporter_address=address,
                )
            )

    async def reports(self) -> list[AbuseReport]:
        async with self._sessions() as db:
            rows = await db.scalars(
                select(AbuseReportRow).order_by(AbuseReportRow.id.desc()).limit(SHOWN_ROWS)
            )
            return [AbuseReport(r.at, r.session_id, r.reason, r.helper_id) for r in rows]

    def personal_data_sweep(self, retention_days: float) -> Callable[[float], Awaitable[int]]:
        """The retention sweep for these tables: personal data older than the period cleared."""

        async def sweep(now: float) -> int:
            cutoff = datetime.datetime.fromtimestamp(now, datetime.UTC) - datetime.timedelta(
                days=retention_days
            )
            async with self._sessions.begin() as db:
                actions = await db.execute(
                    update(AdminActionRow)
                    .where(AdminActionRow.at < cutoff)
                    .where(AdminActionRow.personal_data_cleared.is_(False))
                    .values(actor=None, target=None, personal_data_cleared=True)
                )
                reports = await db.execute(
                    update(AbuseReportRow)
                    .where(AbuseReportRow.at < cutoff)
                    .where(AbuseReportRow.personal_data_cleared.is_(False))
                    .values(helper_id=None, reporter_address=None, personal_data_cleared=True)
                )
            return sum(int(getattr(r, "rowcount", 0) or 0) for r in (actions, reports))

        return sweep
