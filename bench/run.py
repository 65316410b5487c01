"""govshare benchmarks: `uv run python bench/run.py [--persons N] [--reps N] [--scale] [--quick]`.

Every scenario runs the govshare path and its baseline interleaved in the
same run, and reports medians and their ratio: in-process joins against raw
SQL, HTTP lookups against a bare Starlette endpoint (and durable audit against
none), and a small world against a large one. Results go to bench/RESULTS.md
(not in --quick mode, which only checks that everything runs).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import importlib.util
import os
import platform
import signal
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.failures import failures
from bench.http_lookup import http_lookup
from bench.join import scenarios
from bench.load import have_wrk
from bench.policy_cost import policy_cost
from bench.scale import scale
from govshare.catalog import load_catalog
from govshare.demo.world import generate_world
from govshare.gateway.executor import Gateway
from govshare.runtime import close_runtime, open_runtime
from govshare.schema.build import build_schema
from govshare.settings import Settings

HERE = Path(__file__).resolve().parent
SCENARIOS = ("join", "http", "scale", "failures")
SMALL_WORLD = 10_000  # the scale target compares 1,000,000 persons with this


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def interleaved(
    a: Callable[[], Awaitable[Any]], b: Callable[[], Awaitable[Any]], reps: int
) -> tuple[float, float]:
    """Medians (ms) of a and b, run alternately after one warm-up each."""
    await a()
    await b()
    times_a, times_b = [], []
    for _ in range(reps):
        times_a.append(await timed(a))
        times_b.append(await timed(b))
    return statistics.median(times_a), statistics.median(times_b)


async def main(args: argparse.Namespace) -> list[str]:
    persons, reps, quick, data = args.persons, args.reps, args.quick, args.data
    world = data / f"world-{persons}"
    print(f"world: {persons:,} persons in {world}", flush=True)
    catalog_path = generate_world(world, persons, progress=not quick)
    catalog = load_catalog(catalog_path)
    settings = Settings(data_dir=data / f"platform-{persons}")
    runtime = await open_runtime(catalog, settings, poll=False)
    gateway = Gateway(runtime, build_schema(catalog))
    from govshare.connectors.sql import SqlConnector

    engines = {n: c._engine for n, c in runtime.connectors.items() if isinstance(c, SqlConnector)}
    lines: list[str] = []
    try:
        if "join" in args.only:
            lines += ["| scenario | govshare (ms) | raw (ms) | ratio | statements |", "|---|---|---|---|---|"]
            for scenario in scenarios(gateway, engines):
                ours, raw = await interleaved(scenario.govshare, scenario.raw, reps)
                counts = await scenario.statements()
                lines.append(
                    f"| {scenario.name} | {ours:.1f} | {raw:.1f} | {ours / raw:.2f}× | "
                    f"{sum(counts.values())} ({', '.join(f'{k}: {v}' for k, v in counts.items())}) |"
                )
                print(lines[-1], flush=True)
            lines += ["", *await policy_cost(gateway, reps), ""]
            print("\n".join(lines[-4:]), flush=True)
        if "http" in args.only:
            print(f"HTTP: {args.http_reps} × {args.seconds:g} s per server", flush=True)
            lines += await http_lookup(
                gateway, engines, world, catalog_path, data / f"http-{persons}",
                reps=args.http_reps, seconds=args.seconds, connections=args.clients, tool=args.load,
            )  # fmt: skip
            lines.append("")
    finally:
        await close_runtime(runtime)
    if "scale" in args.only:
        small, large = (1_000, persons) if quick else (SMALL_WORLD, args.scale_persons if args.scale else persons)
        print(f"scale: {small:,} vs {large:,} persons", flush=True)
        lines += await scale(data, small, large, reps, quick=quick, target=args.scale)
        if not args.scale:
            lines.append(f"\nThe {args.scale_persons:,}-person world was not measured: run with --scale.")
        lines.append("")
    if "failures" in args.only:
        lines += [*await failures(reps), ""]
        print("\n".join(lines[-5:]), flush=True)
    return lines


def machine() -> str:
    model = platform.processor() or "cpu"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.machine()}, {model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def commit() -> str:
    """The checkout measured: its commit, and whether files differed from it."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=HERE.parent, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" with local changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def server_stack() -> str:
    import uvicorn

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    load = "wrk" if have_wrk() else "Python asyncio load generator"
    return f"uvicorn {uvicorn.__version__} (loop {loop}, HTTP {parser}); load from {load}"


def report(lines: list[str], args: argparse.Namespace) -> str:
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"- date: {datetime.date.today().isoformat()}",
            f"- machine: {machine()}",
            f"- commit: {commit()}",
            f"- demo world: {args.persons:,} persons (SQLite); in-process medians of {args.reps} interleaved "
            f"repetitions; HTTP medians of {args.http_reps} alternated {args.seconds:g} s runs per server",
            f"- HTTP: {server_stack()}",
            f"- command: `{' '.join(['uv run python bench/run.py', *sys.argv[1:]])}`",
            "",
            *lines,
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000, help="the world of the join and HTTP scenarios")
    parser.add_argument("--reps", type=int, default=15, help="in-process repetitions")
    parser.add_argument("--http-reps", type=int, default=10, help="fixed-duration runs per HTTP server")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one HTTP run")
    parser.add_argument("--clients", type=int, default=32, help="concurrent HTTP connections")
    parser.add_argument(
        "--load", choices=["auto", "wrk", "python"], default="auto", help="load generator (auto: wrk if on PATH)"
    )
    parser.add_argument(
        "--scale", action="store_true", help="compare 10,000 persons with --scale-persons (generated once)"
    )
    parser.add_argument("--scale-persons", type=int, default=1_000_000)
    parser.add_argument(
        "--only", type=lambda v: set(v.split(",")), default=set(SCENARIOS), help="e.g. join,http,scale,failures"
    )
    parser.add_argument("--quick", action="store_true", help="a small world and 2 short repetitions; writes no results")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="where worlds are generated (kept)")
    args = parser.parse_args()
    if unknown := args.only - set(SCENARIOS):
        parser.error(f"unknown scenario(s) {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
    if args.quick:
        args.persons, args.reps, args.http_reps, args.seconds, args.scale = 2_000, 2, 2, 1.0, False
    # A terminated run still stops the servers it started (their `finally` runs on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    result = asyncio.run(main(args))
    if not args.quick:
        (HERE / "RESULTS.md").write_text(report(result, args), encoding="utf-8")
        print(f"written: {HERE / 'RESULTS.md'}")
