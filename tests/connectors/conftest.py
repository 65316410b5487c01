"""The conformance world: one table with the same rows in every kind of source.

``connector`` is parametrized over SQLite (aiosqlite, temporary file),
PostgreSQL and MariaDB (fresh databases, see tests/services.py), DuckDB (a temporary
file; a dialect without an asyncio driver, so its statements run in threads), HTTP (the
reference API over a SQLite file, served by uvicorn) and GraphQL (a Hasura-style API over a
SQLite file, tests/connectors/graphql_source.py). To run the suite against
a new connector, add a kind here: a target fixture and a branch in
``open_kind``/``unreachable``/``hold_lock``.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Double, MetaData, String, Table, create_engine, text
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.asyncio import create_async_engine

from govshare.catalog.model import ItemType, Source
from govshare.connectors import Connector, TableRef, open_connector
from govshare.connectors.reference_api import make_source_app
from govshare.connectors.sql import async_url
from tests.connectors.graphql_source import make_graphql_app
from tests.services import run_async, serve_app

COLUMNS = {
    "id": ItemType.ID,
    "name": ItemType.STRING,
    "n": ItemType.INT,
    "x": ItemType.FLOAT,
    "flag": ItemType.BOOLEAN,
    "day": ItemType.DATE,
    "at": ItemType.DATETIME,
}
TABLE = TableRef("items", "id", COLUMNS)

# Lowercase ASCII so that every collation agrees; '%', '_' and '/' exercise LIKE escaping.
_NAMES = ["alpha", "beta", "gamma", "a_b", "a%b", "ab", "a/b", "abc", "b_", "%"]
_FLOATS = [0.1, -2.5, 3.14159, 1e10, 0.0, -0.001, 2.5]


def _row(i: int) -> dict[str, Any]:
    start = datetime(2024, 3, 1, 8, 30)
    return {
        "id": f"k{i:03d}",
        "name": None if i % 9 == 4 else _NAMES[(i * 7) % len(_NAMES)],
        "n": None if i % 6 == 5 else 2**40 if i == 13 else (i * 7) % 11 - 5,
        "x": None if i % 8 == 3 else _FLOATS[i % len(_FLOATS)],
        "flag": None if i % 5 == 2 else i % 3 == 0,
        "day": None if i % 7 == 6 else date(2024, 1, 1) + timedelta(days=(i * 5) % 17),
        "at": None if i % 10 == 9 else start + timedelta(hours=(i * 11) % 23, microseconds=(i * 37) % 5 * 125_001),
    }


ROWS: list[dict[str, Any]] = [_row(i) for i in range(40)]

_metadata = MetaData()
_items = Table(
    "items",
    _metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(32)),
    Column("n", BigInteger),
    Column("x", Double),
    Column("flag", Boolean),
    Column("day", Date),
    # MariaDB drops microseconds unless asked to keep them; DuckDB parses a bare AT as a keyword.
    Column("at", DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"), quote=True),
)


def load(url: str) -> None:
    """Create the table with ROWS in the database at ``url``."""
    if not async_url(url).get_dialect().is_async:  # no asyncio driver (DuckDB)
        sync = create_engine(url)
        try:
            with sync.begin() as conn:
                _metadata.create_all(conn)
                conn.execute(_items.insert(), ROWS)
        finally:
            sync.dispose()
        return

    async def go() -> None:
        engine = create_async_engine(async_url(url))
        try:
            async with engine.begin() as conn:
                await conn.run_sync(_metadata.create_all)
                await conn.execute(_items.insert(), ROWS)
        finally:
            await engine.dispose()

    run_async(go)


@dataclass(frozen=True)
class Target:
    """Where a kind of source finds the table; ``file`` is the SQLite file behind it, if any."""

    kind: str
    url: str
    file: Path | None = None


@pytest.fixture(scope="session")
def sqlite_target(tmp_path_factory: pytest.TempPathFactory) -> Target:
    file = tmp_path_factory.mktemp("sqlite") / "items.db"
    load(f"sqlite:///{file}")
    return Target("sqlite", f"sqlite:///{file}", file)


@pytest.fixture(scope="session")
def postgres_target(postgres_url: str) -> Target:
    load(postgres_url)
    return Target("postgres", postgres_url)


@pytest.fixture(scope="session")
def mariadb_target(mariadb_url: str) -> Target:
    load(mariadb_url)
    return Target("mariadb", mariadb_url)


@pytest.fixture(scope="session")
def duckdb_target(tmp_path_factory: pytest.TempPathFactory) -> Target:
    url = f"duckdb:///{tmp_path_factory.mktemp('duckdb') / 'items.duckdb'}"
    load(url)
    return Target("duckdb", url)


@pytest.fixture(scope="session")
def http_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    file = tmp_path_factory.mktemp("http") / "items.db"
    load(f"sqlite:///{file}")
    with serve_app(make_source_app(file, {"items": "id"})) as base_url:
        yield Target("http", base_url, file)


@pytest.fixture(scope="session")
def graphql_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    file = tmp_path_factory.mktemp("graphql") / "items.db"
    load(f"sqlite:///{file}")
    with serve_app(make_graphql_app(file)) as base_url:
        yield Target("graphql", f"{base_url}/graphql", file)


@pytest.fixture(
    params=[
        pytest.param("sqlite"),
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
        pytest.param("duckdb"),
        pytest.param("http"),
        pytest.param("graphql"),
    ]
)
def target(request: pytest.FixtureRequest) -> Target:
    found: Target = request.getfixturevalue(f"{request.param}_target")
    return found


_SERVICES = ("http", "graphql")  # kinds of source that are HTTP services


def open_kind(kind: str, url: str, timeout: float) -> Connector:
    """A connector as the gateway opens it: from a catalog source with options, for the table."""
    options: dict[str, object] = {"timeout": timeout}
    if kind not in _SERVICES:
        options = {"statement_timeout": timeout, "connect_timeout": timeout, "pool_size": 4}
    source = Source("conformance", "test", kind if kind in _SERVICES else "sql", url, options)
    return open_connector(source, tables=[TABLE])


@pytest.fixture
async def connector(target: Target) -> AsyncIterator[Connector]:
    conn = open_kind(target.kind, target.url, 10.0)
    await conn.prepare()  # as the gateway does before serving
    yield conn
    await conn.close()


@pytest.fixture
async def connect(target: Target) -> AsyncIterator[Callable[[str, float], Connector]]:
    """Open more connectors of the target's kind (to other URLs); all closed afterwards."""
    opened: list[Connector] = []

    def make(url: str, timeout: float) -> Connector:
        opened.append(open_kind(target.kind, url, timeout))
        return opened[-1]

    yield make
    for conn in opened:
        await conn.close()


