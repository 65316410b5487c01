"""The export benchmark runs end to end on a small table (its rates are never asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench import export


def test_the_export_bench_runs_and_reports_every_ratio(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = make_url(postgres_url).database
    assert database is not None
    export.main(["--rows", "3000", "--rounds", "1", "--work", str(tmp_path), "--database", database, "--keep-db"])
    report = capsys.readouterr().out
    assert "| PostgreSQL govshare /export |" in report and "| SQLite govshare /export |" in report
    assert "govshare ÷ raw Python" in report and "server RSS: peak" in report
