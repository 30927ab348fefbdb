"""Helper accounts: the ``helpers`` table and the operations the CLI and sign-in need.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended
profile). Hashing is deliberately slow (tens of milliseconds), so it runs in a worker thread,
never on the event loop. Usernames are case-insensitive: they are stored case-folded.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import BigInteger, Boolean, DateTime, Integer, Select, String, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from .database import Base
from .errors import ServiceError
from .identity import HelperIdentity
from .organisations import OrganisationRow

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
MIN_PASSWORD_LENGTH = 8
#: argon2 hashes whatever it is given; a cap keeps one request from costing unbounded CPU.
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so a miss costs as long as a wrong
    password (the response time does not tell which usernames exist). Made on first use:
    hashing at import would slow every command down."""
    return _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ServiceError):
    """A helper account operation that cannot be done (the message says why)."""


class InvalidUsername(AccountError):
    code = "invalid_username"


class InvalidPassword(AccountError):
    code = "invalid_password"


class UsernameTaken(AccountError):
    status = 409
    code = "username_taken"


class UnknownHelper(AccountError):
    status = 404
    code = "unknown_helper"


class LastAdministrator(AccountError):
    status = 409
    code = "last_administrator"


class HelperRow(Base):
    """One helper account (the ``helpers`` table, migration 0001_helpers)."""

    __tablename__ = "helpers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A disabled helper cannot sign in, and their sign-ins end (migration 0003).
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    # Migration 0004_identity:
    #: May ask for full control; without it the service grants view only, whatever is sent.
    full_control: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The identity provider's account (issuer, subject) this helper signs in with, if any.
    oidc_issuer: Mapped[str | None] = mapped_column(String(300), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    #: TOTP (service.totp): confirmed secret, secret awaiting its first code, last step used.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    def identity(self, verified_domain: str | None = None) -> HelperIdentity:
        return HelperIdentity(
            id=self.id,
            username=self.username,
            display_name=self.display_name,
            organisation=self.organisation,
            is_admin=self.is_admin,
            verified_domain=verified_domain or "",
            full_control=self.full_control is not False,
            identity_provider=self.oidc_issuer or "",
            totp_enabled=self.totp_secret is not None,
            disabled=bool(self.disabled),
        )


def _with_domain() -> Select[tuple[HelperRow, str | None]]:
    """Helpers with their organisation's verified domain (None when it has none)."""
    return select(HelperRow, OrganisationRow.verified_domain).outerjoin(
        OrganisationRow, OrganisationRow.name == HelperRow.organisation
    )


def normalise_username(username: str) -> str:
    """The stored form of a username (case-folded, trimmed); raises InvalidUsername."""
    folded = username.strip().casefold()
    if not USERNAME_PATTERN.fullmatch(folded):
        raise InvalidUsername(
            "A username has 1 to 64 letters, digits, dots, dashes, underscores or @, "
            "and starts with a letter or digit."
        )
    return folded


def check_password_rules(password: str) -> None:
    """Raise InvalidPassword unless the password's length is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidPassword(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidPassword(f"A password has at most {MAX_PASSWORD_LENGTH} characters.")


def generate_password() -> str:
    """A random password for a new account (about 120 bits, easy to copy: no look-alikes)."""
    alphabet = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def password_fingerprint(password_hash: str) -> str:
    """A short value that changes whenever the password does (sign-ins made before go stale).

    A digest of the whole stored hash (salt included), so it reveals nothing usable offline.
    """
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


class HelperAccounts:
    """The helper accounts in one store."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """The store's session factory (organisations and two-factor share the store)."""
        return self._sessions

    async def count(self) -> int:
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(HelperRow))
            return int(total or 0)

    async def add(
        self,
        username: str,
        *,
        display_name: str,
        organisation: str,
        password: str,
        is_admin: bool = False,
    ) -> HelperIdentity:
        """Create an account; raises InvalidUsername, InvalidPassword or UsernameTaken."""
        name = normalise_username(username)
        check_password_rules(password)
        display_name = display_name.strip() or name
        password_hash = await asyncio.to_thread(_hasher.hash, password)
        taken = UsernameTaken(f"The username {name} is already taken.")
        try:
            async with self._sessions() as session, session.begin():
                if await session.scalar(select(HelperRow.id).where(HelperRow.username == name)):
                    raise taken
                row = HelperRow(
                    username=name,
                    display_name=display_name,
                    organisation=organisation.strip(),
                    password_hash=password_hash,
                    is_admin=is_admin,
                    created_at=datetime.datetime.now(datetime.UTC),
                )
                session.add(row)
                await session.flush()
                return row.identity()
        except IntegrityError as exc:
            # Another process added the same name between our check and our insert.
            raise taken from exc

    async def list(self) -> list[HelperIdentity]:
        """Every helper, disabled ones included, by username."""
        async with self._sessions() as session:
            rows = await session.execute(_with_domain().order_by(HelperRow.username))
            return [row.identity(domain) for row, domain in rows.tuples()]

    async def find(self, username: str) -> HelperIdentity:
        """A helper by username; raises UnknownHelper."""
        name = normalise_username(username)
        async with self._sessions() as session:
            query = _with_domain().where(HelperRow.username == name)
            found = (await session.execute(query)).tuples().first()
        if found is None:
            raise UnknownHelper(f"There is no helper called {name}.")
        return found[0].identity(found[1])

    async def set_role(self, username: str, *, admin: bool) -> HelperIdentity:
        """Make a helper an administrator or a plain helper; the last administrator stays one."""
        name = normalise_username(username)
        async with self._sessions() as session, session.begin():
            row = await self._row(session, name)
            if row.is_admin and not admin:
                others = await session.scalar(
                    select(func.count())
                    .select_from(HelperRow)
                    .where(HelperRow.is_admin.is_(True), HelperRow.id != row.id)
                    .where(HelperRow.disabled.is_(False))
                )
                if not others:
                    raise LastAdministrator(
                        f"{name} is the only administrator; make another one first."
                    )
            row.is_admin = admin
            return row.identity()

    async def set_full_control(self, username: str, *, allowed: bool) -> HelperIdentity:
        """Let a helper ask for full control, or limit them to view only (new sessions)."""
        name = normalise_username(username)
        async with self._sessions() as session, session.begin():
            row = await self._row(session, name)
            row.full_control = allowed
            return row.identity()

    async def from_provider(
        self,
        *,
        issuer: str,
        subject: str,
        verified_email: str,
        display_name: str,
        organisation: str,
    ) -> HelperIdentity | None:
        """The helper an identity provider signed in: found by (issuer, subject), else linked to
        the local account whose username is their verified email (first sign-in), else created.

        The display name and organisation follow the provider at every sign-in. None if the
        account is disabled.
        """
        email = verified_email.casefold()
        async with self._sessions() as session, session.begin():
            row = await session.scalar(
                select(HelperRow).where(
                    HelperRow.oidc_issuer == issuer, HelperRow.oidc_subject == subject
                )
            )
            if row is None and email and USERNAME_PATTERN.fullmatch(email):
                row = await session.scalar(
                    select(HelperRow).where(
                        HelperRow.username == email, HelperRow.oidc_issuer.is_(None)
                    )
                )
            if row is None:
                row = HelperRow(
                    username=await self._free_username(session, email, subject),
                    # Not a hash: argon2 refuses it, so this account has no password at all.
                    password_hash="",
                    is_admin=False,
                    created_at=datetime.datetime.now(datetime.UTC),
                )
                session.add(row)
            row.oidc_issuer, row.oidc_subject = issuer, subject
            row.display_name = display_name.strip()[:200] or row.username
            row.organisation = organisation
            await session.flush()
            helper_id, disabled = row.id, row.disabled
        return None if disabled else await self._identity_of(helper_id)

    async def _free_username(self, session: AsyncSession, email: str, subject: str) -> str:
        """The verified email if it is a valid, untaken username, else one made from the subject."""
        digest = hashlib.sha256(subject.encode()).hexdigest()[:12]
        for candidate in (email, f"oidc-{digest}"):
            if candidate and USERNAME_PATTERN.fullmatch(candidate):
                taken = await session.scalar(
                    select(HelperRow.id).where(HelperRow.username == candidate)
                )
                if taken is None:
                    return candidate
        return f"oidc-{digest}-{secrets.token_hex(3)}"

    async def _row(self, session: AsyncSession, name: str) -> HelperRow:
        row = await session.scalar(select(HelperRow).where(HelperRow.username == name))
        if row is None:
            raise UnknownHelper(f"There is no helper called {name}.")
        return row

    async def set_disabled(self, username: str, disabled: bool) -> HelperIdentity:
        """Disable (or enable again) an account; a disabled helper's sign-ins stop working."""
        name = normalise_username(username)
        async with self._sessions() as session, session.begin():
            row = await session.scalar(select(HelperRow).where(HelperRow.username == name))
            if row is None:
                raise UnknownHelper(f"There is no helper called {name}.")
            row.disabled = disabled
            return row.identity()

    async def remove(self, username: str) -> HelperIdentity:
        """Delete an account (the one deleted); raises UnknownHelper if there is none."""
        name = normalise_username(username)
        async with self._sessions() as session, session.begin():
            row = await session.scalar(select(HelperRow).where(HelperRow.username == name))
            if row is None:
                raise UnknownHelper(f"There is no helper called {name}.")
            await session.execute(delete(HelperRow).where(HelperRow.id == row.id))
            return row.identity()

    async def set_password(self, username: str, password: str) -> HelperIdentity:
        """Replace a helper's password; their existing sign-ins stop working."""
        name = normalise_username(username)
        check_password_rules(password)
        password_hash = await asyncio.to_thread(_hasher.hash, password)
        async with self._sessions() as session, session.begin():
            row = await session.scalar(select(HelperRow).where(HelperRow.username == name))
            if row is None:
                raise UnknownHelper(f"There is no helper called {name}.")
            row.password_hash = password_hash
            return row.identity()

    async def verify(self, username: str, password: str) -> HelperIdentity | None:
        """The helper if the password is theirs, else None (argon2 runs in a thread)."""
        try:
            name = normalise_username(username)
        except InvalidUsername:
            name = None
        row = None
        if name is not None and len(password) <= MAX_PASSWORD_LENGTH:
            async with self._sessions() as session:
                row = await session.scalar(select(HelperRow).where(HelperRow.username == name))
        # An account made by an identity provider has no password hash: nothing matches it.
        stored = (row.password_hash or None) if row is not None else None
        candidate = password[:MAX_PASSWORD_LENGTH]
        if not await asyncio.to_thread(_verify, stored, candidate) or row is None:
            return None
        # Checked after argon2, so a disabled account answers as slowly as any other.
        return None if row.disabled else await self._identity_of(row.id)

    async def _identity_of(self, helper_id: int) -> HelperIdentity | None:
        found = await self.get(helper_id)
        return found[0] if found is not None else None

    async def get(self, helper_id: int) -> tuple[HelperIdentity, str] | None:
        """A helper by id with their password fingerprint; None if gone or disabled."""
        async with self._sessions() as session:
            found = (
                (await session.execute(_with_domain().where(HelperRow.id == helper_id)))
                .tuples()
                .first()
            )
        if found is None or found[0].disabled:
            return None
        row, domain = found
        return row.identity(domain), password_fingerprint(row.password_hash)


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
