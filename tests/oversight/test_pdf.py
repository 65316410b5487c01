"""Printing the report to PDF with headless Chromium, read back with poppler's pdftotext.

Without a browser or pdftotext the printing tests are skipped, or fail when ``GOVSHARE_REQUIRE_SERVICES=1``
(CI), like the database services. A configured browser is taken from ``GOVSHARE_CHROMIUM``. The failure
tests need neither: they use small shell scripts in place of the browser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import NoReturn

import pytest

from govshare.oversight.charts import Series, bar_chart
from govshare.oversight.pdf import find_browser, print_pdf

CHART_TITLE = "各部门共享次数 Sharing by department"
SECOND_PAGE = "第二页 政务数据共享"


def _missing(message: str) -> NoReturn:
    if os.environ.get("GOVSHARE_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def browser() -> str:
    found = find_browser(os.environ.get("GOVSHARE_CHROMIUM") or None)
    if found is None:
        _missing("no Chromium or Chrome found (`apt-get install -y chromium`, or set GOVSHARE_CHROMIUM)")
    return found


@pytest.fixture
def pdftotext() -> str:
    found = shutil.which("pdftotext")
    if found is None:
        _missing("pdftotext is not installed (`apt-get install -y poppler-utils`)")
    return found


def script(tmp_path: Path, body: str) -> str:
    """A stand-in for the browser: a shell script that behaves as a failing browser would."""
    path = tmp_path / "browser.sh"
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def page(tmp_path: Path) -> Path:
    chart = bar_chart(CHART_TITLE, ["市公安局", "市卫健委", "市教育局"], [Series("2025", [1200, 860, 310])], unit="次")
    html = tmp_path / "report.html"
    html.write_text(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>年度共享报告</title>'
        "<style>@page { size: A4; margin: 15mm; }</style></head><body>"
        f"<h1>年度共享报告</h1><figure>{chart}</figure>"
        f'<div style="break-before: page"><p>{SECOND_PAGE}</p></div></body></html>',
        encoding="utf-8",
    )
    return html


def test_the_report_prints_to_a_pdf_with_its_pages_chinese_text_and_chart(
    tmp_path: Path, browser: str, pdftotext: str
) -> None:
    html = page(tmp_path)
    pdf = tmp_path / "out" / "report.pdf"
    print_pdf(html, pdf, browser)
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    pages = text.split("\f")
    if pages[-1].strip() == "":
        pages.pop()  # pdftotext ends every page with a form feed
    assert len(pages) == 2, text
    first, second = (" ".join(p.split()) for p in pages)
    assert CHART_TITLE in first and "市公安局" in first and "1,000" in first
    assert SECOND_PAGE in second
    assert "file:" not in text  # no header or footer with the file's address
    # Only the PDF is left: no temporary file beside it.
    assert [p.name for p in pdf.parent.iterdir()] == ["report.pdf"]


def test_a_configured_browser_that_does_not_exist_names_the_setting() -> None:
    with pytest.raises(FileNotFoundError, match="GOVSHARE_CHROMIUM") as caught:
        find_browser("/nonexistent/chromium")
    assert "/nonexistent/chromium" in str(caught.value)


def test_a_configured_browser_must_be_executable(tmp_path: Path) -> None:
    executable = script(tmp_path, "exit 0")
    assert find_browser(executable) == executable
    plain = tmp_path / "not-a-program"
    plain.write_text("just text", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="GOVSHARE_CHROMIUM"):
        find_browser(str(plain))


def test_a_failing_browser_is_an_error_and_leaves_no_pdf(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    html = page(tmp_path)
    with pytest.raises(RuntimeError, match="exit code 1"):
        print_pdf(html, pdf, "/bin/false")
    assert not pdf.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_the_error_shows_what_the_browser_said_and_keeps_the_previous_pdf(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF- last year's report")
    browser = script(tmp_path, "echo 'Missing X server or $DISPLAY' >&2\nexit 3")
    with pytest.raises(RuntimeError, match=r"exit code 3.*Missing X server"):
        print_pdf(page(tmp_path), pdf, browser)
    assert pdf.read_bytes() == b"%PDF- last year's report"


def test_a_browser_that_writes_no_pdf_is_an_error(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    browser = script(tmp_path, "echo 'printing skipped' >&2\nexit 0")
    with pytest.raises(RuntimeError, match=r"without writing the PDF.*printing skipped"):
        print_pdf(page(tmp_path), pdf, browser)
    assert not pdf.exists()


def test_an_empty_pdf_is_an_error_and_is_not_kept(tmp_path: Path) -> None:
    pdf = tmp_path / "out" / "report.pdf"
    # Creates the file it is asked to print to, and writes nothing into it.
    browser = script(tmp_path, 'for a; do case "$a" in --print-to-pdf=*) : > "${a#--print-to-pdf=}";; esac; done')
    with pytest.raises(RuntimeError, match="without writing the PDF"):
        print_pdf(page(tmp_path), pdf, browser)
    assert list(pdf.parent.iterdir()) == []


def test_a_browser_that_hangs_is_stopped_with_its_child_processes(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    browser = script(tmp_path, f"sleep 60 &\necho $! > {pids}\nwait")
    pdf = tmp_path / "report.pdf"
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"longer than 0\.5 s"):
        print_pdf(page(tmp_path), pdf, browser, timeout=0.5)
    assert time.monotonic() - started < 10
    assert not pdf.exists()
    child = int(pids.read_text().strip())
    assert _ended(child), f"the browser's child process {child} is still running"


def test_printing_a_page_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing\.html"):
        print_pdf(tmp_path / "missing.html", tmp_path / "report.pdf", "/bin/true")
    assert list(tmp_path.iterdir()) == []


def _ended(pid: int) -> bool:
    """Whether the process has exited (a zombie waiting for its new parent to reap it has exited)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in {"Z", "X"}:
            return True
        time.sleep(0.05)
    return False
