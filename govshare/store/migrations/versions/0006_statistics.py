"""Sharing statistics rolled up from the audit log, and how far the roll-up has read.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_operations",
        sa.Column("span", sa.String(8), primary_key=True),  # day | month: the counts of one day or of a month
        sa.Column("day", sa.Date, primary_key=True),  # the day, or the month's first day
        sa.Column("department", sa.String(64), primary_key=True),  # "" for no department (unauthenticated)
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("purpose", sa.String(64), primary_key=True),  # "" for none
        sa.Column("outcome", sa.String(24), primary_key=True),
        sa.Column("operations", sa.BigInteger, nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "stats_items",
        sa.Column("span", sa.String(8), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("department", sa.String(64), primary_key=True),
        sa.Column("provider", sa.String(64), primary_key=True),
        sa.Column("resource", sa.String(64), primary_key=True),
        sa.Column("item", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(64), primary_key=True),
        sa.Column("effect", sa.String(16), primary_key=True),
        sa.Column("basis", sa.String(32), primary_key=True),
        sa.Column("outcome", sa.String(24), primary_key=True),
        sa.Column("operations", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "stats_progress",
        sa.Column("id", sa.Integer, primary_key=True),  # one row: 1
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stats_progress")
    op.drop_table("stats_items")
    op.drop_table("stats_operations")
