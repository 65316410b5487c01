"""The same catalog over SQLite, PostgreSQL and MariaDB answers every query identically."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from govshare import clock
from govshare.app import create_app
from govshare.catalog import Catalog, parse_catalog
from govshare.connectors.sql import async_url
from govshare.runtime import close_runtime
from govshare.settings import Settings
from govshare.store import grant_rows
from govshare.store.grant_rows import NewGrant
from tests import world
from tests.gateway.test_export import export_cut_by_revocation
from tests.services import run_async
from tests.testville import City, Client, open_client
from tests.worlds import graphql_headers

QUERIES = [
    # filters of every type, with ordering by several items and NULLs on both ends
    """{ residents(first: 1000, filter: {or: [{district: {in: ["east", "north"]}}, {score: {isNull: true}}],
                                       birthDate: {gte: "1960-01-01"}, note: {contains: "%"}},
                   orderBy: [{district: DESC}, {score: ASC}]) {
         totalCount nodes { residentId fullName district birthDate score income married note } } }""",
    """{ residents(first: 1000, filter: {not: {married: {eq: true}}, income: {lt: 50000.5},
                                       fullName: {startsWith: "name1"}}, orderBy: [{income: DESC}]) {
         nodes { residentId income } } }""",
    # aggregates
    """{ residentsAggregate(groupBy: [district, married]) { count groups { key count } }
         vehiclesAggregate(groupBy: [brand], filter: {registeredOn: {lt: "2015-01-01"}}) { count groups { key count } } }""",
    # relations in both directions and three levels deep
    """{ vehicles(first: 300, orderBy: [{registeredOn: ASC}]) {
         nodes { plate brand registeredOn owner { residentId fullName } inspections { inspectionId year passed } } } }""",
    """{ residents(first: 500, filter: {score: {gt: 50}}) {
         nodes { residentId vehicles { plate inspections { year passed vehicle { plate } } } } } }""",
    # relations with their own order, filter and limit per parent, under two aliases
    """{ residents(first: 400, orderBy: [{residentId: ASC}]) { nodes { residentId
         newest: vehicles(orderBy: [{registeredOn: DESC}], first: 1) { plate registeredOn }
         byBrand: vehicles(filter: {brand: {in: ["byd", "geely"]}}, orderBy: [{brand: ASC}, {plate: DESC}]) {
           plate brand inspections(orderBy: [{year: DESC}], first: 1, filter: {passed: {eq: true}}) { year } } } } }""",
]


async def _pages(client: Client) -> list[str]:
    """Every resident id, walking 37-row keyset pages in a mixed-direction order."""
    query = """query P($after: String) { residents(first: 37, after: $after, orderBy: [{district: DESC}, {birthDate: ASC}]) {
                 nodes { residentId } pageInfo { hasNextPage endCursor } } }"""
    ids: list[str] = []
    after = None
    while True:
        page = (await client.data(query, {"after": after}))["residents"]
        ids += [n["residentId"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


async def _answers(client: Client) -> list[Any]:
    return [await client.data(q) for q in QUERIES] + [await _pages(client)]


@pytest.fixture(params=["postgres", "mariadb"])
def backend_url(request: pytest.FixtureRequest, city: City) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    run_async(lambda: world.load(dict.fromkeys(world.TABLES_BY_SOURCE, url), city.data))
    return url


@pytest.fixture
async def backend(backend_url: str, tmp_path: Path) -> AsyncIterator[Client]:
    catalog = parse_catalog(world.catalog_text(dict.fromkeys(world.TABLES_BY_SOURCE, backend_url)))
    gateway = await open_client(catalog, tmp_path)
    try:
        yield Client(gateway)
    finally:
        await close_runtime(gateway.runtime)


# Exports in 37-row keyset batches, in orders with NULLs and both directions (GET /export, in-process);
# the last by a department that reads the phone masked, in the districts of its grant's scope.
EXPORTS = [
    ("hub", "Resident", {"order": "-district,birthDate,-score", "format": "csv"}),
    ("hub", "Resident", {"order": "score,-income", "format": "jsonl", "filter": '{"married": {"eq": false}}'}),
    ("hub", "Vehicle", {"order": "registeredOn", "items": "registeredOn,plate,ownerId", "header": "titles"}),
    ("transport", "Resident", {"order": "-income", "items": "residentId,phone,district,income,married,note"}),
]
SCOPE = {"district": {"in": ["east", "north"]}}


async def _exports(catalog: Catalog, data_dir: Path) -> list[bytes]:
    settings = Settings(data_dir=data_dir, secret="a-cross-db-export-key-of-enough-length", export_batch=37,
                        export_copy_batch=37)  # fmt: skip
    app = create_app(catalog, settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://govshare") as http,
    ):
        mask = NewGrant("transport", "Resident", ("phone",), ("work_reference",), "mask", scope=SCOPE)
        change = lambda conn: grant_rows.insert_grant(conn, mask, by="hub/tests", now=clock.now())  # noqa: E731
        await app.state.gateway.runtime.policies.change("hub", "tests", "mask phone", change)
        answers = [
            await http.get(f"/export/{name}", params=params,
                           headers=graphql_headers(settings, department, "tests", purpose="work_reference"))
            for department, name, params in EXPORTS
        ]  # fmt: skip
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    return [a.content for a in answers]


async def test_backends_export_byte_for_byte_like_sqlite(city: City, backend_url: str, tmp_path: Path) -> None:
    expected = await _exports(city.catalog, tmp_path / "sqlite")
    assert [len(e.splitlines()) for e in expected] == [
        1001,
        len([r for r in city.data.residents if r["married"] is False]),
        1 + len(city.data.vehicles),
        1 + len([r for r in city.data.residents if r["district"] in SCOPE["district"]["in"]]),
    ]
    assert b"*" in expected[-1]  # masked phones
    catalog = parse_catalog(world.catalog_text(dict.fromkeys(world.TABLES_BY_SOURCE, backend_url)))
    assert await _exports(catalog, tmp_path / "backend") == expected


async def test_backends_cut_an_export_when_its_grant_is_revoked(city: City, backend_url: str, tmp_path: Path) -> None:
    # On PostgreSQL the batches are written by the database (COPY), and one is read ahead.
    settings = Settings(data_dir=tmp_path, secret="a-cross-db-export-key-of-enough-length", export_batch=37,
                        export_copy_batch=37)  # fmt: skip
    catalog = parse_catalog(world.catalog_text(dict.fromkeys(world.TABLES_BY_SOURCE, backend_url)))
    await export_cut_by_revocation(catalog, settings, city, 37)


async def test_backends_answer_like_sqlite(client: Client, backend: Client) -> None:
    expected = await _answers(client)
    assert expected[0]["residents"]["totalCount"] > 0  # the queries select something
    assert len(expected[-1]) == len(set(expected[-1])) == 1000
    assert await _answers(backend) == expected


# Written by hand per dialect: the answer the aggregate below must give, group by group.
# (asyncmy formats every statement with its parameters, so % is doubled.)
_YEAR = {"sqlite": "strftime('%Y', birth_date)", "postgresql": "to_char(birth_date, 'YYYY')",
         "mysql": "DATE_FORMAT(birth_date, '%%Y')"}  # fmt: skip
_HAND_SQL = """SELECT district, {year} AS y, COUNT(*), SUM(score), AVG(score), SUM(income), AVG(income),
  MIN(birth_date), MAX(birth_date), MIN(score), MAX(income)
