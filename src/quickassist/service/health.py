"""Health for load balancers and orchestrators: ``/healthz`` (alive) and ``/readyz`` (ready).

``/healthz`` answers while the process serves requests: restart it if it does not.
``/readyz`` answers 200 only while this node can do its work: its database answers, and on many
nodes Redis answers and the node is not draining. A 503 takes the node out of rotation (a
Kubernetes readiness probe, a load balancer's health check) without restarting it.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

#: How long /readyz waits for the database or Redis before it calls them unreachable: a probe
#: is retried every few seconds, and one stuck check must not pile up behind the next.
CHECK_SECONDS = 2.0


async def database_reachable(engine: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(CHECK_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError):
        return False
    return True


def install_health(app: FastAPI) -> None:
    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict[str, str]:
        """Liveness: answers while the process serves requests."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"])
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: the database (and Redis, on many nodes) answer, and no drain is on."""
        checks = {"database": await database_reachable(request.app.state.db_engine)}
        backend = request.app.state.live_backend
        if backend.reachable is not None:
            try:
                async with asyncio.timeout(CHECK_SECONDS):
                    checks["redis"] = await backend.reachable()
            except TimeoutError:
                checks["redis"] = False
            checks["taking_sessions"] = not backend.draining()
        ready = all(checks.values())
        body = {"status": "ready" if ready else "not_ready"}
        body.update({name: "ok" if ok else "failing" for name, ok in checks.items()})
        return JSONResponse(body, status_code=200 if ready else 503)
