"""The connector interface: how govshare talks to a department's data source.

Small on purpose (after Trino's connector SPI and Hasura's NDC): a connector
answers four kinds of request, all expressed in source terms (table and
column names, never GraphQL names). What it can push down is declared as data
in :class:`Capabilities`; the gateway checks a request against them before it
calls the connector, and completes what a connector declines itself
(connectors.completion): it asks the source for what it can push down and
evaluates the rest, over a bounded number of rows.

One request to a connector is one statement against the source (one SQL
statement, one HTTP call); the gateway counts them per request. A connector
declaring ``joins`` also answers a :class:`Joined` request, two levels of one
source in one statement.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from govshare.catalog.model import ItemType
from govshare.connectors.aggregate import Aggregate as Aggregate
from govshare.connectors.aggregate import Group as Group
from govshare.connectors.shape import TableShape
from govshare.connectors.table import TableRef as TableRef
from govshare.filters import And, Cmp, Filter, Or, OrderKey


@dataclass(frozen=True, slots=True)
class Select:
    """Rows of ``table``: ``columns`` in that order, as tuples.

    ``order`` always ends with the key column, so it is total. NULLs sort
    first in ascending and last in descending order on every source.
    ``after`` holds the ``order`` column values of the last row already seen
    (keyset pagination): only rows strictly after it are returned.

    With ``per`` (a column), ``limit`` counts rows per distinct value of that
    column instead of in all: the first ``limit`` rows of each group, in
    ``order``, all groups together in ``order`` (a relation field's ``first``
    for a batch of parents). Rows whose ``per`` value is NULL form one group of
    their own. ``per`` without a limit changes nothing; with ``after`` it is refused.
    """

    table: TableRef
    columns: tuple[str, ...]
    where: Filter | None = None
    order: tuple[OrderKey, ...] = ()
    after: tuple[Any, ...] | None = None
    limit: int | None = None
    per: str | None = None  # with it, `limit` counts rows per distinct value of column `per`, not in all

    def __post_init__(self) -> None:
        if self.per is not None and self.after is not None:
            raise ValueError(
                f"Select on '{self.table.name}': 'after' (keyset pagination) cannot be combined with "
                f"'per' (a limit per value of '{self.per}'); page through one group at a time instead"
            )

    @property
    def limited_per(self) -> bool:
        """Whether the limit counts per group of ``per`` values (not in all)."""
        return self.per is not None and self.limit is not None


@dataclass(frozen=True, slots=True)
class Joined:
    """The rows of ``parent``, each with its rows of ``child`` whose ``remote`` column equals
    the parent row's ``local`` column (a relation read with its parents, in one statement).

    Parent rows come in ``parent.order``; each one's child rows in ``child.order``, at most
    ``child.limit`` of them (a limit per parent, as ``Select.per``). NULL joins nothing.
    ``parent`` has neither ``limit`` nor ``after``, and ``child`` neither ``after`` nor ``per``.
    """

    parent: Select
    local: str
    child: Select
    remote: str

    def __post_init__(self) -> None:
        if self.parent.limit is not None or self.parent.after is not None:
            raise ValueError(f"Joined on '{self.parent.table.name}': the parent select takes no limit or 'after'")
        if self.child.after is not None or self.child.per is not None:
            raise ValueError(f"Joined on '{self.child.table.name}': the child select takes no 'after' or 'per'")


@dataclass(frozen=True, slots=True)
class CsvField:
    """One field of an exported CSV line: a column, its catalog type, and the mask strategy
    (policies.masks) its value is written under, if any."""

    column: str
    type: ItemType
    mask: str | None = None


@dataclass(frozen=True, slots=True)
class CsvBatch:
    """The rows of ``select`` (its where, order, after and limit; its columns are the order's)
    as CSV lines of ``fields``, byte for byte as the gateway's CSV encoder writes them
    (gateway.formats: RFC 4180, CRLF, ``true``/``false``, ISO dates, Python's float spelling)."""

    select: Select
    fields: tuple[CsvField, ...]


@dataclass(frozen=True, slots=True)
class CsvChunk:
    data: bytes
    rows: int
    last: tuple[Any, ...] | None  # the ``select.columns`` values of the last row; None when no rows
    statements: int  # what it took at the source


@dataclass(frozen=True, slots=True)
class Count:
    table: TableRef
    where: Filter | None = None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a connector pushes down. Anything not declared is declined."""

    filter_ops: frozenset[str] = frozenset({"eq", "in"})
    # and/or/not nesting; without it only an AND of comparisons is accepted.
    boolean_filters: bool = False
    # Ordering by any column; without it only by the key, ascending.
    order_by: bool = False
    count: bool = False
    aggregate: bool = False  # row counts per group
    # With ``aggregate``: the measures it computes (of AGGREGATE_FUNCTIONS), and date buckets.
    aggregate_functions: frozenset[str] = frozenset()
    date_buckets: bool = False
    # A Select's limit per distinct value of a column (``Select.per``).
    limit_per: bool = False
    # Two levels of one source in one statement (``Joined``).
    joins: bool = False
    # An export batch written as CSV by the source itself (``CsvBatch``).
    csv_export: bool = False

    def decline(self, request: Select | Count | Aggregate | Joined) -> str | None:
        """Why this request cannot be pushed down, or ``None`` when it can."""
        if isinstance(request, Joined):
            if not self.joins:
                return "joined selects"
            return self.decline(request.parent) or self.decline(request.child)
        if isinstance(request, Aggregate):
            reason = self._decline_aggregate(request)
            if reason:
                return reason
        if isinstance(request, Count) and not self.count:
            return "totalCount"
        if isinstance(request, Select):
            if request.limited_per and not self.limit_per:
                return "a limit per related row"
            key = request.table.key
            if not self.order_by and any(o.column != key or o.descending for o in request.order):
                return "ordering other than by the key, ascending"
        return self._decline_filter(request.where, top=True)

    def _decline_aggregate(self, request: Aggregate) -> str | None:
        if not self.aggregate:
            return "aggregates"
        for m in request.measures:
            if m.function not in self.aggregate_functions:
                return f"the '{m.function}' aggregate"
        return "date buckets" if request.buckets and not self.date_buckets else None

    def accepts(self, part: Filter) -> bool:
        """Whether ``part`` can be pushed down as one conjunct of a request's filter."""
        return self._decline_filter(part, top=True) is None

    def _decline_filter(self, where: Filter | None, *, top: bool) -> str | None:
        if where is None:
            return None
        if isinstance(where, Cmp):
            return None if where.op in self.filter_ops else f"the '{where.op}' filter"
        if isinstance(where, And) and (top or self.boolean_filters):
            for part in where.parts:
                reason = self._decline_filter(part, top=top and not self.boolean_filters)
                if reason:
                    return reason
            return None
        if not self.boolean_filters:
            return "'or'/'not' filters"
        parts = where.parts if isinstance(where, (And, Or)) else (where.part,)
        for part in parts:
            reason = self._decline_filter(part, top=False)
            if reason:
                return reason
        return None


class SourceUnavailable(Exception):
    """The source could not answer (down, timed out, refused). Never carries credentials."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"source '{source}' is unavailable: {reason}")
        self.source = source
        self.reason = reason


class Declined(Exception):
    """The request needs a capability the connector does not declare."""

    def __init__(self, source: str, what: str) -> None:
        super().__init__(f"source '{source}' does not support {what}")
        self.source = source
        self.what = what


class Connector(abc.ABC):
    """One department data source. Instances are long-lived and shared by requests."""

    name: str
    capabilities: Capabilities

    @abc.abstractmethod
    async def select(self, request: Select) -> list[tuple[Any, ...]]: ...

    async def count(self, request: Count) -> int:
        raise Declined(self.name, "totalCount")

    async def select_joined(self, request: Joined) -> list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
        """Each parent row with its child rows (only with the ``joins`` capability)."""
        raise Declined(self.name, "joined selects")

    async def aggregate(self, request: Aggregate) -> list[Group]:
        raise Declined(self.name, "aggregates")

    async def export_csv(self, request: CsvBatch) -> CsvChunk | None:
        """The batch as CSV written at the source (only with ``csv_export``); None when the source
        cannot write these columns exactly so (the gateway then encodes the rows itself)."""
        raise Declined(self.name, "CSV written at the source")

    async def describe(self, table: TableRef) -> TableShape | None:
        """The live shape of ``table`` at the source (None when the source cannot tell)."""
        return None

    async def prepare(self) -> None:
        """Learn what the source offers before the first request (its capabilities may grow);
        raise :class:`SourceUnavailable` when it cannot be asked now. Most sources have nothing to learn."""
        return

    @abc.abstractmethod
    async def ping(self) -> None:
        """Raise :class:`SourceUnavailable` unless the source answers now."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release pools and connections; the connector is not used afterwards."""


def row_dicts(columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]