FROM resident WHERE married = {true} AND birth_date >= '1960-01-01' GROUP BY district, {year}"""
MEASURED = """{ residentsAggregate(groupBy: [district], buckets: [{item: birthDate, by: YEAR}],
                                   filter: {married: {eq: true}, birthDate: {gte: "1960-01-01"}}) {
  count groups { key count sum { score income } avg { score income } min { birthDate score } max { birthDate income } } } }"""


async def _by_hand(url: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    backend = make_url(url).get_backend_name()
    family = "mysql" if backend == "mariadb" else backend
    sql = _HAND_SQL.format(year=_YEAR[family], true="1" if family != "postgresql" else "true")
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            rows: list[tuple[Any, ...]] = [tuple(r) for r in await conn.exec_driver_sql(sql)]
    finally:
        await engine.dispose()
    return {(r[0], r[1]): r[2:] for r in rows}


def _same_as_by_hand(groups: list[dict[str, Any]], by_hand: dict[tuple[Any, ...], tuple[Any, ...]]) -> None:
    assert len(groups) == len(by_hand) > 20
    for group in groups:
        n, score_sum, score_avg, income_sum, income_avg, first, last, low, high = by_hand[
            (group["key"]["district"], group["key"]["birthDate.year"])
        ]
        assert group["count"] == n
        assert group["sum"]["score"] == (None if score_sum is None else float(score_sum))  # exact: integers
        assert group["min"] == {"birthDate": str(first)[:10], "score": low}
        assert group["max"] == {"birthDate": str(last)[:10], "income": high}
        # Float sums depend on each database's order of addition; AVG of integers on MariaDB keeps
        # four decimals (govshare divides the exact sum by the count instead).
        assert group["sum"]["income"] == pytest.approx(float(income_sum), rel=1e-12)
        assert group["avg"]["income"] == pytest.approx(float(income_avg), rel=1e-12)
        assert group["avg"]["score"] == (None if score_avg is None else pytest.approx(float(score_avg), abs=5e-5))


async def test_backends_aggregate_as_sql_written_by_hand(
    client: Client, backend: Client, backend_url: str, city: City
) -> None:
    on_sqlite = (await client.data(MEASURED))["residentsAggregate"]["groups"]
    _same_as_by_hand(on_sqlite, await _by_hand(city.urls["civil_db"]))
    on_backend = (await backend.data(MEASURED))["residentsAggregate"]["groups"]
    _same_as_by_hand(on_backend, await _by_hand(backend_url))
    # Everything but the sums and averages of floats is the same on every database, in the same order.
    floats = [(g["sum"].pop("income"), g["avg"].pop("income")) for g in (*on_sqlite, *on_backend)]
    assert on_backend == on_sqlite and all(f is not None for pair in floats for f in pair)
