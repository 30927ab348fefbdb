"""Session records: telemetry, with personal data that retention clears.

Revision ID: 0002_session_records
Revises: 0001_helpers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_session_records"
down_revision = "0001_helpers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_records",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(32), nullable=True),
        sa.Column("features", sa.String(400), nullable=False, server_default=""),
        sa.Column("errors", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("bytes_relayed", sa.BigInteger(), nullable=False, server_default="0"),
        # Personal data: cleared by retention (service.retention) after 3 days.
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("helper_address", sa.String(64), nullable=True),
        sa.Column("sharer_address", sa.String(64), nullable=True),
        sa.Column("personal_data_cleared", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_table("session_records")
