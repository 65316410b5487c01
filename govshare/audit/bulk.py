"""One PostgreSQL statement that appends a batch of records and moves the chain head.

The statement's text is the same for every batch, whatever its size: each column
travels as one array parameter and ``unnest`` turns them back into rows, so the
server plans it once per connection and nothing is compiled per batch. The
insert and the head's update are one statement, so one atomic step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import orjson
from sqlalchemy import JSON, Column, DateTime, Float, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare.store.tables import audit_control, audit_records

_ARRAY_TYPES: list[tuple[type, str]] = [
    (Integer, "bigint"),
    (DateTime, "timestamptz"),
    (Float, "float8"),
    (JSON, "json"),
    (Text, "text"),
    (String, "text"),
]


def _json(value: Any) -> str | None:
    # As the store engine's JSON columns write it (store.database: orjson).
    return None if value is None else orjson.dumps(value).decode()


def _array_type(column: Column[Any]) -> str:
    for python_type, name in _ARRAY_TYPES:
        if isinstance(column.type, python_type):
            return name
    raise TypeError(f"audit column {column.name} has a type bulk appends do not know: {column.type}")


class BulkAppend:
    """The statement and how to pass a batch's rows to it."""

    def __init__(self, dialect: Dialect) -> None:
        quote = dialect.identifier_preparer.quote
        columns = list(audit_records.columns)
        self.names = [c.name for c in columns]
        self.convert: list[Callable[[Any], Any] | None] = [_json if isinstance(c.type, JSON) else None for c in columns]
        n = len(columns)
        arrays = ", ".join(f"${i + 1}::{_array_type(c)}[]" for i, c in enumerate(columns))
        self.sql = (
            f"WITH written AS (INSERT INTO {quote(audit_records.name)} ({', '.join(quote(c) for c in self.names)}) "
            f"SELECT * FROM unnest({arrays}) RETURNING 1) "
            f"UPDATE {quote(audit_control.name)} SET head_seq = ${n + 1}, head_hash = ${n + 2} WHERE id = 1"
        )

    async def run(self, conn: AsyncConnection, rows: list[dict[str, Any]], head_seq: int, head_hash: str) -> bool:
        """Append ``rows`` and move the head; False when another writer took these sequence numbers."""
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection  # asyncpg's own connection: no SQLAlchemy execution per batch
        try:
            await driver.execute(self.sql, *self.parameters(rows, head_seq, head_hash))
        except asyncpg.UniqueViolationError:
            return False
        return True

    def parameters(self, rows: list[dict[str, Any]], head_seq: int, head_hash: str) -> tuple[Any, ...]:
        arrays: list[list[Any]] = []
        for name, convert in zip(self.names, self.convert, strict=True):
            values = [row[name] for row in rows]
            arrays.append([convert(v) for v in values] if convert is not None else values)
        return (*arrays, head_seq, head_hash)
