"""`uv run python -m bench.peers.instructions`: instructions per Q2 request, counted by callgrind.

Timings on a shared machine move with its neighbours; the instructions a request executes do not.
This runs Q2 through govshare's ASGI app in-process (no HTTP server, no load generator), 16 requests
at a time as the peer benchmark's connections, on the peer benchmark's databases, under
``valgrind --tool=callgrind``; the counter is zeroed after a warm-up and read after ``--requests``
requests. ``--audit off`` swaps the audit log's append for a no-op (what the record costs).
It counts govshare's own process only: PostgreSQL's work is in the peer benchmark's CPU figures,
and only the requests' work: the polls a process makes at intervals are spaced out of the count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

from bench.peers import dataset, queries
from bench.peers.servers import CATALOG, DEPARTMENT, PURPOSE, ROOT

DATA_DB = "govshare_bench_peers"
STORE_DB = f"govshare_bench_instructions_{os.getpid()}"  # runs of several checkouts side by side
CHILD = "BENCH_INSTRUCTIONS_CHILD"  # set in the process valgrind runs
CONCURRENCY = 16
# The work a process does at intervals (polls of the policy, revocations, catalog versions, counts
# of statistics) runs once a second or so, a few times in a thousand requests when served at full
# speed; under valgrind, fifty times slower, it would fall a hundred times into the count.
QUIET = {"GOVSHARE_POLICY_POLL": "3600", "GOVSHARE_CATALOG_POLL": "3600", "GOVSHARE_STATS_INTERVAL": "3600"}


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.peers.instructions", description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--audit", choices=["on", "off"], default="on")
    args = parser.parse_args(argv)
    if args.requests < CONCURRENCY:
        parser.error(f"--requests must be at least {CONCURRENCY}")
    return args


async def _requests(total: int, audit: bool) -> None:
    """In the child: warm up, then ``total`` Q2 requests between the zeroing and the dump."""
    from govshare.app import create_app
    from govshare.auth import issue_token
    from govshare.catalog import load_catalog
    from govshare.settings import load_settings

    settings = load_settings()
    app = create_app(load_catalog(CATALOG), settings, serving=True)  # as `govshare serve` runs it
    ids = dataset.q2_ids(await dataset.person_ids(DATA_DB))
    bodies = [queries.graphql_body(queries.GOVSHARE_Q2, {"id": key}) for key in ids]
    token = issue_token(settings, DEPARTMENT, "bench", ["member"])
    headers = [(b"authorization", f"Bearer {token}".encode()), (b"x-purpose", PURPOSE.encode()),
               (b"content-type", b"application/json")]  # fmt: skip

    async def one(body: bytes) -> None:
        scope = {"type": "http", "method": "POST", "path": "/graphql", "root_path": "", "query_string": b"",
                 "headers": [*headers, (b"content-length", str(len(body)).encode())], "http_version": "1.1",
                 "scheme": "http", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}  # fmt: skip
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.Event().wait()  # the client stays connected
            raise AssertionError("unreachable")

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(dict(message))

        await app(scope, receive, send)
        if sent[0]["status"] != 200:
            raise RuntimeError(f"Q2 answered {sent[0]['status']}: {sent[1:]}")

    async def run(count: int) -> None:
        async def client(first: int) -> None:
            for n in range(first, count, CONCURRENCY):
                await one(bodies[n % len(bodies)])

        await asyncio.gather(*(client(k) for k in range(CONCURRENCY)))

    async with app.router.lifespan_context(app):
        if not audit:
            audit_log: Any = app.state.gateway.runtime.audit

            async def nothing(_record: Any) -> int:
                return 0

            audit_log.append = nothing
        await run(1000)
        _callgrind("--zero")
        await run(total)
        _callgrind("--dump=measured")


def serving_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    from govshare.commands.serve import server_options

    if server_options()["loop"] != "uvloop":
        return None
    import uvloop

    return uvloop.new_event_loop


def _callgrind(command: str) -> None:
    """Tell valgrind to zero or dump this process's counters (the loop waits: nothing else runs)."""
    subprocess.run(["callgrind_control", command, str(os.getpid())], check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if os.environ.get(CHILD):
        # On the event loop `govshare serve` runs on (uvloop when installed): its timers and
        # callbacks are the server's, not the standard loop's.
        with asyncio.Runner(loop_factory=serving_loop()) as runner:
            runner.run(_requests(args.requests, args.audit == "on"))
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind (with callgrind_control) is not on PATH", file=sys.stderr)
        return 2
    asyncio.run(dataset.ensure_loaded(DATA_DB))
    asyncio.run(dataset.recreate(STORE_DB))
    try:
        with tempfile.TemporaryDirectory(prefix="govshare-instructions-") as work:
            env = {name: value for name, value in os.environ.items() if not name.startswith("GOVSHARE_")}
            source = dataset.dsn(DATA_DB).replace("postgresql://", "postgresql+asyncpg://", 1)
            env |= {CHILD: "1", "GOVSHARE_DATA_DIR": work, "GOVSHARE_STORE_URL": dataset.dsn(STORE_DB),
                    "BENCH_DATABASE_URL": source, **QUIET}  # fmt: skip
            out = Path(work) / "callgrind.out"
            command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-m",
                       "bench.peers.instructions", "--requests", str(args.requests), "--audit", args.audit]  # fmt: skip
            done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
            dumps = sorted(Path(work).glob("callgrind.out.*"))
            if done.returncode != 0 or not dumps:
                print(f"the counted run failed:\n{done.stderr[-2000:]}", file=sys.stderr)
                return 1
            found = re.search(r"^summary: (\d+)$", dumps[0].read_text(), re.M)
            if found is None:
                print(f"no summary in {dumps[0].name}", file=sys.stderr)
                return 1
    finally:
        asyncio.run(dataset.drop(STORE_DB))
    per = int(found.group(1)) / args.requests
    print(f"Q2 in-process, audit {args.audit}: {per / 1e6:.3f} M instructions per request "
          f"({args.requests} requests, {CONCURRENCY} at a time)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
