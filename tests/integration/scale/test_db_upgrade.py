"""`quickassist db upgrade` on a real PostgreSQL, and nodes that migrate one database at once."""

from __future__ import annotations

import asyncio

from alembic.script import ScriptDirectory

from quickassist.service.database import MIGRATIONS_DIR, create_engine, migrate, schema_revision
from tests.fixtures.service import run_cli

HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def test_db_upgrade_migrates_once_and_says_to_which_revision(postgres_database_url: str) -> None:
    for _ in range(2):  # the second run finds the schema current
        result = run_cli(["db", "upgrade", "--database-url", postgres_database_url])
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"The database schema is at revision {HEAD}.\n"


def test_db_upgrade_sql_prints_the_migration_without_running_it(
    postgres_database_url: str,
) -> None:
    result = run_cli(["db", "upgrade", "--sql", "--database-url", postgres_database_url])
    assert result.returncode == 0, result.stderr
    assert "CREATE TABLE helper_sessions" in result.stdout

    async def revision() -> str | None:
        engine = create_engine(postgres_database_url)
        try:
            return await schema_revision(engine)
        finally:
            await engine.dispose()

    assert asyncio.run(revision()) is None  # nothing ran


async def test_nodes_starting_together_migrate_one_database_in_turn(
    postgres_database_url: str,
) -> None:
    # Without the advisory lock both create `helpers` and one fails (DuplicateTable).
    engines = [create_engine(postgres_database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(migrate(engine) for engine in engines))
        assert await schema_revision(engines[0]) == HEAD
    finally:
        for engine in engines:
            await engine.dispose()


async def test_nodes_starting_together_on_a_new_database_make_one_first_admin(
    postgres_database_url: str, tmp_path
) -> None:
    from quickassist.service.config import ServiceConfig
    from quickassist.service.server import prepare_store

    configs = [
        ServiceConfig(data_dir=tmp_path / f"n{i}", database_url=postgres_database_url)
        for i in range(3)
    ]
    passwords = await asyncio.gather(*(prepare_store(config) for config in configs))
    assert sum(password is not None for password in passwords) == 1
