"""How long a `govshare` command takes from start to exit: `uv run python bench/cli_start.py [--runs N]`.

Each command runs as its own process (``python -m govshare.cli``), as a user types it, against a
data directory holding a small demo world whose catalog the platform database has recorded and
two grants (as after `govshare demo`). Prints the median, fastest and slowest wall time of each
command over ``--runs`` runs (after one warm-up run, so the file cache is warm), and the share
of the median spent importing modules (``-X importtime``). The data directory is set through
``GOVSHARE_DATA_DIR``, which every version of the command understands.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govshare.catalog import load_catalog
from govshare.demo.run import seed_grants
from govshare.demo.world import generate_world
from govshare.settings import load_settings

HERE = Path(__file__).resolve().parent
PERSONS = 300


def commands(catalog: Path) -> dict[str, list[str]]:
    return {
        "--help": ["--help"],
        "token issue": ["token", "issue", "--department", "market", "--user", "bench"],
        "check": ["check", str(catalog)],
        "grant list": ["grant", "list"],
    }


def prepare(data: Path) -> Path:
    """A demo world in ``data``/world and a platform database in ``data`` that has served it."""
    catalog_path = generate_world(data / "world", PERSONS, progress=False)
    settings = load_settings({"GOVSHARE_DATA_DIR": str(data)})
    asyncio.run(seed_grants(load_catalog(catalog_path), settings))
    return catalog_path


def run_once(args: list[str], env: dict[str, str], importtime: bool = False) -> tuple[float, float]:
    """Wall seconds of one run, and the seconds its imports took (with ``importtime``)."""
    flags = ["-X", "importtime"] if importtime else []
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *flags, "-m", "govshare.cli", *args],
        env=env,
        cwd=env["GOVSHARE_DATA_DIR"],  # no settings file there
        capture_output=True,
        text=True,
        timeout=120,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"govshare {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    # Top-level imports only (no indentation after the bar): their cumulative times add up without overlap.
    tops = re.findall(r"^import time:\s+\d+ \|\s+(\d+) \| \S", done.stderr, re.MULTILINE) if importtime else []
    return wall, sum(int(t) for t in tops) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=HERE / "data" / "cli-start")
    options = parser.parse_args()
    data = options.data.resolve()
    catalog = prepare(data)
    env = {name: value for name, value in os.environ.items() if name != "GOVSHARE_SETTINGS"}
    env["GOVSHARE_DATA_DIR"] = str(data)
    print(f"{sys.executable} -m govshare.cli, {options.runs} runs each; data directory {data}")
    print("| command | median (s) | fastest (s) | slowest (s) | imports, under -X importtime (s) |")
    print("|---|---:|---:|---:|---:|")
    for name, args in commands(catalog).items():
        run_once(args, env)
        walls = [run_once(args, env)[0] for _ in range(options.runs)]
        imports = run_once(args, env, importtime=True)[1]
        median = statistics.median(walls)
        print(f"| `govshare {name}` | {median:.2f} | {min(walls):.2f} | {max(walls):.2f} | {imports:.2f} |")


if __name__ == "__main__":
    main()
