"""HTTP scenarios: lookup by key with its licences, through uvicorn, under closed-loop load.

Three servers run side by side, each its own uvicorn process with one worker:
govshare with its durable audit log (SQLite platform store, WAL,
synchronous=FULL), the same app with a no-op audit log, and the bare
Starlette endpoint of bench/bare.py. Fixed-duration runs alternate between
them (rotating which goes first), and the medians give two ratios: govshare
against the bare endpoint, and durable audit against none.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.bare import LICENSE_SQL, LOOKUP_QUERY, PERSON_SQL
from bench.load import Load, Spec, have_wrk, run_load
from govshare.auth import issue_token
from govshare.gateway.executor import Gateway, GraphQLRequest
from govshare.identity import Caller
from govshare.settings import Settings

HERE = Path(__file__).resolve().parent
PURPOSE = "work_reference"
DEPARTMENT = "market"  # not the provider of Person: its policy decisions are real ones
GOVSHARE, NO_AUDIT, BARE = "govshare, durable audit", "govshare, no-op audit", "bare Starlette + SQLAlchemy"


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sample_keys(world: Path, count: int, seed: int = 7) -> list[str]:
    """``count`` real ID numbers, spread over the whole person table."""
    with sqlite3.connect(f"file:{world / 'police.db'}?mode=ro", uri=True) as conn:
        top = int(conn.execute("SELECT max(rowid) FROM person").fetchone()[0])
        rowids = random.Random(seed).sample(range(1, top + 1), min(count, top))
        marks = ",".join("?" * len(rowids))
        return [r[0] for r in conn.execute(f"SELECT id_number FROM person WHERE rowid IN ({marks})", rowids)]


def body(key: str) -> str:
    return orjson.dumps(
        {"query": LOOKUP_QUERY, "variables": {"idNumber": key}, "operationName": "PersonLookup"}
    ).decode()


def _start(name: str, argv: list[str], env: dict[str, str], work: Path) -> Server:
    port = free_port()
    log = work / f"{name.split(',')[0].split()[0]}-{port}.log"
    command = [sys.executable, str(HERE / "serve.py"), *argv, "--port", str(port)]
    with log.open("wb") as out:
        # cwd = the work dir, so no govshare.env of the checkout is read.
        process = subprocess.Popen(command, env=env, cwd=work, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, port, process, log)


def _wait_ready(server: Server, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited: {server.log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name} did not start within {timeout:g} s")
        time.sleep(0.2)


def _stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def servers(catalog: Path, work: Path, secret: str) -> Iterator[dict[str, Server]]:
    """The three servers, started together and stopped at the end; each govshare has its own platform store."""
    started: list[Server] = []
    try:
        for name, argv, store in (
            (GOVSHARE, ["govshare", "--audit", "on"], "platform-audit"),
            (NO_AUDIT, ["govshare", "--audit", "off"], "platform-noaudit"),
            (BARE, ["bare"], "platform-bare"),
        ):
            env = {**os.environ, "GOVSHARE_DATA_DIR": str(work / store), "GOVSHARE_SECRET": secret}
            started.append(_start(name, [*argv, "--catalog", str(catalog.resolve())], env, work))
        for server in started:
            _wait_ready(server)
        yield {s.name: s for s in started}
    finally:
        for server in started:
            _stop(server)


async def check_same_sql(gateway: Gateway, engines: dict[str, AsyncEngine], key: str) -> None:
    """The bare endpoint must send exactly the statements govshare sends for the lookup."""
    sent: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        sent.append(statement)

    targets = [engines["police_db"].sync_engine, engines["elicense_db"].sync_engine]
    for target in targets:
        event.listen(target, "before_cursor_execute", capture)
    try:
        outcome = await gateway.run(
            GraphQLRequest(LOOKUP_QUERY, {"idNumber": key}), Caller(DEPARTMENT, "bench", ("member",)), PURPOSE
        )
    finally:
        for target in targets:
            event.remove(target, "before_cursor_execute", capture)
    assert "errors" not in outcome.body, outcome.body["errors"][:1]
    dialect = engines["police_db"].dialect
    expected = [str(PERSON_SQL.compile(dialect=dialect)), str(LICENSE_SQL.compile(dialect=dialect))]
    assert sent == expected, f"govshare sent {sent}, the bare endpoint sends {expected}"


def check_same_json(spec: Spec, ports: dict[str, int], keys: list[str]) -> None:
    """Every server answers the same JSON, without errors, for a few keys."""
    for key in keys:
        answers = {
            name: httpx.post(f"http://127.0.0.1:{port}{spec.path}", content=body(key), headers=spec.headers, timeout=30)
            for name, port in ports.items()
        }
        for name, answer in answers.items():
            assert answer.status_code == 200, (name, answer.status_code, answer.text[:500])
        parsed = {name: answer.json() for name, answer in answers.items()}
        first = parsed[GOVSHARE]
        assert "errors" not in first and first["data"]["person"] is not None, first
        for name, value in parsed.items():
            assert value == first, f"{name} answers {value}, govshare {first}"


def audit_records(platform: Path) -> int:
    with sqlite3.connect(f"file:{platform / 'platform.db'}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM audit_records").fetchone()[0])


@dataclass
class Runs:
    loads: dict[str, list[Load]]

    def median(self, name: str, what: str) -> float:
        return float(statistics.median(getattr(load, what) for load in self.loads[name]))

    def paired(self, a: str, b: str) -> list[float]:
        """a's throughput ÷ b's, run by run (they ran next to each other)."""
        return [x.rps / y.rps for x, y in zip(self.loads[a], self.loads[b], strict=True)]


def _holds(ok: bool) -> str:
    return "yes" if ok else "**no**"


async def http_lookup(
    gateway: Gateway,
    engines: dict[str, AsyncEngine],
    world: Path,
    catalog: Path,
    work: Path,
    *,
    reps: int,
    seconds: float,
    connections: int,
    tool: str,
) -> list[str]:
    # A fresh audit log every run: its size must not grow run after run.
    await asyncio.to_thread(shutil.rmtree, work, ignore_errors=True)
    await asyncio.to_thread(work.mkdir, parents=True)
    secret = secrets.token_urlsafe(32)
    token = issue_token(Settings(data_dir=work, secret=secret), DEPARTMENT, "bench", ["member"])
    keys = sample_keys(world, 1000)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}", "X-Purpose": PURPOSE}
    base = Spec(0, "/graphql", headers, [body(k) for k in keys], connections, seconds)
    await check_same_sql(gateway, engines, keys[0])
    used = "wrk" if tool == "wrk" or (tool == "auto" and have_wrk()) else "Python asyncio"
    runs = Runs({GOVSHARE: [], NO_AUDIT: [], BARE: []})
    with servers(catalog, work, secret) as running:
        check_same_json(base, {n: s.port for n, s in running.items()}, keys[:5])
        order = list(running)

        async def one(name: str, duration: float) -> Load:
            spec = replace(base, port=running[name].port, seconds=duration)
            return await asyncio.to_thread(run_load, spec, work / "load", tool)

        for name in order:  # warm-up: connection pools, caches, the document cache
            await one(name, max(1, round(seconds / 2)))
        for rep in range(reps):
            for name in order[rep % 3 :] + order[: rep % 3]:
                load = await one(name, seconds)
                runs.loads[name].append(load)
                print(
                    f"  {name}: {load.rps:,.0f} req/s, p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms", flush=True
                )
    recorded = audit_records(work / "platform-audit")

    rows = [
        f"| HTTP lookup by key + licences ({connections} clients, 1 uvicorn worker, {seconds:g} s runs, {used}) "
        "| req/s | p50 (ms) | p99 (ms) | failed |",
        "|---|---|---|---|---|",
    ]
    for name in (GOVSHARE, NO_AUDIT, BARE):
        failed = sum(load.failed for load in runs.loads[name])
        rows.append(
            f"| {name} | {runs.median(name, 'rps'):,.0f} | {runs.median(name, 'p50_ms'):.1f} "
            f"| {runs.median(name, 'p99_ms'):.1f} | {failed} |"
        )
    print("\n".join(rows), flush=True)
    versus_bare = runs.median(GOVSHARE, "rps") / runs.median(BARE, "rps")
    with_audit = runs.median(GOVSHARE, "rps") / runs.median(NO_AUDIT, "rps")
    paired_bare, paired_audit = runs.paired(GOVSHARE, BARE), runs.paired(GOVSHARE, NO_AUDIT)
    ratios = [
        "| HTTP ratios (of the medians; range of the paired runs) | value | target | holds |",
        "|---|---|---|---|",
        f"| govshare ÷ bare throughput | {versus_bare:.2f}× ({min(paired_bare):.2f}–{max(paired_bare):.2f}) "
        f"| ≥ 0.5× | {_holds(versus_bare >= 0.5)} |",
        f"| audit cost: 1 − durable ÷ no-op throughput | {1 - with_audit:.1%} "
        f"({1 - max(paired_audit):.1%} – {1 - min(paired_audit):.1%}) | < 10% | {_holds(1 - with_audit < 0.10)} |",
    ]
    print("\n".join(ratios), flush=True)
    total = sum(load.requests for load in runs.loads[GOVSHARE])
    note = (
        f"Audit records committed by the durable server: {recorded:,} "
        f"(its measured runs answered {total:,} requests; the rest are warm-up and checks)."
    )
    return [*rows, "", *ratios, "", note]
