"""The statistics benchmark runs end to end on a small log (its times are never asserted): the
totals agree with the log, also after a count killed half-way."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from bench import rollup


def test_the_statistics_bench_counts_what_the_log_holds(postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    database = make_url(postgres_url).database
    assert database is not None
    rollup.main(["--records", "3000", "--database", f"{database}_rollup"])  # its own database, dropped after
    report = capsys.readouterr().out
    assert "totals equal the counts recomputed in SQL: yes" in report
    assert "totals equal again: yes" in report
    assert "| use of each grant in the year |" in report
