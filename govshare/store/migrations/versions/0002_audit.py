"""The audit log: hash-chained records, signed checkpoints, append-only in the database itself.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY = ("audit_records", "audit_checkpoints")

# SQLite: refuse UPDATE always, DELETE unless a purge has opened the window before the cutoff.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
       BEGIN SELECT RAISE(ABORT, '{table} is append-only: records cannot be changed'); END""",
    """CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
       WHEN (SELECT purge_before FROM audit_control WHERE id = 1) IS NULL
         OR OLD.{time} >= (SELECT purge_before FROM audit_control WHERE id = 1)
       BEGIN SELECT RAISE(ABORT, '{table} is append-only: only a purge past the retention period deletes'); END""",
]
POSTGRES_GUARD = """
CREATE FUNCTION govshare_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE cutoff timestamptz;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT purge_before INTO cutoff FROM audit_control WHERE id = 1;
    IF cutoff IS NOT NULL AND (to_jsonb(OLD) ->> TG_ARGV[0])::timestamptz < cutoff THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$
"""
POSTGRES_TRIGGERS = [
    "CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION govshare_audit_guard('{time}')",
    "CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION govshare_audit_guard('{time}')",
    "REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC",
]
TIME_COLUMN = {"audit_records": "recorded_at", "audit_checkpoints": "created_at"}


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("department", sa.String(64), nullable=True),
        sa.Column("user", sa.String(128), nullable=True),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("purpose", sa.String(64), nullable=True),
        sa.Column("client", sa.String(64), nullable=True),
        sa.Column("operation_name", sa.String(256), nullable=True),
        sa.Column("query", sa.Text, nullable=True),
        sa.Column("variables", sa.JSON, nullable=True),
        sa.Column("policy_version", sa.Integer, nullable=True),
        sa.Column("decisions", sa.JSON, nullable=False),
        # " Resource.item=effect " tokens: filters by resource, item and decision on every database
        sa.Column("touched", sa.Text, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("error_codes", sa.JSON, nullable=False),
        sa.Column("result_sha256", sa.String(64), nullable=True),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("detail", sa.JSON, nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_records_recorded_at", "audit_records", ["recorded_at"])
    op.create_index("ix_audit_records_department", "audit_records", ["department"])
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("head_seq", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
    )
    # The chain's head (for writers in several processes) and the purge window and anchor.
    op.create_table(
        "audit_control",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("head_seq", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("anchor_seq", sa.Integer, nullable=False),
        sa.Column("anchor_hash", sa.String(64), nullable=False),
        sa.Column("purge_before", sa.DateTime(timezone=True), nullable=True),
    )
    genesis = "0" * 64
    control = sa.table(
        "audit_control",
        sa.column("id"),
        sa.column("head_seq"),
        sa.column("head_hash"),
        sa.column("anchor_seq"),
        sa.column("anchor_hash"),
    )
    op.bulk_insert(control, [{"id": 1, "head_seq": 0, "head_hash": genesis, "anchor_seq": 0, "anchor_hash": genesis}])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(POSTGRES_GUARD)
    for table in APPEND_ONLY:
        statements = POSTGRES_TRIGGERS if dialect == "postgresql" else SQLITE_TRIGGERS
        for statement in statements:
            op.execute(statement.format(table=table, time=TIME_COLUMN[table]))


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.drop_table(table)
    op.drop_table("audit_control")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS govshare_audit_guard()")
