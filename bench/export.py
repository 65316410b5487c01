"""Bulk export of 1,000,000 rows: govshare's GET /export against raw reads of the same source.

    uv run python -m bench.export                  # 1,000,000 rows, 3 rounds, PostgreSQL and SQLite
    uv run python -m bench.export --rows 20000 --rounds 1   # a quick check that it all runs

Per round and source, in turn: the raw floor written in Python in this process (a SELECT read
through a server-side cursor on PostgreSQL, the stdlib sqlite3 module on SQLite, each row
written with ``csv.writer``), ``COPY … TO STDOUT`` on PostgreSQL (the server writes the CSV),
and govshare (``govshare serve`` in its own process, the durable audit log on), read by a
streaming HTTP client that counts the bytes. The server's resident memory is sampled every
50 ms during its exports. Reports rows/s, the ratios govshare ÷ raw, and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.peers.servers import Server, free_port, health, spawn, stop, wait_ready

HERE = Path(__file__).resolve().parent
DATABASE = "govshare_bench_export"
SERVER = "postgresql://postgres@127.0.0.1:5432"
ADMIN = f"{SERVER}/postgres"
COLUMNS = "record_id, name, district, born, score, income, active, note"
SELECT = f"SELECT {COLUMNS} FROM record ORDER BY record_id"
# One row per n: text key, text, a small domain, a date, numbers, a boolean, a text NULL in 1 of 10.
GENERATE = """
SELECT 'R' || lpad(n::text, 8, '0'), 'name-' || n, 'district-' || (n % 12),
       DATE '1950-01-01' + (n % 20000), n % 1000, (n % 100000) / 7.0, n % 3 = 0,
       CASE WHEN n % 10 = 0 THEN NULL ELSE 'note ' || (n % 977) END
"""
CATALOG = """\
version: 1
platform: {{name: Export bench, authority: hub, purposes: {{work_reference: 工作参考}}}}
departments: {{hub: {{name: 大数据局}}, registry: {{name: 登记机关}}, user: {{name: 使用部门}}}}
sources:
  pg: {{department: registry, kind: sql, url: "postgresql://postgres@127.0.0.1:5432/{database}"}}
  lite: {{department: registry, kind: sql, url: "sqlite:///{sqlite}"}}
resources:
{resources}
"""
RESOURCE = """\
  {name}:
    code: "{code}"
    title: 登记记录
    provider: registry
    category: department
    source: {source}
    table: record
    key: recordId
    update_cycle: daily
    share_methods: [download]
    items:
      recordId: {{column: record_id, type: ID, title: 记录编号, sharing: unconditional}}
      name: {{type: String, title: 名称, sharing: unconditional}}
      district: {{type: String, title: 区, sharing: unconditional}}
      born: {{type: Date, title: 日期, sharing: unconditional}}
      score: {{type: Int, title: 分值, sharing: unconditional}}
      income: {{type: Float, title: 金额, sharing: unconditional}}
      active: {{type: Boolean, title: 有效, sharing: unconditional}}
      note: {{type: String, title: 备注, sharing: unconditional}}
"""


class Sink(io.RawIOBase):
    """Counts what is written to it, keeps nothing."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.size += len(data)
        return len(data)


async def administer(*statements: str) -> None:
    admin = await asyncpg.connect(ADMIN)
    try:
        for statement in statements:
            await admin.execute(statement)
    finally:
        await admin.close()


async def prepare_postgres(database: str, rows: int) -> None:
    await administer(f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}")
    conn = await asyncpg.connect(f"{SERVER}/{database}")
    try:
        await conn.execute("""CREATE TABLE record (record_id text PRIMARY KEY, name text, district text, born date,
                              score bigint, income double precision, active boolean, note text)""")  # fmt: skip
        await conn.execute(f"INSERT INTO record {GENERATE} FROM generate_series(1, {rows}) AS n")
        await conn.execute("VACUUM ANALYZE record")
    finally:
        await conn.close()


