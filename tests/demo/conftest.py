"""A small demo world shared by the demo tests (generating it takes well under a second)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from govshare.demo import generate_world
from govshare.demo.world import DATABASE_FILES

SMALL_WORLD = 300


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("world")
    generate_world(directory, SMALL_WORLD, progress=False)
    return directory


@pytest.fixture
def db(world: Path) -> Iterator[sqlite3.Connection]:
    """One read-only connection with every department database attached under its file's stem."""
    conn = sqlite3.connect("file::memory:", uri=True)  # URI filenames in ATTACH
    for name in DATABASE_FILES:
        conn.execute(f"ATTACH DATABASE ? AS {Path(name).stem}", (f"file:{world / name}?mode=ro",))
    yield conn
    conn.close()
