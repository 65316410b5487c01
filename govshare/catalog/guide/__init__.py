"""The catalog in the tabular form of the national compilation guide (政务信息资源目录编制指南).

``write_guide(catalog, path, "xlsx" | "csv")`` writes the catalog as the guide's tables (a
workbook, or CSV files in a folder or a zip); ``read_guide(path)`` reads them back into a
checked :class:`~govshare.catalog.model.Catalog` and its YAML text, in the canonical layout.
Both round-trip: YAML → tables → YAML gives the same catalog. The form is described in
docs/catalog.md ("The guide's tabular form").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from govshare.catalog.document import catalog_document, written_values
from govshare.catalog.guide.build import Builder
from govshare.catalog.guide.check import check
from govshare.catalog.guide.codes import code_notes
from govshare.catalog.guide.columns import CATEGORIES, TABLES
from govshare.catalog.guide.export import guide_tables
from govshare.catalog.guide.files import Sheet, Written, read_sheets, write_csv, write_xlsx
from govshare.catalog.guide.problems import GuideError, GuideProblem, Problems, Where
from govshare.catalog.guide.reading import read_tables
from govshare.catalog.loader import parse_catalog
from govshare.catalog.model import Catalog
from govshare.catalog.render import render_document

__all__ = ["TABLES", "GuideError", "GuideProblem", "Imported", "guide_tables", "read_guide", "write_guide"]

TableFormat = Literal["csv", "xlsx"]


@dataclass(frozen=True)
class Imported:
    catalog: Catalog  # read from ``text``
    text: str  # the catalog as YAML, canonical layout, `${VAR}` references as the cells wrote them
    notes: list[GuideProblem]  # worth knowing, not wrong: codes not of the guide's shape, columns not read…


def read_guide(path: str | Path, env: Mapping[str, str] | None = None) -> Imported:
    """Read the guide's tables at ``path``; raise GuideError with every problem at its cell."""
    return read_sheets_as_catalog(read_sheets(Path(path)), str(path), env)


def read_sheets_as_catalog(sheets: list[Sheet], name: str, env: Mapping[str, str] | None = None) -> Imported:
    """The catalog in ``sheets`` (read from ``name``): problems are told in the order of the sheets and rows."""
    problems, notes = Problems(), Problems()
    rank = {(s.where.file, s.title): n for n, s in enumerate(sheets)}

    def in_order(found: list[GuideProblem]) -> list[GuideProblem]:  # as the sheets read: sheet, row, column
        return sorted(found, key=lambda p: (rank.get((p.where.file, p.where.sheet), -1), p.where.row, p.where.column))

    def stop_if_any(found: list[GuideProblem]) -> None:
        if found:
            raise GuideError(in_order(found), in_order(notes.found))

    tables = read_tables(sheets, name, problems, notes)
    stop_if_any(problems.found)  # a missing table or header: the rows cannot be read
    root = Builder(tables, problems, notes).root()
    stop_if_any(problems.found)  # cells the catalog's rules cannot even be applied to
    try:
        block, checked = check(root, name, env)
    except GuideError as exc:
        stop_if_any(exc.problems)
        raise
    text = render_document(catalog_document(checked, written_values(block)))
    return Imported(parse_catalog(text, name, env), text, in_order(notes.found))


def write_guide(catalog: Catalog, path: str | Path, format: TableFormat) -> list[GuideProblem]:
    """Write ``catalog`` as the guide's tables; returns notes on resource codes not of the guide's shape."""
    target = Path(path)
    tables = guide_tables(catalog)
    if format == "xlsx":
        write_xlsx(tables, target)
    else:
        write_csv(tables, target)
    return _code_notes(tables, target, format)


def _code_notes(tables: list[Written], path: Path, format: TableFormat) -> list[GuideProblem]:
    """Notes on the codes just written, each at its cell of the new file."""
    [(resources, rows)] = [(table, rows) for table, rows in tables if table.key == "resources"]
    code, category = (resources.columns.index(resources.column(key)) for key in ("code", "category"))
    if format == "xlsx":
        sheet = Where(str(path), resources.zh)
    else:
        sheet = Where(f"{path}/{resources.zh}.csv", resources.zh, csv=True)
    return [
        GuideProblem(sheet.at_row(number).cell(code + 1, resources.columns[code].zh), message, hint)
        for number, row in enumerate(rows, start=2)
        for message, hint in code_notes(row[code], CATEGORIES.code(row[category]))
    ]
