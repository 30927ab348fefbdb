"""HelperAccounts on each real store (an SQLite file, a PostgreSQL database): migrations,
case-insensitive names, passwords, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from quickassist.service.accounts import (
    HelperAccounts,
    InvalidPassword,
    InvalidUsername,
    UnknownHelper,
    UsernameTaken,
)
from quickassist.service.database import (
    MIGRATIONS_DIR,
    create_engine,
    migrate,
    migrate_here,
    migration_sql,
    session_factory,
)

PASSWORD = "a long enough password"


@pytest.fixture
def database_url(store_url: str) -> str:
    return store_url


@pytest.fixture
async def accounts(database_url: str) -> AsyncIterator[HelperAccounts]:
    engine = create_engine(database_url)
    # In this process: the child `migrate` uses costs a second each, and two tests below run it.
    await migrate_here(engine)
    yield HelperAccounts(session_factory(engine))
    await engine.dispose()


async def test_a_fresh_database_gets_the_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        await migrate(engine)  # a second run is a no-op
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            columns = await connection.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("helpers")}
            )
        assert "helpers" in tables
        assert "helper_sessions" in tables
        assert version == ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
        assert columns == {
            "id",
            "username",
            "display_name",
            "organisation",
            "password_hash",
            "is_admin",
            "disabled",
            "created_at",
            "full_control",
            "oidc_issuer",
            "oidc_subject",
            "totp_secret",
            "totp_pending_secret",
            "totp_last_step",
        }
    finally:
        await engine.dispose()


async def test_add_verify_and_case_insensitive_usernames(accounts: HelperAccounts) -> None:
    ada = await accounts.add(
        "Ada", display_name="Ada Lovelace", organisation="Contoso", password=PASSWORD
    )
    assert ada.username == "ada"
    assert ada.name_for_sharer == "Ada L."
    assert await accounts.verify("ADA", PASSWORD) == ada
    assert await accounts.verify("ada", PASSWORD + "x") is None
    assert await accounts.verify("nobody", PASSWORD) is None
    with pytest.raises(UsernameTaken):
        await accounts.add("aDA", display_name="Other", organisation="X", password=PASSWORD)
    assert await accounts.count() == 1


async def test_passwords_are_argon2id_hashes(accounts: HelperAccounts, database_url: str) -> None:
    await accounts.add("ada", display_name="Ada", organisation="C", password=PASSWORD)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            stored = await connection.scalar(text("SELECT password_hash FROM helpers"))
    finally:
        await engine.dispose()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


async def test_set_password_and_remove(accounts: HelperAccounts) -> None:
    ada = await accounts.add("ada", display_name="Ada", organisation="C", password=PASSWORD)
    before = await accounts.get(ada.id)
    await accounts.set_password("ADA", "another password")
    after = await accounts.get(ada.id)
    assert before is not None and after is not None
    assert before[1] != after[1]  # the fingerprint that ends old sign-ins changed
    assert await accounts.verify("ada", PASSWORD) is None
    assert await accounts.verify("ada", "another password") == ada
    await accounts.remove("ada")
    assert await accounts.get(ada.id) is None
    with pytest.raises(UnknownHelper):
        await accounts.remove("ada")
    with pytest.raises(UnknownHelper):
        await accounts.set_password("ada", PASSWORD)


@pytest.mark.parametrize("username", ["", " ", "-ada", "a b", "x" * 65, "ada!"])
async def test_unusable_usernames_are_refused(accounts: HelperAccounts, username: str) -> None:
    with pytest.raises(InvalidUsername):
        await accounts.add(username, display_name="A", organisation="C", password=PASSWORD)


async def test_short_passwords_are_refused(accounts: HelperAccounts) -> None:
    with pytest.raises(InvalidPassword):
        await accounts.add("ada", display_name="A", organisation="C", password="short")


async def test_accounts_survive_a_new_engine(database_url: str) -> None:
    for round_ in range(2):
        engine = create_engine(database_url)
        try:
            await migrate(engine)
            accounts = HelperAccounts(session_factory(engine))
            if round_ == 0:
                await accounts.add("ada", display_name="Ada", organisation="C", password=PASSWORD)
            else:
                assert [h.username for h in await accounts.list()] == ["ada"]
                assert await accounts.verify("ada", PASSWORD) is not None
        finally:
            await engine.dispose()


def test_the_migrations_render_for_postgresql() -> None:
    """The schema also holds on PostgreSQL (checked through its SQL, no server needed)."""
    sql = migration_sql("postgresql+asyncpg://quickassist@db.invalid/quickassist")
    helpers = sql[sql.index("CREATE TABLE helpers") :].split(";", 1)[0]
    assert "id SERIAL NOT NULL" in helpers
    assert "UNIQUE (username)" in helpers
    assert "created_at TIMESTAMP WITH TIME ZONE NOT NULL" in helpers
    assert "is_admin BOOLEAN DEFAULT false NOT NULL" in helpers
    assert "ALTER TABLE helpers ADD COLUMN disabled BOOLEAN DEFAULT false NOT NULL" in sql
    sign_ins = sql[sql.index("CREATE TABLE helper_sessions") :].split(";", 1)[0]
    assert "expires_at TIMESTAMP WITH TIME ZONE NOT NULL" in sign_ins
    assert "PRIMARY KEY (digest)" in sign_ins
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert f"version_num='{head}'" in sql or f"VALUES ('{head}')" in sql


async def test_two_adds_of_one_name_at_once_leave_one_account(accounts: HelperAccounts) -> None:
    results = await asyncio.gather(
        *(
            accounts.add(name, display_name="A", organisation="C", password=PASSWORD)
            for name in ("twin", "TWIN")
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, UsernameTaken) for r in results) == 1
    assert [h.username for h in await accounts.list()] == ["twin"]
