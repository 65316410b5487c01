"""When each catalog version was first served, and the authority's notes on supervision signals.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_versions") as batch:
        batch.add_column(sa.Column("first_loaded_at", sa.DateTime(timezone=True), nullable=True))
    # Versions served before: their first load is not known, their last is the best bound there is.
    op.execute("UPDATE catalog_versions SET first_loaded_at = loaded_at")
    op.create_table(
        "supervision_notes",
        sa.Column("signal", sa.String(256), primary_key=True),  # the signal's key
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("noted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("noted_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("supervision_notes")
    with op.batch_alter_table("catalog_versions") as batch:
        batch.drop_column("first_loaded_at")
