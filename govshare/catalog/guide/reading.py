"""From sheets of cell texts to the rows of each table, found by their headers.

A sheet is recognised by its title (信息资源, or resources …) and its header row wherever it
is: templates often put a title or notes above it. The header row is the one, among the first
rows, in which most cells name a column of the table; the columns may come in any order, and
blank rows are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from govshare.catalog.guide.columns import GUIDE_ONLY, TABLES, Table, normal
from govshare.catalog.guide.files import Sheet
from govshare.catalog.guide.problems import Problems, Where, column_letter

HEADER_SEARCH = 30  # rows looked at for the header row
OPTIONAL_TABLES = ("relations",)


@dataclass(frozen=True)
class Record:
    """One row of a table: the text of each of its columns (by catalog key) and where that cell is."""

    where: Where
    cells: dict[str, tuple[str, Where]]

    def text(self, key: str) -> str:
        return self.cells[key][0] if key in self.cells else ""

    def at(self, key: str) -> Where:
        """The cell of column ``key``, or the row when the table has no such column."""
        return self.cells[key][1] if key in self.cells else self.where


@dataclass
class Tables:
    rows: dict[str, list[Record]] = field(default_factory=dict)  # table key → its rows
    where: dict[str, Where] = field(default_factory=dict)  # table key → its sheet


def read_tables(sheets: Iterable[Sheet], name: str, problems: Problems, notes: Problems) -> Tables:
    """The rows of each table in ``sheets`` (read from ``name``); a table missing is a problem."""
    found = Tables()
    for sheet in sheets:
        table = next((t for t in TABLES if normal(sheet.title) in {normal(n) for n in t.names}), None)
        if table is None:
            notes.add(
                sheet.where,
                f"'{sheet.title}' is not one of the catalog's tables: not read",
                "the tables are: " + ", ".join(t.zh for t in TABLES),
            )
        elif table.key in found.where:
            problems.add(
                sheet.where,
                f"a second {table.zh} table (the first is {found.where[table.key]})",
                "keep one of the two, or merge their rows",
            )
        else:
            found.where[table.key] = sheet.where
            found.rows[table.key] = _records(sheet, table, problems, notes)
    missing = [t for t in TABLES if t.key not in found.where and t.key not in OPTIONAL_TABLES]
    if missing:
        problems.add(
            Where(name),
            "the catalog's tables " + ", ".join(f"{t.zh} ({t.key})" for t in missing) + " are missing",
            "a workbook needs a sheet of each, a CSV folder or zip a file of each (信息资源.csv …); "
            "`govshare catalog export` writes a complete set to start from",
        )
    return found


def _header_row(sheet: Sheet, table: Table) -> tuple[int, list[str]] | None:
    best: tuple[int, list[str]] | None = None
    best_score = 1  # at least two recognised headers
    for number, cells in sheet.rows[:HEADER_SEARCH]:
        score = sum(1 for cell in cells if cell.strip() and table.find(cell) is not None)
        if score > best_score:
            best, best_score = (number, cells), score
    return best


def _records(sheet: Sheet, table: Table, problems: Problems, notes: Problems) -> list[Record]:
    header = _header_row(sheet, table)
    if header is None:
        problems.add(
            sheet.where,
            f"no row has the headers of the {table.zh} table",
            "put the headers in one row: " + ", ".join(c.zh for c in table.columns),
        )
        return []
    number, cells = header
    at_header = sheet.where.at_row(number)
    columns: dict[str, tuple[int, str]] = {}  # catalog key → (1-based column, header as written)
    for index, text in enumerate(cells, start=1):
        if not text.strip():
            continue
        column = table.find(text)
        cell = at_header.cell(index, text.strip())
        if column is None:
            if normal(text) not in GUIDE_ONLY:
                notes.add(
                    cell,
                    f"column '{text.strip()}' is not one of the {table.zh} table's: not read",
                    "its columns are: " + ", ".join(c.zh for c in table.columns),
                )
        elif column.key in columns:
            first = column_letter(columns[column.key][0])
            problems.add(cell, f"a second {column.title} column (the first is column {first})", "keep one of the two")
        else:
            columns[column.key] = (index, text.strip())
    missing = [c for c in table.columns if c.required and c.key not in columns]
    if table.key == "items" and not {"type", "data_type"} & columns.keys():
        missing.append(table.column("type"))
    for column in missing:
        problems.add(
            at_header,
            f"the {table.zh} table has no {column.title} column",
            f"add a column headed {column.zh}" + (" (or 数据类型)" if column.key == "type" else ""),
        )
    records = []
    for row, texts in sheet.rows:
        if row <= number:
            continue
        where = sheet.where.at_row(row)
        values = {
            key: (texts[i - 1].strip() if i <= len(texts) else "", where.cell(i, h)) for key, (i, h) in columns.items()
        }
        if any(text for text, _ in values.values()):  # a blank row, or one with only a 序号 or a note
            records.append(Record(where, values))
    return records
