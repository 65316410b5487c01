"""A platform for the command-line tests: the Policyville world and a platform database that has served it.

Every command runs as its own process, with an environment free of this machine's GOVSHARE_*
settings, in a working directory of its own (no stray govshare.env), naming the data directory
with ``--dir``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from govshare.policies.live import PolicyStore
from govshare.store.database import store_engine
from tests.policies.world import World, make_world
from tests.services import run_async


@dataclass(frozen=True)
class Platform:
    world: World
    data_dir: Path
    cwd: Path

    def run(self, *args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        """`govshare ARGS --dir DATA_DIR`, as a user types it."""
        return govshare(*args, "--dir", str(self.data_dir), cwd=cwd or self.cwd, **env)

    def ok(self, *args: str) -> list[str]:
        """The lines a command that must succeed prints."""
        done = self.run(*args)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        return done.stdout.splitlines()


def clean_env(**settings: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GOVSHARE_")}
    return {**env, **settings}


def govshare(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govshare.cli", *args],
        env=clean_env(**settings), cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def served_platform(world: World, data_dir: Path) -> None:
    """What a first `govshare serve` leaves: the schema and the catalog recorded."""

    async def start() -> None:
        engine = store_engine(f"sqlite+aiosqlite:///{data_dir / 'platform.db'}")
        try:
            store = PolicyStore(engine, world.catalog)
            await store.start(poll=False)
            await store.close()
        finally:
            await engine.dispose()

    run_async(start)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("policyville"))


@pytest.fixture
def platform(world: World, tmp_path: Path) -> Platform:
    data_dir, cwd = tmp_path / "platform", tmp_path / "elsewhere"
    cwd.mkdir()
    served_platform(world, data_dir)
    return Platform(world, data_dir, cwd)
