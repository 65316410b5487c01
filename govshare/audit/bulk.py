"""One PostgreSQL statement that appends a batch of records and moves the chain head.

The statement's text is the same for every batch, whatever its size: the batch
travels as one JSON parameter (an array of rows) and ``json_populate_recordset``
turns it back into rows of the table's own type, so the server plans it once per
connection, nothing is compiled per batch, and the driver encodes one value, not
one array per column. The insert and the head's update are one statement, so
one atomic step.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare.store.tables import audit_control, audit_records


class BulkAppend:
    """The statement and how to pass a batch's rows to it."""

    def __init__(self, dialect: Dialect) -> None:
        quote = dialect.identifier_preparer.quote
        self.names = [str(c.name) for c in audit_records.columns]  # JSON keys: plain str, not quoted_name
        columns = ", ".join(quote(name) for name in self.names)
        table = quote(audit_records.name)
        self.sql = (
            f"WITH written AS (INSERT INTO {table} ({columns}) "
            f"SELECT {columns} FROM json_populate_recordset(NULL::{table}, $1::json) RETURNING 1) "
            f"UPDATE {quote(audit_control.name)} SET head_seq = $2, head_hash = $3 WHERE id = 1"
        )

    async def run(self, conn: AsyncConnection, rows: list[dict[str, Any]], head_seq: int, head_hash: str) -> bool:
        """Append ``rows`` and move the head; False when another writer took these sequence numbers."""
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection  # asyncpg's own connection: no SQLAlchemy execution per batch
        try:
            await driver.execute(self.sql, self.batch(rows), head_seq, head_hash)
        except asyncpg.UniqueViolationError:
            return False
        return True

    def batch(self, rows: list[dict[str, Any]]) -> str:
        """The rows as the one JSON parameter; JSON columns' values nest as they are (as the store writes them)."""
        names = self.names
        return orjson.dumps([{name: row[name] for name in names} for row in rows]).decode()
