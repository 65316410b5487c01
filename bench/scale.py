"""Scale: the same lookup and a deep keyset page in a small world and a large one.

Both worlds are open in the same process and measured alternately, through
full GraphQL execution (Gateway, as bench/join.py) and as raw SQL on the same
engines, so a slowdown can be told apart from SQLite's own.

The deep page is page 500 of 1,000-row pages of people in their default
order (by ID number); the cursor is computed from the 499,000th ID number with
the public cursor format (resolvers/cursor.py), not by walking 499 pages. A
world too small for page 500 uses its last full page.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.bare import LICENSE_SQL, PERSON_SQL
from bench.http_lookup import sample_keys
from bench.join import CALLER, PERSON_ITEMS, PURPOSE
from govshare.catalog import load_catalog
from govshare.connectors.sql import SqlConnector
from govshare.demo.world import generate_world
from govshare.gateway.executor import Gateway, GraphQLRequest
from govshare.resolvers import cursor
from govshare.runtime import close_runtime, open_runtime
from govshare.schema.build import build_schema
from govshare.settings import Settings

PAGE, DEEP = 1000, 500
LOOKUP = (
    "query PersonLookup($idNumber: ID!) { person(idNumber: $idNumber) { "
    "idNumber name gender ethnicity birthDate district licenses { licenseNumber type issuer issueDate expiryDate "
    "status } } }"
)
PAGE_QUERY = f"query Page($after: String) {{ people(first: {PAGE}, after: $after) {{ nodes {{ {PERSON_ITEMS} }} }} }}"
PERSON_COLUMNS = "id_number, name, gender, ethnicity, birth_date, district, household_type, education"

Call = Callable[[], Awaitable[Any]]


@dataclass
class World:
    persons: int
    gateway: Gateway
    police: AsyncEngine
    elicense: AsyncEngine
    keys: Iterator[str]
    page: int  # the deep page this world has
    last_seen: str | None  # the ID number just before it
    after: str | None  # its cursor
    first_key: str  # the ID number it starts with


async def _run(gateway: Gateway, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    outcome = await gateway.run(GraphQLRequest(query, variables), CALLER, PURPOSE)
    assert "errors" not in outcome.body, outcome.body["errors"][:1]
    return outcome.body["data"]  # type: ignore[no-any-return]


@asynccontextmanager
async def opened(data: Path, persons: int, quick: bool) -> Any:
    catalog = load_catalog(generate_world(data / f"world-{persons}", persons, progress=not quick))
    runtime = await open_runtime(catalog, Settings(data_dir=data / f"platform-{persons}"), poll=False)
    try:
        engines = {n: c._engine for n, c in runtime.connectors.items() if isinstance(c, SqlConnector)}
        page = max(1, min(DEEP, persons // PAGE))
        skipped = (page - 1) * PAGE
        nth = text("SELECT id_number FROM person ORDER BY id_number LIMIT 1 OFFSET :n")
        async with engines["police_db"].connect() as conn:
            first = (await conn.execute(nth, {"n": skipped})).scalar_one()
            last_seen = (await conn.execute(nth, {"n": skipped - 1})).scalar_one() if skipped else None
        person = catalog.resources["Person"]
        # The default ordering is the key alone: to_order() gives ["idNumber"].
        after = cursor.encode(person, ["idNumber"], [last_seen]) if last_seen is not None else None
        keys = itertools.cycle(sample_keys(data / f"world-{persons}", 500, seed=persons))
        yield World(persons, Gateway(runtime, build_schema(catalog)), engines["police_db"], engines["elicense_db"],
                    keys, page, last_seen, after, first)  # fmt: skip
    finally:
        await close_runtime(runtime)


def calls(world: World) -> dict[str, Call]:
    async def lookup() -> Any:
        data = await _run(world.gateway, LOOKUP, {"idNumber": next(world.keys)})
        assert data["person"] is not None

    async def raw_lookup() -> Any:
        key = next(world.keys)
        async with world.police.connect() as conn:
            person = (await conn.execute(PERSON_SQL, {"key": key})).first()
        async with world.elicense.connect() as conn:
            licences = [dict(row._mapping) for row in await conn.execute(LICENSE_SQL, {"key": key})]
        return {**person._mapping, "licenses": licences} if person is not None else None

    async def deep() -> Any:
        nodes = (await _run(world.gateway, PAGE_QUERY, {"after": world.after}))["people"]["nodes"]
        assert nodes[0]["idNumber"] == world.first_key and len(nodes) == min(PAGE, world.persons)

    async def raw_deep() -> Any:
        where = "WHERE id_number > :after " if world.last_seen is not None else ""
        statement = text(f"SELECT {PERSON_COLUMNS} FROM person {where}ORDER BY id_number LIMIT {PAGE + 1}")
        async with world.police.connect() as conn:
            rows = (await conn.execute(statement, {"after": world.last_seen})).all()
        return [dict(row._mapping) for row in rows]

    return {"lookup": lookup, "raw lookup": raw_lookup, "deep": deep, "raw deep": raw_deep}


async def alternated(named: dict[str, Call], reps: int) -> dict[str, float]:
    """Median ms of each call, run in turn after one warm-up each."""
    for call in named.values():
        await call()
    times: dict[str, list[float]] = {name: [] for name in named}
    for _ in range(reps):
        for name, call in named.items():
            started = time.perf_counter()
            await call()
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(t) for name, t in times.items()}


async def scale(data: Path, small: int, large: int, reps: int, *, quick: bool, target: bool) -> list[str]:
    """Rows comparing ``large`` with ``small``; ``target`` says whether the 1.5× target applies (1M vs 10k)."""
    async with opened(data, small, quick) as a, opened(data, large, quick) as b:
        lookups = await alternated(
            {f"{w.persons} {name}": call for w in (a, b) for name, call in calls(w).items() if "lookup" in name},
            reps * 20,  # a lookup takes a millisecond or two: more of them for a steady median
        )
        pages = await alternated(
            {f"{w.persons} {name}": call for w in (a, b) for name, call in calls(w).items() if "deep" in name}, reps
        )
    verdict = "≤ 1.5×" if target else "≤ 1.5× (applies at 1,000,000 vs 10,000)"
    rows = [
        f"| scale (in-process, medians) | {small:,} persons (ms) | {large:,} persons (ms) | ratio "
        "| raw SQL ratio | target | holds |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, found, kind in (
        ("scale: lookup by key + licences", lookups, "lookup"),
        (f"scale: deep page, 1,000 rows by keyset cursor (page {a.page} / page {b.page})", pages, "deep"),
    ):
        ours = found[f"{large} {kind}"] / found[f"{small} {kind}"]
        raw = found[f"{large} raw {kind}"] / found[f"{small} raw {kind}"]
        holds = ("yes" if ours <= 1.5 else "**no**") if target else "n/a"
        rows.append(
            f"| {label} | {found[f'{small} {kind}']:.2f} | {found[f'{large} {kind}']:.2f} | {ours:.2f}× "
            f"| {raw:.2f}× | {verdict} | {holds} |"
        )
    print("\n".join(rows), flush=True)
    return rows
