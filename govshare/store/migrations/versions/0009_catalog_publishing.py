"""Catalogs published in the platform: the order of publication, and departments' drafts under review.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_versions") as batch:
        batch.add_column(sa.Column("published_seq", sa.Integer, nullable=True))
        batch.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("published_by", sa.String(200), nullable=True))
    op.create_index("catalog_versions_published_seq", "catalog_versions", ["published_seq"], unique=True)
    op.create_table(
        "catalog_drafts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(64), nullable=False),  # the provider drafting it
        sa.Column("resource", sa.String(128), nullable=False),
        sa.Column("text", sa.Text, nullable=False),  # the resource's entry as YAML; "" removes it
        sa.Column("state", sa.String(16), nullable=False),  # draft | submitted | returned | published | withdrawn
        sa.Column("reasons", sa.Text, nullable=True),  # the authority's, when it returns the draft
        sa.Column("base_version", sa.Integer, nullable=True),  # catalog_versions.id it was drafted against
        sa.Column("published_version", sa.Integer, nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("catalog_drafts")
    op.drop_index("catalog_versions_published_seq", "catalog_versions")
    with op.batch_alter_table("catalog_versions") as batch:
        batch.drop_column("published_by")
        batch.drop_column("published_at")
        batch.drop_column("published_seq")
