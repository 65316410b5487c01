"""Requests of the connector interface as documents and variables of a remote GraphQL API.

Filters keep govshare's semantics (docs/connectors.md): ``eq``/``ne`` null mean ``isNull``,
an ``in`` list may hold null, NULL is the lowest value in keyset pages. Whatever the remote
input types cannot say raises :class:`Untranslatable`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from govshare.connectors.graphql_schema import Argument, RemoteTable
from govshare.connectors.json_values import to_json
from govshare.filters import Cmp, Filter, Not, Or, OrderKey, conjoin

Json = dict[str, Any]


class Untranslatable(Exception):
    """The remote schema cannot express this part of a request."""


# ---------------------------------------------------------------- filters


def where_json(table: RemoteTable, where: Filter | None) -> Json | None:
    return None if where is None else _node(table, where)


def _node(table: RemoteTable, f: Filter) -> Json:
    if isinstance(f, Cmp):
        return _cmp(table, f)
    if isinstance(f, Not):
        return {_combinator(table, "not"): _node(table, f.part)}
    parts = [_node(table, p) for p in f.parts]
    if isinstance(f, Or):
        return {_combinator(table, "or"): parts}
    if "and" in table.combinators:
        return {table.combinators["and"]: parts}
    return _merged(parts)


def _merged(parts: Sequence[Json]) -> Json:
    """An AND of comparison objects as one object, where no two name the same column and operator."""
    merged: Json = {}
    for part in parts:
        for column, ops in part.items():
            held = merged.setdefault(column, {})
            if not isinstance(ops, dict) or set(ops) & set(held):
                raise Untranslatable("an 'and' of conditions on one column and operator")
            held.update(ops)
    return merged


def _combinator(table: RemoteTable, name: str) -> str:
    if name not in table.combinators:
        raise Untranslatable(f"'{name}' filters")
    return table.combinators[name]


def _op(table: RemoteTable, column: str, op: str) -> str:
    found = table.ops.get(column, {}).get(op)
    if found is None:
        raise Untranslatable(f"the '{op}' filter on '{column}'")
    return found


def _cmp(table: RemoteTable, cmp: Cmp) -> Json:
    column, op, value = cmp.column, cmp.op, cmp.value

    def test(name: str, v: Any) -> Json:
        return {column: {_op(table, column, name): to_json(v)}}

    if op in ("eq", "ne") and value is None:
        return test("isNull", op == "eq")
    if op in ("in", "nin") and any(v is None for v in value):
        others = [v for v in value if v is not None]
        if op == "nin":  # not null, and none of the others
            return {column: {**test("isNull", False)[column], **(test("nin", others)[column] if others else {})}}
        if not others:
            return test("isNull", True)
        return {_combinator(table, "or"): [test("isNull", True), test("in", others)]}
    return test(op, list(value) if op in ("in", "nin") else value)


# ---------------------------------------------------------------- order and pages


def order_json(table: RemoteTable, order: Sequence[OrderKey]) -> list[Json] | Json:
    if table.order is None:
        raise Untranslatable("ordering")
    terms = []
    for key in order:
        if key.column not in table.directions:
            raise Untranslatable(f"ordering by '{key.column}'")
        terms.append({key.column: table.directions[key.column][1 if key.descending else 0]})
    if table.order.type.is_list:
        return terms
    if len(terms) != 1:  # one input object cannot tell the order of its fields
        raise Untranslatable("ordering by several fields")
    return terms[0]


def keyset(order: Sequence[OrderKey], after: Sequence[Any]) -> Filter | None:
    """The rows strictly after ``after`` in ``order``, NULL the lowest value, as a filter;
    None when no row can come after them."""
    disjuncts: list[Filter] = []
    equal: list[Filter] = []
    for key, value in zip(order, after, strict=True):
        beyond = _beyond(key, value)
        if beyond is not None:
            disjuncts.append(conjoin(*equal, beyond) or beyond)
        equal.append(Cmp(key.column, "isNull", True) if value is None else Cmp(key.column, "eq", value))
    if not disjuncts:
        return None
    return disjuncts[0] if len(disjuncts) == 1 else Or(tuple(disjuncts))


def _beyond(key: OrderKey, value: Any) -> Filter | None:
    if not key.descending:
        return Cmp(key.column, "isNull", False) if value is None else Cmp(key.column, "gt", value)
    if value is None:
        return None  # nothing is lower than NULL
    return Or((Cmp(key.column, "lt", value), Cmp(key.column, "isNull", True)))


# ---------------------------------------------------------------- documents


def _selection(table: RemoteTable, columns: Sequence[str], paged: bool) -> str:
    fields = " ".join(columns)
    if not table.nodes:
        return fields
    inner = f"{{ {fields} }}"
    rows = f"nodes {inner}" if table.nodes == ("nodes",) else f"edges {{ node {inner} }}"
    return f"{rows} pageInfo {{ hasNextPage endCursor }}" if paged else rows


def _document(operation: str, root: str, given: Mapping[Argument, Any], selection: str) -> tuple[str, Json]:
    declared = ", ".join(f"${a.name}: {a.type}" for a in given)
    passed = ", ".join(f"{a.name}: ${a.name}" for a in given)
    head = f"query {operation}({declared})" if given else f"query {operation}"
    call = f"{root}({passed})" if given else root
    return f"{head} {{ rows: {call} {{ {selection} }} }}", {a.name: v for a, v in given.items()}


def list_document(
    table: RemoteTable,
    columns: Sequence[str],
    where: Json | None,
    order: list[Json] | Json | None,
    limit: int | None,
    *,
    offset: int | None = None,
    cursor: str | None = None,
) -> tuple[str, Json]:
    given: dict[Argument, Any] = {}
    for arg, value in ((table.filter, where), (table.order, order), (table.limit, limit),
                       (table.offset, offset), (table.cursor, cursor)):  # fmt: skip
        if arg is not None and value is not None:
            given[arg] = value
    return _document("govshareSelect", table.root, given, _selection(table, columns, table.cursor is not None))


def count_document(table: RemoteTable, where: Json | None) -> tuple[str, Json]:
    given: dict[Argument, Any] = {table.filter: where} if table.filter is not None and where is not None else {}
    if table.aggregate_count is not None:
        return _document("govshareCount", table.aggregate_count, given, "aggregate { count }")
    if table.limit is not None:
        given[table.limit] = 0  # only the total is wanted
    return _document("govshareCount", table.root, given, "totalCount")


def lookup_document(table: RemoteTable, columns: Sequence[str], keys: Sequence[Any]) -> tuple[str, Json]:
    assert table.lookup is not None
    field, arg = table.lookup
    declared = ", ".join(f"$k{i}: {arg.type}" for i in range(len(keys)))
    calls = " ".join(f"r{i}: {field}({arg.name}: $k{i}) {{ {' '.join(columns)} }}" for i in range(len(keys)))
    return f"query govshareLookup({declared}) {{ {calls} }}", {f"k{i}": to_json(k) for i, k in enumerate(keys)}
