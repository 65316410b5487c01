"""`uv run python -m bench.peers`: govshare against the floor and PostGraphile, on one dataset, in rounds.

See bench/README.md for what each figure means. Every server starts once, on a free loopback
port, and stays up through the rounds; the order of the servers alternates between rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import sys
from pathlib import Path
from typing import Any

from bench.peers import dataset, measure, queries, report
from bench.peers.servers import (
    Server,
    postgraphile_command,
    start_floor,
    start_govshare,
    start_postgraphile,
    stop,
    wait_ready,
)

HERE = Path(__file__).resolve().parent
DATA_DB = "govshare_bench_peers"
STORE_DB = "govshare_bench_store"


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--q2-seconds", type=float, default=15.0, help="measured Q2 load per server and round")
    parser.add_argument("--workers", type=int, default=1, help="`govshare serve --workers N`")
    parser.add_argument("--skip-postgraphile", action="store_true")
    parser.add_argument(
        "--audit-off",
        action="store_true",
        help="also govshare with its audit log swapped for a no-op (what durable auditing costs)",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the databases (the dataset is reused next run)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 round, Q2 3 s (1 s warm-up)")
    parser.add_argument("--work", type=Path, default=HERE.parent / "data" / "peers",
                        help="logs, the PostGraphile install, and results/ (default bench/data/peers)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.q2_seconds = 1, 3.0
    if args.rounds < 1 or args.q2_seconds < 1:
        parser.error("--rounds and --q2-seconds must be at least 1")
    return args


def check_documents(servers: list[Server], first_id: str) -> dict[str, Any]:
    """Every server's Q1 and Q2 (first id) documents, compared in govshare's shape."""
    seen = {s.name: measure.documents(s, first_id) for s in servers}
    shaped = {name: (queries.comparable(q1), queries.comparable(q2)) for name, (q1, q2) in seen.items()}
    reference = next(iter(shaped.values()))
    same = all(docs == reference for docs in shaped.values())
    found = {name: (queries.counts(q1), queries.counts(q2)) for name, (q1, q2) in shaped.items()}
    (q1_persons, q1_licences), (q2_persons, q2_licences) = found[servers[0].name]
    if same:
        verdict = (f"yes, identical on every server: Q1 {q1_persons:,} persons and {q1_licences:,} licences, "
                   f"Q2 {q2_persons} person and {q2_licences} licences")  # fmt: skip
    else:
        verdict = "NO, the documents differ: " + "; ".join(
            f"{name}: Q1 {q1[0]:,}/{q1[1]:,}, Q2 {q2[0]}/{q2[1]} persons/licences" for name, (q1, q2) in found.items()
        )
    return {"same": same, "verdict": verdict}


def start_all(args: argparse.Namespace, work: Path, notes: list[str], servers: list[Server]) -> None:
    """Start every server into ``servers`` (so that those started are stopped if a later one fails)."""
    servers.append(start_floor(work, DATA_DB))
    servers.append(start_govshare(work, DATA_DB, STORE_DB, args.workers))
    if args.audit_off:
        servers.append(start_govshare(work, DATA_DB, STORE_DB, 1, audit=False))
    if args.skip_postgraphile:
        notes.append("PostGraphile skipped (--skip-postgraphile)")
    else:
        cli, why = postgraphile_command(work)
        if cli is None:
            notes.append(f"PostGraphile not measured: {why}")
        else:
            servers.append(start_postgraphile(work, cli, DATA_DB))
    for server in servers:
        wait_ready(server)


def run(args: argparse.Namespace) -> dict[str, Any]:
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    started = datetime.datetime.now(datetime.UTC)
    loaded = asyncio.run(dataset.ensure_loaded(DATA_DB))
    asyncio.run(dataset.recreate(STORE_DB))  # a fresh platform store and audit log every run
    ids = dataset.q2_ids(asyncio.run(dataset.person_ids(DATA_DB)))
    settings = measure.Settings(q2_seconds=args.q2_seconds, q2_warmup=1.0 if args.quick else 3.0)
    notes: list[str] = ["dataset loaded now" if loaded else "dataset already in the database"]
    servers: list[Server] = []
    try:
        start_all(args, work, notes, servers)
        documents = check_documents(servers, ids[0])
        per_round: list[dict[str, Any]] = []
        for number in range(args.rounds):
            order = servers if number % 2 == 0 else servers[::-1]
            measured: dict[str, Any] = {"machine_before": measure.machine(), "order": [s.name for s in order]}
            for server in order:
                print(f"round {number + 1}: {server.name}", file=sys.stderr, flush=True)
                measured[server.name] = {"q1": measure.q1_latency(server, settings),
                                         "q2": measure.q2_load(server, ids, settings, work)}  # fmt: skip
            per_round.append(measured)
    finally:
        for server in servers:
            stop(server)
        if not args.keep_db:
            for database in (DATA_DB, STORE_DB):
                asyncio.run(dataset.drop(database))
    names = [s.name for s in servers]
    rounds = [{name: r[name] for name in names} for r in per_round]
    return {
        "started": started.isoformat(timespec="seconds"), "rounds": args.rounds, "q2_seconds": args.q2_seconds,
        "q2_connections": settings.q2_connections, "q1_requests": settings.q1_requests,
        "load_tool": measure.load_tool(), "machine": measure.machine(), "servers": names,
        "floor": names[0], "govshare": names[1],
        "postgraphile": next((n for n in names if n.startswith("PostGraphile")), None),
        "audit_off": next((n for n in names if "audit off" in n), None),
        "documents": documents, "notes": notes, "per_round": per_round, "medians": report.medians(rounds),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    result = run(args)
    results = args.work.resolve() / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = result["started"].replace(":", "").replace("-", "")[:15]
    table = report.markdown(result)
    (results / f"peers-{stamp}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    (results / f"peers-{stamp}.md").write_text(table, encoding="utf-8")
    print(table)
    print(f"results: {results / f'peers-{stamp}.json'} and .md")
    return 0 if result["documents"]["same"] else 3


if __name__ == "__main__":
    sys.exit(main())
