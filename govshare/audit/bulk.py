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
        self._connection: AsyncConnection | None = None
        self._driver: Any = None
        columns = ", ".join(quote(c.name) for c in audit_records.columns)
        table = quote(audit_records.name)
        self.sql = (
            f"WITH written AS (INSERT INTO {table} ({columns}) "
            f"SELECT {columns} FROM json_populate_recordset(NULL::{table}, $1::json) RETURNING 1) "
            f"UPDATE {quote(audit_control.name)} SET head_seq = $2, head_hash = $3 WHERE id = 1"
        )

    async def run(self, conn: AsyncConnection, rows: list[dict[str, Any]], head_seq: int, head_hash: str) -> bool:
        """Append ``rows`` and move the head; False when another writer took these sequence numbers."""
        if self._connection is not conn:  # the writer keeps its connection: its driver's is found once
            self._driver = (await conn.get_raw_connection()).driver_connection
            self._connection = conn
        driver: Any = self._driver  # asyncpg's own connection: no SQLAlchemy execution per batch
        try:
            await driver.execute(self.sql, self.batch(rows), head_seq, head_hash)
        except asyncpg.UniqueViolationError:
            return False
        return True

    @staticmethod
    def batch(rows: list[dict[str, Any]]) -> str:
        """The rows (keyed by column) as the one JSON parameter; JSON columns' values nest as they are."""
        return orjson.dumps(rows).decode()
