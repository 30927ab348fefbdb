"""The signed-in helper's own two-factor enrolment: /api/auth/2fa/* (docs/protocol.md section 2).

``POST /enrol`` makes a pending secret (the QR code at ``GET /qr.svg``, the same secret as text
for apps that cannot scan), ``POST /confirm`` with the app's first code turns it on and answers
the recovery codes, once. Only accounts with a password here enrol: an identity provider's
helpers use the provider's own second factor. An administrator reset (``quickassist user
reset-2fa``, the console) removes it again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, Field

from .auth import require_signed_in
from .errors import ServiceError
from .identity import HelperIdentity
from .totp import TwoFactor


class EnrolmentOut(BaseModel):
    secret: str = Field(description="The secret as text (base32), for typing into an app.")
    otpauth_uri: str
    qr_url: str = Field(description="The QR code of otpauth_uri, SVG.")


class ConfirmIn(BaseModel):
    code: str = Field(max_length=16)


class RecoveryOut(BaseModel):
    recovery_codes: list[str] = Field(description="Each signs in once instead of a code.")


router = APIRouter(prefix="/api/auth/2fa", tags=["auth"])


def _two_factor(request: Request) -> TwoFactor:
    two_factor: TwoFactor = request.app.state.two_factor
    return two_factor


async def _local_helper(request: Request) -> HelperIdentity:
    helper = await require_signed_in(request)
    if not helper.local:
        raise ServiceError(
            "Your organisation's sign-in asks for your second factor; there is nothing to set "
            "up here.",
            code="not_local",
            status=409,
        )
    return helper


@router.post("/enrol", response_model=EnrolmentOut)
async def enrol(request: Request) -> EnrolmentOut:
    """Start setting up an authenticator app (an enrolled one keeps working until confirmed)."""
    helper = await _local_helper(request)
    enrolment = await _two_factor(request).begin(helper.id, helper.username)
    return EnrolmentOut(
        secret=enrolment.secret, otpauth_uri=enrolment.uri, qr_url="/api/auth/2fa/qr.svg"
    )


@router.get("/qr.svg", response_class=Response)
async def qr_code(request: Request) -> Response:
    """The pending enrolment's QR code (never cached: it holds the secret)."""
    helper = await _local_helper(request)
    enrolment = await _two_factor(request).pending(helper.id, helper.username)
    if enrolment is None:
        raise ServiceError("Start setting up the app first.", code="no_enrolment", status=404)
    return Response(
        enrolment.qr_svg(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store"},
    )


@router.post("/confirm", response_model=RecoveryOut)
async def confirm(request: Request, body: Annotated[ConfirmIn, Body()]) -> RecoveryOut:
    """Turn two-factor sign-in on with the app's first code; the recovery codes, shown once."""
    helper = await _local_helper(request)
    return RecoveryOut(recovery_codes=await _two_factor(request).confirm(helper.id, body.code))
