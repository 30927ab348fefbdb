"""Settings an administrator changes while the service runs (kept in ``service_settings``).

Unlike `ServiceConfig` (flags and environment, read at start), these live in the store, so the
console and ``quickassist settings`` change them for every node at once:

- ``local_sign_in``: helpers may sign in with a username and password (default on). Switched
  off, only the identity providers sign helpers in (the password route answers 403).
- ``admin_two_factor``: administrators with a password must use a second factor (default off).
"""

from __future__ import annotations

import enum

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from .database import Base


class Setting(enum.StrEnum):
    LOCAL_SIGN_IN = "local_sign_in"
    ADMIN_TWO_FACTOR = "admin_two_factor"


DEFAULTS = {Setting.LOCAL_SIGN_IN: True, Setting.ADMIN_TWO_FACTOR: False}


class SettingRow(Base):
    """One setting (the ``service_settings`` table, migration 0004_identity)."""

    __tablename__ = "service_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(400))


class ServiceSettings:
    """On/off settings in one store; read on each use (a few per sign-in, none per frame)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, setting: Setting) -> bool:
        async with self._sessions() as session:
            value = await session.scalar(
                select(SettingRow.value).where(SettingRow.name == setting.value)
            )
        return DEFAULTS[setting] if value is None else value == "on"

    async def set(self, setting: Setting, enabled: bool) -> None:
        async with self._sessions() as session, session.begin():
            row = await session.get(SettingRow, setting.value)
            if row is None:
                session.add(SettingRow(name=setting.value, value="on" if enabled else "off"))
            else:
                row.value = "on" if enabled else "off"

    async def all(self) -> dict[str, bool]:
        return {setting.value: await self.get(setting) for setting in Setting}
