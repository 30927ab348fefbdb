"""Alembic environment: runs on the connection `database.migrate` passes in.

No logging setup here: the service configures logging, and migrations must not print.
"""

from __future__ import annotations

from alembic import context

from quickassist.service.database import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `database.migrate` runs these migrations
    raise RuntimeError("Run migrations through quickassist.service.database.migrate().")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place: batch mode rebuilds the table when needed.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
