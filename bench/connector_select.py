"""Micro-benchmark of the SQL connector's hot path on PostgreSQL.

Creates its own database (``govshare_bench_conn``, dropped at the end), loads
generated persons and licences (two licences per person, indexed by holder) and
times, through ``SqlConnector.select`` one request after another:

- **lookup** — a person by key, then the person's licences by holder (two
  statements, keys as a DataLoader sends them: ``in`` with one value);
- **batch** — the licences of 1,000 holders (``in`` with 1,000 keys);
- **first per holder** — the first licence of each of 1,000 holders (``per``).

It reports wall-clock µs per statement and the CPU this process spent per
statement (the connector's own cost; the database runs in another process),
and how PostgreSQL plans and runs 1,000 keys as ``IN ($1, …, $1000)`` and as
``= ANY($1::VARCHAR[])`` (``EXPLAIN ANALYZE``, median of a few runs).
The script only uses the connector's public interface, so running it on two
commits compares them::

    uv run python bench/connector_select.py [--persons N] [--seconds S] [--admin URL]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

import govshare
from govshare.catalog.model import ItemType
from govshare.connectors import Cmp, OrderKey, Select, SqlConnector, TableRef

DATABASE = "govshare_bench_conn"
PERSON = TableRef(
    "person",
    "person_id",
    {"person_id": ItemType.ID, "name": ItemType.STRING, "birth_date": ItemType.DATE, "district": ItemType.STRING},
)
LICENCE = TableRef(
    "licence",
    "licence_id",
    {
        "licence_id": ItemType.ID,
        "holder_id": ItemType.ID,
        "kind": ItemType.STRING,
        "issued_on": ItemType.DATE,
        "valid": ItemType.BOOLEAN,
    },
)
_SCHEMA = [
    "CREATE TABLE person (person_id text PRIMARY KEY, name text, birth_date date, district text)",
    "CREATE TABLE licence (licence_id text PRIMARY KEY, holder_id text NOT NULL, kind text, issued_on date, "
    "valid boolean)",
    # Persons p0000001…; licence i belongs to person (i * 7919) mod N + 1: two each, spread over the table.
    "INSERT INTO person SELECT 'p' || lpad(i::text, 7, '0'), 'name ' || i, date '1950-01-01' + i % 20000, "
    "'district ' || i % 10 FROM generate_series(1, :persons) i",
    "INSERT INTO licence SELECT 'l' || lpad(i::text, 8, '0'), "
    "'p' || lpad(((i::bigint * 7919) % :persons + 1)::text, 7, '0'), 'kind ' || i % 7, "
    "date '2000-01-01' + i % 9000, i % 5 <> 0 FROM generate_series(1, 2 * :persons) i",
    "CREATE INDEX licence_holder ON licence (holder_id)",
    "ANALYZE",
]


def _key(n: int) -> str:
    return f"p{n:07d}"


async def _admin(url: str, *statements: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


async def _load(url: str, persons: int) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in _SCHEMA:
                await conn.execute(sa.text(statement), {"persons": persons} if ":persons" in statement else {})
    finally:
        await engine.dispose()


async def _measure(
    name: str, statements: int, call: Callable[[], Awaitable[int]], seconds: float, rounds: int
) -> dict[str, Any]:
    """Median µs and CPU µs per statement over ``rounds`` runs of about ``seconds`` each."""
    for _ in range(20):  # warm-up: pool connections, compiled and prepared statements
        await call()
    walls: list[float] = []
    cpus: list[float] = []
    rows = 0
    for _ in range(rounds):
        done = 0
        wall, cpu = time.perf_counter(), time.process_time()
        while time.perf_counter() - wall < seconds:
            rows += await call()
            done += statements
        walls.append((time.perf_counter() - wall) / done * 1e6)
        cpus.append((time.process_time() - cpu) / done * 1e6)
    return {"name": name, "us": statistics.median(walls), "cpu_us": statistics.median(cpus), "rows": rows}


async def _plans(url: str, keys: list[list[str]]) -> list[tuple[str, str, float]]:
    """(form, top plan nodes, median execution ms) of the licences of 1,000 holders, both forms."""
    columns = ", ".join(LICENCE.columns)
    listed = ", ".join(f"${i + 1}" for i in range(len(keys[0])))
    forms = {
        "IN ($1, …, $1000)": (f"SELECT {columns} FROM licence WHERE holder_id IN ({listed}) ORDER BY licence_id", True),
        "= ANY ($1::VARCHAR[])": (
            f"SELECT {columns} FROM licence WHERE holder_id = ANY ($1::VARCHAR[]) ORDER BY licence_id",
            False,
        ),
    }
    engine = create_async_engine(url)
    found = []
    try:
        async with engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            for form, (sql, spread) in forms.items():
                times, nodes = [], ""
                for batch in keys:
                    args = batch if spread else [batch]
                    answer = await driver.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args)
                    # SQLAlchemy's asyncpg set-up may already decode json.
                    [plan] = orjson.loads(answer) if isinstance(answer, str | bytes) else answer
                    times.append(plan["Execution Time"])
                    nodes = " > ".join(_node_types(plan["Plan"]))
                found.append((form, nodes, statistics.median(times)))
    finally:
        await engine.dispose()
    return found


def _node_types(node: dict[str, Any]) -> list[str]:
    """The plan's node types, top down along the first child."""
    found = [node["Node Type"]]
    children = node.get("Plans") or []
    return found + (_node_types(children[0]) if children else [])