def prepare_sqlite(path: Path, rows: int) -> None:
    if path.exists():
        path.unlink()
    with sqlite3.connect(path) as conn:
        conn.execute("""CREATE TABLE record (record_id TEXT PRIMARY KEY, name TEXT, district TEXT, born DATE,
                        score INTEGER, income REAL, active BOOLEAN, note TEXT)""")  # fmt: skip
        generate = GENERATE.replace("::text", "").replace("lpad(n, 8, '0')", "printf('%08d', n)")
        generate = generate.replace(
            "DATE '1950-01-01' + (n % 20000)", "date('1950-01-01', '+' || (n % 20000) || ' days')"
        )
        generate = generate.replace("n % 3 = 0", "(n % 3 = 0)")
        conn.execute(f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {rows}) "
                     f"INSERT INTO record {generate} FROM s")  # fmt: skip


async def raw_postgres(dsn: str) -> tuple[int, int]:
    """Rows and bytes of the SELECT written as CSV in Python, through a server-side cursor."""
    conn = await asyncpg.connect(dsn)
    sink, out, count = Sink(), io.StringIO(), 0
    writer = csv.writer(out)
    try:
        async with conn.transaction():
            cursor = await conn.cursor(SELECT)
            while batch := await cursor.fetch(5000):
                writer.writerows(batch)
                count += len(batch)
                sink.write(out.getvalue().encode())
                out.seek(0)
                out.truncate()
    finally:
        await conn.close()
    return count, sink.size


async def copy_postgres(dsn: str) -> tuple[int, int]:
    conn = await asyncpg.connect(dsn)
    sink = Sink()

    async def write(data: bytes) -> None:
        sink.write(data)

    try:
        status = await conn.copy_from_query(SELECT, output=write, format="csv")
    finally:
        await conn.close()
    return int(status.split()[-1]), sink.size


def raw_sqlite(path: Path) -> tuple[int, int]:
    sink, out, count = Sink(), io.StringIO(), 0
    writer = csv.writer(out)
    with sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES) as conn:
        cursor = conn.execute(SELECT)
        while batch := cursor.fetchmany(5000):
            writer.writerows(batch)
            count += len(batch)
            sink.write(out.getvalue().encode())
            out.seek(0)
            out.truncate()
    return count, sink.size


