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

from govshare.audit.record import AuditRecord
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

    async def run(
        self, conn: AsyncConnection, sealed: list[tuple[AuditRecord, bytes]], head_seq: int, head_hash: str
    ) -> bool:
        """Append the sealed records (each with its canonical content) and move the head; False when
        another writer took these sequence numbers."""
        if self._connection is not conn:  # the writer keeps its connection: its driver's is found once
            self._driver = (await conn.get_raw_connection()).driver_connection
            self._connection = conn
        driver: Any = self._driver  # asyncpg's own connection: no SQLAlchemy execution per batch
        try:
            await driver.execute(self.sql, self.batch(sealed), head_seq, head_hash)
        except asyncpg.UniqueViolationError:
            return False
        return True

    @staticmethod
    def batch(sealed: list[tuple[AuditRecord, bytes]]) -> str:
        """The rows as the one JSON parameter, each made of the canonical content its hash covers
        (serialised once): that object lacks only the hash and ``touched``; a column it leaves out
        (a result key id that is not there) is NULL."""
        rows = [
            b'{"hash":"' + record.hash.encode() + b'","touched":' + orjson.dumps(record.touched) + b"," + content[1:]
            for record, content in sealed
        ]
        return (b"[" + b",".join(rows) + b"]").decode()
