"""Aggregate requests of the connector interface: row counts and measures per group (connectors.base)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from govshare.catalog.model import ItemType
from govshare.connectors.table import TableRef
from govshare.filters import Filter

# Aggregate functions of numeric items (sum, avg) and of numeric and date items (min, max).
AGGREGATE_FUNCTIONS: Mapping[str, frozenset[ItemType]] = {
    "sum": frozenset({ItemType.INT, ItemType.FLOAT}),
    "avg": frozenset({ItemType.INT, ItemType.FLOAT}),
    "min": frozenset({ItemType.INT, ItemType.FLOAT, ItemType.DATE, ItemType.DATETIME}),
    "max": frozenset({ItemType.INT, ItemType.FLOAT, ItemType.DATE, ItemType.DATETIME}),
}
# Date buckets, by the length of their text: a day 2024-03-05, a month 2024-03, a year 2024.
DATE_BUCKETS: Mapping[str, int] = {"day": 10, "month": 7, "year": 4}
_DATED = frozenset({ItemType.DATE, ItemType.DATETIME})


@dataclass(frozen=True, slots=True)
class Measure:
    """``function`` of ``column`` over a group's rows, NULLs ignored: sum and avg as floats
    (avg is the sum over the count of values), min and max in the column's type; NULL
    when the group has no value."""

    function: str
    column: str


@dataclass(frozen=True, slots=True)
class Bucket:
    """The day, month or year of a Date/DateTime ``column`` as text (``DATE_BUCKETS``), taken
    from the stored value as it is (no time zone conversion); NULL for NULL."""

    column: str
    by: str


class Group(NamedTuple):
    """One row of an aggregate's answer."""

    key: tuple[Any, ...]  # the group_by values, then the buckets'
    rows: int
    values: tuple[Any, ...] = ()  # the measures', in their order


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Row counts, and ``measures``, per distinct value tuple of ``group_by`` and ``buckets``
    (one total row when both are empty)."""

    table: TableRef
    group_by: tuple[str, ...]
    where: Filter | None = None
    buckets: tuple[Bucket, ...] = ()
    measures: tuple[Measure, ...] = ()

    def __post_init__(self) -> None:
        columns = self.table.columns
        for m in self.measures:
            if columns.get(m.column) not in AGGREGATE_FUNCTIONS.get(m.function, ()):
                raise ValueError(f"Aggregate on '{self.table.name}': no {m.function} of column '{m.column}'")
        for b in self.buckets:
            if b.by not in DATE_BUCKETS or columns.get(b.column) not in _DATED:
                raise ValueError(f"Aggregate on '{self.table.name}': no {b.by} bucket of column '{b.column}'")