class Memory:
    """Samples a process's resident set every 50 ms while it is running."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_kib(self.pid))

    def __enter__(self) -> Memory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def govshare_export(base: str, headers: dict[str, str], resource: str) -> tuple[int, int]:
    size, lines = 0, 0
    with httpx.Client(timeout=600) as http, http.stream("GET", f"{base}/export/{resource}", headers=headers) as got:
        if got.status_code != 200:
            got.read()
            raise RuntimeError(f"export answered {got.status_code}: {got.text[:500]}")
        for chunk in got.iter_raw(1 << 16):
            size += len(chunk)
            lines += chunk.count(b"\n")
    return lines - 1, size  # less the header


def timed(run: Callable[[], tuple[int, int]]) -> tuple[float, int, int]:
    started = time.perf_counter()
    rows, size = run()
    return time.perf_counter() - started, rows, size


def serve(work: Path, catalog: Path) -> tuple[Server, dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVSHARE_")}
    env |= {"GOVSHARE_DATA_DIR": str(work / "data"), "GOVSHARE_STATEMENT_TIMEOUT": "120"}
    port = free_port()
    command = [sys.executable, "-m", "govshare.cli", "serve", "--catalog", str(catalog), "--port", str(port)]
    log = work / "server.log"
    # Only the process, its port and its health matter here: no Q1 or Q2.
    server = Server("govshare", port, spawn(command, env, log, work), log, [], "", b"", "", lambda _: b"",
                    health("/healthz"))  # fmt: skip
    wait_ready(server)
    token = subprocess.run([sys.executable, "-m", "govshare.cli", "token", "issue", "--department", "user",
                            "--user", "bench", "--ttl", "1d"], env=env, cwd=work, capture_output=True, text=True,
                           check=True).stdout.strip()  # fmt: skip
    return server, {"Authorization": f"Bearer {token}", "X-Purpose": "work_reference"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=HERE / "data" / "export")
    parser.add_argument(
        "--database", default=DATABASE, help="PostgreSQL database made for the run (default %(default)s)"
    )
    parser.add_argument("--keep-db", action="store_true", help="leave the database in place afterwards")
    args = parser.parse_args(argv)
    dsn = f"{SERVER}/{args.database}"
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    sqlite_path = work / "record.db"
    print(f"preparing {args.rows:,} rows on PostgreSQL and SQLite…", file=sys.stderr)
    asyncio.run(prepare_postgres(args.database, args.rows))
    prepare_sqlite(sqlite_path, args.rows)
    resources = RESOURCE.format(name="RecordPg", code="B001/000001", source="pg")
    resources += RESOURCE.format(name="RecordLite", code="B001/000002", source="lite")
    catalog = work / "catalog.yaml"
    catalog.write_text(
        CATALOG.format(database=args.database, sqlite=sqlite_path, resources=resources), encoding="utf-8"
    )
    server, headers = serve(work, catalog)
    process, base = server.process, server.base
    runs: dict[str, list[float]] = {}
    peak = 0
    load_before = os.getloadavg()
    try:
        for _ in range(args.rounds):
            cases: list[tuple[str, Callable[[], tuple[int, int]]]] = [
                ("PostgreSQL raw SELECT → csv (Python)", lambda: asyncio.run(raw_postgres(dsn))),
                ("PostgreSQL COPY TO STDOUT", lambda: asyncio.run(copy_postgres(dsn))),
                ("PostgreSQL govshare /export", lambda: govshare_export(base, headers, "RecordPg")),
                ("SQLite raw SELECT → csv (Python)", lambda: raw_sqlite(sqlite_path)),
                ("SQLite govshare /export", lambda: govshare_export(base, headers, "RecordLite")),
            ]
            for name, run in cases:
                with Memory(process.pid) as memory:
                    seconds, rows, size = timed(run)
                if "govshare" in name:
                    peak = max(peak, memory.peak)
                if rows != args.rows:
                    raise RuntimeError(f"{name}: {rows} rows, expected {args.rows}")
                runs.setdefault(name, []).append(rows / seconds)
                print(f"{name}: {rows / seconds:,.0f} rows/s ({size / seconds / 1e6:.1f} MB/s)", file=sys.stderr)
        high_water = rss_kib(process.pid, "VmHWM")
    finally:
        stop(server)
        if not args.keep_db:
            asyncio.run(administer(f"DROP DATABASE IF EXISTS {args.database}"))
    median = {name: statistics.median(rates) for name, rates in runs.items()}
    print(f"\n{args.rows:,} rows, {args.rounds} rounds, medians; load average before {load_before}, "
          f"after {os.getloadavg()}, {os.cpu_count()} cores\n")  # fmt: skip
    print("| export | rows/s |\n|---|---:|")
    for name, rate in median.items():
        print(f"| {name} | {rate:,.0f} |")
    for db in ("PostgreSQL", "SQLite"):
        ratio = median[f"{db} govshare /export"] / median[f"{db} raw SELECT → csv (Python)"]
        print(f"\n{db}: govshare ÷ raw Python = {ratio:.2f}×", end="")
    copy_ratio = median["PostgreSQL govshare /export"] / median["PostgreSQL COPY TO STDOUT"]
    print(f"; PostgreSQL govshare ÷ COPY = {copy_ratio:.2f}×")
    print(f"server RSS: peak sampled during exports {peak / 1024:.0f} MiB, high-water mark {high_water / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
