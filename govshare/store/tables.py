"""The platform database's tables (SQLAlchemy Core). Migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# Every catalog a gateway has served, so that tools and replays read the catalog in force.
catalog_versions = Table(
    "catalog_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("path", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

# Every change of the sharing policy creates a version; its full Casbin text is kept for replay.
policy_versions = Table(
    "policy_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("actor_department", String(64), nullable=False),
    Column("actor_user", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("catalog_digest", String(64), nullable=False),
    Column("policy_digest", String(64), nullable=False),
    Column("policy_text", Text, nullable=False),
)

# One row, updated by every policy change: serialises writers on every database.
policy_lock = Table(
    "policy_lock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("changes", Integer, nullable=False),
)

grants = Table(
    "grants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("department", String(64), nullable=False),
    Column("resource", String(128), nullable=False),
    Column("items", JSON, nullable=False),
    Column("purposes", JSON, nullable=False),
    Column("effect", String(16), nullable=False),
    Column("scope", JSON, nullable=True),
    Column("valid_until", Date, nullable=True),
    # authority (a direct grant), application or coordination, with the id of that record
    Column("origin", String(16), nullable=False),
    Column("origin_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("reason", Text, nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", String(200), nullable=True),
    Column("revoke_reason", Text, nullable=True),
    Column("policy_version", Integer, ForeignKey("policy_versions.id"), nullable=True),
    Index("ix_grants_department", "department"),
    Index("ix_grants_resource", "resource"),
)
