"""The servers the peer benchmark measures, each a subprocess on a free loopback port.

A :class:`Server` knows how it is asked Q1 and Q2 (path, body, headers) and how its answer
maps onto govshare's document shape; its PID roots the process tree whose CPU is counted.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.peers import queries
from bench.peers.dataset import dsn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CATALOG = HERE / "catalog.yaml"
POSTGRAPHILE_VERSION = "4.14.1"
DEPARTMENT = "market"  # consumes Person and License, provided by police
PURPOSE = "work_reference"
STARTUP = 180.0


def _same(document: dict[str, Any]) -> dict[str, Any]:
    return document


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    databases: list[str]  # whose backends count as this server's PostgreSQL CPU
    q1_path: str
    q1_body: bytes
    q2_path: str
    q2_body: Callable[[str], bytes]
    ready: Callable[[Server], bool]
    headers: dict[str, str] = field(default_factory=dict)
    reshape: Callable[[dict[str, Any]], dict[str, Any]] = _same
    store: str | None = None  # of ``databases``, govshare's platform store

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(argv: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + STARTUP
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited ({server.process.returncode}):\n{server.output()}")
        try:
            if server.ready(server):
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name} not ready after {STARTUP:g} s:\n{server.output()}")
        time.sleep(0.2)


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def health(path: str) -> Callable[[Server], bool]:
    def ready(server: Server) -> bool:
        return httpx.get(server.base + path, timeout=2).status_code == 200

    return ready


def _answers_graphql(server: Server) -> bool:
    body = {"query": "{ __typename }"}
    return httpx.post(server.base + "/graphql", json=body, headers=server.headers, timeout=2).status_code == 200


def start_floor(work: Path, database: str) -> Server:
    port = free_port()
    env = {**os.environ, "BENCH_DSN": dsn(database)}
    process = spawn([sys.executable, "-m", "bench.peers.floor", "--port", str(port)], env, work / "floor.log", ROOT)
    return Server("floor: Starlette + asyncpg", port, process, work / "floor.log", [database],
                  "/q1", b"{}", "/q2", lambda key: orjson.dumps({"id": key}), health("/health"))  # fmt: skip


def _govshare_q2(key: str) -> bytes:
    return queries.graphql_body(queries.GOVSHARE_Q2, {"id": key})


def start_govshare(work: Path, database: str, store: str, workers: int, *, audit: bool = True) -> Server:
    """`govshare serve` on the bench catalog, its platform store (with the durable audit log) on PostgreSQL.

    ``audit=False`` runs the same app with its audit log swapped for one that records nothing
    (``bench/serve.py --audit off``, never in the package), to measure what auditing costs.
    """
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("GOVSHARE_")}
    env |= {"GOVSHARE_DATA_DIR": str(work / "govshare-data"), "GOVSHARE_STORE_URL": dsn(store),
            "BENCH_DATABASE_URL": dsn(database).replace("postgresql://", "postgresql+asyncpg://", 1)}  # fmt: skip
    command = [sys.executable, "-m", "govshare.cli", "serve", "--catalog", str(CATALOG), "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    name = f"govshare ({workers} worker{'s' if workers > 1 else ''})"
    if not audit:
        command = [sys.executable, str(ROOT / "bench" / "serve.py"), "govshare", "--catalog", str(CATALOG),
                   "--port", str(port), "--audit", "off"]  # fmt: skip
        name = "govshare, audit off (bench only)"
    log = work / ("govshare.log" if audit else "govshare-no-audit.log")
    server = Server(name, port, spawn(command, env, log, work),
                    log, [database, store], "/graphql", queries.graphql_body(queries.GOVSHARE_Q1), "/graphql",
                    _govshare_q2, health("/healthz"), store=store)  # fmt: skip
    try:
        wait_ready(server)
    except RuntimeError:
        stop(server)
        raise
    issued = subprocess.run([sys.executable, "-m", "govshare.cli", "token", "issue", "--department", DEPARTMENT,
                             "--user", "bench", "--ttl", "1d"],
                            env=env, cwd=work, capture_output=True, text=True, check=False)  # fmt: skip
    if issued.returncode != 0:
        stop(server)
        raise RuntimeError(f"govshare token issue failed: {issued.stderr}")
    server.headers = {"Authorization": f"Bearer {issued.stdout.strip()}", "X-Purpose": PURPOSE}
    return server


def postgraphile_command(work: Path) -> tuple[Path | None, str]:
    """The postgraphile CLI under ``work``, installed with npm when missing; else None and why."""
    home = work / "node"
    cli = home / "node_modules" / ".bin" / "postgraphile"
    if cli.exists():
        return cli, "installed"
    if shutil.which("npm") is None or shutil.which("node") is None:
        return None, "node or npm is not on PATH"
    home.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(home),
                           f"postgraphile@{POSTGRAPHILE_VERSION}"],
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    if done.returncode != 0 or not cli.exists():
        return None, f"npm install postgraphile@{POSTGRAPHILE_VERSION} failed: {done.stderr.strip()[-300:]}"
    return cli, "installed now"


def _postgraphile_q2(key: str) -> bytes:
    return queries.graphql_body(queries.POSTGRAPHILE_Q2, {"id": key})


def start_postgraphile(work: Path, cli: Path, database: str) -> Server:
    port = free_port()
    env = {**os.environ, "NODE_ENV": "production"}
    command = [str(cli), "-c", dsn(database), "--host", "127.0.0.1", "--port", str(port), "--max-pool-size", "10",
               "--disable-query-log", "--disable-graphiql"]  # fmt: skip
    log = work / "postgraphile.log"
    return Server(f"PostGraphile {POSTGRAPHILE_VERSION}", port, spawn(command, env, log, work), log, [database],
                  "/graphql", queries.graphql_body(queries.POSTGRAPHILE_Q1), "/graphql", _postgraphile_q2,
                  _answers_graphql, reshape=queries.from_postgraphile)  # fmt: skip
