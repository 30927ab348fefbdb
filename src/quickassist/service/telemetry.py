"""What the service records about sessions, and nothing more.

Per session: start, join, end, end reason, errors, features used, bytes relayed (anonymous), and
for 3 days the personal data needed to answer "who helped whom" (helper account, client
addresses), which `service.retention` then clears. Writes go through one background task, so
the relay never waits on the database.

A database that refuses writes for a while (a full disk, a lock, a lost connection) loses
nothing: records wait in memory, in order, and are retried with a growing pause (one log line
when writing stops working, one when it works again). Memory is bounded: past
`MAX_PENDING_WRITES` new records are dropped, and counted (``/metrics``), never piled up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, String, update
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from ..protocol.roles import EndReason
from .database import Base
from .metrics import Metrics

log = logging.getLogger(__name__)

#: Pending writes kept before new ones are dropped (a stalled database must not eat memory):
#: a session makes 4, so this holds 2,500 sessions' records, a few hundred bytes each.
MAX_PENDING_WRITES = 10_000
#: Pause before retrying a refused write, doubled each time up to the maximum.
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0
#: At shut-down, pending records get this long to be written before they are counted lost.
STOP_FLUSH_SECONDS = 3.0


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
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], float],
        metrics: Metrics | None = None,
        max_pending: int = MAX_PENDING_WRITES,
        retry_first_seconds: float = RETRY_FIRST_SECONDS,
        retry_max_seconds: float = RETRY_MAX_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._metrics = metrics or Metrics()
        self._metrics.telemetry_records_pending = self.pending_count
        self._max_pending = max_pending
        self._retry_first = retry_first_seconds
        self._retry_max = retry_max_seconds
        self._pending: deque[_Write] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._dropping = False
        self._task: asyncio.Task[None] | None = None

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def pending_count(self) -> int:
        return len(self._pending)

    def _put(self, write: _Write) -> None:
        if len(self._pending) >= self._max_pending:
            self._metrics.telemetry_records_dropped += 1
            if not self._dropping:
                self._dropping = True
                log.warning(
                    "telemetry backlog full (%d records); new ones are dropped", self._max_pending
                )
            return
        self._dropping = False
        self._pending.append(write)
        self._idle.clear()
        self._wake.set()

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
        """Write what is pending (for a few seconds at most), then stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), STOP_FLUSH_SECONDS)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pending:
            lost = len(self._pending)
            self._metrics.telemetry_records_dropped += lost
            self._pending.clear()
            log.warning("telemetry: %d records could not be written before shut-down", lost)

    async def flush(self) -> None:
        """Return once every record queued so far is written (or dropped)."""
        await self._idle.wait()

    async def _write_forever(self) -> None:
        delay = self._retry_first
        failing = False
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                write = self._pending[0]
                try:
                    await self._write(write)
                except (OperationalError, OSError) as exc:
                    # The database cannot write now (full disk, lock, connection): keep the
                    # record at the head, in order, and try again after a pause.
                    self._metrics.telemetry_write_failures += 1
                    if not failing:
                        failing = True
                        log.warning(
                            "telemetry write failed (%s); %d records kept, retrying",
                            _one_line(exc),
                            len(self._pending),
                        )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._retry_max)
                    continue
                except SQLAlchemyError as exc:
                    # This record cannot be written at all (a constraint): retrying won't help.
                    self._metrics.telemetry_write_failures += 1
                    self._metrics.telemetry_records_dropped += 1
                    log.error("telemetry record dropped (%s)", _one_line(exc))
                except Exception:  # a bug: say where, but keep the other sessions' records
                    self._metrics.telemetry_records_dropped += 1
                    log.exception("telemetry record dropped")
                self._pending.popleft()
                if failing:
                    failing = False
                    delay = self._retry_first
                    log.warning(
                        "telemetry writes work again; %d records waiting", len(self._pending)
                    )
            self._idle.set()

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


def _one_line(exc: BaseException) -> str:
    """The error's kind and the driver's message: not SQLAlchemy's text, which quotes the
    statement's parameters (addresses are personal data, never logged)."""
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    message = " ".join(str(cause).split())
    return f"{type(cause).__name__}: {message}" if message else type(cause).__name__
