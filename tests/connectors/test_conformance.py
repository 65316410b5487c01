"""One conformance suite for every connector (see conftest.py for the kinds of source).

Expected results are computed in Python from the same rows, with SQL's
three-valued logic: a comparison with NULL is unknown, and NOT unknown is unknown.
A feature a connector does not declare (``Capabilities.decline``) is completed the way
the gateway completes it (connectors.completion): what the connector accepts is pushed
down, the rest is evaluated over the rows it returns.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from govshare.catalog.model import ItemType, Source
from govshare.connectors import (
    AGGREGATE_FUNCTIONS,
    Aggregate,
    And,
    Bucket,
    Capabilities,
    Cmp,
    Connector,
    Count,
    CsvBatch,
    CsvField,
    Declined,
    Filter,
    Group,
    Measure,
    Not,
    Or,
    OrderKey,
    Select,
    SourceUnavailable,
    TableRef,
    completion,
    open_connector,
)
from govshare.gateway.formats import csv_lines
from govshare.policies.masks import mask_for
from tests.connectors.conftest import (
    COLUMNS,
    ROWS,
    TABLE,
    Target,
    hold_lock,
    silent_port,
    unreachable,
)
from tests.services import free_port

ALL = tuple(COLUMNS)
Row = dict[str, Any]

# ---------------------------------------------------------------- reference model


def and3(values: Iterable[bool | None]) -> bool | None:
    vs = list(values)
    return False if False in vs else None if None in vs else True


def or3(values: Iterable[bool | None]) -> bool | None:
    vs = list(values)
    return True if True in vs else None if None in vs else False


_ORDERING = {"lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge}


def _cmp(v: Any, op: str, value: Any) -> bool | None:
    if op == "isNull":
        return (v is None) is value
    if op in ("eq", "ne") and value is None:  # documented: eq/ne null mean isNull
        return (v is None) is (op == "eq")
    if op == "in":
        return or3(_cmp(v, "eq", x) for x in value)
    if op == "nin":
        return and3(_cmp(v, "ne", x) for x in value)
    if v is None:
        return None
    if op == "eq":
        return bool(v == value)
    if op == "ne":
        return bool(v != value)
    if op == "contains":
        return value in v
    if op == "startsWith":
        return bool(v.startswith(value))
    return bool(_ORDERING[op](v, value))


def holds(f: Filter | None, row: Row) -> bool | None:
    if f is None:
        return True
    if isinstance(f, Cmp):
        return _cmp(row[f.column], f.op, f.value)
    if isinstance(f, And):
        return and3(holds(p, row) for p in f.parts)
    if isinstance(f, Or):
        return or3(holds(p, row) for p in f.parts)
    inner = holds(f.part, row)
    return None if inner is None else not inner


def _null_first(v: Any) -> tuple[bool, Any]:
    return (v is not None, v)


def _by(column: str) -> Callable[[Row], tuple[bool, Any]]:
    return lambda row: _null_first(row[column])


def ordered(rows: list[Row], order: Iterable[OrderKey]) -> list[Row]:
    result = list(rows)
    for key in reversed(list(order)):  # stable sorts, last key first
        result.sort(key=_by(key.column), reverse=key.descending)
    return result


def matching(where: Filter | None) -> list[Row]:
    return [r for r in ROWS if holds(where, r) is True]


def as_tuples(rows: Iterable[Row], columns: tuple[str, ...] = ALL) -> list[tuple[Any, ...]]:
    return [tuple(r[c] for c in columns) for r in rows]


def by_key(where: Filter | None = None) -> list[tuple[Any, ...]]:
    return as_tuples(ordered(matching(where), [OrderKey("id")]))


def distinct(column: str) -> list[Any]:
    return sorted({r[column] for r in ROWS if r[column] is not None})


async def pushdown(connector: Connector, request: Select | Count | Aggregate) -> Any:
    """Run the request; when the connector declines it, as the gateway completes it."""
    if connector.capabilities.decline(request):
        fetch = completion.source_request(connector.capabilities, request, len(ROWS))
        rows = await connector.select(fetch)
        assert len(rows) <= len(ROWS)
        if isinstance(request, Count):
            return completion.counted(request, fetch, rows)
        if isinstance(request, Aggregate):
            return completion.grouped(request, fetch, rows)
        return completion.selected(request, fetch, rows)
    if isinstance(request, Count):
        return await connector.count(request)
    if isinstance(request, Aggregate):
        return await connector.aggregate(request)
    return await connector.select(request)


def by_id(where: Filter | None) -> Select:
    return Select(TABLE, ALL, where, (OrderKey("id"),))


# ---------------------------------------------------------------- values and filters

_TEXT_OPS = ("eq", "ne", "in", "nin", "lt", "lte", "gt", "gte", "contains", "startsWith")
_ORDERED_OPS = ("eq", "ne", "in", "nin", "lt", "lte", "gt", "gte")
_OPS = {ItemType.ID: _TEXT_OPS, ItemType.STRING: _TEXT_OPS, ItemType.BOOLEAN: ("eq", "ne", "in", "nin")}


def _filter_cases() -> Iterable[Any]:
    for col, item_type in COLUMNS.items():
        values = distinct(col)
        probe = values[len(values) // 2]
        for op in _OPS.get(item_type, _ORDERED_OPS):
            value = {"in": (values[0], probe), "nin": (values[0], probe)}.get(op, probe)
            if op in ("contains", "startsWith"):
                value = probe[1:3] if op == "contains" else probe[:3]
            yield pytest.param(Cmp(col, op, value), id=f"{col}-{op}")
        yield pytest.param(Cmp(col, "isNull", True), id=f"{col}-isNull")
        yield pytest.param(Cmp(col, "isNull", False), id=f"{col}-notNull")
        yield pytest.param(Cmp(col, "in", (None, probe)), id=f"{col}-in-null")
        yield pytest.param(Cmp(col, "nin", (None, probe)), id=f"{col}-nin-null")
    yield pytest.param(Cmp("n", "eq", None), id="eq-null")
    yield pytest.param(Cmp("n", "ne", None), id="ne-null")
    yield pytest.param(And((Cmp("n", "in", (1, 2, 3, -5)), Cmp("n", "in", (3, -5, 4)))), id="and-same-column")
    yield pytest.param(And((Cmp("n", "eq", 3), Cmp("n", "eq", 4))), id="contradiction")


async def test_rows_round_trip_with_types(connector: Connector) -> None:
    rows = await pushdown(connector, by_id(None))
    assert rows == by_key()
    assert all(type(row) is tuple for row in rows)
    python_types = {
        ItemType.ID: str,
        ItemType.STRING: str,
        ItemType.INT: int,
        ItemType.FLOAT: float,
        ItemType.BOOLEAN: bool,
        ItemType.DATE: date,
        ItemType.DATETIME: datetime,
    }
    for row in rows:
        for value, item_type in zip(row, COLUMNS.values(), strict=True):
            assert value is None or type(value) is python_types[item_type]


@pytest.mark.parametrize("where", list(_filter_cases()))
async def test_filter(connector: Connector, where: Filter) -> None:
    assert await pushdown(connector, by_id(where)) == by_key(where)


@pytest.mark.parametrize(
    "where",
    [
        And((Cmp("n", "gt", 0), Cmp("flag", "eq", True))),
        Or((Cmp("name", "eq", "ab"), Cmp("n", "lt", -3))),
        Not(Cmp("n", "gt", 0)),
        Not(Or((Cmp("flag", "eq", True), Cmp("x", "gt", 1.0)))),
        And(
            (
                Or((Cmp("day", "lt", date(2024, 1, 8)), Cmp("day", "isNull", True))),
                Not(Cmp("name", "in", ("ab", "alpha"))),
            )
        ),
        Not(And((Cmp("name", "startsWith", "a"), Not(Cmp("at", "gte", datetime(2024, 3, 1, 18)))))),
        Not(Not(Cmp("x", "ne", 0.0))),
        Or(()),
        And(()),
        Not(Or(())),
    ],
    ids=lambda f: repr(f)[:60],
)
async def test_boolean_nesting(connector: Connector, where: Filter) -> None:
    assert await pushdown(connector, by_id(where)) == by_key(where)


async def test_in_with_many_values(connector: Connector) -> None:
    keys = tuple(f"k{i:03d}" for i in range(0, 40, 3)) + tuple(f"missing{i}" for i in range(4_986))
    assert len(keys) == 5_000
    assert await pushdown(connector, by_id(Cmp("id", "in", keys))) == by_key(Cmp("id", "in", keys))
    numbers = Cmp("n", "in", tuple(range(-2_500, 2_500)))
    assert await pushdown(connector, by_id(numbers)) == by_key(numbers)


async def test_empty_in_and_nin(connector: Connector) -> None:
    assert await pushdown(connector, by_id(Cmp("n", "in", ()))) == []
    assert await pushdown(connector, by_id(Cmp("n", "nin", ()))) == by_key()


@pytest.mark.parametrize(
    ("op", "needle"),
    [
        ("contains", "%"),
        ("contains", "_"),
        ("contains", "/"),
        ("contains", "a_"),
        ("contains", "%b"),
        ("startsWith", "a%"),
        ("startsWith", "a_"),
        ("startsWith", "%"),
        ("startsWith", "b_"),
        ("contains", ""),
    ],
)
async def test_like_patterns_are_literal(connector: Connector, op: str, needle: str) -> None:
    where = Cmp("name", op, needle)
    assert await pushdown(connector, by_id(where)) == by_key(where)


# ---------------------------------------------------------------- order and pages


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("column", ALL)
async def test_order_by_column(connector: Connector, column: str, descending: bool) -> None:
    order = (OrderKey(column, descending), OrderKey("id"))
    rows = await pushdown(connector, Select(TABLE, ALL, None, order))
    assert rows == as_tuples(ordered(ROWS, order))
    if column != "id":  # NULLs first ascending, last descending
        nulls = [row[ALL.index(column)] is None for row in rows]
        assert nulls == sorted(nulls, reverse=not descending)


_WALKS = [
    (OrderKey("id"),),
    (OrderKey("id", True),),
    (OrderKey("name"), OrderKey("id")),
    (OrderKey("n", True), OrderKey("id")),
    (OrderKey("flag"), OrderKey("day", True), OrderKey("id", True)),
    (OrderKey("x", True), OrderKey("at"), OrderKey("id")),
    (OrderKey("name", True), OrderKey("n"), OrderKey("flag", True), OrderKey("id", True)),
]


@pytest.mark.parametrize("page", [1, 7])
@pytest.mark.parametrize("where", [None, Cmp("n", "nin", (0, 1))], ids=["all", "filtered"])
@pytest.mark.parametrize("order", _WALKS, ids=lambda o: ",".join(k.column + "-" * k.descending for k in o))
async def test_keyset_walk(connector: Connector, order: tuple[OrderKey, ...], where: Filter | None, page: int) -> None:
    positions = [ALL.index(k.column) for k in order]
    seen: list[tuple[Any, ...]] = []
    after = None
    while True:
        rows = await pushdown(connector, Select(TABLE, ALL, where, order, after, page))
        seen += rows
        if len(rows) < page:
            break
        after = tuple(rows[-1][p] for p in positions)
    assert seen == as_tuples(ordered(matching(where), order))  # no gaps, no duplicates, in order


_MASKED = {"id": "id_number", "name": "name"}


@pytest.mark.parametrize("masked", [False, True], ids=["plain", "masked"])
@pytest.mark.parametrize("where", [None, Cmp("n", "nin", (0, 1))], ids=["all", "filtered"])
@pytest.mark.parametrize("order", _WALKS[::2], ids=lambda o: ",".join(k.column + "-" * k.descending for k in o))
async def test_csv_written_at_the_source_is_the_encoders(
    connector: Connector, order: tuple[OrderKey, ...], where: Filter | None, masked: bool
) -> None:
    """A source that writes an export's CSV itself writes what the gateway's encoder would, batch by
    batch in keyset order; one that does not declare it says so."""
    fields = tuple(CsvField(c, COLUMNS[c], _MASKED.get(c) if masked else None) for c in ALL)
    keys = tuple(k.column for k in order)
    request = CsvBatch(Select(TABLE, keys, where, order, None, 7), fields)
    if not connector.capabilities.csv_export:
        with pytest.raises(Declined):
            await connector.export_csv(request)
        return
    written, lasts = b"", []
    while True:
        chunk = await connector.export_csv(request)
        assert chunk is not None and chunk.statements == (2 if chunk.rows else 1)
        written += chunk.data
        lasts.append(chunk.last)
        if chunk.rows < 7:
            break
        request = CsvBatch(replace(request.select, after=chunk.last), fields)
    expected = ordered(matching(where), order)
    shown = [[mask_for(f.mask)(r[f.column]) if f.mask else r[f.column] for r in expected] for f in fields]
    assert written == csv_lines([f.type for f in fields], shown)
    batches = [expected[i : i + 7] for i in range(0, len(expected), 7)]
    assert lasts[: len(batches)] == [tuple(b[-1][k] for k in keys) for b in batches]
    assert lasts[len(batches) :] in ([], [None])  # an empty last batch when the rows end on a full one


async def test_limit(connector: Connector) -> None:
    assert await pushdown(connector, Select(TABLE, ALL, None, (OrderKey("id"),), None, 5)) == by_key()[:5]
    assert await pushdown(connector, Select(TABLE, ALL, None, (OrderKey("id"),), None, 0)) == []


def first_per(rows: list[Row], per: str, limit: int) -> list[Row]:
    """The reference per-group limit: NULL values form one group of their own."""
    taken: Counter[Any] = Counter()
    kept = []
    for row in rows:
        taken[row[per]] += 1
        if taken[row[per]] <= limit:
            kept.append(row)
    return kept


_PER_ORDERS = [
    (OrderKey("id"),),
    (OrderKey("n"), OrderKey("id")),
    (OrderKey("n", True), OrderKey("id")),
    (OrderKey("x", True), OrderKey("at"), OrderKey("id", True)),
]


@pytest.mark.parametrize("limit", [0, 1, 2, 100])
@pytest.mark.parametrize("where", [None, Cmp("n", "nin", (0, 1))], ids=["all", "filtered"])
@pytest.mark.parametrize("per", ["flag", "name", "day"])
@pytest.mark.parametrize("order", _PER_ORDERS, ids=lambda o: ",".join(k.column + "-" * k.descending for k in o))
async def test_limit_per_group(
    connector: Connector, order: tuple[OrderKey, ...], per: str, where: Filter | None, limit: int
) -> None:
    # flag/name/day have NULLs (one group), groups larger and smaller than the limit; n and x tie.
    rows = await pushdown(connector, Select(TABLE, ALL, where, order, None, limit, per))
    assert rows == as_tuples(first_per(ordered(matching(where), order), per, limit))


async def test_limit_per_group_of_unique_values_and_columns(connector: Connector) -> None:
    # Grouped by the key every group holds one row; the per column need not be selected.
    order = (OrderKey("day", True), OrderKey("id"))
    rows = await pushdown(connector, Select(TABLE, ("name",), None, order, None, 1, "id"))
    assert rows == as_tuples(ordered(ROWS, order), ("name",))
    keys = Cmp("id", "in", ("k001", "k002", "k006", "k012"))
    rows = await pushdown(connector, Select(TABLE, ("id", "n"), keys, order, None, 1, "flag"))
    assert rows == as_tuples(first_per(ordered(matching(keys), order), "flag", 1), ("id", "n"))


async def test_per_without_limit_limits_nothing(connector: Connector) -> None:
    order = (OrderKey("n"), OrderKey("id"))
    assert await pushdown(connector, Select(TABLE, ALL, None, order, None, None, "flag")) == as_tuples(
        ordered(ROWS, order)
    )


def test_limit_per_group_is_declined_unless_declared() -> None:
    request = Select(TABLE, ALL, None, (OrderKey("id"),), None, 2, "flag")
    assert Capabilities().decline(request) == "a limit per related row"
    assert Capabilities(limit_per=True).decline(request) is None
    assert Capabilities().decline(replace(request, limit=None)) is None


def test_per_with_after_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'after'.* cannot be combined with 'per'"):
        Select(TABLE, ALL, None, (OrderKey("id"),), ("k001",), 2, "flag")


async def test_selects_requested_columns_in_order(connector: Connector) -> None:
    columns = ("day", "id", "flag")
    rows = await pushdown(connector, Select(TABLE, columns, None, (OrderKey("id"),)))
    assert rows == as_tuples(ordered(ROWS, [OrderKey("id")]), columns)


# ---------------------------------------------------------------- count and aggregate


@pytest.mark.parametrize("where", [None, Cmp("flag", "eq", True), Cmp("id", "in", ()), Cmp("name", "isNull", True)])
async def test_count(connector: Connector, where: Filter | None) -> None:
    assert await pushdown(connector, Count(TABLE, where)) == len(matching(where))


@pytest.mark.parametrize("where", [None, Cmp("n", "gte", 0), Cmp("id", "in", ())], ids=["all", "filtered", "none"])
@pytest.mark.parametrize("group_by", [(), ("flag",), ("name",), ("day",), ("flag", "n"), ("x", "flag")], ids=str)
async def test_aggregate(connector: Connector, group_by: tuple[str, ...], where: Filter | None) -> None:
    rows = matching(where)
    counts = Counter(tuple(r[c] for c in group_by) for r in rows)
    expected = [Group(k, n) for k, n in sorted(counts.items(), key=lambda item: [_null_first(v) for v in item[0]])]
    if not group_by:
        expected = [Group((), len(rows))]  # one total row, even when nothing matches
    assert await pushdown(connector, Aggregate(TABLE, group_by, where)) == expected


_MEASURES = tuple(
    Measure(function, column) for column in ("n", "x", "day", "at") for function in AGGREGATE_FUNCTIONS
    if COLUMNS[column] in AGGREGATE_FUNCTIONS[function]
)  # fmt: skip


def _bucket_text(value: date | None, by: str) -> str | None:
    """The documented bucket text, written out here: 2024-03-05, 2024-03, 2024."""
    if value is None:
        return None
    return {"day": f"{value:%Y-%m-%d}", "month": f"{value:%Y-%m}", "year": f"{value:%Y}"}[by]


def _reference_measure(m: Measure, rows: list[Row]) -> Any:
    """SQL semantics, from the rows: NULLs ignored, NULL for no value; sums and averages as floats."""
    values = [r[m.column] for r in rows if r[m.column] is not None]
    if not values:
        return None
    if m.function in ("min", "max"):
        return min(values) if m.function == "min" else max(values)
    total = sum(values)
    return float(total) if m.function == "sum" else float(total) / len(values)


def reference_groups(request: Aggregate) -> list[Group]:
    rows = matching(request.where)
    members: dict[tuple[Any, ...], list[Row]] = {} if request.group_by or request.buckets else {(): []}
    for r in rows:
        key = tuple(r[c] for c in request.group_by) + tuple(_bucket_text(r[b.column], b.by) for b in request.buckets)
        members.setdefault(key, []).append(r)
    groups = [
        Group(k, len(rs), tuple(_reference_measure(m, rs) for m in request.measures)) for k, rs in members.items()
    ]
    return sorted(groups, key=lambda g: [_null_first(v) for v in g.key])


def assert_same_groups(found: list[Group], expected: list[Group], request: Aggregate) -> None:
    """Equal; sums and averages of Float columns within rounding, since each source adds in its own order."""
    assert [(g.key, g.rows) for g in found] == [(g.key, g.rows) for g in expected]
    for got, want in zip(found, expected, strict=True):
        for m, a, b in zip(request.measures, got.values, want.values, strict=True):
            assert type(a) is type(b), (m, a, b)
            if a is not None and COLUMNS[m.column] is ItemType.FLOAT and m.function in ("sum", "avg"):
                assert a == pytest.approx(b, rel=1e-12, abs=1e-12), (m, a, b)
            else:
                assert a == b, (m, a, b)


@pytest.mark.parametrize("where", [None, Cmp("n", "gte", 0), Cmp("id", "in", ())], ids=["all", "filtered", "none"])
@pytest.mark.parametrize("group_by", [(), ("flag",), ("name", "flag")], ids=str)
async def test_aggregate_measures(connector: Connector, group_by: tuple[str, ...], where: Filter | None) -> None:
    # n holds 2**40 and NULLs; groups without a value of a column have NULL measures.
    request = Aggregate(TABLE, group_by, where, measures=_MEASURES)
    assert_same_groups(await pushdown(connector, request), reference_groups(request), request)


_BUCKETS = [
    (Bucket("day", "month"),),
    (Bucket("day", "year"),),
    (Bucket("at", "day"),),
    (Bucket("at", "month"), Bucket("day", "day")),
]


@pytest.mark.parametrize("where", [None, Cmp("n", "gte", 0)], ids=["all", "filtered"])
@pytest.mark.parametrize("group_by", [(), ("flag",)], ids=str)
@pytest.mark.parametrize("buckets", _BUCKETS, ids=lambda bs: ",".join(f"{b.column}-{b.by}" for b in bs))
async def test_aggregate_date_buckets(
    connector: Connector, buckets: tuple[Bucket, ...], group_by: tuple[str, ...], where: Filter | None
) -> None:
    request = Aggregate(TABLE, group_by, where, buckets, (Measure("sum", "n"), Measure("max", "at")))
    expected = reference_groups(request)
    assert any(None in g.key for g in expected) and len(expected) >= 2  # a NULL bucket, and others
    assert_same_groups(await pushdown(connector, request), expected, request)


@pytest.mark.parametrize(
    ("measures", "buckets", "message"),
    [
        ((Measure("sum", "day"),), (), "no sum of column 'day'"),
        ((Measure("median", "n"),), (), "no median of column 'n'"),
        ((Measure("min", "name"),), (), "no min of column 'name'"),
        ((), (Bucket("n", "day"),), "no day bucket of column 'n'"),
        ((), (Bucket("day", "week"),), "no week bucket of column 'day'"),
    ],
)
def test_aggregate_of_the_wrong_type_is_refused(
    measures: tuple[Measure, ...], buckets: tuple[Bucket, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Aggregate(TABLE, (), None, buckets, measures)


def test_aggregate_functions_and_buckets_are_declined_unless_declared() -> None:
    request = Aggregate(TABLE, (), None, (Bucket("day", "month"),), (Measure("avg", "x"),))
    assert Capabilities().decline(request) == "aggregates"
    assert Capabilities(aggregate=True).decline(request) == "the 'avg' aggregate"
    everything = Capabilities(aggregate=True, aggregate_functions=frozenset(AGGREGATE_FUNCTIONS))
    assert everything.decline(request) == "date buckets"
    assert replace(everything, date_buckets=True).decline(request) is None


# ---------------------------------------------------------------- capabilities

_PROBES: list[Select | Count | Aggregate] = [
    *(by_id(Cmp("name", op, "ab")) for op in _TEXT_OPS),
    by_id(Cmp("n", "in", (1, 2))),
    by_id(Cmp("n", "isNull", True)),
    by_id(Or((Cmp("n", "eq", 1), Cmp("n", "eq", 2)))),
    by_id(Not(Cmp("n", "eq", 1))),
    by_id(And((Cmp("n", "eq", 1), Or((Cmp("x", "eq", 0.0),))))),
    Select(TABLE, ALL, None, (OrderKey("name"), OrderKey("id"))),
    Select(TABLE, ALL, None, (OrderKey("id", True),)),
    Select(TABLE, ALL, None, (OrderKey("id"),), None, 2, "flag"),
    Count(TABLE, Cmp("n", "eq", 1)),
    Aggregate(TABLE, ("flag",)),
    Aggregate(TABLE, ("flag",), None, (), (Measure("sum", "n"),)),
    Aggregate(TABLE, (), None, (Bucket("day", "month"),)),
]


@pytest.mark.parametrize("probe", _PROBES, ids=lambda p: repr(p)[:70])
async def test_declared_capabilities_are_honoured(connector: Connector, probe: Select | Count | Aggregate) -> None:
    caps = connector.capabilities
    reason = caps.decline(probe)
    ops = {c.op for c in _comparisons(probe.where)}
    nested = probe.where is not None and any(isinstance(f, Or | Not) for f in _nodes(probe.where))
    undeclared = (
        not ops <= caps.filter_ops
        or (nested and not caps.boolean_filters)
        or (isinstance(probe, Select) and probe.order != (OrderKey("id"),) and not caps.order_by)
        or (isinstance(probe, Select) and probe.per is not None and not caps.limit_per)
        or (isinstance(probe, Count) and not caps.count)
        or (isinstance(probe, Aggregate) and not caps.aggregate)
        or (isinstance(probe, Aggregate) and any(m.function not in caps.aggregate_functions for m in probe.measures))
        or (isinstance(probe, Aggregate) and bool(probe.buckets) and not caps.date_buckets)
    )
    assert bool(reason) == undeclared
    run: dict[type, Callable[[Any], Any]] = {
        Select: connector.select,
        Count: connector.count,
        Aggregate: connector.aggregate,
    }
    if reason:
        with pytest.raises(Declined):
            await run[type(probe)](probe)
    else:
        await run[type(probe)](probe)


def _nodes(f: Filter) -> Iterable[Filter]:
    yield f
    children = f.parts if isinstance(f, And | Or) else (f.part,) if isinstance(f, Not) else ()
    for child in children:
        yield from _nodes(child)


def _comparisons(f: Filter | None) -> list[Cmp]:
    return [] if f is None else [n for n in _nodes(f) if isinstance(n, Cmp)]


async def test_undeclared_column_is_refused(connector: Connector) -> None:
    with pytest.raises(ValueError, match="nope"):
        await connector.select(Select(TABLE, ("id", "nope"), None, (OrderKey("id"),)))


# ---------------------------------------------------------------- availability


async def test_ping(connector: Connector) -> None:
    await connector.ping()


def _assert_discreet(error: SourceUnavailable, *secrets: str) -> None:
    for secret in ("127.0.0.1", "secret", "SELECT", "select", *secrets):
        assert secret not in str(error), str(error)


async def test_missing_table_is_unavailable(connector: Connector) -> None:
    missing = TableRef("no_such_table", "id", COLUMNS)
    with pytest.raises(SourceUnavailable) as info:
        await connector.select(Select(missing, ("id",), None, (OrderKey("id"),)))
    _assert_discreet(info.value, "no_such_table")


async def test_source_down_fails_fast(
    target: Target, connect: Callable[[str, float], Connector], tmp_path: Path
) -> None:
    port = free_port()
    down = connect(unreachable(target.kind, port, tmp_path), 3.0)
    for attempt in (down.ping(), down.select(Select(TABLE, ("id",), None, (OrderKey("id"),)))):
        with pytest.raises(SourceUnavailable) as info:
            await attempt
        # Refused at once, not left to run into the 3 s timeout.
        assert info.value.reason.startswith("cannot connect"), info.value.reason
        _assert_discreet(info.value, str(port))


async def test_silent_source_times_out(
    target: Target, connect: Callable[[str, float], Connector], tmp_path: Path
) -> None:
    if target.kind in ("sqlite", "duckdb"):
        pytest.skip(f"{target.kind} runs in-process: there is no server to fall silent")
    with silent_port() as port:  # accepts connections, never answers
        silent = connect(unreachable(target.kind, port, tmp_path), 0.5)
        with pytest.raises(SourceUnavailable) as info:
            await silent.ping()
        assert info.value.reason == "no answer within 0.5 s"
        _assert_discreet(info.value, str(port))


async def test_blocked_statement_times_out(target: Target, connect: Callable[[str, float], Connector]) -> None:
    slow = connect(target.url, 0.5)
    await slow.ping()  # connected before the table is locked
    async with hold_lock(target):
        with pytest.raises(SourceUnavailable) as info:
            await slow.select(Select(TABLE, ("id",), None, (OrderKey("id"),)))
        assert info.value.reason == "no answer within 0.5 s"
    _assert_discreet(info.value)
    # and the connector recovers once the lock is gone
    rows = await slow.select(Select(TABLE, ("id",), None, (OrderKey("id"),)))
    assert rows == as_tuples(ordered(ROWS, [OrderKey("id")]), ("id",))


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("sql", {"pool_size": 0}, "option 'pool_size' must be a positive integer"),
        ("sql", {"pool_size": "many"}, "option 'pool_size' must be a positive integer"),
        ("sql", {"statement_timeout": -1}, "option 'statement_timeout' must be a positive number"),
        ("sql", {"timeout": 3}, "unknown option 'timeout' for sql sources"),
        ("http", {"pool_size": 3}, "unknown option 'pool_size' for http sources"),
        ("ftp", {}, "unknown kind 'ftp'"),
    ],
)
def test_open_connector_names_the_bad_option(kind: str, options: dict[str, object], message: str) -> None:
    source = Source("credit_api", "credit", kind, "sqlite:///unused.db", options)
    with pytest.raises(ValueError, match=f"source 'credit_api': {message}"):
        open_connector(source)


# ---------------------------------------------------------------- the reference JSON API


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("nope/search", {"fields": []}, 404, "unknown collection 'nope'"),
        ("items/search", {"fields": ["id", "secret"]}, 400, "unknown field 'secret'"),
        ("items/search", {"fields": ["id"], "where": {"n": {"gt": 1}}}, 400, "unknown operator 'gt' on 'n'"),
        ("items/search", {"fields": ["id"], "where": {"nope": {"eq": 1}}}, 400, "unknown field 'nope'"),
        ("items/search", {"fields": ["id"], "where": {"day": {"eq": "soon"}}}, 400, "'day' needs an ISO 8601 date"),
        ("items/search", {"fields": ["id"], "limit": -1}, 400, "'limit' must be a non-negative integer"),
        ("items/search", {"fields": ["id"], "order": "name"}, 400, "unknown key 'order'"),
        ("items/search", [1], 400, "the body must be a JSON object"),
    ],
)
def test_reference_api_rejects_bad_requests(
    http_target: Target, path: str, body: object, status: int, message: str
) -> None:
    response = httpx.post(f"{http_target.url}/{path}", json=body)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_reference_api_answers_the_documented_shape(http_target: Target) -> None:
    body = {"fields": ["id", "flag", "at"], "where": {"n": {"in": [1, 2]}}, "after": "k003", "limit": 2, "count": True}
    answer = httpx.post(f"{http_target.url}/items/search", json=body).json()
    rows = [r for r in ordered(ROWS, [OrderKey("id")]) if r["n"] in (1, 2)]
    assert answer["total"] == len(rows)
    after = [r for r in rows if r["id"] > "k003"][:2]
    assert answer["items"] == [{"id": r["id"], "flag": r["flag"], "at": r["at"] and r["at"].isoformat()} for r in after]
    assert httpx.get(f"{http_target.url}/health").json() == {"status": "ok"}
