"""`govshare check FILE [--live]` and `govshare schema export`: a catalog on its own, no platform needed."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING

from govshare.catalog.errors import CatalogError
from govshare.catalog.loader import load_catalog
from govshare.catalog.model import Catalog
from govshare.commands.errors import CommandError
from govshare.settings import Settings

if TYPE_CHECKING:
    from govshare.connectors.live_check import LiveCheck


def check_main(path: str, *, live: Settings | None = None) -> int:
    """Print a one-line summary (exit 0) or every problem, one per line, to stderr (exit 1).

    With ``live`` (the settings to open sources with), every resource is also checked against
    its source, and a second line says how many tables on how many sources were looked at.
    """
    try:
        catalog = load_catalog(path)
    except CatalogError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    report = asyncio.run(_live(catalog, live)) if live is not None else None
    if report is not None and report.problems:
        for problem in report.problems:
            print(problem, file=sys.stderr)
        return 1
    providers = {r.provider for r in catalog.resources.values()}
    print(f"OK: {len(catalog.resources)} resources from {len(providers)} departments")
    if report is not None:
        print(f"live: {report.tables} tables checked on {report.sources} sources")
    return 0


async def _live(catalog: Catalog, settings: Settings) -> LiveCheck:
    # Imported here: a catalog checked on its own needs no drivers.
    from govshare.connectors.live_check import LiveCheck, check_live, opening_problem
    from govshare.runtime import opened_sources

    async with contextlib.AsyncExitStack() as stack:
        try:
            connectors = await stack.enter_async_context(opened_sources(catalog, settings))
        except ValueError as exc:  # a source's URL or options: no connector to check with
            return LiveCheck([opening_problem(catalog, exc)], 0, 0)
        return await check_live(catalog, connectors)


def run(args: argparse.Namespace, settings: Settings) -> int:
    return check_main(args.file, live=settings if args.live else None)


def catalog_file(path: str) -> Catalog:
    """The catalog in ``path``; its problems, if any, listed on stderr above the one-line reason."""
    try:
        return load_catalog(path)
    except CatalogError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise CommandError(f"{path}: the catalog has {len(exc.problems)} problem(s), listed above") from None


def schema_export(args: argparse.Namespace, _settings: Settings) -> int:
    from govshare.schema.build import build_schema

    sys.stdout.write(build_schema(catalog_file(args.catalog)).sdl())
    return 0
