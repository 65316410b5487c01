"""`govshare check FILE --live`: a catalog checked against real sources (SQLite, PostgreSQL, MariaDB, HTTP).

Every source holds the same three tables: ``live_person`` (a primary key), ``live_visit``
(no constraint, unique values) and ``live_repeat`` (no constraint, a repeated value). Each
problem is asserted at its exact line, found in the catalog text by what the line says.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Double, MetaData, String, Table
from sqlalchemy.ext.asyncio import create_async_engine

from govshare.catalog import Catalog, ItemType, load_catalog
from govshare.cli import main
from govshare.connectors.live_check import LiveCheck, check_live
from govshare.connectors.reference_api import make_source_app
from govshare.connectors.shape import sql_item_types
from govshare.connectors.sql import async_url
from govshare.runtime import opened_sources
from govshare.settings import Settings
from tests.services import free_port, run_async, serve_app

_metadata = MetaData()
_person = Table(
    "live_person",
    _metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(40)),
    Column("age", BigInteger),
    Column("born", Date),
    Column("score", Double),
    Column("active", Boolean),
    Column("seen", DateTime),
)
_visit = Table("live_visit", _metadata, Column("ref", String(16)), Column("person_id", String(16)))
_repeat = Table("live_repeat", _metadata, Column("ref", String(16)), Column("note", String(40)))
_ROWS: dict[Table, list[dict[str, Any]]] = {
    _person: [
        {"id": "p1", "name": "甲", "age": 30, "born": date(1994, 5, 1), "score": 1.5, "active": True,
         "seen": datetime(2024, 3, 1, 8, 30)},
        {"id": "p2", "name": "乙", "age": 41, "born": date(1983, 1, 9), "score": -2.0, "active": False,
         "seen": datetime(2024, 3, 2, 9, 0)},
    ],
    _visit: [{"ref": "v1", "person_id": "p1"}, {"ref": "v2", "person_id": "p1"}],
    _repeat: [{"ref": "r1", "note": "a"}, {"ref": "r1", "note": "b"}, {"ref": "r2", "note": "c"}],
}  # fmt: skip

# Items of the three tables, as a good catalog maps them.
PERSON = {
    "id": "type: ID",
    "name": "type: String",
    "age": "type: Int",
    "born": "type: Date",
    "score": "type: Float",
    "active": "type: Boolean",
    "seen": "type: DateTime",
}
VISIT = {"ref": "type: ID", "personId": "column: person_id, type: String"}


def load(url: str) -> None:
    """Create the three tables with their rows in the (empty) database at ``url``."""

    async def go() -> None:
        engine = create_async_engine(async_url(url))
        try:
            async with engine.begin() as conn:
                await conn.run_sync(_metadata.create_all)
                for table, rows in _ROWS.items():
                    await conn.execute(table.insert(), rows)
        finally:
            await engine.dispose()

    run_async(go)


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("live") / "source.db"
    load(f"sqlite:///{file}")
    return file


@pytest.fixture(scope="module")
def sqlite_url(sqlite_file: Path) -> str:
    return f"sqlite:///{sqlite_file}"


@pytest.fixture(scope="module")
def postgres_source(postgres_url: str) -> str:
    load(postgres_url)
    return postgres_url


@pytest.fixture(scope="module")
def mariadb_source(mariadb_url: str) -> str:
    load(mariadb_url)
    return mariadb_url


@pytest.fixture(scope="module")
def api_url(sqlite_file: Path) -> Iterator[str]:
    collections = {"live_person": "id", "live_visit": "ref", "live_repeat": "ref"}
    with serve_app(make_source_app(sqlite_file, collections)) as base_url:
        yield base_url


# -- catalogs -------------------------------------------------------------------


def catalog_text(
    sources: dict[str, tuple[str, str]], resources: dict[str, tuple[str, str, str, dict[str, str]]]
) -> str:
    """A valid catalog: ``sources`` name → (kind, url); ``resources`` name → (source, table, key, items)."""
    lines = [
        "version: 1",
        "platform:",
        "  name: 测试平台",
        "  authority: office",
        "  purposes: {work_reference: 工作参考}",
        "departments:",
        "  office: {name: 办公室}",
        "sources:",
        *(f'  {name}: {{department: office, kind: {kind}, url: "{url}"}}' for name, (kind, url) in sources.items()),
        "resources:",
    ]
    for n, (name, (source, table, key, items)) in enumerate(resources.items(), start=1):
        lines += [
            f"  {name}:",
            f'    code: "10{n:08d}/000001"',
            f"    title: {name}",
            "    provider: office",
            "    category: theme",
            f"    source: {source}",
            f"    table: {table}",
            f"    key: {key}",
            "    update_cycle: daily",
            "    share_methods: [query]",
            "    items:",
            *(f"      {item}: {{{spec}, title: {item}, sharing: unconditional}}" for item, spec in items.items()),
        ]
    return "\n".join(lines) + "\n"


def line(text: str, fragment: str, after: str = "") -> int:
    """The number of the first line holding ``fragment`` below the line holding ``after``."""
    rows = text.splitlines()
    start = next(n for n, row in enumerate(rows) if after in row) if after else 0
    return next(n for n, row in enumerate(rows, start=1) if n > start and fragment in row)


def write(tmp_path: Path, text: str) -> tuple[str, Catalog]:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path), load_catalog(path, env={})


async def live(catalog: Catalog) -> LiveCheck:
    async with opened_sources(catalog, Settings(statement_timeout=5.0)) as connectors:
        return await check_live(catalog, connectors)


def good(source: str = "db") -> dict[str, tuple[str, str, str, dict[str, str]]]:
    return {"Person": (source, "live_person", "id", PERSON), "Visit": (source, "live_visit", "ref", VISIT)}


BAD_ITEMS = {
    "id": "type: ID",
    "nick": "column: nickname, type: String",
    "name": "type: Int",
    "label": "column: name, type: Date",
    "ageText": "column: age, type: String",
    "active": "type: Boolean",
}


def bad_text(kind: str, url: str) -> str:
    """A catalog with one of every problem on its one source."""
    resources = {
        "Person": ("db", "live_person", "id", BAD_ITEMS),
        "Repeat": ("db", "live_repeat", "ref", {"ref": "type: ID", "note": "type: String"}),
        "Gone": ("db", "live_nowhere", "id", {"id": "type: ID"}),
    }
    return catalog_text({"db": (kind, url)}, resources)


def sql_expected(path: str, text: str, types: dict[str, str]) -> list[str]:
    """The problems of ``bad_text`` on a SQL source whose columns are of ``types``."""
    return [
        f"{path}:{line(text, 'nick:')}: column 'nickname' of item 'nick' of resource 'Person' does not exist "
        f"in table 'live_person' (hint: did you mean 'name'? its columns are: "
        "'id', 'name', 'age', 'born', 'score', 'active', 'seen')",
        f"{path}:{line(text, '  name: {type: Int')}: item 'name' of resource 'Person' is Int, but column 'name' "
        f"of table 'live_person' is {types['name']} (hint: a {types['name']} column serves ID or String items: "
        "change the item's type, or its column)",
        f"{path}:{line(text, 'label:')}: item 'label' of resource 'Person' is Date, but column 'name' "
        f"of table 'live_person' is {types['name']} (hint: a {types['name']} column serves ID or String items: "
        "change the item's type, or its column)",
        f"{path}:{line(text, 'ageText:')}: item 'ageText' of resource 'Person' is String, but column 'age' "
        f"of table 'live_person' is {types['age']} (hint: a {types['age']} column serves {types['age items']} "
        "items: change the item's type, or its column)",
        f"{path}:{line(text, 'key: ref', 'Repeat:')}: key 'ref' of resource 'Repeat' is not unique at the source: "
        "column 'ref' of table 'live_repeat' holds a value more than once, or none (hint: the key must name one "
        "record: choose a unique column as key, or correct the data (a unique constraint keeps it so))",
        f"{path}:{line(text, 'table: live_nowhere')}: table 'live_nowhere' of resource 'Gone' does not exist at "
        "source 'db' (hint: check the name (with its schema where there is one, e.g. public.person), "
        "or create the table)",
    ]


# -- SQL sources -------------------------------------------------------------------

SQL_KINDS = [
    pytest.param("sqlite_url", {"name": "VARCHAR(40)", "age": "BIGINT", "age items": "ID, Int or Float"},
                 id="sqlite"),
    pytest.param("postgres_source", {"name": "VARCHAR(40)", "age": "BIGINT", "age items": "Int or Float"},
                 id="postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb_source", {"name": "VARCHAR(40)", "age": "BIGINT(20)", "age items": "ID, Int or Float"},
                 id="mariadb", marks=pytest.mark.mariadb),
]  # fmt: skip


@pytest.mark.parametrize(("source", "types"), SQL_KINDS)
async def test_a_good_catalog_passes(
    source: str, types: dict[str, str], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue(source)
    _, catalog = write(tmp_path, catalog_text({"db": ("sql", url)}, good()))
    report = await live(catalog)
    assert (report.problems, report.tables, report.sources) == ([], 2, 1)


@pytest.mark.parametrize(("source", "types"), SQL_KINDS)
async def test_every_problem_at_its_line(
    source: str, types: dict[str, str], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    text = bad_text("sql", request.getfixturevalue(source))
    path, catalog = write(tmp_path, text)
    report = await live(catalog)
    assert [str(p) for p in report.problems] == sql_expected(path, text, types)
    assert (report.tables, report.sources) == (3, 1)


@pytest.mark.postgres
async def test_an_id_on_an_integer_column_is_a_mismatch_on_postgres(postgres_source: str, tmp_path: Path) -> None:
    # PostgreSQL has no `integer = varchar`: every lookup of such an ID would fail.
    items = {**PERSON, "ageId": "column: age, type: ID"}
    text = catalog_text({"db": ("sql", postgres_source)}, {"Person": ("db", "live_person", "id", items)})
    path, catalog = write(tmp_path, text)
    [problem] = (await live(catalog)).problems
    assert str(problem) == (
        f"{path}:{line(text, 'ageId:')}: item 'ageId' of resource 'Person' is ID, but column 'age' of table "
        "'live_person' is BIGINT (hint: a BIGINT column serves Int or Float items: change the item's type, "
        "or its column)"
    )


async def test_sqlite_reads_declared_types_by_affinity(tmp_path: Path) -> None:
    file = tmp_path / "odd.db"
    with sqlite3.connect(file) as db:
        db.execute("CREATE TABLE odd (id TEXT, n POINT, s BIGCHARS, anything, x WIBBLE)")
        db.execute("INSERT INTO odd VALUES ('a', 1, 's', x'00', 2.5)")
    items = {
        "id": "type: ID",
        "n": "type: Int",  # POINT holds INT: integer affinity
        "s": "type: String",  # CHAR: text
        "anything": "type: Date",  # no declared type: anything goes
        "x": "type: Float",  # NUMERIC affinity
        "caps": "column: N, type: Int",  # SQLite's column names match whatever their case
    }
    _, catalog = write(
        tmp_path, catalog_text({"db": ("sql", f"sqlite:///{file}")}, {"Odd": ("db", "odd", "id", items)})
    )
    assert (await live(catalog)).problems == []


async def test_an_unreachable_source_is_a_problem_at_its_line(sqlite_url: str, tmp_path: Path) -> None:
    down = f"postgresql://govshare:secret@127.0.0.1:{free_port()}/nowhere"
    missing = f"sqlite:///{tmp_path}/no/such.db"
    text = catalog_text(
        {"db": ("sql", sqlite_url), "down": ("sql", down), "missing": ("sql", missing)},
        {**good(), "Other": ("down", "live_person", "id", {"id": "type: ID"}),
         "Third": ("missing", "live_person", "id", {"id": "type: ID"})},
    )  # fmt: skip
    path, catalog = write(tmp_path, text)
    report = await live(catalog)
    hint = "(hint: check that the source is up, and its url and credentials)"
    assert [str(p) for p in report.problems] == [
        f"{path}:{line(text, '  down:')}: source 'down' cannot be reached: cannot connect (ConnectionRefusedError) "
        + hint,
        f"{path}:{line(text, '  missing:')}: source 'missing' cannot be reached: cannot connect (FileNotFoundError) "
        + hint,
    ]
    assert (report.tables, report.sources) == (2, 1)


# -- an HTTP source (no describe: a sample read through select) ----------------------


async def test_an_http_source_good_and_bad(api_url: str, tmp_path: Path) -> None:
    _, catalog = write(tmp_path, catalog_text({"api": ("http", api_url)}, good("api")))
    report = await live(catalog)
    assert (report.problems, report.tables, report.sources) == ([], 2, 1)

    text = bad_text("http", api_url)
    path, catalog = write(tmp_path, text)
    report = await live(catalog)
    assert [str(p) for p in report.problems] == [
        f"{path}:{line(text, 'nick:')}: field 'nickname' of item 'nick' of resource 'Person' is not in "
        "collection 'live_person' (HTTP 400) (hint: check the field name at the source)",
        f"{path}:{line(text, '  name: {type: Int')}: item 'name' of resource 'Person' is Int, but field 'name' "
        "of collection 'live_person' holds values that do not read as one (hint: change the item's type to the "
        "one the source's values have, or correct them at the source)",
        f"{path}:{line(text, 'label:')}: item 'label' of resource 'Person' is Date, but field 'name' of "
        "collection 'live_person' holds values that do not read as one (hint: change the item's type to the "
        "one the source's values have, or correct them at the source)",
        # A String reads any JSON value, so ageText passes; the repeated key shows within the sample.
        f"{path}:{line(text, 'key: ref', 'Repeat:')}: key 'ref' of resource 'Repeat' is not unique at the source: "
        "field 'ref' of collection 'live_repeat' holds a value more than once, or none (hint: the key must name "
        "one record (seen in the first 3 records))",
        f"{path}:{line(text, 'table: live_nowhere')}: collection 'live_nowhere' of resource 'Gone' does not "
        "exist at source 'db' (hint: check the name of the collection at the source)",
    ]


# -- the compatibility rule ---------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "dialect", "serves"),
    [
        ("VARCHAR(40)", "postgresql", {ItemType.ID, ItemType.STRING}),
        ("LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", "mariadb", {ItemType.ID, ItemType.STRING}),
        ("INTEGER", "postgresql", {ItemType.INT, ItemType.FLOAT}),
        ("BIGINT(20) UNSIGNED", "mariadb", {ItemType.INT, ItemType.FLOAT, ItemType.ID}),
        ("TINYINT(1)", "mariadb", {ItemType.BOOLEAN, ItemType.INT}),
        ("TINYINT(4)", "mariadb", {ItemType.INT, ItemType.FLOAT, ItemType.ID}),
        ("NUMERIC(10, 2)", "postgresql", {ItemType.FLOAT}),
        ("BOOLEAN", "sqlite", {ItemType.BOOLEAN}),
        ("DATE", "mariadb", {ItemType.DATE}),
        ("TIMESTAMP WITH TIME ZONE", "postgresql", {ItemType.DATETIME}),
        ("DATETIME(6)", "mariadb", {ItemType.DATETIME}),
        ("UUID", "postgresql", set()),
        ("FLOATING POINT", "sqlite", {ItemType.INT, ItemType.FLOAT, ItemType.ID}),  # "INT" comes first
        ("", "sqlite", None),
    ],
)
def test_which_column_types_serve_which_items(type_name: str, dialect: str, serves: set[ItemType] | None) -> None:
    assert sql_item_types(type_name, dialect) == (None if serves is None else frozenset(serves))


# -- the command ---------------------------------------------------------------------


@pytest.fixture
def clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's settings are its defaults: no GOVSHARE_* variables, no govshare.env."""
    for name in [n for n in os.environ if n.startswith("GOVSHARE_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.usefixtures("clean")
def test_the_command(sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = write(tmp_path, catalog_text({"db": ("sql", sqlite_url)}, good()))
    assert main(["check", path, "--live", "--dir", str(tmp_path / "data")]) == 0
    assert capsys.readouterr() == ("OK: 2 resources from 1 departments\nlive: 2 tables checked on 1 sources\n", "")

    text = catalog_text({"db": ("sql", sqlite_url)}, {"Person": ("db", "live_persons", "id", PERSON)})
    path, _ = write(tmp_path, text)
    assert main(["check", path, "--live"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{path}:{line(text, 'table: live_persons')}: table 'live_persons' of resource 'Person' does not exist "
        "at source 'db' (hint: check the name (with its schema where there is one, e.g. public.person), "
        "or create the table)"
    ]
    # Without --live the sources are not looked at.
    assert main(["check", path]) == 0
    assert capsys.readouterr().out == "OK: 1 resources from 1 departments\n"


@pytest.mark.usefixtures("clean")
def test_a_source_that_cannot_be_opened(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = catalog_text({"db": ("sql", "not a url")}, {"Person": ("db", "live_person", "id", PERSON)})
    path, _ = write(tmp_path, text)
    assert main(["check", path, "--live", "--dir", str(tmp_path / "data")]) == 1
    assert capsys.readouterr().err == (
        f"{path}:{line(text, '  db:')}: source 'db': cannot use this URL (ValueError) "
        "(hint: correct the source's url or options)\n"
    )
