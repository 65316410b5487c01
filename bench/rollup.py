"""Sharing statistics on a log of 1,000,000 audit records (PostgreSQL platform store).

    uv run python -m bench.rollup                      # 1,000,000 records over 2026 (~5 min)
    uv run python -m bench.rollup --records 20000      # a quick check that it all runs

It creates (and drops, unless ``--keep-db``) a platform database, writes ``--records``
generated records through the audit log itself (hash chain, batches of 500, spread over the
year), counts them (``audit.statistics.roll_up``), then: the totals are compared with counts
recomputed in SQL straight from ``audit_records`` (operations per China day and dimension,
decided items expanded from the records' JSON); a second count is killed (SIGKILL) half-way
after more records arrive and a third finishes it, compared again; and five statistics queries
are timed (median of 20 runs each).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import itertools
import random
import signal
import statistics as stats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import asyncpg
from sqlalchemy import text

from govshare.audit import statistics
from govshare.audit.keys import ResultKeys
from govshare.audit.log import AuditLog
from govshare.audit.record import AuditRecord
from govshare.audit.statistics import ITEM_KEYS, OPERATION_KEYS, Query
from govshare.store.database import migrate, store_engine

SERVER = "postgresql://postgres@127.0.0.1:5432"
PROVIDERS = {"Person": "police", "LegalEntity": "market", "License": "elicense", "LandParcel": "natres",
             "SocialInsurance": "hrss", "CreditRecord": "ndrc", "HealthRecord": "health"}  # fmt: skip
DEPARTMENTS = ("police", "market", "elicense", "natres", "hrss", "ndrc", "health", "bigdata", "civil", "tax")
YEAR = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC) - datetime.timedelta(hours=8)  # China midnight
COUNT = f"""
import asyncio, sys
from govshare.audit import statistics
from govshare.store.database import store_engine
async def main():
    engine = store_engine(sys.argv[1])
    await statistics.roll_up(engine, {PROVIDERS!r}, chunk=2000)
