"""Verification checks counted per grant and day, for the verify quota.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verify_checks",
        sa.Column("grant_id", sa.Integer, sa.ForeignKey("grants.id"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("checks", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("verify_checks")
