"""Two-factor sign-in for local accounts: TOTP (RFC 6238, via pyotp) and recovery codes.

Enrolment is two steps, so a typo in the app never locks anyone out: `begin` keeps a new secret
as *pending* and gives the ``otpauth://`` URI (and its QR code as SVG, made here with segno: no
script and no other origin in the console); `confirm` with a first good code makes it the
account's secret and hands out `RECOVERY_CODES` one-time recovery codes, stored as SHA-256
digests only. A code is good for its 30-second step and one step either side (clock drift), and
only once: the last step used is stored, and an older or equal step is refused (RFC 6238
section 5.2), so a code seen over a shoulder cannot be replayed.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
import segno
from sqlalchemy import Integer, String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from .accounts import HelperRow
from .database import Base
from .errors import ServiceError

ISSUER_NAME = "quickassist"
RECOVERY_CODES = 10
#: Steps either side of now that are accepted (one step: 30 s of clock drift).
DRIFT_STEPS = 1
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


class TwoFactorError(ServiceError):
    status = 401
    code = "two_factor_failed"


class CheckResult(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    REUSED = "reused"


class RecoveryCodeRow(Base):
    """One unused recovery code (the ``recovery_codes`` table, migration 0004_identity)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    helper_id: Mapped[int] = mapped_column(Integer, index=True)
    digest: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    uri: str

    def qr_svg(self) -> bytes:
        """The URI as a QR code, SVG (what the console shows for an authenticator app to scan)."""
        out = io.BytesIO()
        segno.make(self.uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=True)
        return out.getvalue()


def _digest(code: str) -> str:
    return hashlib.sha256(normalise_recovery(code).encode()).hexdigest()


def normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.casefold() if ch.isalnum())


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


class TwoFactor:
    """TOTP secrets and recovery codes of the helpers in one store; ``clock`` gives the time."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, clock: Callable[[], float]
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def begin(self, helper_id: int, username: str) -> Enrolment:
        """A new pending secret (replacing any earlier pending one; the active one stays)."""
        secret = pyotp.random_base32()
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(HelperRow)
                .where(HelperRow.id == helper_id)
                .values(totp_pending_secret=secret)
            )
        uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER_NAME)
        return Enrolment(secret, uri)

    async def pending(self, helper_id: int, username: str) -> Enrolment | None:
        async with self._sessions() as session:
            secret = await session.scalar(
                select(HelperRow.totp_pending_secret).where(HelperRow.id == helper_id)
            )
        if secret is None:
            return None
        uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER_NAME)
        return Enrolment(secret, uri)

    async def confirm(self, helper_id: int, code: str) -> list[str]:
        """Make the pending secret the account's, if ``code`` is right; the recovery codes."""
        async with self._sessions() as session, session.begin():
            row = await session.get(HelperRow, helper_id)
            if row is None or row.totp_pending_secret is None:
                raise TwoFactorError(
                    "Start again: set up the authenticator app first.", code="no_enrolment"
                )
            step = _matching_step(row.totp_pending_secret, code, self._clock())
            if step is None:
                raise TwoFactorError(
                    "That code is not right. Check the app shows quickassist, then enter the "
                    "code it shows now.",
                    code="wrong_code",
                    status=400,
                )
            row.totp_secret, row.totp_pending_secret = row.totp_pending_secret, None
            row.totp_last_step = step
            codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
            await session.execute(
                delete(RecoveryCodeRow).where(RecoveryCodeRow.helper_id == helper_id)
            )
            session.add_all(RecoveryCodeRow(helper_id=helper_id, digest=_digest(c)) for c in codes)
        return codes

    async def check(self, helper_id: int, code: str) -> CheckResult:
        """A sign-in's second factor: a current TOTP code (once) or an unused recovery code."""
        async with self._sessions() as session, session.begin():
            row = await session.get(HelperRow, helper_id)
            if row is None or row.totp_secret is None:
                return CheckResult.WRONG
            if len(normalise_recovery(code)) == 10:
                return await self._use_recovery(session, helper_id, code)
            step = _matching_step(row.totp_secret, code, self._clock())
            if step is None:
                return CheckResult.WRONG
            # Compare-and-set: of two sign-ins racing with the same code, one wins.
            result = await session.execute(
                update(HelperRow)
                .where(HelperRow.id == helper_id)
                .where((HelperRow.totp_last_step.is_(None)) | (HelperRow.totp_last_step < step))
                .values(totp_last_step=step)
            )
            used = int(getattr(result, "rowcount", 0) or 0)
            return CheckResult.OK if used == 1 else CheckResult.REUSED

    async def _use_recovery(self, session: AsyncSession, helper_id: int, code: str) -> CheckResult:
        result = await session.execute(
            delete(RecoveryCodeRow)
            .where(RecoveryCodeRow.helper_id == helper_id)
            .where(RecoveryCodeRow.digest == _digest(code))
        )
        return CheckResult.OK if int(getattr(result, "rowcount", 0) or 0) else CheckResult.WRONG

    async def remaining_recovery_codes(self, helper_id: int) -> int:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(RecoveryCodeRow.id).where(RecoveryCodeRow.helper_id == helper_id)
            )
            return len(list(rows))

    async def reset(self, helper_id: int) -> None:
        """Remove the secret, any pending one and the recovery codes (a lost phone)."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(HelperRow)
                .where(HelperRow.id == helper_id)
                .values(totp_secret=None, totp_pending_secret=None, totp_last_step=None)
            )
            await session.execute(
                delete(RecoveryCodeRow).where(RecoveryCodeRow.helper_id == helper_id)
            )


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code ``code`` is (within the drift), or None."""
    digits = "".join(ch for ch in code if not ch.isspace())
    if len(digits) != 6 or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = int(now // totp.interval)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(candidate * totp.interval), digits):
            return candidate
    return None
