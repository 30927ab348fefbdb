"""Privacy by design: personal data in session records is cleared after the retention period.

The service does this itself, periodically (`RetentionTask`), so no operator has to remember.
What stays is anonymous: times, end reason, features, errors, bytes. Each round also runs the
``sweeps`` it was given (expired helper sign-ins: `HelperSessionStore.sweep`), so nothing
personal outlives its use by more than one interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .telemetry import SessionRecord

log = logging.getLogger(__name__)


class RetentionTask:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        retention_days: float,
        interval_seconds: float,
        clock: Callable[[], float],
        sweeps: Sequence[Callable[[float], Awaitable[int]]] = (),
    ) -> None:
        self._sessions = sessions
        self._sweeps = tuple(sweeps)
        self._retention = timedelta(days=retention_days)
        self._interval = interval_seconds
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def run_once(self) -> int:
        """Clear personal data older than the retention period; returns how many records."""
        cutoff = datetime.fromtimestamp(self._clock(), UTC) - self._retention
        async with self._sessions.begin() as db:
            result = await db.execute(
                update(SessionRecord)
                .where(SessionRecord.started_at < cutoff)
                .where(SessionRecord.personal_data_cleared.is_(False))
                .values(
                    helper_id=None,
                    helper_address=None,
                    sharer_address=None,
                    personal_data_cleared=True,
                )
            )
        cleared = int(getattr(result, "rowcount", 0) or 0)
        if cleared:
            log.info("retention cleared personal data from %d session records", cleared)
        for sweep in self._sweeps:
            await sweep(self._clock())
        return cleared

    def add_sweep(self, sweep: Callable[[float], Awaitable[int]]) -> None:
        """Also run ``sweep(now)`` every round (parts installed after this task was made)."""
        self._sweeps = (*self._sweeps, sweep)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name="retention")

    async def stop(self) -> None:
        """Stop after the current round: cancelling a query midway would leave the database
        driver's thread answering a loop that may be gone."""
        self._stopping.set()
        if self._task is not None:
            await self._task

    async def _run_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:  # the next round tries again; a failure must not end the loop
                log.exception("retention run failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
