"""The Hasura-style GraphQL test source (graphql_source.py) answers as specified, over real HTTP.

Expected rows are computed in Python from ROWS with SQL's three-valued logic.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.connectors.conftest import ROWS, load
from tests.connectors.graphql_source import make_graphql_app
from tests.connectors.test_conformance import and3, or3
from tests.services import serve_app

Row = dict[str, Any]
BY_ID = sorted(ROWS, key=lambda r: r["id"])
IDS = [r["id"] for r in BY_ID]
ITEMS = "query($w: items_bool_exp, $o: [items_order_by!]) { items(where: $w, order_by: $o) { id } }"
_PY = {"_eq": operator.eq, "_neq": operator.ne, "_lt": operator.lt, "_lte": operator.le}
_PY |= {"_gt": operator.gt, "_gte": operator.ge}


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _value(column: str, value: Any) -> Any:
    """A JSON value as ROWS hold it."""
    if isinstance(value, list):
        return [_value(column, v) for v in value]
    if not isinstance(value, str):  # _is_null's boolean
        return value
    if column == "day":
        return date.fromisoformat(value)
    return datetime.fromisoformat(value) if column == "at" else value


def _cmp(v: Any, op: str, value: Any) -> bool | None:
    if op == "_is_null":
        return (v is None) is value
    if op == "_nin" and not value:
        return True  # SQL: x NOT IN () holds even for NULL
    if v is None:
        return None
    if op in ("_in", "_nin"):
        return (v in value) is (op == "_in")
    return bool(_PY[op](v, value))


def holds(where: dict[str, Any], row: Row) -> bool | None:
    results: list[bool | None] = []
    for name, arg in where.items():
        if name == "_and":
            results.append(and3(holds(w, row) for w in arg))
        elif name == "_or":
            results.append(or3(holds(w, row) for w in arg))
        elif name == "_not":
            inner = holds(arg, row)
            results.append(None if inner is None else not inner)
        else:
            results.extend(_cmp(row[name], op, _value(name, v)) for op, v in arg.items())
    return and3(results)


def ordered(column: str, direction: str) -> list[str]:
    """IDs in that order, ties by id; ``desc`` puts NULLs first and ``asc`` last, as PostgreSQL."""
    present = sorted((r for r in BY_ID if r[column] is not None), key=lambda r: r[column], reverse="desc" in direction)
    nulls = [r for r in BY_ID if r[column] is None]
    first = direction.endswith("nulls_first") or direction == "desc"
    return [r["id"] for r in (nulls + present if first else present + nulls)]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("graphql") / "items.db"
    load(f"sqlite:///{file}")
    return file


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[tuple[str, Starlette]]:
    app = make_graphql_app(db)
    with serve_app(app) as base_url:
        yield base_url, app


def ask(server: tuple[str, Starlette], query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(f"{server[0]}/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(server: tuple[str, Starlette], where: dict[str, Any]) -> list[str]:
    body = ask(server, ITEMS, w=where, o=[{"id": "asc"}])
    assert "errors" not in body, body
    return [r["id"] for r in body["data"]["items"]]


SAMPLES = {"id": "k010", "name": "ab", "n": 2, "x": 0.1, "flag": True, "day": "2024-01-09"}
SAMPLES["at"] = ROWS[3]["at"].isoformat()
OTHERS = {"id": "k020", "name": "%", "n": -5, "x": 2.5, "flag": False, "day": "2024-01-01"}
OTHERS["at"] = ROWS[7]["at"].isoformat()
CASES = [
    (column, op, [SAMPLES[column], OTHERS[column]] if op in ("_in", "_nin") else SAMPLES[column])
    for column in SAMPLES
    for op in ("_eq", "_neq", "_in", "_nin", *(() if column == "flag" else ("_lt", "_lte", "_gt", "_gte")))
]
CASES += [(c, "_is_null", b) for c in ("name", "n", "at") for b in (True, False)]
CASES += [("day", "_in", []), ("day", "_nin", []), ("n", "_eq", 2**40), ("name", "_lt", "a_b")]


@pytest.mark.parametrize(("column", "op", "value"), CASES)
def test_each_comparison(server: tuple[str, Starlette], column: str, op: str, value: Any) -> None:
    where = {column: {op: value}}
    expected = [r["id"] for r in BY_ID if holds(where, r) is True]
    assert ids(server, where) == expected


@pytest.mark.parametrize(
    "where",
    [
        {},
        {"n": {"_gte": -2, "_lt": 3}, "flag": {"_eq": True}},
        {"_not": {"n": {"_gt": 0}}},
        {"_or": [{"name": {"_in": ["ab", "%"]}}, {"x": {"_lt": 0}}], "_not": {"day": {"_is_null": True}}},
        {"_and": []},
        {"_or": []},
        {"_not": {"_or": [{"flag": {"_eq": True}}, {"at": {"_gte": "2024-03-01T12:00:00"}}]}},
    ],
)
def test_logic(server: tuple[str, Starlette], where: dict[str, Any]) -> None:
    assert ids(server, where) == [r["id"] for r in BY_ID if holds(where, r) is True]


def test_rows_round_trip(server: tuple[str, Starlette]) -> None:
    body = ask(server, "{ items(order_by: [{id: asc}]) { id name n x flag day at } }")
    assert body["data"]["items"] == [{k: _json(v) for k, v in r.items()} for r in BY_ID]
    assert 2**40 in [r["n"] for r in body["data"]["items"]]


@pytest.mark.parametrize(
    "direction", ["asc", "asc_nulls_first", "asc_nulls_last", "desc", "desc_nulls_first", "desc_nulls_last"]
)
@pytest.mark.parametrize("column", ["name", "n", "at"])
def test_order(server: tuple[str, Starlette], column: str, direction: str) -> None:
    body = ask(server, ITEMS, o=[{column: direction}, {"id": "asc"}])
    assert [r["id"] for r in body["data"]["items"]] == ordered(column, direction)


def test_unordered_is_not_key_order(server: tuple[str, Starlette]) -> None:
    assert [r["id"] for r in ask(server, "{ items { id } }")["data"]["items"]] == [r["id"] for r in reversed(ROWS)]


def test_limit_offset(server: tuple[str, Starlette]) -> None:
    page = "query($l: Int, $o: Int) { items(order_by: [{id: asc}], limit: $l, offset: $o) { id } }"
    for limit, offset, expected in [(5, 3, IDS[3:8]), (0, None, []), (None, 35, IDS[35:]), (3, 100, [])]:
        assert [r["id"] for r in ask(server, page, l=limit, o=offset)["data"]["items"]] == expected
    for bad in ("limit: -1", "offset: -2"):
        body = ask(server, f"{{ items({bad}) {{ id }} }}")
        assert body["data"] is None and "must be a non-negative integer" in body["errors"][0]["message"]
    assert "errors" in ask(server, '{ items(limit: "5") { id } }')


def test_by_pk_and_aggregate(server: tuple[str, Starlette]) -> None:
    body = ask(server, '{ a: items_by_pk(id: "k013") { n day } b: items_by_pk(id: "nope") { n } }')
    assert body["data"] == {"a": {"n": 2**40, "day": _json(ROWS[13]["day"])}, "b": None}
    count = "query($w: items_bool_exp) { items_aggregate(where: $w) { aggregate { count } } }"
    where = {"flag": {"_eq": True}}
    expected = sum(holds(where, r) is True for r in ROWS)
    assert ask(server, count, w=where)["data"]["items_aggregate"]["aggregate"]["count"] == expected
    assert ask(server, count)["data"]["items_aggregate"]["aggregate"]["count"] == len(ROWS)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({"name": {"_eq": None}}, "_eq: null is not allowed; use _is_null"),
        ({"day": {"_eq": "2024-02-30"}}, "expected an ISO 8601 value"),
        ({"day": {"_gt": "2024-3-5"}}, "expected an ISO 8601 value"),
        ({"at": {"_lt": "2024-03-01T08:30:00+08:00"}}, "expected an ISO 8601 value"),
        ({"n": {"_eq": 1.5}}, "Long needs a 64-bit integer"),
        ({"n": {"_eq": 2**64}}, "Long needs a 64-bit integer"),
    ],
)
def test_bad_values_rejected(server: tuple[str, Starlette], where: dict[str, Any], message: str) -> None:
    body = ask(server, ITEMS, w=where)
    assert body["data"] is None and message in body["errors"][0]["message"]


def test_introspection(server: tuple[str, Starlette]) -> None:
    body = ask(server, "{ __schema { queryType { name } types { name inputFields { name } } } }")
    types = {t["name"]: t for t in body["data"]["__schema"]["types"]}
    assert body["data"]["__schema"]["queryType"] == {"name": "Query"}
    assert [f["name"] for f in types["items_bool_exp"]["inputFields"]][:3] == ["_and", "_or", "_not"]


def test_received_and_health(server: tuple[str, Starlette]) -> None:
    received: list[dict[str, Any]] = server[1].state.received
    before = len(received)
    ask(server, ITEMS, w={"id": {"_eq": "k001"}})
    assert received[before:] == [{"query": ITEMS, "variables": {"w": {"id": {"_eq": "k001"}}}}]
    assert httpx.get(f"{server[0]}/health").status_code == 200
    bad = httpx.post(f"{server[0]}/graphql", content=b"{not json")
    assert bad.status_code == 400 and bad.json()["errors"]


def test_pk_only_renamed_and_guarded(db: Path) -> None:
    app = make_graphql_app(db, key="name", list_field=False, require_header=("Authorization", "Bearer s3cret"))
    query = '{ __type(name: "Query") { fields { name args { name } } } }'
    with serve_app(app) as base_url:
        assert httpx.post(f"{base_url}/graphql", json={"query": query}).status_code == 401
        answer = httpx.post(f"{base_url}/graphql", json={"query": query}, headers={"Authorization": "Bearer s3cret"})
    assert answer.json()["data"]["__type"]["fields"] == [{"name": "items_by_pk", "args": [{"name": "name"}]}]
    assert len(app.state.received) == 2
