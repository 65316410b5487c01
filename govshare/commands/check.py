"""`govshare check FILE` and `govshare schema export`: a catalog on its own, no platform needed."""

from __future__ import annotations

import argparse
import sys

from govshare.catalog.errors import CatalogError
from govshare.catalog.loader import load_catalog
from govshare.catalog.model import Catalog
from govshare.commands.errors import CommandError
from govshare.settings import Settings


def check_main(path: str) -> int:
    """Print a one-line summary (exit 0) or every problem, one per line, to stderr (exit 1)."""
    try:
        catalog = load_catalog(path)
    except CatalogError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    providers = {r.provider for r in catalog.resources.values()}
    print(f"OK: {len(catalog.resources)} resources from {len(providers)} departments")
    return 0


def run(args: argparse.Namespace, _settings: Settings) -> int:
    return check_main(args.file)


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
