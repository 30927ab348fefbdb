"""Organisations, roles and permissions, OpenID Connect links, TOTP, admin and abuse records.

Revision ID: 0004_identity
Revises: 0003_helper_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_identity"
down_revision = "0003_helper_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("helpers") as helpers:
        # Existing helpers keep what they could do: ask for full control.
        helpers.add_column(
            sa.Column("full_control", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        # The identity provider's account this helper signs in with (issuer + subject).
        helpers.add_column(sa.Column("oidc_issuer", sa.String(300), nullable=True))
        helpers.add_column(sa.Column("oidc_subject", sa.String(255), nullable=True))
        # TOTP (RFC 6238) for local accounts: the confirmed secret, one waiting for its first
        # code, and the last time step used (a code is good once).
        helpers.add_column(sa.Column("totp_secret", sa.String(64), nullable=True))
        helpers.add_column(sa.Column("totp_pending_secret", sa.String(64), nullable=True))
        helpers.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        helpers.create_unique_constraint("uq_helpers_oidc", ["oidc_issuer", "oidc_subject"])

    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("verified_domain", sa.String(253), nullable=True),
        # "admin" (set by an administrator) or "idp" (from the identity provider).
        sa.Column("verified_by", sa.String(16), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("helper_id", sa.Integer(), nullable=False, index=True),
        # SHA-256 of the code: the table alone gives no usable code.
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "service_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(400), nullable=False),
    )
    op.create_table(
        "admin_actions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("action", sa.String(64), nullable=False),
        # Personal data, cleared by retention after 3 days: who did it, to whom.
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("personal_data_cleared", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "abuse_reports",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        # Personal data, cleared by retention after 3 days.
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("reporter_address", sa.String(64), nullable=True),
        sa.Column("personal_data_cleared", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    for table in ("abuse_reports", "admin_actions", "service_settings", "recovery_codes"):
        op.drop_table(table)
    op.drop_table("organisations")
    with op.batch_alter_table("helpers") as helpers:
        helpers.drop_constraint("uq_helpers_oidc", type_="unique")
        for column in (
            "totp_last_step",
            "totp_pending_secret",
            "totp_secret",
            "oidc_subject",
            "oidc_issuer",
            "full_control",
        ):
            helpers.drop_column(column)
