"""Completing a request a connector declines: push down what it accepts, evaluate the rest.

The schema offers one filter, ordering and aggregate language for every resource
(DESIGN §4), whatever its source can do. When a source declines part of a request
(a department JSON API that filters by ``eq``/``in`` only), the gateway asks it, in
one statement, for the rows that match the conjuncts it accepts — ordered by the key,
with the columns the rest of the request tests — and evaluates the rest here with the
same semantics as the SQL sources: SQL's three-valued logic, NULL the lowest value.

The rows fetched are bounded (``max_evaluated_rows``): one more row than the bound is
asked for, and a request that would need more is refused by the caller, naming the bound.
Only columns of items the request already uses are fetched, and the policy has decided
those (a filter or ordering by an item needs ``allow``).
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from govshare.connectors.base import Aggregate, Capabilities, Count, Group, Select
from govshare.connectors.measures import bucket, measure
from govshare.filters import And, Cmp, Filter, Not, Or, OrderKey, conjoin

Row = Mapping[str, Any]


def split(capabilities: Capabilities, where: Filter | None) -> tuple[Filter | None, Filter | None]:
    """(the conjuncts the source accepts, the rest): their AND is ``where``."""
    pushed: list[Filter] = []
    rest: list[Filter] = []
    for part in _conjuncts(where):
        (pushed if capabilities.accepts(part) else rest).append(part)
    return conjoin(*pushed), conjoin(*rest)


def source_request(capabilities: Capabilities, request: Select | Count | Aggregate, bound: int) -> Select:
    """The one select that fetches what completing ``request`` needs (at most ``bound`` + 1 rows)."""
    pushed, _ = split(capabilities, request.where)
    key = request.table.key
    needed: list[str] = [key, *_columns(request.where)]
    after = None
    if isinstance(request, Select):
        needed += [*request.columns, *(o.column for o in request.order)]
        if request.per is not None:
            needed.append(request.per)
        if request.order == (OrderKey(key),):
            after = request.after  # the source's own order: the page can start at the source
    elif isinstance(request, Aggregate):
        needed += [*request.group_by, *(b.column for b in request.buckets), *(m.column for m in request.measures)]
    return Select(request.table, tuple(dict.fromkeys(needed)), pushed, (OrderKey(key),), after, bound + 1)


def selected(request: Select, fetched: Select, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    kept = ordered(_matching(request.where, fetched, rows), request.order)
    if request.after is not None and fetched.after is None:
        kept = [r for r in kept if _beyond(r, request.order, request.after)]
    if request.per is not None and request.limit is not None:
        kept = _first_per(kept, request.per, request.limit)
    elif request.limit is not None:
        kept = kept[: request.limit]
    return [tuple(r[c] for c in request.columns) for r in kept]


def _first_per(rows: Iterable[Row], per: str, limit: int) -> list[Row]:
    """The first ``limit`` rows of each group of equal ``per`` values (NULL is one group), in order."""
    taken: Counter[Any] = Counter()
    kept: list[Row] = []
    for row in rows:
        group = row[per]
        if taken[group] < limit:
            taken[group] += 1
            kept.append(row)
    return kept


def counted(request: Count, fetched: Select, rows: Sequence[tuple[Any, ...]]) -> int:
    return len(_matching(request.where, fetched, rows))


def grouped(request: Aggregate, fetched: Select, rows: Sequence[tuple[Any, ...]]) -> list[Group]:
    kept = _matching(request.where, fetched, rows)
    groups: dict[tuple[Any, ...], list[Row]] = {}
    if not request.group_by and not request.buckets:
        groups[()] = kept  # one total row, even when nothing matches
    else:
        for r in kept:
            key = (*(r[c] for c in request.group_by), *(bucket(r[b.column], b.by) for b in request.buckets))
            groups.setdefault(key, []).append(r)
    types = request.table.columns
    answer = [
        Group(
            key,
            len(members),
            tuple(measure(m.function, types[m.column], [r[m.column] for r in members]) for m in request.measures),
        )
        for key, members in groups.items()
    ]
    return sorted(answer, key=lambda group: [_low_null(v) for v in group.key])


def holds(where: Filter | None, row: Row) -> bool | None:
    """``where`` on ``row`` in SQL's three-valued logic: ``None`` is unknown."""
    if where is None:
        return True
    if isinstance(where, Cmp):
        return _compare(row[where.column], where.op, where.value)
    if isinstance(where, And):
        return _all(holds(p, row) for p in where.parts)
    if isinstance(where, Or):
        return _any(holds(p, row) for p in where.parts)
    inner = holds(where.part, row)
    return None if inner is None else not inner


def ordered(rows: Iterable[Row], order: Sequence[OrderKey]) -> list[Row]:
    """Rows in ``order``, NULLs first ascending and last descending."""
    result = list(rows)
    for key in reversed(order):  # stable sorts, the last key first
        result.sort(key=_sort_key(key.column), reverse=key.descending)
    return result


_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


def _compare(actual: Any, op: str, value: Any) -> bool | None:
    # As connectors.sql: eq/ne null mean isNull; in is an OR of eq, nin an AND of ne.
    if op == "isNull":
        return (actual is None) is bool(value)
    if op in ("eq", "ne") and value is None:
        return (actual is None) is (op == "eq")
    if op == "in":
        return _any(_compare(actual, "eq", v) for v in value)
    if op == "nin":
        return _all(_compare(actual, "ne", v) for v in value)
    if actual is None:
        return None
    if op == "eq":
        return bool(actual == value)
    if op == "ne":
        return bool(actual != value)
    if op == "contains":
        return str(value) in actual
    if op == "startsWith":
        return bool(actual.startswith(value))
    if op in _ORDERING:
        return _ORDERING[op](actual, value)
    raise ValueError(f"unknown filter operator '{op}'")


def _all(values: Iterable[bool | None]) -> bool | None:
    seen = list(values)
    return False if False in seen else None if None in seen else True


def _any(values: Iterable[bool | None]) -> bool | None:
    seen = list(values)
    return True if True in seen else None if None in seen else False


def _matching(where: Filter | None, fetched: Select, rows: Sequence[tuple[Any, ...]]) -> list[Row]:
    dicts = [dict(zip(fetched.columns, row, strict=True)) for row in rows]
    return [d for d in dicts if holds(where, d) is True]


def _beyond(row: Row, order: Sequence[OrderKey], after: Sequence[Any]) -> bool:
    """Whether ``row`` comes strictly after the values ``after`` in ``order``."""
    for key, value in zip(order, after, strict=True):
        mine, theirs = _low_null(row[key.column]), _low_null(value)
        if mine != theirs:
            return (mine < theirs) if key.descending else (mine > theirs)
    return False


def _low_null(value: Any) -> tuple[bool, Any]:
    return (value is not None, value)


def _sort_key(column: str) -> Callable[[Row], tuple[bool, Any]]:
    return lambda row: _low_null(row[column])


def _conjuncts(where: Filter | None) -> list[Filter]:
    if where is None:
        return []
    if isinstance(where, And):
        return [c for part in where.parts for c in _conjuncts(part)]
    return [where]


def _columns(where: Filter | None) -> list[str]:
    if where is None:
        return []
    if isinstance(where, Cmp):
        return [where.column]
    if isinstance(where, Not):
        return _columns(where.part)
    return [c for part in where.parts for c in _columns(part)]