@contextmanager
def silent_port() -> Iterator[int]:
    """A local port that accepts connections (the kernel completes the handshake)
    but never answers."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        port: int = sock.getsockname()[1]
        yield port


def unreachable(kind: str, port: int, tmp_path: Path) -> str:
    """A URL of this kind whose source is not there (nothing listens on ``port``)."""
    return {
        "sqlite": f"sqlite:///{tmp_path}/missing/dir/items.db",
        "postgres": f"postgresql://postgres:secret@127.0.0.1:{port}/test",
        "mariadb": f"mysql://root:secret@127.0.0.1:{port}/test",
        "duckdb": f"duckdb:///{tmp_path}/missing/dir/items.duckdb",
        "http": f"http://127.0.0.1:{port}/api",
        "graphql": f"http://127.0.0.1:{port}/graphql",
    }[kind]


@asynccontextmanager
async def hold_lock(target: Target) -> AsyncIterator[None]:
    """Keep the table locked by another session, so that reading it blocks.

    DuckDB has no lock a reader waits for (readers see a snapshot, and another process
    cannot open the file at all): the table gives way to a view that takes minutes to read.
    """
    if target.kind == "duckdb":
        with _slow_table(target.url):
            yield
        return
    if target.file is not None:
        with closing(sqlite3.connect(target.file, isolation_level=None)) as db:
            db.execute("BEGIN EXCLUSIVE")
            yield
            db.execute("ROLLBACK")
        return
    engine = create_async_engine(target.url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            if target.kind == "postgres":
                await conn.execute(text("BEGIN"))
                await conn.execute(text("LOCK TABLE items IN ACCESS EXCLUSIVE MODE"))
                yield
                await conn.execute(text("ROLLBACK"))
            else:
                await conn.execute(text("LOCK TABLES items WRITE"))
                yield
                await conn.execute(text("UNLOCK TABLES"))
    finally:
        await engine.dispose()


@contextmanager
def _slow_table(url: str) -> Iterator[None]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE items RENAME TO items_held"))
            # One uncorrelated count over 10**11 numbers, that DuckDB cannot answer from the range's size.
            slow = "(SELECT count(*) FROM range(100000000000) AS t(r) WHERE r % 7 = 3)"
            conn.execute(text(f"CREATE VIEW items AS SELECT * FROM items_held WHERE {slow} >= 0"))
        try:
            yield
        finally:
            with engine.begin() as conn:
                conn.execute(text("DROP VIEW items"))
                conn.execute(text("ALTER TABLE items_held RENAME TO items"))
    finally:
        engine.dispose()
