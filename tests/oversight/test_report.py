"""The yearly report of a demo platform after a simulated year: `govshare report` writes the HTML
(opened in headless Chromium: its charts are drawn) and the PDF (read back with pdftotext: its
pages), for the authority and for one department, and its figures are the audit log's."""

from __future__ import annotations

import asyncio
import datetime
import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from govshare import clock
from govshare.catalog import Catalog, load_catalog
from govshare.connectors.reference_api import make_source_app
from govshare.demo import credit_source, generate_world
from govshare.demo.run import seed_grants
from govshare.demo.simulate import SimulationError, Year, simulate_year
from govshare.settings import Settings
from govshare.workflows.calendar import is_working_day
from tests.browser.conftest import chromium
from tests.commands.conftest import govshare
from tests.services import serve_app
from tests.worlds import read_audit

__all__ = ["chromium"]
# The year simulated: this one, unless it has barely begun.
YEAR = clock.today().year if clock.today() >= datetime.date(clock.today().year, 2, 1) else clock.today().year - 1
PAGES = ("年度概览", "资源提供排行", "评价得分", "各部门评价明细")


@dataclass
class Simulated:
    catalog: Catalog
    settings: Settings
    year: Year
    out: Path


def _require(tool: str, how: str) -> str:
    found = shutil.which(tool)
    if found is None:
        message = f"{tool} is not installed (`{how}`)"
        if os.environ.get("GOVSHARE_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    root = tmp_path_factory.mktemp("report")
    world = root / "world"
    generate_world(world, 300, progress=False)
    settings = Settings(data_dir=root)  # the signing secret made in the data directory, as the commands read it
    with serve_app(make_source_app(*credit_source(world))) as credit_url:
        catalog = load_catalog(world / "catalog.yaml", env={"CREDIT_API_URL": credit_url})
        asyncio.run(seed_grants(catalog, settings))
        year = asyncio.run(simulate_year(catalog, settings, YEAR, per_day=6, seed=7))
    return Simulated(catalog, settings, year, root / "reports")


def _report(simulated: Simulated, *args: str) -> subprocess.CompletedProcess[str]:
    done = govshare("report", "--year", str(YEAR), "--out", str(simulated.out), "--dir", str(simulated.settings.data_dir),
                    *args, cwd=simulated.out.parent)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def test_the_simulated_year_is_in_the_audit_log_on_its_days(simulated: Simulated) -> None:
    records = [r for r in read_audit(simulated.settings) if r.kind in ("query", "mutation")]
    days = Counter(clock.as_utc(r.recorded_at).astimezone(clock.CHINA).date() for r in records if r.recorded_at)
    assert len(records) == simulated.year.operations
    first = next(d for d in (datetime.date(YEAR, 1, 1) + datetime.timedelta(n) for n in range(30)) if d in days)
    assert is_working_day(first)[0] and not any(is_working_day(datetime.date(YEAR, 1, 1) + datetime.timedelta(n))[0]
                                                for n in range((first - datetime.date(YEAR, 1, 1)).days))  # fmt: skip
    assert max(days) < clock.today()
    # Working days carry the traffic: every holiday or weekend sees less than every working day.
    calendar = {
        day: is_working_day(day)[0]
        for day in (
            datetime.date(YEAR, 1, 1) + datetime.timedelta(n)
            for n in range((max(days) - datetime.date(YEAR, 1, 1)).days)
        )
    }
    quiet = max(days.get(day, 0) for day, working in calendar.items() if not working)
    assert quiet < min(days.get(day, 0) for day, working in calendar.items() if working)
    assert simulated.year.applications > 5 and simulated.year.answers > 5 and simulated.year.issues > 0
    assert set(simulated.year.outcomes) >= {"answered", "partial"}  # conditional items refused without grants
    with pytest.raises(SimulationError, match="already holds records"):
        asyncio.run(simulate_year(simulated.catalog, simulated.settings, YEAR))


def test_the_authoritys_report_draws_every_chart_and_prints_its_pages(simulated: Simulated, chromium: Any) -> None:
    pdftotext = _require("pdftotext", "apt-get install -y poppler-utils")
    printed = _report(simulated).stdout.split()
    html, pdf = simulated.out / f"report-{YEAR}.html", simulated.out / f"report-{YEAR}.pdf"
    assert printed == [str(html), str(pdf)]
    page = chromium.new_page()
    try:
        page.goto(html.as_uri())
        charts = page.locator("figure svg")
        assert charts.count() >= 6
        for n in range(charts.count()):
            box = charts.nth(n).bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
            drawn = charts.nth(n).locator("rect.bar, polyline.line")
            assert drawn.count() > 0, f"chart {n} has no bars or lines"
            assert any((drawn.nth(i).bounding_box() or {"height": 0})["height"] > 0 for i in range(drawn.count()))
        text = page.inner_text("body")
    finally:
        page.close()
    operations = sum(1 for r in read_audit(simulated.settings) if r.kind in ("query", "mutation"))
    assert f"{operations:,}" in text  # the year at a glance counts every operation of the year
    assert "(申请 " in text  # use under a grant names the application it was approved on
    pages = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    sheets = [s for s in pages.split("\f") if s.strip()]
    assert len(sheets) >= 4
    for heading, sheet in zip(PAGES, sheets, strict=False):
        assert heading in sheet, f"{heading} is not on its page"
    every = {
        d.name for code, d in simulated.catalog.departments.items() if code != simulated.catalog.platform.authority
    }
    assert all(name in pages for name in every)  # the authority's version compares every department


def test_a_departments_report_shows_its_own_figures_and_is_audited(simulated: Simulated) -> None:
    _report(simulated, "--department", "market", "--no-pdf")
    html = (simulated.out / f"report-{YEAR}-market.html").read_text(encoding="utf-8")
    assert not (simulated.out / f"report-{YEAR}-market.pdf").exists()
    table = html[html.index("各部门评价明细") :]
    rows = re.findall(r"<tr><td>([^<]+)</td>", table)
    assert rows == [simulated.catalog.departments["market"].name]
    denials = html[html.index("被拒绝的访问") : html.index("按授权使用")]
    others = [d.name for code, d in simulated.catalog.departments.items() if code != "market"]
    assert not any(f"{name} · " in denials for name in others)  # only its own denied attempts
    last = read_audit(simulated.settings)[-1]
    assert (last.kind, last.detail) == ("cli", {"year": YEAR, "department": "market", "counted_up_to": last.seq - 1,
                                                "files": [f"report-{YEAR}-market.html"]})  # fmt: skip


def test_bad_arguments_are_named(simulated: Simulated) -> None:
    base = ("report", "--dir", str(simulated.settings.data_dir), "--no-pdf")
    unknown = govshare(*base, "--year", str(YEAR), "--department", "nobody", cwd=simulated.out.parent)
    assert unknown.returncode == 1 and "there is no department 'nobody'" in unknown.stderr
    last = read_audit(simulated.settings)[-1]  # a run that wrote nothing is recorded too
    assert (last.kind, last.outcome, (last.detail or {}).get("department")) == ("cli", "failed", "nobody")
    assert "there is no department 'nobody'" in (last.detail or {})["error"]
    early = govshare(*base, "--year", "1999", cwd=simulated.out.parent)
    assert early.returncode == 1 and "give a year from 2000 on" in early.stderr
    browser = govshare("report", "--dir", str(simulated.settings.data_dir), "--year", str(YEAR),
                       cwd=simulated.out.parent, GOVSHARE_CHROMIUM="/no/such/browser")  # fmt: skip
    assert browser.returncode == 1 and "GOVSHARE_CHROMIUM" in browser.stderr


def test_a_year_that_cannot_be_simulated_is_refused_before_the_world_is_made(tmp_path: Path) -> None:
    done = govshare("demo", "--simulate-year", "1990", "--dir", str(tmp_path / "demo"), "--port", "0", cwd=tmp_path)
    assert done.returncode == 1
    assert f"--simulate-year: a simulated year is this year or the last ({clock.today().year - 1}" in done.stderr
    assert not (tmp_path / "demo" / "world").exists()
