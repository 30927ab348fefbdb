"""The service as one ASGI application: `create_app(config)` composes its parts.

Each part is added by one ``install_*`` call, and the helper console's static files are mounted
last at "/" so every API route wins over a file of the same name.

Start-up and shut-down: parts register coroutines on ``app.state.lifecycle`` (a `Lifecycle`)::

    app.state.lifecycle.on_startup.append(start)     # in order, after the store is migrated
    app.state.lifecycle.on_shutdown.append(stop)     # newest first, while peers are connected

Shut-down hooks run when `quickassist serve` gets SIGINT/SIGTERM, while WebSockets are still
open (see `server.py`), or at the latest in the lifespan shutdown.

State other parts may read: ``app.state.config`` (`ServiceConfig`), ``app.state.clock``,
``app.state.db_engine`` / ``app.state.db_sessions`` (SQLAlchemy async engine and session
factory), ``app.state.accounts`` (`HelperAccounts`), ``app.state.helper_sessions``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .. import __version__
from .accounts import HelperAccounts
from .admin_api import install_administration
from .api_docs import install_api_docs
from .auth import install_auth
from .config import ServiceConfig
from .database import create_engine, migrate, session_factory
from .downloads import install_downloads
from .error_responses import install_error_responses
from .health import install_health
from .lifecycle import Lifecycle
from .request_guard import RequestGuardMiddleware
from .secret_key import load_or_create_secret_key
from .security_headers import SecurityHeadersMiddleware
from .sessions_feature import install_sessions
from .share_page import install_share_page

CONSOLE_DIR = Path(__file__).with_name("console")


def create_app(
    config: ServiceConfig,
    *,
    clock: Callable[[], float] = time.time,
    migrate_on_start: bool = True,
) -> FastAPI:
    """The whole service for ``config``; ``clock`` (seconds) drives every time-based rule.

    ``migrate_on_start=False`` when the schema is already current (`quickassist serve` migrates
    in a short-lived child process first, keeping Alembic out of the server's memory).
    """
    lifecycle = Lifecycle()
    app = FastAPI(
        title="quickassist",
        version=__version__,
        summary="Remote support: rendezvous, relay and helper accounts.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # install_api_docs: Swagger UI from the package, under the strict CSP
        redoc_url=None,
        lifespan=lifecycle.lifespan,
    )
    app.state.config = config
    app.state.clock = clock
    app.state.lifecycle = lifecycle

    install_error_responses(app)
    accounts = install_store(app, config, migrate_on_start=migrate_on_start)
    secret_key = load_or_create_secret_key(config.data_dir, config.secret_key)
    install_auth(app, config, accounts, secret_key=secret_key, clock=clock)
    install_health(app)
    install_api_docs(app)
    install_sessions(app, config, clock, secret_key=secret_key)  # and the sign-in guard
    install_administration(app, clock=clock)  # after sessions: adds its retention sweep
    install_downloads(app, config)
    install_share_page(app)  # /share and /s/CODE: the browser sharer
    install_console(app)  # last: the catch-all "/" mount

    # Outermost last: headers go on every answer, including the guard's refusals.
    app.add_middleware(RequestGuardMiddleware, public_origin=config.public_origin)
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def install_store(
    app: FastAPI, config: ServiceConfig, *, migrate_on_start: bool = True
) -> HelperAccounts:
    """The database: migrated at start (before other start-up hooks), closed at the very end."""
    engine = create_engine(config.database_url)
    sessions = session_factory(engine)
    accounts = HelperAccounts(sessions)
    app.state.db_engine = engine
    app.state.db_sessions = sessions
    app.state.accounts = accounts

    async def open_store() -> None:
        await migrate(engine)

    async def close_store() -> None:
        await engine.dispose()

    if migrate_on_start:
        app.state.lifecycle.on_startup.append(open_store)
    app.state.lifecycle.on_closed.append(close_store)
    return accounts


def install_console(app: FastAPI) -> None:
    """Serve the helper console's static files at "/" (index.html for directories)."""
    if not CONSOLE_DIR.exists():
        CONSOLE_DIR.mkdir(parents=True)
        (CONSOLE_DIR / "index.html").write_text(
            "<!doctype html><title>quickassist</title><p>The helper console is not built yet.\n",
            encoding="utf-8",
        )
    app.mount("/", StaticFiles(directory=CONSOLE_DIR, html=True), name="console")
