"""Catalog versions, policy versions and grants.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_department", sa.String(64), nullable=False),
        sa.Column("actor_user", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("catalog_digest", sa.String(64), nullable=False),
        sa.Column("policy_digest", sa.String(64), nullable=False),
        sa.Column("policy_text", sa.Text, nullable=False),
    )
    op.create_table(
        "policy_lock",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("changes", sa.Integer, nullable=False),
    )
    op.bulk_insert(sa.table("policy_lock", sa.column("id"), sa.column("changes")), [{"id": 1, "changes": 0}])
    op.create_table(
        "grants",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(128), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("purposes", sa.JSON, nullable=False),
        sa.Column("effect", sa.String(16), nullable=False),
        sa.Column("scope", sa.JSON, nullable=True),
        sa.Column("valid_until", sa.Date, nullable=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("origin_id", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(200), nullable=True),
        sa.Column("revoke_reason", sa.Text, nullable=True),
        sa.Column("policy_version", sa.Integer, sa.ForeignKey("policy_versions.id"), nullable=True),
    )
    op.create_index("ix_grants_department", "grants", ["department"])
    op.create_index("ix_grants_resource", "grants", ["resource"])


def downgrade() -> None:
    op.drop_table("grants")
    op.drop_table("policy_lock")
    op.drop_table("policy_versions")
    op.drop_table("catalog_versions")