asyncio.run(main())
"""


# Each resource: 5 unconditional items and 3 conditional ones; each department reads a few
# resources under a purpose or two, and holds grants for some conditional items (as a platform has).
UNCONDITIONAL = tuple(f"item{n}" for n in range(5))
CONDITIONAL = ("item5", "item6", "item7")
PURPOSES = ("work_reference", "administrative_basis", "data_verification", "business_collaboration")


Habits = dict[str, tuple[list[str], list[str], dict[tuple[str, str, str], str]]]


def habits(rng: random.Random) -> Habits:
    """Per department: the resources it reads, its purposes, and its grants ((resource, item, purpose) → id)."""
    found = {}
    grant = 0
    for department in DEPARTMENTS:
        resources = rng.sample(sorted(PROVIDERS), 3)
        purposes = rng.sample(PURPOSES, 2)
        grants = {}
        for resource in resources:
            for item in rng.sample(CONDITIONAL, 2):
                grant += 1
                grants[(resource, item, rng.choice(purposes))] = f"grant:{grant}"
        found[department] = (resources, purposes, grants)
    return found


def record(rng: random.Random, habit: Habits) -> AuditRecord:
    department = rng.choice(DEPARTMENTS)
    resources, purposes, grants = habit[department]
    purpose = rng.choice(purposes)
    decisions = []
    for resource in rng.sample(resources, rng.choice((0, 1, 1, 2))):
        for item in rng.sample(UNCONDITIONAL, 3):
            decisions.append([resource, item, "allow", "unconditional"])
        for item in rng.sample(CONDITIONAL, rng.choice((0, 1))):
            granted = grants.get((resource, item, purpose))
            effect = rng.choice(("allow", "mask")) if granted else "deny"
            decisions.append([resource, item, effect, granted or "none"])
    denied = any(d[2] == "deny" for d in decisions)
    return AuditRecord(
        kind=rng.choices(("query", "mutation", "export", "cli"), (90, 6, 3, 1))[0],
        outcome="partial" if denied else rng.choices(("answered", "rejected"), (95, 5))[0],
        department=department,
        purpose=purpose,
        decisions=sorted(decisions),
        sources={"db": {"statements": 2, "rows": rng.randint(0, 200)}} if decisions else {},
    )


async def write_log(url: str, count: int, seed: int, start: datetime.datetime, span: datetime.timedelta) -> None:
    rng = random.Random(seed)
    habit = habits(random.Random(0))  # the same departments' habits in every part of the log
    batches = max(1, count // 500)
    # Each batch a little later than the one before (the log asks for its moment once per batch, or more).
    moments = (start + span * min(n, batches) / batches for n in itertools.count())
    keys = ResultKeys(Path(tempfile.mkdtemp()) / "keys.json", "bench-statistics")
    log = AuditLog(store_engine(url), b"bench", keys, now=lambda: next(moments))
    try:
        for first in range(0, count, 500):
            await asyncio.gather(*(log.append(record(rng, habit)) for _ in range(min(500, count - first))))
    finally:
        await log.close()
        await log.engine.dispose()


RECOUNT_OPERATIONS = """
SELECT to_char(recorded_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day, coalesce(department, ''), kind,
       coalesce(purpose, ''), outcome, count(*)
FROM audit_records GROUP BY 1, 2, 3, 4, 5
"""
RECOUNT_ITEMS = """
SELECT to_char(recorded_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), coalesce(department, ''), d->>0, d->>1,
       coalesce(purpose, ''), d->>2, d->>3, outcome, count(*)
FROM audit_records, jsonb_array_elements(decisions::jsonb) AS d GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
"""


async def agree(url: str) -> bool:
    """Whether the rolled-up totals equal the counts recomputed in SQL from the records."""
    engine = store_engine(url)
    try:
        async with engine.connect() as conn:
            ops = Counter({tuple(r[:-1]): r[-1] for r in (await conn.execute(text(RECOUNT_OPERATIONS))).all()})
            raw = (await conn.execute(text(RECOUNT_ITEMS))).all()
        items = Counter({(r[0], r[1], PROVIDERS[r[2]], *r[2:-1]): r[-1] for r in raw})
        span = Query(datetime.date(2025, 1, 1), datetime.date(2027, 12, 31), "day", OPERATION_KEYS)
        rolled_ops = Counter({(r["period"], *(r[k] for k in OPERATION_KEYS)): r["operations"]
                              for r in await statistics.operations(engine, span)})  # fmt: skip
        span = Query(span.since, span.until, "day", ITEM_KEYS)
        rolled_items = Counter({(r["period"], *(r[k] for k in ITEM_KEYS)): r["operations"]
                                for r in await statistics.items(engine, span)})  # fmt: skip
    finally:
        await engine.dispose()
    return ops == rolled_ops and items == rolled_items


async def timed_queries(url: str) -> dict[str, float]:
    year = (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    queries = {
        "operations of the year by department": (statistics.operations, Query(*year, None, ("department",))),
        "operations by month × department × outcome": (
            statistics.operations, Query(*year, "month", ("department", "outcome"))),
        "items of the year by resource × item × effect": (
            statistics.items, Query(*year, None, ("resource", "item", "effect"))),
        "one department's items by month (dept_admin)": (
            statistics.items, Query(*year, "month", ("resource", "effect"), "market")),
        "use of each grant in the year": (statistics.items, Query(*year, None, ("basis",))),
    }  # fmt: skip
    engine = store_engine(url)
    results: dict[str, float] = {}
    try:
        for name, (read, query) in queries.items():
            await read(engine, query)
            times = []
            for _ in range(20):
                started = time.perf_counter()
                await read(engine, query)
                times.append((time.perf_counter() - started) * 1000)
            results[name] = stats.median(times)
    finally:
        await engine.dispose()
    return results


async def roll_up(url: str) -> tuple[int, float]:
    engine = store_engine(url)
    try:
        started = time.perf_counter()
        counted = await statistics.roll_up(engine, PROVIDERS)
        return counted, time.perf_counter() - started
    finally:
        await engine.dispose()


async def _migrate(url: str) -> None:
    engine = store_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


async def administer(statement: str) -> None:
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--database", default="govshare_bench_stats")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    url = f"{SERVER}/{args.database}"
    asyncio.run(administer(f"DROP DATABASE IF EXISTS {args.database}"))
    asyncio.run(administer(f"CREATE DATABASE {args.database}"))
    try:
        asyncio.run(_migrate(url))
        started = time.perf_counter()
        asyncio.run(write_log(url, args.records, 1, YEAR, datetime.timedelta(days=365)))
        written = time.perf_counter() - started
        counted, seconds = asyncio.run(roll_up(url))
        first = asyncio.run(agree(url))
        more = max(args.records // 20, 2000)
        asyncio.run(write_log(url, more, 2, YEAR + datetime.timedelta(days=200), datetime.timedelta(days=10)))
        child = subprocess.Popen([sys.executable, "-c", COUNT, url])
        time.sleep(min(2.0, more / 20_000))
        child.send_signal(signal.SIGKILL)
        child.wait()
        resumed, _ = asyncio.run(roll_up(url))
        second = asyncio.run(agree(url))
        timings = asyncio.run(timed_queries(url))
    finally:
        if not args.keep_db:
            asyncio.run(administer(f"DROP DATABASE IF EXISTS {args.database}"))
    print(f"\n{args.records:,} records written through the audit log in {written:.0f} s; counted in {seconds:.1f} s "
          f"({counted / seconds:,.0f} records/s)")  # fmt: skip
    print(f"totals equal the counts recomputed in SQL: {'yes' if first else 'NO'}")
    print(f"{more:,} more records, a count killed (SIGKILL) half-way, the next counted {resumed:,}: "
          f"totals equal again: {'yes' if second else 'NO'}")  # fmt: skip
    print("\n| statistics query (median of 20) | ms |\n|---|---:|")
    for name, ms in timings.items():
        print(f"| {name} | {ms:.1f} |")
    if not (first and second):
        raise SystemExit("the statistics do not agree with the log")


if __name__ == "__main__":
    main()
