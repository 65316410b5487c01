"""Fuzzing over HTTP at full size: `uv run python bench/fuzz_http.py [--operations N] [--bodies N] [--seed S]`.

A `govshare serve` subprocess on a Testville world (tests/world.py, SQLite) receives schema-generated
operations and malformed requests (tests/boundary/fuzz_*.py), then four parallel 256 MiB chunked
uploads without a token. Prints a Markdown summary; exits 1 when anything that must hold did not:
no 5xx but AUDIT_UNAVAILABLE/SOURCE_UNAVAILABLE, no stack trace, SQL, path or host in a message,
exactly one audit record per answer, memory peak (VmHWM) under twice the idle server's VmRSS.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import world
from tests.boundary.fuzzing import Report, fuzz, serve


def summary(report: Report, args: argparse.Namespace) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(report.statuses.items()))
    codes = ", ".join(f"{c}: {n}" for c, n in report.codes.most_common())
    holds = "yes" if not report.problems else f"NO ({len(report.problems)} problems)"
    return "\n".join(
        [
            f"## HTTP fuzzing ({datetime.date.today()})",
            "",
            f"- machine: {platform.machine()}, Python {platform.python_version()}; commit {commit}",
            f"- command: `uv run python bench/fuzz_http.py --operations {args.operations} --bodies {args.bodies} "
            f"--seed {args.seed}`; Testville world of {args.residents} residents (SQLite), `govshare serve` subprocess",
            "",
            "| what | value |",
            "|---|---|",
            f"| schema-generated operations (POST and GET) | {report.operations:,} |",
            f"| malformed requests (incl. {args.uploads} parallel {args.huge_mib} MiB chunked uploads) "
            f"| {report.malformed:,} |",
            f"| HTTP statuses | {statuses} |",
            f"| error codes | {codes} |",
            f"| problems: 5xx but AUDIT_UNAVAILABLE / SOURCE_UNAVAILABLE, INTERNAL, leaks in messages, "
            f"answers without exactly one audit record | {len(report.problems)} |",
            f"| answers of the application / audit records | {report.answered:,} / {report.audited:,} "
            f"(+ {report.abandoned} uploads their client abandoned, recorded; {report.before_http} refused by "
            "uvicorn's HTTP parser before the application) |",
            f"| server memory: idle VmRSS → peak VmHWM | {report.idle_kib / 1024:.0f} MiB → "
            f"{report.peak_kib / 1024:.0f} MiB ({report.memory_ratio:.2f}×; must stay < 2×) |",
            f"| duration | {report.seconds:.0f} s |",
            f"| everything holds | {holds} |",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=1500)
    parser.add_argument("--bodies", type=int, default=400)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--uploads", type=int, default=4)
    parser.add_argument("--huge-mib", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="govshare-fuzz-") as name:
        directory = Path(name)
        urls = world.sqlite_urls(directory)
        asyncio.run(world.load(urls, world.make_data(args.residents)))
        catalog = directory / "catalog.yaml"
        catalog.write_text(world.catalog_text(urls), encoding="utf-8")
        (directory / "platform").mkdir()
        with serve(catalog, directory / "platform") as server:
            report = fuzz(server, operations=args.operations, bodies=args.bodies, seed=args.seed,
                          huge=args.huge_mib * 2**20, parallel_uploads=args.uploads)  # fmt: skip
    print(summary(report, args))
    for problem in report.problems[:50]:
        print("PROBLEM:", problem)
    return 1 if report.problems or report.memory_ratio >= 2 else 0


if __name__ == "__main__":
    sys.exit(main())
