"""Statistics rolled up from a generated audit log equal the counts recomputed from its records,
however the roll-up is cut: in chunks, after more records arrive, by two processes at once, killed."""

from __future__ import annotations

import asyncio
import datetime
import itertools
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from govshare import clock
from govshare.audit import statistics
from govshare.audit.read import EVERY_RECORD, AuditFilter, all_records
from govshare.audit.record import AuditRecord
from govshare.audit.statistics import ITEM_KEYS, OPERATION_KEYS, Query
from govshare.store.database import store_engine
from tests.audit.conftest import new_log

KEY = b"statistics-tests-key"
PROVIDERS = {"Resident": "civil", "Vehicle": "transport", "Inspection": "transport"}
ITEMS = {"Resident": ("residentId", "phone", "district"), "Vehicle": ("plate", "ownerId"), "Inspection": ("year",)}
DEPARTMENTS = ("civil", "transport", "hub", None)
# Around midnight in China (UTC+8) and across a year's end, so that days and years are told apart.
START = datetime.datetime(2026, 12, 30, 14, 0, tzinfo=datetime.UTC)
SPAN = Query(datetime.date(2026, 1, 1), datetime.date(2027, 12, 31))


def _record(rng: random.Random) -> AuditRecord:
    decisions = []
    for resource in rng.sample(sorted(ITEMS), rng.randint(0, 2)):
        for item in rng.sample(ITEMS[resource], rng.randint(1, len(ITEMS[resource]))):
            effect = rng.choice(("allow", "allow", "mask", "deny"))
            basis = {"allow": "unconditional", "mask": f"grant:{rng.randint(1, 4)}", "deny": "none"}[effect]
            decisions.append([resource, item, effect, basis])
    return AuditRecord(
        kind=rng.choice(("query", "query", "mutation", "export")),
        outcome=rng.choice(("answered", "partial", "rejected")),
        department=rng.choice(DEPARTMENTS),
        purpose=rng.choice(("work_reference", "data_verification", None)),
        decisions=decisions,
        sources={"civil_db": {"statements": 1, "rows": rng.randint(0, 50)}} if decisions else {},
    )


