"""`govshare catalog export|import`: the catalog as YAML or as the compilation guide's tables (CSV, XLSX).

Export takes the catalog of ``--catalog FILE``, else the one the platform serves; import reads
a workbook, or a folder or zip of CSV files, checks it as `govshare check` checks a YAML file,
and writes the catalog as YAML. Problems and notes go to stderr, one per line, each at its cell.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from govshare.catalog.model import Catalog
from govshare.commands.check import catalog_file
from govshare.commands.errors import CommandError
from govshare.commands.platform import served_catalog
from govshare.settings import Settings

_BY_SUFFIX = {".yaml": "yaml", ".yml": "yaml", ".xlsx": "xlsx", ".zip": "csv", "": "csv"}


def _format(args: argparse.Namespace, out: Path) -> str:
    if args.format:
        return str(args.format)
    suffix = "" if out.is_dir() else out.suffix.lower()
    if suffix not in _BY_SUFFIX:
        raise CommandError(
            f"cannot tell the format from {out}: give --format yaml, csv or xlsx "
            "(CSV goes to a folder or a .zip: it is several files)"
        )
    return _BY_SUFFIX[suffix]


def _catalog(args: argparse.Namespace, settings: Settings) -> Catalog:
    if args.catalog:
        return catalog_file(args.catalog)
    served = served_catalog(settings)
    if served is None:
        raise CommandError(
            f"{settings.data_dir} has no platform catalog yet: give --catalog FILE, "
            "or the --dir of the running platform"
        )
    return served


def _write_text(path: Path, text: str) -> None:
    """Written whole or not at all: a cut never leaves half a catalog."""
    partial = path.with_name(path.name + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def export(args: argparse.Namespace, settings: Settings) -> int:
    from govshare.catalog.guide import GuideError, write_guide
    from govshare.catalog.render import render_catalog

    out = Path(args.out)
    fmt = _format(args, out)
    if fmt == "csv" and out.suffix.lower() == ".csv":
        raise CommandError(f"{out}: CSV is written as several files: give a folder, or a .zip, as --out")
    catalog = _catalog(args, settings)
    notes = []
    try:
        if fmt == "yaml":
            _write_text(out, catalog.text or render_catalog(catalog))  # the text as written, comments and all
        else:
            notes = write_guide(catalog, out, "xlsx" if fmt == "xlsx" else "csv")
    except GuideError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise CommandError(f"{out}: not written, {len(exc.problems)} problem(s) listed above") from None
    except OSError as exc:
        raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from None
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    items = sum(len(r.items) for r in catalog.resources.values())
    print(f"wrote {out} ({fmt}): {len(catalog.resources)} resources, {items} items")
    return 0


def import_(args: argparse.Namespace, _settings: Settings) -> int:
    from govshare.catalog.guide import GuideError, read_guide

    try:
        imported = read_guide(args.path)
    except GuideError as exc:
        for note in exc.notes:
            print(f"note: {note}", file=sys.stderr)
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise CommandError(f"{args.path}: {len(exc.problems)} problem(s) listed above; nothing written") from None
    for note in imported.notes:
        print(f"note: {note}", file=sys.stderr)
    catalog = imported.catalog
    providers = {r.provider for r in catalog.resources.values()}
    summary = f"{len(catalog.resources)} resources from {len(providers)} departments"
    if args.out == "-":
        sys.stdout.write(imported.text)
        print(f"read {args.path}: {summary}", file=sys.stderr)
        return 0
    try:
        _write_text(Path(args.out), imported.text)
    except OSError as exc:
        raise CommandError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"wrote {args.out}: {summary}")
    return 0
