"""Alembic environment: runs on the connection `database.migrate` passes in.

Offline (``sql=True``, see `database.migration_sql`) it writes the SQL for a database URL's
dialect instead, which is how the PostgreSQL schema is checked without a PostgreSQL server.
No logging setup here: the service configures logging, and migrations must not print.
"""

from __future__ import annotations

from alembic import context

from quickassist.service.database import Base

config = context.config
connection = config.attributes.get("connection")
if connection is not None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place: batch mode rebuilds the table when needed.
        render_as_batch=connection.dialect.name == "sqlite",
    )
elif context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
    )
else:  # pragma: no cover - only `database.migrate` and `database.migration_sql` run these
    raise RuntimeError("Run migrations through quickassist.service.database.migrate().")

with context.begin_transaction():
    context.run_migrations()
