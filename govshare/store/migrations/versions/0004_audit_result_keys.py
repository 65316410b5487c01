"""Keyed result digests: the id of the key each audit record's result HMAC was made under.

Records written before have no key id: their digest is a plain SHA-256. Adding a
nullable column rewrites no row and fires no trigger, so the append-only guards
of 0002 stay as they are on SQLite and PostgreSQL.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_records", sa.Column("result_key_id", sa.String(32), nullable=True))


def downgrade() -> None:
    # Dropping the key ids would break the hash of every keyed record: the log cannot go back.
    raise NotImplementedError("0004 cannot be undone: each keyed audit record's hash covers its result key id")
