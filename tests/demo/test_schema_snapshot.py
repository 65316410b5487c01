"""The demo catalog's generated schema, compared with the committed snapshot.

A change to the schema generator shows up here as a diff of the SDL users see.
Regenerate deliberately with GOVSHARE_UPDATE_SNAPSHOTS=1.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from govshare.cli import main
from govshare.demo.catalog import demo_catalog
from govshare.demo.world import generate_world
from govshare.schema.build import build_schema

SNAPSHOT = Path(__file__).parent.parent / "snapshots" / "demo_schema.graphql"


def test_demo_schema_matches_the_snapshot(tmp_path: Path) -> None:
    sdl = build_schema(demo_catalog(tmp_path)).sdl()
    if os.environ.get("GOVSHARE_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(sdl, encoding="utf-8")
    assert sdl == SNAPSHOT.read_text(encoding="utf-8")


def test_schema_export_prints_the_same_sdl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = generate_world(tmp_path, 50, progress=False)
    assert main(["schema", "export", "--catalog", str(catalog)]) == 0
    assert capsys.readouterr().out == SNAPSHOT.read_text(encoding="utf-8")
