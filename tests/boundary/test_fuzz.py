"""A bounded fuzzing run against a real `govshare serve` (the full one is bench/fuzz_http.py):
no 5xx but by design, no leaks in messages, one audit record per answer, memory bounded."""

from __future__ import annotations

from pathlib import Path

from tests.boundary.fuzzing import fuzz, serve
from tests.testville import City


def test_fuzzed_requests_are_answered_recorded_and_leak_nothing(city: City, tmp_path: Path) -> None:
    with serve(city.directory / "catalog.yaml", tmp_path) as server:
        report = fuzz(server, operations=400, bodies=150, seed=20261202, huge=32 * 2**20, parallel_uploads=2)
    assert report.problems == [], "\n".join(report.problems[:20])
    assert report.operations == 400 and report.malformed == 152
    # Every answer of the application has its record; so has every upload its client abandoned.
    assert report.audited == report.answered + report.abandoned
    assert report.answered + report.before_http + report.abandoned == 552
    assert report.codes["BAD_USER_INPUT"] and report.statuses[200] and report.statuses[413]
    assert report.memory_ratio < 2, (report.idle_kib, report.peak_kib)
