"""The schema's whole filter, ordering and aggregate language on a source that declines most of it.

CreditRecord comes from a department JSON API (the reference API: ``eq``/``in`` filters, pages by
the key, counts). The same rows are also served from SQLite through the SQL connector, which pushes
everything down; every operator the schema offers for the resource, every ordering, cursor
pagination and aggregates must answer the same on both, and the policy must hold on the HTTP one.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp, Receive, Scope, Send

from govshare.catalog import load_catalog
from govshare.catalog.model import ItemType
from govshare.connectors.reference_api import make_source_app
from govshare.demo import credit_source, generate_world
from govshare.demo.catalog import CREDIT_RECORD
from govshare.filters import OPS
from govshare.gateway.executor import Gateway, GraphQLRequest, Outcome
from govshare.identity import Caller
from govshare.policies.granting import add_grant
from govshare.runtime import Runtime, close_runtime, open_runtime
from govshare.schema.build import build_schema
from govshare.settings import Settings
from govshare.store.grant_rows import NewGrant
from tests.services import serve_app

READER = "market"  # reads the unconditional items, and penaltyAmount through the grant below
PURPOSE = "work_reference"
ITEMS: tuple[str, ...] = ("recordId", "creditCode", "entityName", "recordType", "title", "documentNumber", "decidedOn")
ITEMS += ("validUntil", "authority", "status", "penaltyAmount")
NODES = "nodes { " + " ".join(ITEMS) + " }"


@dataclass
class Recorder:
    """The HTTP source app, keeping every search body it receives."""

    app: ASGIApp
    bodies: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks: list[bytes] = []

        async def recording() -> Any:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body") and scope.get("method") == "POST":
                self.bodies.append(orjson.loads(b"".join(chunks)))
            return message

        await self.app(scope, recording if scope["type"] == "http" else receive, send)


@dataclass
class Pair:
    portal: BlockingPortal
    http: Gateway
    sql: Gateway
    recorder: Recorder
    rows: list[dict[str, Any]]  # the credit table, by item name

    def run(self, gateway: Gateway, query: str, variables: Any = None, department: str = READER) -> Outcome:
        caller = Caller(department, "completion-test", ("member",))
        return self.portal.call(gateway.run, GraphQLRequest(query, variables), caller, PURPOSE)

    def both(self, query: str, variables: Any = None) -> dict[str, Any]:
        """The HTTP answer, after checking it is the SQL one."""
        http, sql = self.run(self.http, query, variables).body, self.run(self.sql, query, variables).body
        assert "errors" not in sql, sql
        assert http == sql
        return http


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    world = tmp_path_factory.mktemp("completion-world")
    catalog_file = generate_world(world, 120, progress=False)
    db, collections = credit_source(world)
    text = catalog_file.read_text(encoding="utf-8")
    as_sql = text.replace(
        "kind: http\n    url: ${CREDIT_API_URL:-http://127.0.0.1:8766}", f"kind: sql\n    url: sqlite+aiosqlite:///{db}"
    )
    assert as_sql != text
    (world / "catalog-sql.yaml").write_text(as_sql, encoding="utf-8")
    recorder = Recorder(make_source_app(db, collections))
    with serve_app(recorder) as url, start_blocking_portal() as portal:
        runtimes: list[Runtime] = []
        try:
            gateways = []
            for name, env in (("catalog.yaml", {"CREDIT_API_URL": url}), ("catalog-sql.yaml", {})):
                catalog = load_catalog(world / name, env=env)
                settings = Settings(tmp_path_factory.mktemp("platform"), max_evaluated_rows=5000)
                runtimes.append(portal.call(functools.partial(open_runtime, catalog, settings, poll=False)))
                portal.call(_grant_penalty, runtimes[-1])
                gateways.append(Gateway(runtimes[-1], build_schema(catalog)))
            yield Pair(portal, gateways[0], gateways[1], recorder, _read(db))
        finally:
            for runtime in runtimes:
                portal.call(close_runtime, runtime)


async def _grant_penalty(runtime: Runtime) -> None:
    new = NewGrant(READER, "CreditRecord", ("penaltyAmount",), (PURPOSE,), "allow")
    await add_grant(runtime.policies, new, Caller("bigdata", "completion-test", ("authority",)))


def _read(db: Path) -> list[dict[str, Any]]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        cursor = conn.execute("SELECT * FROM credit_record")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]


def _operator_cases() -> Iterator[Any]:
    for name in ITEMS:
        item = CREDIT_RECORD.items[name]
        for op in OPS[item.type]:
            yield pytest.param(name, item.column, item.type, op, id=f"{name}-{op}")


def _probe(pair: Pair, column: str, item_type: ItemType, op: str) -> Any:
    values = sorted({r[column] for r in pair.rows if r[column] is not None})
    assert len(values) > 1, column
    middle = values[len(values) // 2]
    if item_type is ItemType.FLOAT:
        middle = float(middle)
    if op == "isNull":
        return True
    if op in ("in", "nin"):
        return [values[0], middle]
    if op == "contains":
        return middle[1:3]
    if op == "startsWith":
        return middle[:2]
    return middle


PAGE = f"""query($f: CreditRecordFilter, $o: [CreditRecordOrderBy!]) {{
  creditRecords(filter: $f, orderBy: $o, first: 1000) {{ totalCount {NODES} }}
  creditRecordsAggregate(filter: $f, groupBy: [status]) {{ count groups {{ key count }} }}
}}"""


@pytest.mark.parametrize(("name", "column", "item_type", "op"), list(_operator_cases()))
def test_every_operator_answers_as_on_sql(pair: Pair, name: str, column: str, item_type: ItemType, op: str) -> None:
    value = _probe(pair, column, item_type, op)
    found = []
    for negated in (False, True):
        condition = {name: {op: value}}
        spec = {"not": condition} if negated else condition
        data = pair.both(PAGE, {"f": spec, "o": [{"decidedOn": "DESC"}]})["data"]
        assert data["creditRecords"]["totalCount"] == data["creditRecordsAggregate"]["count"]
        found.append(len(data["creditRecords"]["nodes"]))
    assert found[0] > 0 or op == "isNull"  # probes are values of the data: a match proves the comparison ran


@pytest.mark.parametrize(
    "spec",
    [
        {"or": [{"decidedOn": {"gte": "2024-01-01"}}, {"penaltyAmount": {"gt": 10}}], "status": {"in": ["公示中"]}},
        {"and": [{"entityName": {"contains": "有限"}}, {"not": {"recordType": {"eq": "行政处罚"}}}]},
        {"validUntil": {"isNull": False, "lt": "2026-06-01"}, "recordId": {"nin": []}},
    ],
    ids=["or-with-pushed-in", "and-not", "two-ops-one-item"],
)
def test_nested_filters_answer_as_on_sql(pair: Pair, spec: dict[str, Any]) -> None:
    data = pair.both(PAGE, {"f": spec, "o": [{"penaltyAmount": "ASC"}, {"entityName": "DESC"}]})["data"]
    assert data["creditRecords"]["nodes"]


WALK = """query($o: [CreditRecordOrderBy!], $after: String, $f: CreditRecordFilter) {
  creditRecords(filter: $f, orderBy: $o, first: 7, after: $after) {
    edges { cursor node { recordId } } pageInfo { hasNextPage endCursor } } }"""


@pytest.mark.parametrize(
    "order",
    [[], [{"recordId": "DESC"}], [{"validUntil": "ASC"}], [{"penaltyAmount": "DESC"}, {"decidedOn": "ASC"}]],
    ids=str,
)
@pytest.mark.parametrize("spec", [None, {"status": {"ne": "已到期"}}], ids=["all", "filtered"])
def test_cursor_walk_answers_as_on_sql(pair: Pair, order: list[Any], spec: Any) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = pair.both(WALK, {"o": order, "after": after, "f": spec})["data"]["creditRecords"]
        seen += [e["node"]["recordId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    expected = [r for r in pair.rows if spec is None or r["status"] != "已到期"]
    assert sorted(seen) == sorted(r["record_id"] for r in expected)  # each row once, in the SQL order


@pytest.mark.parametrize("group_by", [[], ["recordType"], ["status", "authority"], ["validUntil"]], ids=str)
def test_aggregates_answer_as_on_sql(pair: Pair, group_by: list[str]) -> None:
    query = """query($g: [CreditRecordField!]) { creditRecordsAggregate(groupBy: $g,
      filter: {decidedOn: {lt: "2025-01-01"}}) { count groups { key count } } }"""
    data = pair.both(query, {"g": group_by})["data"]["creditRecordsAggregate"]
    assert data["count"] == sum(g["count"] for g in data["groups"]) > 0


def test_what_the_source_accepts_is_pushed_down_in_one_statement(pair: Pair) -> None:
    keys = [r["record_id"] for r in pair.rows[:5]]
    pair.recorder.bodies.clear()
    query = """query($k: [ID!]) { creditRecords(filter: {recordId: {in: $k}, decidedOn: {gte: "2000-01-01"}},
      orderBy: [{decidedOn: DESC}]) { nodes { title } } }"""
    outcome = pair.run(pair.http, query, {"k": keys})
    assert len(outcome.body["data"]["creditRecords"]["nodes"]) == 5
    [body] = pair.recorder.bodies
    assert body["where"] == {"record_id": {"in": keys}}
    assert set(body["fields"]) == {"record_id", "title", "decided_on"}
    assert outcome.context is not None and outcome.context.stats["credit_api"].statements == 1


def test_beyond_the_bound_the_request_is_refused_naming_it(pair: Pair) -> None:
    runtime = pair.http.runtime
    small = Gateway(_with_bound(runtime, len(pair.rows) - 1), pair.http.schema)
    outcome = pair.run(small, '{ creditRecords(filter: {decidedOn: {gte: "2000-01-01"}}) { nodes { recordId } } }')
    [error] = outcome.body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert f"at most {len(pair.rows) - 1} rows" in error["message"]
    assert "'gte' filter" in error["message"]
    # Narrowed with what the source evaluates, the same filter answers.
    narrowed = '{ creditRecords(filter: {status: {eq: "已到期"}, decidedOn: {gte: "2000-01-01"}}) { totalCount } }'
    assert "errors" not in pair.run(small, narrowed).body


def _with_bound(runtime: Runtime, bound: int) -> Runtime:
    return replace(runtime, settings=replace(runtime.settings, max_evaluated_rows=bound))


def test_policy_holds_on_evaluated_filters(pair: Pair) -> None:
    pair.recorder.bodies.clear()
    # Without a grant on penaltyAmount, filtering or ordering by it is refused before any fetch.
    for arguments in ("filter: {penaltyAmount: {gt: 1}}", "orderBy: [{penaltyAmount: DESC}]"):
        outcome = pair.run(
            pair.http, f"{{ creditRecords({arguments}) {{ nodes {{ recordId }} }} }}", department="health"
        )
        codes = {e["extensions"]["code"] for e in outcome.body["errors"]}
        assert codes == {"FORBIDDEN"}, outcome.body
    assert pair.recorder.bodies == []
    # A withheld item is null with FORBIDDEN, and its column is never asked of the source.
    outcome = pair.run(
        pair.http,
        '{ creditRecords(filter: {decidedOn: {gte: "2000-01-01"}}, first: 3) { nodes { recordId caseDetails } } }',
    )
    assert {e["extensions"]["code"] for e in outcome.body["errors"]} == {"FORBIDDEN"}
    assert all(n["caseDetails"] is None for n in outcome.body["data"]["creditRecords"]["nodes"])
    assert pair.recorder.bodies and all("case_details" not in b["fields"] for b in pair.recorder.bodies)
