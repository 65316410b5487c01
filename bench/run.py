"""govshare benchmarks: `uv run python bench/run.py [--persons N] [--reps N] [--quick]`.

Every scenario runs the govshare path and its raw baseline interleaved in the
same process, and reports medians and their ratio. Results go to
bench/RESULTS.md (not in --quick mode, which only checks that everything runs).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.join import scenarios
from bench.policy_cost import policy_cost
from govshare.app import close_runtime, open_runtime
from govshare.catalog import load_catalog
from govshare.demo.world import generate_world
from govshare.gateway.executor import Gateway
from govshare.schema.build import build_schema
from govshare.settings import Settings

HERE = Path(__file__).resolve().parent


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


async def main(persons: int, reps: int, quick: bool, data: Path) -> list[str]:
    world = data / f"world-{persons}"
    print(f"world: {persons:,} persons in {world}", flush=True)
    catalog = load_catalog(generate_world(world, persons, progress=not quick))
    settings = Settings(data_dir=data / f"platform-{persons}")
    runtime = await open_runtime(catalog, settings, poll=False)
    gateway = Gateway(runtime, build_schema(catalog))
    from govshare.connectors.sql import SqlConnector

    engines = {n: c._engine for n, c in runtime.connectors.items() if isinstance(c, SqlConnector)}
    lines = ["| scenario | govshare (ms) | raw (ms) | ratio | statements |", "|---|---|---|---|---|"]
    try:
        for scenario in scenarios(gateway, engines):
            ours, raw = await interleaved(scenario.govshare, scenario.raw, reps)
            counts = await scenario.statements()
            lines.append(
                f"| {scenario.name} | {ours:.1f} | {raw:.1f} | {ours / raw:.2f}× | "
                f"{sum(counts.values())} ({', '.join(f'{k}: {v}' for k, v in counts.items())}) |"
            )
            print(lines[-1], flush=True)
        lines += ["", *await policy_cost(gateway, reps)]
        print("\n".join(lines[-3:]), flush=True)
    finally:
        await close_runtime(runtime)
    return lines


def report(lines: list[str], persons: int, reps: int) -> str:
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"- date: {datetime.date.today().isoformat()}",
            f"- machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}",
            f"- demo world: {persons:,} persons (SQLite); medians of {reps} interleaved repetitions",
            "- command: `uv run python bench/run.py`",
            "",
            *lines,
            "",
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="a small world and 2 repetitions; writes no results")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="where worlds are generated (kept)")
    args = parser.parse_args()
    persons, reps = (2_000, 2) if args.quick else (args.persons, args.reps)
    result = asyncio.run(main(persons, reps, args.quick, args.data))
    if not args.quick:
        (HERE / "RESULTS.md").write_text(report(result, persons, reps), encoding="utf-8")
        print(f"written: {HERE / 'RESULTS.md'}")
