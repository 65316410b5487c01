"""generate_world reuses a complete world, rebuilds a different or broken one, and is deterministic."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from govshare.demo import generate_world, read_marker
from govshare.demo import world as world_module
from govshare.demo.world import DATABASE_FILES


def _persons(directory: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(directory / "police.db") as conn:
        return conn.execute("SELECT * FROM person ORDER BY rowid").fetchall()


def _stamps(directory: Path) -> dict[str, int]:
    return {name: (directory / name).stat().st_mtime_ns for name in DATABASE_FILES}


def test_a_complete_world_is_reused(tmp_path: Path) -> None:
    catalog = generate_world(tmp_path, 40, progress=False)
    before = _stamps(tmp_path)
    assert generate_world(tmp_path, 40, progress=False) == catalog
    assert _stamps(tmp_path) == before


def test_a_different_size_or_seed_is_regenerated(tmp_path: Path) -> None:
    generate_world(tmp_path, 40, progress=False)
    generate_world(tmp_path, 60, progress=False)
    assert len(_persons(tmp_path)) == 60
    info = read_marker(tmp_path)
    assert info is not None
    assert info["persons"] == 60
    first = _persons(tmp_path)
    generate_world(tmp_path, 60, seed=1, progress=False)
    assert _persons(tmp_path) != first


def test_same_seed_same_world(tmp_path: Path) -> None:
    generate_world(tmp_path / "a", 50, progress=False)
    generate_world(tmp_path / "b", 50, progress=False)
    for name in DATABASE_FILES:
        with sqlite3.connect(tmp_path / "a" / name) as a, sqlite3.connect(tmp_path / "b" / name) as b:
            assert list(a.iterdump()) == list(b.iterdump()), name


def test_a_moved_world_gets_its_catalog_rewritten(tmp_path: Path) -> None:
    generate_world(tmp_path / "old", 40, progress=False)
    shutil.move(tmp_path / "old", tmp_path / "new")
    before = _stamps(tmp_path / "new")
    catalog = generate_world(tmp_path / "new", 40, progress=False)
    assert _stamps(tmp_path / "new") == before  # data reused
    text = catalog.read_text(encoding="utf-8")
    assert str(tmp_path / "new" / "police.db") in text
    assert str(tmp_path / "old") not in text


def test_an_interrupted_run_never_looks_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate_world(tmp_path, 40, progress=False)

    def fail(*args: object, **kwargs: object) -> dict[str, Any]:
        raise RuntimeError("power cut")

    monkeypatch.setattr(world_module, "entity_row", fail)
    with pytest.raises(RuntimeError, match="power cut"):
        generate_world(tmp_path, 80, progress=False)
    assert read_marker(tmp_path) is None
    assert not (tmp_path / "catalog.yaml").exists()
    assert not any((tmp_path / name).exists() for name in DATABASE_FILES)
    monkeypatch.undo()
    generate_world(tmp_path, 80, progress=False)
    assert len(_persons(tmp_path)) == 80
    assert not list(tmp_path.glob("*.part"))


def test_progress_output_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate_world(tmp_path, 20, progress=True)
    out = capsys.readouterr()
    assert out.out == ""


def test_at_least_one_person(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="persons"):
        generate_world(tmp_path, 0, progress=False)
    generate_world(tmp_path, 1, progress=False)
    assert len(_persons(tmp_path)) == 1