async def _write_log(store_url: str, keyring: Path, count: int, seed: int, first: int = 0) -> None:
    """``count`` generated records from START on, 100 at a time (after ``first`` earlier ones).

    The records of a batch share one moment: each batch is recorded five hours after the one before.
    """
    rng = random.Random(seed)
    moments = (START + datetime.timedelta(hours=5 * n) for n in itertools.count(first // 100))
    log = await new_log(store_url, KEY, keyring, now=lambda: next(moments))
    try:
        for start in range(0, count, 100):  # concurrent appends: the log commits them in batches
            await asyncio.gather(*(log.append(_record(rng)) for _ in range(min(100, count - start))))
    finally:
        await log.close()
        await log.engine.dispose()


async def _recomputed(store_url: str) -> tuple[Counter[tuple[Any, ...]], Counter[tuple[Any, ...]]]:
    """Per (day, …) counts of operations, rows and items, from the raw records."""
    engine = store_engine(store_url)
    operations: Counter[tuple[Any, ...]] = Counter()
    items: Counter[tuple[Any, ...]] = Counter()
    try:
        async for r in all_records(engine, AuditFilter(), EVERY_RECORD):
            assert r.recorded_at is not None
            day = r.recorded_at.astimezone(clock.CHINA).date().isoformat()
            head = (day, r.department or "", r.kind, r.purpose or "", r.outcome)
            operations[(*head, "operations")] += 1
            operations[(*head, "rows")] += sum(s["rows"] for s in r.sources.values())
            for resource, item, effect, basis in r.decisions:
                provider = PROVIDERS[resource]
                items[
                    (day, r.department or "", provider, resource, item, r.purpose or "", effect, basis, r.outcome)
                ] += 1
    finally:
        await engine.dispose()
    return operations, items


async def _rolled(store_url: str) -> tuple[Counter[tuple[Any, ...]], Counter[tuple[Any, ...]]]:
    engine = store_engine(store_url)
    try:
        daily = Query(SPAN.since, SPAN.until, "day", OPERATION_KEYS)
        operations: Counter[tuple[Any, ...]] = Counter()
        for row in await statistics.operations(engine, daily):
            head = (row["period"], *(row[k] for k in OPERATION_KEYS))
            operations[(*head, "operations")] += row["operations"]
            operations[(*head, "rows")] += row["rows"]
        found = await statistics.items(engine, Query(SPAN.since, SPAN.until, "day", ITEM_KEYS))
        items = Counter({(row["period"], *(row[k] for k in ITEM_KEYS)): row["operations"] for row in found})
    finally:
        await engine.dispose()
    return +operations, items


async def _roll_up(store_url: str, chunk: int) -> int:
    engine = store_engine(store_url)
    try:
        return await statistics.roll_up(engine, PROVIDERS, chunk=chunk)
    finally:
        await engine.dispose()


async def test_rolled_up_counts_equal_the_records_counted_again(store_url: str, tmp_path: Path) -> None:
    await _write_log(store_url, tmp_path / "keys.json", 1500, seed=1)
    assert await _roll_up(store_url, chunk=97) == 1500
    expected = await _recomputed(store_url)
    assert len({k[0] for k in expected[0]}) >= 2  # the log spans several China days
    assert await _rolled(store_url) == (+expected[0], expected[1])
    # More records, rolled up again: each counted once.
    await _write_log(store_url, tmp_path / "keys.json", 700, seed=2, first=1500)
    assert await _roll_up(store_url, chunk=500) == 700
    assert await _roll_up(store_url, chunk=500) == 0
    expected = await _recomputed(store_url)
    assert await _rolled(store_url) == (+expected[0], expected[1])


async def test_two_roll_ups_at_once_count_each_record_once(store_url: str, tmp_path: Path) -> None:
    await _write_log(store_url, tmp_path / "keys.json", 1200, seed=3)
    counted = await asyncio.gather(_roll_up(store_url, chunk=50), _roll_up(store_url, chunk=70))
    assert sum(counted) == 1200
    expected = await _recomputed(store_url)
    assert await _rolled(store_url) == (+expected[0], expected[1])


ROLL_UP_IN_STEPS = """
import asyncio, sys
from govshare.audit import statistics
from govshare.store.database import store_engine

async def main():
    engine = store_engine(sys.argv[1])
    while True:
        async with engine.begin() as conn:
            counted = await statistics._step(conn, {providers!r}, 40)
        print(counted, flush=True)  # committed
        if counted == 0:
            return

asyncio.run(main())
"""


async def test_a_roll_up_killed_half_way_resumes_without_counting_twice(store_url: str, tmp_path: Path) -> None:
    await _write_log(store_url, tmp_path / "keys.json", 1000, seed=4)
    script = ROLL_UP_IN_STEPS.format(providers=PROVIDERS)
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", script, store_url, stdout=subprocess.PIPE)
    assert child.stdout is not None
    for _ in range(5):  # five chunks committed; the kill lands wherever the sixth is
        assert (await child.stdout.readline()).strip() == b"40"
    child.send_signal(signal.SIGKILL)
    await child.wait()
    assert 200 <= await _roll_up(store_url, chunk=300) <= 800
    expected = await _recomputed(store_url)
    assert await _rolled(store_url) == (+expected[0], expected[1])


async def test_a_department_sees_what_it_used_and_what_it_provided_by_month(store_url: str, tmp_path: Path) -> None:
    await _write_log(store_url, tmp_path / "keys.json", 800, seed=5)
    await _roll_up(store_url, chunk=5000)
    engine = store_engine(store_url)
    try:
        own = await statistics.items(engine, Query(SPAN.since, SPAN.until, "month", ("department", "provider"),
                                                   department="civil"))  # fmt: skip
        assert own and all("civil" in (row["department"], row["provider"]) for row in own)
        assert {row["period"] for row in own} <= {"2026-12", "2027-01"}
        yearly = await statistics.operations(engine, Query(SPAN.since, SPAN.until, "year"))
    finally:
        await engine.dispose()
    assert [row["period"] for row in yearly] == ["2026", "2027"] and sum(r["operations"] for r in yearly) == 800


async def test_any_span_reads_the_same_from_months_and_days_as_from_days_alone(store_url: str, tmp_path: Path) -> None:
    """Whole months are read from their month rows, the edges from day rows: the sums never differ."""
    await _write_log(store_url, tmp_path / "keys.json", 2000, seed=6)  # 2026-12-30 … 2027-01-03 (China)
    await _roll_up(store_url, chunk=5000)
    engine = store_engine(store_url)
    days = st.dates(datetime.date(2026, 11, 25), datetime.date(2027, 2, 5))

    @settings(max_examples=40, deadline=None)
    @given(since=days, length=st.integers(0, 70), by=st.sampled_from((None, "month", "year")),
           group=st.lists(st.sampled_from(ITEM_KEYS), max_size=3, unique=True))  # fmt: skip
    def check(since: datetime.date, length: int, by: str | None, group: list[str]) -> None:
        until = since + datetime.timedelta(days=length)
        query = Query(since, until, by, tuple(group))
        daily = run(statistics.items(engine, Query(since, until, "day", tuple(group))))
        expected: Counter[tuple[Any, ...]] = Counter()
        for row in daily:
            period = None if by is None else row["period"][: 7 if by == "month" else 4]
            expected[(period, *(row[g] for g in group))] += row["operations"]
        found = Counter({(row.get("period"), *(row[g] for g in group)): row["operations"]
                         for row in run(statistics.items(engine, query))})  # fmt: skip
        assert found == expected

    loop = asyncio.get_running_loop()

    def run(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    try:
        await loop.run_in_executor(None, check)
    finally:
        await engine.dispose()
