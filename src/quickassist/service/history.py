"""Session history without content: GET /api/history (JSON) and /api/history.csv.

Each helper sees their own recent sessions, an administrator everyone's: start, end, duration,
mode, features used, end reason; never what was seen, typed or said. Rows name a helper only
while `retention` has not cleared them (3 days); after that they are counted, anonymously, in
``counts`` and no longer listed.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .accounts import HelperRow
from .auth import require_helper
from .identity import HelperIdentity
from .telemetry import SessionRecord

#: At most this many rows are listed (the newest); the CSV holds as many.
MAX_ROWS = 500
CSV_COLUMNS = (
    "started_at",
    "ended_at",
    "duration_seconds",
    "helper",
    "mode",
    "features",
    "end_reason",
)

router = APIRouter(prefix="/api", tags=["history"])


def _mode(features: set[str]) -> str:
    if "full_control" in features:
        return "full control"
    if "view_only" in features:
        return "view only"
    return "not started"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


async def history_rows(
    sessions: async_sessionmaker[AsyncSession], viewer: HelperIdentity
) -> list[dict[str, Any]]:
    """The sessions ``viewer`` may see (theirs, or everyone's for an administrator)."""
    query = (
        select(SessionRecord, HelperRow.username)
        .outerjoin(HelperRow, HelperRow.id == SessionRecord.helper_id)
        .where(SessionRecord.helper_id.is_not(None))
        .order_by(SessionRecord.started_at.desc())
        .limit(MAX_ROWS)
    )
    if not viewer.is_admin:
        query = query.where(SessionRecord.helper_id == viewer.id)
    async with sessions() as db:
        found = (await db.execute(query)).tuples().all()
    rows = []
    for record, username in found:
        features = {f for f in record.features.split(",") if f}
        duration = None
        if record.ended_at is not None:
            duration = round((record.ended_at - record.started_at).total_seconds())
        rows.append(
            {
                "started_at": _iso(record.started_at),
                "ended_at": _iso(record.ended_at),
                "duration_seconds": duration,
                "helper": username,
                "mode": _mode(features),
                "features": sorted(features - {"full_control", "view_only"}),
                "end_reason": record.end_reason,
            }
        )
    return rows


async def anonymous_counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Sessions counted whoever ran them: all recorded, and those already anonymous."""
    async with sessions() as db:
        total = await db.scalar(select(func.count()).select_from(SessionRecord))
        anonymous = await db.scalar(
            select(func.count())
            .select_from(SessionRecord)
            .where(SessionRecord.personal_data_cleared.is_(True))
        )
    return {"sessions": int(total or 0), "anonymous": int(anonymous or 0)}


def _store(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.db_sessions
    return sessions


@router.get("/history")
async def history(
    request: Request, helper: Annotated[HelperIdentity, Depends(require_helper)]
) -> dict[str, Any]:
    """Recent sessions without content; and anonymous counts (for administrators)."""
    answer: dict[str, Any] = {"sessions": await history_rows(_store(request), helper)}
    if helper.is_admin:
        answer["counts"] = await anonymous_counts(_store(request))
    return answer


@router.get("/history.csv", response_class=Response)
async def history_csv(
    request: Request, helper: Annotated[HelperIdentity, Depends(require_helper)]
) -> Response:
    """The same rows as CSV, for a spreadsheet."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in await history_rows(_store(request), helper):
        # Every cell is a time, a number or a word of ours (usernames begin with a letter or a
        # digit), so none begins with = + - @ and a spreadsheet runs no formula from it.
        writer.writerow({**row, "features": " ".join(row["features"])})
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="quickassist-sessions.csv"'},
    )
