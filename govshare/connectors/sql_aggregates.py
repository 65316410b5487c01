"""The SQL of an aggregate: groups, date buckets and measures in one statement.

The terms are chosen so that SQLite, PostgreSQL and MySQL/MariaDB answer exactly as the
gateway computes the same (connectors.measures):

- a sum is ``SUM`` (exact on PostgreSQL and MariaDB, whose sums of integers are decimals;
  SQLite sums integers as REAL, since its integer sum fails beyond 64 bits);
- an average is ``SUM`` and ``COUNT`` of the column, divided here: MariaDB's ``AVG`` of
  integers keeps four decimals only;
- a date bucket is the value's text cut to the day, month or year (SQLite ``strftime``,
  PostgreSQL ``to_char``, MySQL/MariaDB ``DATE_FORMAT``), the format a literal so that the
  same expression can be grouped and ordered by.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.sql import Select as SqlSelect

from govshare.catalog.model import ItemType
from govshare.connectors.aggregate import Aggregate, Bucket, Group, Measure
from govshare.connectors.measures import average

# The format of each bucket, per dialect family (``DATE_BUCKETS``: day, month, year).
_FORMATS: dict[str, dict[str, str]] = {
    "sqlite": {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"},
    "postgresql": {"day": "YYYY-MM-DD", "month": "YYYY-MM", "year": "YYYY"},
    "mysql": {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"},
}
_FAMILY = {"sqlite": "sqlite", "postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql"}
Sort = Callable[[ColumnElement[Any]], list[ColumnElement[Any]]]  # ascending, NULLs first


def buckets_supported(dialect: str) -> bool:
    """Whether date buckets can be computed in this dialect's SQL."""
    return dialect in _FAMILY


def build_aggregate(
    dialect: str, t: FromClause, request: Aggregate, where: ColumnElement[bool] | None, sort: Sort
) -> SqlSelect[Any]:
    """``group_by`` columns, bucket terms, ``count(*)``, then each measure's terms (see ``groups``)."""
    keys = [t.c[c] for c in request.group_by] + [_bucket(dialect, t.c[b.column], b) for b in request.buckets]
    types = request.table.columns
    terms = [term for m in request.measures for term in _measure(dialect, t.c[m.column], m, types[m.column])]
    stmt = sa.select(*keys, sa.func.count(), *terms).select_from(t)
    if where is not None:
        stmt = stmt.where(where)
    if keys:
        stmt = stmt.group_by(*keys)
        for key in keys:
            stmt = stmt.order_by(*sort(key))
    return stmt


def groups(request: Aggregate, rows: Sequence[tuple[Any, ...]]) -> list[Group]:
    """The rows of ``build_aggregate``'s statement as groups."""
    width = len(request.group_by) + len(request.buckets)
    found = []
    for row in rows:
        values: list[Any] = []
        at = width + 1
        for m in request.measures:
            if m.function == "avg":
                values.append(average(row[at], int(row[at + 1])) if row[at] is not None else None)
                at += 2
            else:
                values.append(float(row[at]) if m.function == "sum" and row[at] is not None else row[at])
                at += 1
        found.append(Group(tuple(row[:width]), int(row[width]), tuple(values)))
    return found


def _bucket(dialect: str, col: ColumnElement[Any], bucket: Bucket) -> ColumnElement[Any]:
    family = _FAMILY.get(dialect)
    if family is None:
        raise ValueError(f"date buckets are not supported on {dialect}")
    fmt: ColumnElement[str] = sa.literal_column(f"'{_FORMATS[family][bucket.by]}'")
    if family == "sqlite":
        return sa.func.strftime(fmt, col, type_=sa.String())
    if family == "postgresql":
        return sa.func.to_char(col, fmt, type_=sa.String())
    return sa.func.date_format(col, fmt, type_=sa.String())


def _measure(dialect: str, col: ColumnElement[Any], measure: Measure, item_type: ItemType) -> list[ColumnElement[Any]]:
    if measure.function in ("min", "max"):
        return [getattr(sa.func, measure.function)(col, type_=col.type)]
    summed = sa.cast(col, sa.Float()) if dialect == "sqlite" and item_type is ItemType.INT else col
    total: ColumnElement[Any] = sa.func.sum(summed, type_=sa.Float())
    return [total] if measure.function == "sum" else [total, sa.func.count(col)]
