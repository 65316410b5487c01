"""Sharing statistics as their users reach them: GraphQL for the authority and department
administrators (each its own), and `govshare stats`, against counts taken from the raw log."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from govshare import clock
from govshare.settings import Settings
from tests.commands.conftest import govshare
from tests.testville import City
from tests.worlds import graphql_headers, read_audit, serve_gateway

LOOKUP = '{ resident(residentId: "r00003") { fullName phone vehicles { plate } } }'
STATS = """query($group: [String!], $department: String) {
  sharingOperations(since: "2026-01-01", until: "2030-12-31", group: $group, department: $department) {
    countedUpTo lines { key operations rows } } }"""
ITEMS = """{ sharingItems(since: "2026-01-01", until: "2030-12-31", by: "year", group: ["department", "item", "effect"]) {
    lines { period key operations } } }"""


@pytest.fixture(scope="module")
def platform(city: City, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("statistics-platform"), stats_interval=0.1,
                        secret="statistics-tests-signing-key-0123456789")  # fmt: skip
    with serve_gateway(city.catalog, settings) as url:
        yield url, settings


def _post(url: str, settings: Settings, query: str, caller: str, *roles: str, **variables: Any) -> Any:
    headers = graphql_headers(settings, caller, "alice", roles or ("member",), "work_reference")
    return httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers).json()


def _counted(url: str, settings: Settings) -> dict[str, Any]:
    """The statistics once they have counted every record written so far."""
    last = read_audit(settings)[-1].seq
    deadline = time.monotonic() + 30
    while True:
        body = _post(url, settings, STATS, "hub", "authority", group=["department", "outcome"])
        stats: dict[str, Any] = body["data"]["sharingOperations"]
        if stats["countedUpTo"] >= last:
            return stats
        assert time.monotonic() < deadline, "the server did not count the new records within 30 s"
        time.sleep(0.1)


def test_the_authority_reads_every_departments_counts_as_the_log_has_them(platform: tuple[str, Settings]) -> None:
    url, settings = platform
    for department in ("transport", "transport", "civil", "hub"):
        _post(url, settings, LOOKUP, department)
    stats = _counted(url, settings)
    records = [r for r in read_audit(settings) if r.seq <= stats["countedUpTo"]]
    expected = Counter((r.department or "", r.outcome) for r in records)
    assert {(ln["key"]["department"], ln["key"]["outcome"]): ln["operations"] for ln in stats["lines"]} == expected
    items = _post(url, settings, ITEMS, "hub", "authority")["data"]["sharingItems"]["lines"]
    denied = {
        (ln["key"]["department"], ln["key"]["item"]): ln["operations"] for ln in items if ln["key"]["effect"] == "deny"
    }
    # transport asked twice for a phone it has no grant for, within the counted records
    assert denied[("transport", "phone")] == sum(
        1 for r in records if r.department == "transport" and ["Resident", "phone", "deny", "none"] in r.decisions
    )
    assert {ln["period"] for ln in items} == {str(clock.today().year)}
    # The widest span the Date type can state, by month: the same counts, no month past 9999 made.
    widest = STATS.replace("2026-01-01", "0001-01-01").replace("2030-12-31", "9999-12-31")
    lines = _post(url, settings, widest, "hub", "authority", group=["department", "outcome"])
    total = sum(ln["operations"] for ln in lines["data"]["sharingOperations"]["lines"])
    assert total >= sum(expected.values())


def test_a_department_administrator_reads_its_own_only(platform: tuple[str, Settings]) -> None:
    url, settings = platform
    _post(url, settings, LOOKUP, "transport")
    _counted(url, settings)
    own = _post(url, settings, STATS, "transport", "dept_admin", group=["department"])
    assert {ln["key"]["department"] for ln in own["data"]["sharingOperations"]["lines"]} == {"transport"}
    other = _post(url, settings, STATS, "transport", "dept_admin", group=["department"], department="civil")
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    member = _post(url, settings, STATS, "transport")
    assert "is for the platform authority or an administrator" in member["errors"][0]["message"]
    bad = _post(url, settings, STATS, "hub", "authority", group=["colour"])
    assert "cannot read statistics by group 'colour'" in bad["errors"][0]["message"]
    # Every read of the statistics is in the audit log, under whoever read them, refused or not.
    reads = [(r.department, r.roles, r.outcome) for r in read_audit(settings) if "sharingOperations" in (r.query or "")]
    assert ("transport", ["dept_admin"], "answered") in reads and ("transport", ["member"], "failed") in reads
    assert ("hub", ["authority"], "answered") in reads


def test_the_command_line_counts_and_prints_the_same(platform: tuple[str, Settings], tmp_path: Path) -> None:
    url, settings = platform
    _post(url, settings, LOOKUP, "civil")
    stats = _counted(url, settings)
    by_department = Counter[str]()
    for line in stats["lines"]:
        by_department[line["key"]["department"]] += line["operations"]
    args = ("stats", "show", "--since", "2026-01-01", "--until", "2030-12-31", "--group", "department")
    done = govshare(*args, "--dir", str(settings.data_dir), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    header, *lines = done.stdout.splitlines()
    assert header == "department\toperations\trows"
    printed = {line.split("\t")[0]: int(line.split("\t")[1]) for line in lines}
    # The command counts whatever came after the server's last count: at least what the server had.
    assert all(printed[d] >= n for d, n in by_department.items())
    wrong = govshare("stats", "show", "--since", "2026-13-01", "--until", "2026-12-31", "--dir", str(settings.data_dir),
                     cwd=tmp_path)  # fmt: skip
    assert wrong.returncode == 1 and "--since and --until are days (YYYY-MM-DD)" in wrong.stderr
