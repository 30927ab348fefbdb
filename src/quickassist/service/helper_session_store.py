"""Where helpers' sign-ins live on the server, so that they can be revoked at once.

A sign-in is a random session id in the ``qa_session`` cookie; the store keeps only its SHA-256
digest (a copy of the table gives no usable cookie), which helper it belongs to, the password
fingerprint at sign-in, and when it expires. `HelperSessionStore` is the seam: the SQL store
below now, a Redis one (a key per digest with a TTL, a set per helper) when the service scales
out. Every request looks its cookie up, so deleting a row ends that sign-in for the next
request.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import DateTime, Integer, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from .database import Base


@dataclass(frozen=True, slots=True)
class StoredSignIn:
    """One sign-in as the store holds it."""

    helper_id: int
    password_fingerprint: str
    expires_at: float


class HelperSessionStore(Protocol):
    """Sign-ins by the digest of their session id. Times are seconds (the app's clock)."""

    async def add(self, digest: str, sign_in: StoredSignIn, now: float) -> None: ...

    async def get(self, digest: str, now: float) -> StoredSignIn | None:
        """The sign-in, unless it is unknown, revoked or expired."""
        ...

    async def revoke(self, digest: str) -> None: ...

    async def revoke_helper(self, helper_id: int) -> int:
        """End every sign-in of one helper ("sign out everywhere"); how many there were."""
        ...

    async def sweep(self, now: float) -> int:
        """Delete expired sign-ins; how many."""
        ...


class HelperSessionRow(Base):
    """One sign-in (the ``helper_sessions`` table, migration 0003_helper_sessions)."""

    __tablename__ = "helper_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    helper_id: Mapped[int] = mapped_column(Integer, index=True)
    password_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), index=True)


def _when(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def _seconds(when: datetime.datetime) -> float:
    # SQLite hands timezone-aware columns back naive (in UTC, as they were written).
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return when.timestamp()


class SqlHelperSessionStore:
    """`HelperSessionStore` in the service's database (SQLite or PostgreSQL)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(self, digest: str, sign_in: StoredSignIn, now: float) -> None:
        async with self._sessions.begin() as db:
            db.add(
                HelperSessionRow(
                    digest=digest,
                    helper_id=sign_in.helper_id,
                    password_fingerprint=sign_in.password_fingerprint,
                    created_at=_when(now),
                    expires_at=_when(sign_in.expires_at),
                )
            )

    async def get(self, digest: str, now: float) -> StoredSignIn | None:
        async with self._sessions() as db:
            row = await db.scalar(select(HelperSessionRow).where(HelperSessionRow.digest == digest))
        if row is None:
            return None
        expires_at = _seconds(row.expires_at)
        if expires_at <= now:
            return None
        return StoredSignIn(row.helper_id, row.password_fingerprint, expires_at)

    async def revoke(self, digest: str) -> None:
        async with self._sessions.begin() as db:
            await db.execute(delete(HelperSessionRow).where(HelperSessionRow.digest == digest))

    async def revoke_helper(self, helper_id: int) -> int:
        async with self._sessions.begin() as db:
            result = await db.execute(
                delete(HelperSessionRow).where(HelperSessionRow.helper_id == helper_id)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def sweep(self, now: float) -> int:
        async with self._sessions.begin() as db:
            result = await db.execute(
                delete(HelperSessionRow).where(HelperSessionRow.expires_at <= _when(now))
            )
        return int(getattr(result, "rowcount", 0) or 0)
