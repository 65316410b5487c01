"""`govshare catalog export|import|draft|diff|submit`: the catalog as YAML or as the compilation guide's
tables (CSV, XLSX), and departments' drafts of its entries.

Export takes the catalog of ``--catalog FILE``, else the one the platform serves; import reads
a workbook, or a folder or zip of CSV files, checks it as `govshare check` checks a YAML file,
and writes the catalog as YAML. Problems and notes go to stderr, one per line, each at its cell.
The draft steps act as ``--department`` (see :mod:`govshare.commands.acting`, which records each
run); their problems go to stderr as ``draft <id>:<line>: …`` lines.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from govshare.catalog.model import Catalog
from govshare.commands.check import catalog_file
from govshare.commands.errors import CommandError
from govshare.commands.platform import served_catalog
from govshare.errors import GovshareError
from govshare.identity import Caller
from govshare.settings import Settings

if TYPE_CHECKING:
    from govshare.commands.acting import Step
    from govshare.policies.live import PolicyStore
    from govshare.store.draft_rows import Draft

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


# --- drafts of catalog entries: `govshare catalog draft|diff|submit` -----------------------------------------


def _problem_lines(exc: GovshareError) -> list[str]:
    return [str(p) for p in exc.extensions.get("problems", [])]


def _draft_line(draft: Draft) -> str:
    what = "removal of" if draft.removes else "entry of"
    return f"draft {draft.id}\t{draft.state}\t{what} {draft.resource}\tby {draft.department}"


def _draft_step(args: argparse.Namespace, found: list[str]) -> Step:
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}") from None

    async def step(store: PolicyStore, caller: Caller) -> str:
        from govshare.workflows import catalog_drafts as drafts

        saved = await drafts.save_draft(store, caller, args.resource, text, args.id)
        found.extend(str(p) for p in await drafts.problems(store, saved, None))
        for line in found:
            print(line, file=sys.stderr)
        after = (
            f"\n{len(found)} problem(s), listed on stderr; the live source is checked on submission" if found else ""
        )
        return _draft_line(saved) + after

    return step


def draft(args: argparse.Namespace, settings: Settings) -> int:
    from govshare.commands.acting import runner  # the store's libraries: not for export and import

    found: list[str] = []
    code = runner({"draft": lambda a: _draft_step(a, found)})(args, settings)
    return 1 if found else code  # saved all the same: a draft may be unfinished


def _refused(exc: GovshareError, what: str) -> GovshareError:
    """``exc`` with its problems printed one per line on stderr, and a short reason in their place."""
    lines = _problem_lines(exc)
    for line in lines:
        print(line, file=sys.stderr)
    return GovshareError(exc.code, f"{what}: {len(lines)} problem(s), listed above") if lines else exc


def _diff_step(args: argparse.Namespace) -> Step:
    async def step(store: PolicyStore, caller: Caller) -> str:
        from govshare.workflows import catalog_drafts as drafts

        try:
            report = await drafts.diff(store, caller, args.id)
        except GovshareError as exc:
            raise _refused(exc, f"draft {args.id} cannot be compared with the catalog in force") from None
        return "\n".join(report.lines)

    return step


def diff(args: argparse.Namespace, settings: Settings) -> int:
    from govshare.commands.acting import runner

    if args.department is None:  # read as the platform authority, who sees every draft
        catalog = served_catalog(settings)
        if catalog is None:
            raise CommandError(f"{settings.data_dir} has no platform catalog yet: give the --dir of the platform")
        args.department = catalog.platform.authority
    return runner({"diff": _diff_step})(args, settings)


def _submit_step(args: argparse.Namespace, settings: Settings) -> Step:
    async def step(store: PolicyStore, caller: Caller) -> str:
        from govshare.runtime import opened_sources
        from govshare.workflows import catalog_drafts as drafts

        catalog = (await drafts.in_force(store)).catalog
        try:
            async with opened_sources(catalog, settings) as connectors:
                submitted = await drafts.submit(store, caller, args.id, connectors)
        except ValueError as exc:  # a source's URL or options: no connector to check the draft with
            raise CommandError(str(exc)) from None
        except GovshareError as exc:
            raise _refused(exc, f"draft {args.id} cannot be submitted") from None
        return _draft_line(submitted)

    return step


def submit(args: argparse.Namespace, settings: Settings) -> int:
    from govshare.commands.acting import runner

    return runner({"submit": lambda a: _submit_step(a, settings)})(args, settings)
