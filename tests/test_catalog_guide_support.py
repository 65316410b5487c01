"""Helpers shared by the tests of the guide's tabular form (this module holds no tests of its own).

Most error tests start from the tables of the valid catalog (``tests/catalogs/valid.yaml``),
change a cell or two, write them as a workbook or CSV files and check the one problem that
comes back, to the letter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from govshare.catalog import Catalog, parse_catalog
from govshare.catalog.guide import GuideError, GuideProblem, guide_tables, read_guide
from govshare.catalog.guide.files import Written, write_csv, write_xlsx
from tests.test_catalog_support import VALID_TEXT

# A sheet as a test writes it: rows of cells (None: an empty cell); Sheets: sheets by title.
Rows = list[list[object]]
Sheets = Mapping[str, Sequence[Sequence[object]]]


def valid_catalog() -> Catalog:
    return parse_catalog(VALID_TEXT, "valid.yaml", env={})


def same_catalog(a: Catalog, b: Catalog) -> None:
    """The two catalogs say the same (source options too, which the model's equality leaves out)."""
    assert dataclasses.replace(a, path="", digest="") == dataclasses.replace(b, path="", digest="")
    assert {n: s.options for n, s in a.sources.items()} == {n: s.options for n, s in b.sources.items()}


def tables_of(catalog: Catalog) -> dict[str, list[list[str]]]:
    """The guide's tables of ``catalog`` by sheet title, header row first."""
    return {table.zh: [[c.zh for c in table.columns], *rows] for table, rows in guide_tables(catalog)}


def edited(sheets: Sheets, sheet: str, row: int, header: str, value: str) -> dict[str, Rows]:
    """``sheets`` with the cell under ``header`` of data row ``row`` (1: the first after the headers) set."""
    copy: dict[str, Rows] = {title: [list(r) for r in rows] for title, rows in sheets.items()}
    column = copy[sheet][0].index(header)
    copy[sheet][row][column] = value
    return copy


def write_book(path: Path, sheets: Sheets, merged: Mapping[str, Sequence[str]] | None = None) -> Path:
    """A workbook as another program writes it: the given sheets, rows and merged ranges, nothing else."""
    book = Workbook()
    blank = book.worksheets[0]
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(list(row))
        for cells in (merged or {}).get(title, ()):
            ws.merge_cells(cells)
    book.remove(blank)
    book.save(path)
    return path


def written(sheets: Sheets) -> list[Written]:
    """Sheets (header row first) as the tables the writers take."""
    from govshare.catalog.guide.columns import TABLES

    by_title = {t.zh: t for t in TABLES}
    return [(by_title[title], [[str(c) for c in r] for r in rows[1:]]) for title, rows in sheets.items()]


def write_tables(path: Path, sheets: Sheets) -> Path:
    """Sheets written by govshare's own writers: a workbook for *.xlsx, else CSV files (a folder or a zip)."""
    (write_xlsx if path.suffix == ".xlsx" else write_csv)(written(sheets), path)
    return path


def problems_of(path: Path, env: Mapping[str, str] | None = None) -> list[GuideProblem]:
    with pytest.raises(GuideError) as caught:
        read_guide(path, env={} if env is None else env)
    assert caught.value.problems, "a rejected import names its problems"
    assert all(p.hint for p in caught.value.problems), "every problem needs a fix hint"
    return caught.value.problems


def only_problem(path: Path, env: Mapping[str, str] | None = None) -> str:
    problems = problems_of(path, env)
    assert len(problems) == 1, "expected one problem, got:\n" + "\n".join(map(str, problems))
    return str(problems[0])
