"""Helper sign-ins kept on the server (revocable), and accounts that can be disabled.

Revision ID: 0003_helper_sessions
Revises: 0002_session_records
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_helper_sessions"
down_revision = "0002_session_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "helper_sessions",
        # SHA-256 of the cookie's session id: the table alone gives no usable cookie.
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("helper_id", sa.Integer(), nullable=False, index=True),
        sa.Column("password_fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        # Swept by retention (service.retention) once past.
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    with op.batch_alter_table("helpers") as helpers:
        helpers.add_column(
            sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("helpers") as helpers:
        helpers.drop_column("disabled")
    op.drop_table("helper_sessions")
