"""What the service records about sessions, and nothing more.

Per session: start, join, end, end reason, errors, features used, bytes relayed (anonymous), and
for 3 days the personal data needed to answer "who helped whom" (helper account, client
addresses), which `service.retention` then clears. Writes go through one background task, so
the relay never waits on the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, String, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from ..protocol.roles import EndReason
from .database import Base

log = logging.getLogger(__name__)

#: Pending writes kept before new ones are dropped (a stalled database must not eat memory).
MAX_PENDING_WRITES = 10_000


class SessionRecord(Base):
    __tablename__ = "session_records"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    joined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    features: Mapped[str] = mapped_column(String(400), default="")
    errors: Mapped[int] = mapped_column(Integer, default=0)
    bytes_relayed: Mapped[int] = mapped_column(BigInteger, default=0)
    helper_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    helper_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sharer_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    personal_data_cleared: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True, slots=True)
class _Write:
    session_id: str
    values: dict[str, Any]
    create: bool = False


class SessionTelemetry:
    """The hub's `SessionLog`: queues each fact and writes it in the background."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, clock: Callable[[], float]
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._queue: asyncio.Queue[_Write] = asyncio.Queue(MAX_PENDING_WRITES)
        self._task: asyncio.Task[None] | None = None

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _put(self, write: _Write) -> None:
        try:
            self._queue.put_nowait(write)
        except asyncio.QueueFull:
            log.warning("telemetry backlog full; a session record was not written")

    # SessionLog --------------------------------------------------------------------------------

    def started(self, session_id: str, helper_id: int, helper_address: str | None) -> None:
        values = {
            "started_at": self._now(),
            "helper_id": helper_id,
            "helper_address": helper_address,
        }
        self._put(_Write(session_id, values, create=True))

    def joined(self, session_id: str, sharer_address: str | None) -> None:
        self._put(_Write(session_id, {"joined_at": self._now(), "sharer_address": sharer_address}))

    def ended(self, session_id: str, reason: EndReason, features: Iterable[str]) -> None:
        values = {
            "ended_at": self._now(),
            "end_reason": reason.value,
            "features": ",".join(sorted(features)),
        }
        self._put(_Write(session_id, values))

    def usage(self, session_id: str, bytes_relayed: int, errors: int) -> None:
        self._put(_Write(session_id, {"bytes_relayed": bytes_relayed, "errors": errors}))

    # Writer ------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._write_forever(), name="telemetry-writer")

    async def stop(self) -> None:
        """Write what is pending, then stop."""
        await self._queue.join()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def flush(self) -> None:
        await self._queue.join()

    async def _write_forever(self) -> None:
        while True:
            write = await self._queue.get()
            try:
                await self._write(write)
            except Exception:  # one bad write must not stop the records of every other session
                log.exception("telemetry write failed")
            finally:
                self._queue.task_done()

    async def _write(self, write: _Write) -> None:
        async with self._sessions.begin() as db:
            if write.create:
                db.add(SessionRecord(id=write.session_id, **write.values))
            else:
                await db.execute(
                    update(SessionRecord)
                    .where(SessionRecord.id == write.session_id)
                    .values(**write.values)
                )
