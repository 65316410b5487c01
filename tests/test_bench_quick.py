"""The benchmark still runs: `bench/run.py --quick` end to end (a smoke test; its times are not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# One row of every scenario's table, as bench/run.py prints them.
ROWS = (
    "| join: 1,000 persons × 8 items + licences × 4 |",
    "| join: 1,000 legal entities → representative → licences |",
    "| warm (cached per policy version) |",
    "| govshare, durable audit |",
    "| govshare, no-op audit |",
    "| bare Starlette + SQLAlchemy |",
    "| govshare ÷ bare throughput |",
    "| audit cost: 1 − durable ÷ no-op throughput |",
    "| scale: lookup by key + licences |",
    "| scale: deep page, 1,000 rows by keyset cursor",
)


def test_quick_benchmark_runs_every_scenario(tmp_path: Path) -> None:
    results = ROOT / "bench" / "RESULTS.md"
    before = results.read_bytes() if results.exists() else None
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--data", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    for row in ROWS:
        assert any(line.startswith(row) for line in lines), f"no row {row!r} in:\n{done.stdout}"
    # No server failed a request, whatever the times.
    for line in lines:
        if line.startswith(("| govshare, ", "| bare ")):
            assert line.rstrip(" |").endswith("| 0"), line
    assert (results.read_bytes() if results.exists() else None) == before, "--quick must not write RESULTS.md"
