"""`govshare report --year Y [--department D]`: the yearly sharing report (R12, art. 19–20).

Counts the audit records not counted yet, then writes ``report-Y[-D].html`` (one file that
opens in any browser, charts included) and prints it to ``report-Y[-D].pdf`` with headless
Chromium (``GOVSHARE_CHROMIUM`` names it when it is not on PATH; ``--no-pdf`` skips it).
Without ``--department`` it is the authority's report comparing every department. The run
is written to the audit log, with what it wrote.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from govshare import clock
from govshare.audit import statistics
from govshare.audit.log import AuditLog
from govshare.audit.platform import platform_log
from govshare.audit.record import AuditRecord
from govshare.catalog.model import Catalog
from govshare.commands.errors import CommandError
from govshare.commands.platform import platform_engine, recorded_catalog
from govshare.oversight.pdf import find_browser, print_pdf
from govshare.oversight.report_data import gather
from govshare.oversight.report_html import render
from govshare.oversight.signals import data_signals
from govshare.runtime import opened_sources
from govshare.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    year: int = args.year
    if not 2000 <= year <= 9998:
        raise CommandError(f"--year {year}: give a year from 2000 on, such as {clock.today().year}")
    out = Path(args.out or ".")
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} is a file: name a directory for the report")
    browser = None
    if not args.no_pdf:
        try:
            browser = find_browser(settings.chromium or None)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        if browser is None:
            raise CommandError("no Chromium or Chrome found to print the PDF: install chromium, set GOVSHARE_CHROMIUM "
                               "to the browser's executable, or pass --no-pdf for the HTML report alone")  # fmt: skip

    async def main() -> int:
        async with platform_engine(settings) as engine:
            catalog = await recorded_catalog(engine, settings)
            audit = platform_log(engine, settings)
            detail: dict[str, Any] = {"year": year, "department": args.department}
            try:
                written = await _report(engine, catalog, settings, args, out, detail, browser)
            except CommandError as exc:  # a run that wrote nothing, or not all, is recorded as such
                await _note(audit, "failed", {**detail, "error": str(exc)})
                raise
            else:
                await _note(audit, "answered", detail)
            finally:
                await audit.close()
        for path in written:
            print(path)
        return 0

    return asyncio.run(main())


async def _report(
    engine: AsyncEngine,
    catalog: Catalog,
    settings: Settings,
    args: argparse.Namespace,
    out: Path,
    detail: dict[str, Any],
    browser: str | None,
) -> list[Path]:
    """Count, gather, write: the files written (``detail`` gets what the audit record tells)."""
    if args.department is not None and args.department not in catalog.departments:  # before any work
        known = ", ".join(sorted(catalog.departments))
        raise CommandError(f"--department: there is no department {args.department!r} in the catalog: one of {known}")
    await statistics.roll_up(engine, {r.name: r.provider for r in catalog.resources.values()})
    late = await _late(catalog, settings)
    data = await gather(engine, catalog, args.year, args.department, clock.real_now(), late)
    detail["counted_up_to"] = data.counted_up_to
    stem = f"report-{args.year}" + (f"-{args.department}" if args.department else "")
    written = await asyncio.to_thread(_files, out, stem, render(data), browser)
    detail["files"] = [p.name for p in written]
    return written


async def _note(audit: AuditLog, outcome: str, detail: dict[str, Any]) -> None:
    command = " ".join(sys.argv[1:]) or f"report --year {detail['year']}"
    await audit.append(AuditRecord(kind="cli", outcome=outcome, user=f"cli:{getpass.getuser()}", query=command,
                                   detail=detail))  # fmt: skip


async def _late(catalog: Catalog, settings: Settings) -> Counter[str] | None:
    """Each provider's late resources now, asking the sources; None (and a note) when they cannot be asked."""
    try:
        async with opened_sources(catalog, settings) as connectors:
            found = await data_signals(catalog, connectors, clock.today())
    except Exception as exc:
        print(f"govshare report: freshness not measured, the sources could not be asked: {exc}", file=sys.stderr)
        return None
    return Counter(s.department for s in found if s.kind == "late_data")


def _files(out: Path, stem: str, page: str, browser: str | None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    html = out / f"{stem}.html"
    _write(html, page)
    if browser is None:
        return [html]
    try:
        print_pdf(html, out / f"{stem}.pdf", browser)
    except RuntimeError as exc:
        raise CommandError(f"the HTML report is written ({html}), the PDF is not: {exc}") from None
    return [html, out / f"{stem}.pdf"]


def _write(path: Path, text: str) -> None:
    """Written beside, then renamed: a report is whole or absent, never half."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