async def run(
    admin: str, persons: int, seconds: float, rounds: int
) -> tuple[list[dict[str, Any]], list[tuple[str, str, float]]]:
    base = sa.make_url(admin)
    url = base.set(database=DATABASE).render_as_string(hide_password=False)
    await _admin(admin, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", f"CREATE DATABASE {DATABASE}")
    connector = SqlConnector("bench", url)
    try:
        started = time.perf_counter()
        await _load(url, persons)
        print(f"loaded {persons:,} persons, {2 * persons:,} licences in {time.perf_counter() - started:.1f} s")
        pick = random.Random(7)
        by_licence = (OrderKey("licence_id"),)

        async def lookup() -> int:
            key = _key(pick.randint(1, persons))
            person = Select(PERSON, tuple(PERSON.columns), Cmp("person_id", "in", (key,)), (OrderKey("person_id"),))
            licences = Select(LICENCE, tuple(LICENCE.columns), Cmp("holder_id", "in", (key,)), by_licence)
            return len(await connector.select(person)) + len(await connector.select(licences))

        def holders() -> tuple[str, ...]:
            return tuple(_key(n) for n in pick.sample(range(1, persons + 1), 1000))

        async def batch() -> int:
            request = Select(LICENCE, tuple(LICENCE.columns), Cmp("holder_id", "in", holders()), by_licence)
            return len(await connector.select(request))

        async def first_per_holder() -> int:
            where = Cmp("holder_id", "in", holders())
            request = Select(LICENCE, tuple(LICENCE.columns), where, by_licence, None, 1, "holder_id")
            return len(await connector.select(request))

        results = [
            await _measure("lookup (person + licences by key)", 2, lookup, seconds, rounds),
            await _measure("batch (licences of 1,000 holders)", 1, batch, seconds, rounds),
            await _measure("first licence per holder (1,000)", 1, first_per_holder, seconds, rounds),
        ]
        plans = await _plans(url, [list(holders()) for _ in range(7)])
    finally:
        await connector.close()
        await _admin(admin, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    return results, plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one measured round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"govshare from {govshare.__file__}")
    results, plans = asyncio.run(run(args.admin, args.persons, args.seconds, args.rounds))
    print(f"{'scenario':<38} {'µs/statement':>13} {'CPU µs/statement':>17}")
    for r in results:
        print(f"{r['name']:<38} {r['us']:>13.0f} {r['cpu_us']:>17.0f}")
    print("PostgreSQL, licences of 1,000 holders:")
    for form, nodes, ms in plans:
        print(f"  {form:<24} {ms:7.2f} ms  {nodes}")


if __name__ == "__main__":
    main()
