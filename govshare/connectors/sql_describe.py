"""The live shape of a table in a SQL source (``SqlConnector.describe``), by SQLAlchemy inspection.

Runs inside ``AsyncConnection.run_sync``: the inspector's queries and the one counting
statement below are synchronous there. A key column is unique when a primary key, unique
constraint or unique index covers exactly that column; otherwise the data is asked
(``COUNT(*) - COUNT(DISTINCT key)``: a repeated or empty key value counts against it).
A dialect whose reflection fails (duckdb-engine asks for PostgreSQL catalog tables that
DuckDB lacks) is described from the SQL standard's ``information_schema`` instead.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Inspector
from sqlalchemy.exc import CompileError, DBAPIError

from govshare.connectors.base import TableRef
from govshare.connectors.shape import ColumnShape, TableShape, sql_item_types

# Databases whose column names match whatever their case (a catalog may spell them otherwise).
_CASELESS = frozenset({"sqlite", "mysql", "mariadb", "duckdb"})
_KEYS = (
    "SELECT c.constraint_name, k.column_name FROM information_schema.table_constraints AS c"
    " JOIN information_schema.key_column_usage AS k ON k.constraint_name = c.constraint_name"
    " AND k.table_schema = c.table_schema AND k.table_name = c.table_name"
    " WHERE c.constraint_type IN ('PRIMARY KEY', 'UNIQUE') AND {where}"
)


def describe_table(conn: Connection, table: TableRef) -> TableShape:
    schema_name, _, name = table.name.rpartition(".")
    schema = schema_name or None
    inspector = sa.inspect(conn)
    if not inspector.has_table(name, schema=schema):
        return TableShape(table.name, exists=False)
    try:
        columns = {c["name"]: _column(c, conn) for c in inspector.get_columns(name, schema=schema)}
    except (DBAPIError, NotImplementedError):
        conn.rollback()  # the failed statement may have ended the transaction
        return _standard(conn, table, name, schema)
    key = _fold(conn, table, columns)
    unique = None
    if key is not None:
        unique = _declared_unique(inspector, name, schema, key.name) or _distinct(conn, name, schema, key.name)
    return TableShape(table.name, True, columns, unique)


def _fold(conn: Connection, table: TableRef, columns: dict[str, ColumnShape]) -> ColumnShape | None:
    """Adds the catalog's spelling of caseless column names to ``columns``; the key column's shape."""
    if conn.dialect.name in _CASELESS:
        folded = {live.casefold(): shape for live, shape in columns.items()}
        for wanted in table.columns:
            if wanted not in columns and wanted.casefold() in folded:
                columns[wanted] = folded[wanted.casefold()]
    return columns.get(table.key)


def _standard(conn: Connection, table: TableRef, name: str, schema: str | None) -> TableShape:
    """The table's shape from ``information_schema``: its columns, and its single-column keys."""
    where = "{t}.table_name = :name AND {t}.table_schema = " + (":schema" if schema else "current_schema()")
    params = {"name": name, "schema": schema} if schema else {"name": name}
    listed = conn.execute(
        sa.text(
            "SELECT column_name, data_type FROM information_schema.columns"
            f" WHERE {where.format(t='columns')} ORDER BY ordinal_position"
        ),
        params,
    )
    dialect = conn.dialect.name
    columns = {n: ColumnShape(n, str(ty), sql_item_types(str(ty), dialect)) for n, ty in listed}
    key = _fold(conn, table, columns)
    if key is None:
        return TableShape(table.name, True, columns, None)
    by_constraint: dict[str, list[str]] = {}
    for constraint, column in conn.execute(sa.text(_KEYS.format(where=where.format(t="c"))), params):
        by_constraint.setdefault(constraint, []).append(column)
    declared = [key.name] in by_constraint.values()
    return TableShape(table.name, True, columns, declared or _distinct(conn, name, schema, key.name))


def _column(info: Any, conn: Connection) -> ColumnShape:
    declared = info["type"]
    if isinstance(declared, sa.types.NullType):
        # No declared type (SQLite), or one SQLAlchemy does not know: nothing to check it by.
        return ColumnShape(info["name"], "", None)
    try:
        type_name = str(declared.compile(dialect=conn.dialect))
    except CompileError:
        type_name = type(declared).__name__.upper()
    return ColumnShape(info["name"], type_name, sql_item_types(type_name, conn.dialect.name))


def _declared_unique(inspector: Inspector, name: str, schema: str | None, column: str) -> bool:
    if inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") == [column]:
        return True
    try:
        constraints = inspector.get_unique_constraints(name, schema=schema)
    except NotImplementedError:
        constraints = []
    if any(c["column_names"] == [column] for c in constraints):
        return True
    for index in inspector.get_indexes(name, schema=schema):
        # A partial index (`... WHERE`) keeps only some rows unique.
        partial = any(option.endswith("_where") and value is not None
                      for option, value in index.get("dialect_options", {}).items())  # fmt: skip
        if index["unique"] and not partial and list(index["column_names"]) == [column]:
            return True
    return False


def _distinct(conn: Connection, name: str, schema: str | None, column: str) -> bool:
    key: sa.ColumnClause[Any] = sa.column(column)
    t = sa.table(name, key, schema=schema)
    repeated = conn.execute(sa.select(sa.func.count() - sa.func.count(sa.distinct(key))).select_from(t)).scalar_one()
    return int(repeated) == 0
