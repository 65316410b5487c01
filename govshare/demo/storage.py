"""Bulk loading of generated rows into one SQLite file per resource's source."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from operator import itemgetter
from pathlib import Path
from typing import Any

from govshare.catalog.model import ItemType, Resource

# Declared types name the item type (SQLAlchemy and the HTTP source app read them back);
# DATE and BOOLEAN get NUMERIC affinity, under which ISO date text and 0/1 stay as stored.
_SQL_TYPES = {
    ItemType.ID: "TEXT",
    ItemType.STRING: "TEXT",
    ItemType.DATE: "DATE",
    ItemType.DATETIME: "DATETIME",
    ItemType.INT: "INTEGER",
    ItemType.BOOLEAN: "BOOLEAN",
    ItemType.FLOAT: "REAL",
}


def join_columns(resource: Resource, resources: Mapping[str, Resource]) -> list[str]:
    """Columns of ``resource`` that relations (its own or other resources') join on."""
    names = {rel.local for rel in resource.relations.values()}
    names |= {rel.remote for r in resources.values() for rel in r.relations.values() if rel.target == resource.name}
    names.discard(resource.key)
    return sorted(resource.items[n].column for n in names)


class TableWriter:
    """Inserts dict rows in batches into a fresh table; indexes are built at the end.

    Loading before indexing, without a journal or fsync, is several times
    faster than keeping indexes up to date row by row; a crash leaves a
    useless file, which the world generator never marks complete.
    """

    def __init__(self, path: Path, resource: Resource, *, batch: int = 10_000) -> None:
        self.path = path
        self.resource = resource
        self.batch = batch
        self.count = 0
        self._columns = [item.column for item in resource.items.values()]
        self._expected = frozenset(self._columns)
        self._get = itemgetter(*self._columns)
        self._rows: list[tuple[Any, ...]] = []
        self._conn = sqlite3.connect(path)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE", "cache_size=-16384"):
            self._conn.execute(f"PRAGMA {pragma}")
        columns = ", ".join(f'"{i.column}" {_SQL_TYPES[i.type]}' for i in resource.items.values())
        self._conn.execute(f'CREATE TABLE "{resource.table}" ({columns})')
        marks = ", ".join("?" * len(self._columns))
        self._insert = f'INSERT INTO "{resource.table}" VALUES ({marks})'

    def add(self, row: Mapping[str, Any]) -> None:
        if not self.count and not self._rows and row.keys() != self._expected:
            raise ValueError(f"{self.resource.table}: row columns {sorted(row)} != {sorted(self._expected)}")
        self._rows.append(self._get(row))
        if len(self._rows) >= self.batch:
            self.flush()

    def add_all(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> None:
        if self._rows:
            self._conn.executemany(self._insert, self._rows)
            self._conn.commit()
            self.count += len(self._rows)
            self._rows.clear()

    def finish(self, indexed: Iterable[str] = ()) -> None:
        """Flush, index the key (unique) and ``indexed`` columns, gather statistics, close."""
        self.flush()
        table, key = self.resource.table, self.resource.key_item.column
        self._conn.execute(f'CREATE UNIQUE INDEX "ux_{table}_{key}" ON "{table}" ("{key}")')
        for column in dict.fromkeys(indexed):
            if column != key:
                self._conn.execute(f'CREATE INDEX "ix_{table}_{column}" ON "{table}" ("{column}")')
        self._conn.execute("ANALYZE")
        self._conn.commit()
        self._conn.close()

    def abort(self) -> None:
        self._conn.close()
