"""Organisations: the name a sharer is shown, and the domain the service vouches for.

A helper belongs to an organisation by name (``helpers.organisation``). An organisation's domain
is *verified* when an administrator set it (``quickassist org verify``, the console) or when the
identity provider vouched for it (a helper signed in through a provider that restricts the
email domains or tenants it admits). Only a verified domain ever reaches the sharer's consent
dialog: "Ada L. · Contoso (verified: contoso.com)"; anything else says "not verified".
"""

from __future__ import annotations

import datetime
import enum
import re

from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from .database import Base
from .errors import ServiceError

#: RFC 1035 labels (letters, digits, inner dashes), at least two of them, 253 characters at most.
DOMAIN_PATTERN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


class InvalidDomain(ServiceError):
    code = "invalid_domain"


class VerifiedBy(enum.StrEnum):
    ADMIN = "admin"
    IDP = "idp"


class OrganisationRow(Base):
    """One organisation (the ``organisations`` table, migration 0004_identity)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    verified_domain: Mapped[str | None] = mapped_column(String(253), nullable=True)
    verified_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))


def normalise_domain(domain: str) -> str:
    """The stored form of a domain (lower case, no trailing dot); raises InvalidDomain."""
    folded = domain.strip().rstrip(".").casefold()
    if not DOMAIN_PATTERN.fullmatch(folded):
        raise InvalidDomain(f"{domain.strip()!r} is not a domain name such as contoso.com.")
    return folded


class Organisations:
    """The organisations of one store."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def verify(self, name: str, domain: str | None, by: VerifiedBy) -> str | None:
        """Set (or with None, clear) the verified domain of ``name``; the stored domain."""
        stored = normalise_domain(domain) if domain is not None else None
        now = datetime.datetime.now(datetime.UTC)
        async with self._sessions() as session, session.begin():
            row = await session.scalar(
                select(OrganisationRow).where(OrganisationRow.name == name.strip())
            )
            if row is None:
                row = OrganisationRow(name=name.strip(), updated_at=now)
                session.add(row)
            row.verified_domain = stored
            row.verified_by = by.value if stored is not None else None
            row.updated_at = now
        return stored

    async def vouch_from_idp(self, name: str, domain: str) -> None:
        """The identity provider vouched for ``domain``: record it unless an administrator chose."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(OrganisationRow).where(OrganisationRow.name == name.strip())
            )
        if row is not None and row.verified_by == VerifiedBy.ADMIN.value:
            return  # an administrator's choice outranks what a sign-in implies
        if row is None or row.verified_domain != normalise_domain(domain):
            await self.verify(name, domain, VerifiedBy.IDP)

    async def all(self) -> dict[str, str | None]:
        """Organisation name -> verified domain (None: not verified)."""
        async with self._sessions() as session:
            rows = await session.scalars(select(OrganisationRow).order_by(OrganisationRow.name))
            return {row.name: row.verified_domain for row in rows}
