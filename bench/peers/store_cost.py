"""`uv run python -m bench.peers.store_cost`: what an audit record and a commit cost PostgreSQL.

Under Q2 load the platform store's backends spend about as much CPU per request as the rest of
the durable record costs govshare's own process (bench/RESULTS.md). This appends records shaped
as Q2's (its document and variables, a decision per item it touches, one source) through
govshare's own audit log on a scratch PostgreSQL store, ``B`` requests at a time, so that the
writer commits batches of B; it reads the store backends' CPU time (nanoseconds, from
/proc/<pid>/schedstat) and how many commits wrote them. A straight line through the cost per
batch at several B splits it into a cost per commit (statement, transaction, WAL flush) and a
cost per record (its JSON, its row, its index entries).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from bench.peers import dataset, queries
from bench.peers.instructions import serving_loop
from govshare.audit.keys import KEYRING, ResultKeys
from govshare.audit.log import AuditLog
from govshare.audit.record import AuditRecord
from govshare.connectors.exchange import new_request_id
from govshare.store.database import migrate, store_engine

STORE_DB = f"govshare_bench_store_cost_{os.getpid()}"
SIZES = (1, 2, 5, 10, 20)


def q2_record(key: str, results: ResultKeys) -> AuditRecord:
    """A record as Q2 writes it: market's member reading one person and its licences."""
    items = [("License", name) for name in (*queries.LICENSE, "holderId")]
    items += [("Person", name) for name in queries.PERSON]
    answer = {"person": {"idNumber": key, "licenses": [{"licenseNo": f"L{key}"}]}}
    key_id, digest = results.digest(answer)
    return AuditRecord(
        kind="query", outcome="answered", department="market", user="bench", roles=["member"],
        purpose="work_reference", client="127.0.0.1", operation_name="Q2", query=queries.GOVSHARE_Q2,
        variables={"id": key}, policy_version=1,
        decisions=[[resource, item, "allow", "unconditional"] for resource, item in sorted(items)],
        sources={"bench_db": {"statements": 1, "rows": 4}}, result_sha256=digest, result_key_id=key_id,
        duration_ms=3.5, detail={"request": new_request_id(), "catalog": 1},
    )  # fmt: skip


def _cpu_ns(pids: list[int]) -> int:
    return sum(int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) for pid in pids)


async def _backends(admin: asyncpg.Connection) -> list[int]:
    """The store's backends other than ``admin``'s."""
    rows = await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                             STORE_DB)  # fmt: skip
    return [int(r["pid"]) for r in rows]


async def _batches(admin: asyncpg.Connection, after: int) -> int:
    """The batches that wrote the records after ``after``: the records of one batch share its moment."""
    found = await admin.fetchval("SELECT count(DISTINCT recorded_at) FROM audit_records WHERE seq > $1", after)
    return int(found)


async def measure(log: AuditLog, results: ResultKeys, size: int, records: int) -> dict[str, float]:
    async def batch(first: int) -> None:
        await asyncio.gather(*(log.append(q2_record(f"{first + n:018d}", results)) for n in range(size)))

    await batch(0)  # the writer's connection open, its statement prepared
    admin = await asyncpg.connect(dataset.dsn(STORE_DB))
    try:
        pids, head = await _backends(admin), int(await admin.fetchval("SELECT max(seq) FROM audit_records"))
        backend, process, started = _cpu_ns(pids), time.process_time_ns(), time.perf_counter()
        for n in range(1, records // size + 1):
            await batch(n * size)
        wall = time.perf_counter() - started
        backend, process = _cpu_ns(pids) - backend, time.process_time_ns() - process
        commits = await _batches(admin, head)
    finally:
        await admin.close()
    written = records // size * size
    return {"size": size, "records": written, "per_commit": written / max(commits, 1),
            "pg_us_per_record": backend / 1000 / written, "pg_us_per_batch": backend / 1000 / (written / size),
            "process_us_per_record": process / 1000 / written, "wall_us_per_record": wall * 1e6 / written}  # fmt: skip


def fit(rows: list[dict[str, float]]) -> tuple[float, float]:
    """Least squares of PostgreSQL's CPU per batch against its size: (per commit, per record) µs."""
    xs, ys = [r["size"] for r in rows], [r["pg_us_per_batch"] for r in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


async def run(records: int) -> list[dict[str, float]]:
    await dataset.recreate(STORE_DB)
    engine = store_engine(dataset.dsn(STORE_DB))
    try:
        await migrate(engine)
        with tempfile.TemporaryDirectory(prefix="govshare-store-cost-") as keys:
            results = ResultKeys(Path(keys) / KEYRING, "bench store cost")
            log = AuditLog(engine, b"bench store cost", results)
            try:
                return [await measure(log, results, size, records) for size in SIZES]
            finally:
                await log.close()
    finally:
        await engine.dispose()
        await dataset.drop(STORE_DB)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers.store_cost", description=__doc__)
    parser.add_argument("--records", type=int, default=4000, help="records appended per batch size")
    args = parser.parse_args(argv)
    if args.records < max(SIZES):
        parser.error(f"--records must be at least {max(SIZES)}")
    load = os.getloadavg()[0]
    with asyncio.Runner(loop_factory=serving_loop()) as runner:  # uvloop, as `govshare serve` runs
        rows = runner.run(run(args.records))
    print(f"audit records appended through AuditLog on PostgreSQL; 1-min load before: {load:.2f}")
    print(
        "| batch | records per commit | PostgreSQL µs per record | per batch | process µs per record "
        "| wall µs per record |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['size']:.0f} | {r['per_commit']:.1f} | {r['pg_us_per_record']:.1f} | {r['pg_us_per_batch']:.0f} "
              f"| {r['process_us_per_record']:.1f} | {r['wall_us_per_record']:.1f} |")  # fmt: skip
    per_commit, per_record = fit(rows)
    print(f"PostgreSQL CPU ≈ {per_commit:.0f} µs per commit + {per_record:.1f} µs per record")
    return 0


if __name__ == "__main__":
    sys.exit(main())
