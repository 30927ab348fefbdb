"""The store's engine, its declarative base and its schema migrations.

SQLAlchemy 2 async: ``sqlite+aiosqlite`` by default, ``postgresql+asyncpg`` at scale. The schema
is owned by the Alembic migrations in ``migrations/versions`` (revision ids ``0001_helpers``,
``0002_...``), run programmatically at start (no alembic.ini): `migrate` brings any database to
the newest revision and is a quick no-op when it already is.

Tables are declared on `Base`; a migration that adds one must import nothing but SQLAlchemy (the
migration describes the table as it was then, the model describes it as it is now).
"""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from .data_dir import create_private_file
from .errors import ConfigError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class Base(DeclarativeBase):
    """Declarative base of every table the service stores."""


def create_engine(database_url: str) -> AsyncEngine:
    """An async engine for ``database_url``; makes the SQLite file's directory if needed."""
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise ConfigError("The database URL cannot be read; see --database-url --help.") from exc
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        # Private: the database holds password hashes (the default data dir is made 0700).
        # Created 0600 before SQLite opens it: SQLite would use the umask (often 0644), and
        # its -wal and -shm files take the database file's mode.
        database_file = Path(url.database)
        database_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        create_private_file(database_file)
    try:
        engine = create_async_engine(url)
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"This database URL needs the Python package {exc.name}; "
            "install it (pip install 'quickassist[scale]' for PostgreSQL)."
        ) from exc
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigError(
            f"The database URL names a driver that cannot be used: {url.drivername}."
        ) from exc
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
    return engine


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Write-ahead log, synced at checkpoints: each session record then costs no fsync of its
    own (bench/rendezvous_latency.py), and a crash loses at most the last moments of telemetry,
    never the database."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (they are handed to callers)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _alembic_config(**kwargs: Any) -> Any:
    from alembic.config import Config

    config = Config(**kwargs)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


#: Held while a node migrates a PostgreSQL database: nodes that start together take turns, the
#: later ones find the schema current. Any constant works; this one spells "qa" + 13 (issue 13).
MIGRATION_LOCK_KEY = 0x7161_0013


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        # Released with the migration's transaction (the caller's `engine.begin()`).
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    config = _alembic_config()
    # env.py runs on this connection instead of opening its own.
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def migration_sql(database_url: str, revision: str = "head") -> str:
    """The SQL the migrations would run on ``database_url``'s kind of database (no connection).

    For review by a database administrator, and to check the schema on PostgreSQL without one.
    """
    from alembic import command

    output = io.StringIO()
    config = _alembic_config(output_buffer=output)
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, revision, sql=True)
    return output.getvalue()


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database's schema to ``revision`` (the newest by default).

    Runs in a child process: Alembic and what it loads (Mako, Pygments) would otherwise stay in
    the long-running service for good, about 13 MB of its resident memory (measured with
    bench/idle_sessions.py). An in-memory SQLite database exists only here, so it migrates here.
    """
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        await migrate_here(engine, revision)
        return
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "quickassist.service.database",
        revision,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    # The URL goes through stdin: on the command line a password would show in `ps`.
    _out, err = await process.communicate(url.render_as_string(hide_password=False).encode())
    if process.returncode != 0:
        last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise ConfigError(f"The database could not be brought up to date: {last[0]}")


async def schema_revision(engine: AsyncEngine) -> str | None:
    """The revision the database's schema is at (None before the first migration)."""
    async with engine.connect() as connection:
        try:
            revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        except DBAPIError:
            return None
    return None if revision is None else str(revision)


async def migrate_here(engine: AsyncEngine, revision: str = "head") -> None:
    """`migrate` in this process."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


def _migrate_main() -> None:
    """``python -m quickassist.service.database REVISION`` with the database URL on stdin."""
    revision = sys.argv[1] if len(sys.argv) > 1 else "head"
    engine = create_engine(sys.stdin.read().strip())

    async def run() -> None:
        try:
            await migrate_here(engine, revision)
        finally:
            await engine.dispose()

    asyncio.run(run())


if __name__ == "__main__":
    _migrate_main()
