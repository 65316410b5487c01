"""Reading and writing the tables as files: an XLSX workbook, or CSV files in a folder or a zip.

Everything is text here: each sheet is a list of rows of cell texts with the place of each
row, whatever the file's kind. CSV files are written as UTF-8 with a byte-order mark (so that
Excel opens them as UTF-8) and read as UTF-8 or, failing that, GB18030 (what Excel writes
when it saves a CSV file on a Chinese Windows).
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import os
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from govshare.catalog.guide.columns import Table
from govshare.catalog.guide.problems import GuideError, GuideProblem, Where, column_letter

UTF8_BOM = b"\xef\xbb\xbf"
MAX_WIDTH = 60


@dataclass(frozen=True)
class Sheet:
    title: str  # the sheet's title, or the CSV file's name without .csv
    where: Where  # the sheet as a whole
    rows: list[tuple[int, list[str]]]  # (row number or line, cell texts)


# One table to write: its columns and, for each row, the cell texts in column order.
Written = tuple[Table, list[list[str]]]


def _fail(where: str, message: str, hint: str) -> GuideError:
    return GuideError([GuideProblem(Where(where), message, hint)])


# ---- reading


def read_sheets(path: Path) -> list[Sheet]:
    """The sheets of a workbook, or the CSV files of a folder or zip (a .csv file: the folder it is in)."""
    if path.suffix.lower() == ".csv" and path.is_file():
        path = path.parent
    if path.is_dir():
        return [_csv_sheet(f"{path / f.name}", f.stem, f.read_bytes()) for f in sorted(path.glob("*.csv"))]
    if not path.is_file():
        raise _fail(str(path), "no such file or folder", "give an .xlsx workbook, or a folder or .zip of CSV files")
    if path.suffix.lower() == ".zip":
        return _zip_sheets(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_sheets(path)
    raise _fail(
        str(path),
        f"cannot read a {path.suffix or 'file without suffix'} as the guide's tables",
        "give an .xlsx workbook (in Excel: Save As → Excel Workbook), or a folder or .zip of CSV files",
    )


def _zip_sheets(path: Path) -> list[Sheet]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename.lower().endswith(".csv") and not m.is_dir()]
            return [
                _csv_sheet(f"{path}/{_member_name(m)}", Path(_member_name(m)).stem, archive.read(m))
                for m in sorted(members, key=lambda m: m.filename)
            ]
    except (zipfile.BadZipFile, OSError) as exc:
        raise _fail(str(path), f"cannot read the zip file: {exc}", "check that it is a .zip of CSV files") from None


def _member_name(member: zipfile.ZipInfo) -> str:
    """The member's name; zips made on a Chinese Windows write names in GBK without saying so."""
    name = member.filename
    if not member.flag_bits & 0x800:  # the UTF-8 flag
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gbk")
    return name


def _decode(where: str, data: bytes) -> str:
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _fail(where, "the file is neither UTF-8 nor GB18030 text", "save it as CSV UTF-8 (comma delimited)")


def _csv_sheet(where: str, title: str, data: bytes) -> Sheet:
    reader = csv.reader(io.StringIO(_decode(where, data), newline=""))
    rows: list[tuple[int, list[str]]] = []
    first = 1
    try:
        for cells in reader:
            rows.append((first, cells))
            first = reader.line_num + 1  # a quoted value may span lines
    except csv.Error as exc:
        raise _fail(f"{where}:{reader.line_num}", f"CSV syntax error: {exc}", "check the quotes on that line") from None
    return Sheet(title, Where(where, title, csv=True), rows)


def _xlsx_sheets(path: Path) -> list[Sheet]:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():  # Excel's extensions openpyxl does not read (slicers…) hold no cell
            warnings.simplefilter("ignore")
            book = load_workbook(path, data_only=True)  # data_only: a formula reads as its value
    except Exception as exc:  # a damaged file fails anywhere in openpyxl's parsers, with any exception
        raise _fail(
            str(path),
            f"cannot read the workbook: {exc}",
            "check that it is an Excel workbook (.xlsx); an old .xls must be saved as .xlsx first",
        ) from None
    sheets = []
    for ws in book.worksheets:
        grid = [[_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        # A merged cell holds its value in the top-left cell only: templates merge a resource's cells over its rows.
        for merged in ws.merged_cells.ranges:
            value = grid[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row, min(merged.max_row, len(grid)) + 1):
                for c in range(merged.min_col, min(merged.max_col, len(grid[r - 1])) + 1):
                    grid[r - 1][c - 1] = value
        sheets.append(Sheet(ws.title, Where(str(path), ws.title), list(enumerate(grid, start=1))))
    return sheets


def _text(value: object) -> str:
    """A cell's value as the text it shows: 12 for 12.0, a date without a midnight time."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


# ---- writing


def write_csv(tables: Sequence[Written], path: Path) -> None:
    """One CSV file per table, named after it, in the folder ``path`` or the zip ``path`` (*.zip)."""
    files = {f"{table.zh}.csv": _csv_bytes(table, rows) for table, rows in tables}
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(_partial(path), "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        os.replace(_partial(path), path)
        return
    path.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        _partial(path / name).write_bytes(data)
        os.replace(_partial(path / name), path / name)


def _partial(path: Path) -> Path:
    return path.with_name(path.name + ".part")


def _csv_bytes(table: Table, rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.zh for c in table.columns])
    writer.writerows(rows)
    return UTF8_BOM + out.getvalue().encode("utf-8")


def write_xlsx(tables: Sequence[Written], path: Path) -> None:
    """One sheet per table: headers in bold on the first row, drop-down lists for the columns of fixed words."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    blank = book.worksheets[0]  # a new workbook comes with an empty sheet
    for table, rows in tables:
        ws = book.create_sheet(table.zh)
        ws.append([c.zh for c in table.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        for number, row in enumerate(rows, start=2):
            for index, text in enumerate(row, start=1):
                if ILLEGAL_CHARACTERS_RE.search(text):
                    raise GuideError(
                        [
                            GuideProblem(
                                Where(str(path), table.zh, number, index, table.columns[index - 1].zh),
                                "the value holds a control character, which a workbook cannot store",
                                "remove it from the catalog, or export as CSV",
                            )
                        ]
                    )
                cell = ws.cell(number, index, text)
                cell.data_type = "s"  # text, even when it starts with '=' (never a formula)
        for index, column in enumerate(table.columns, start=1):
            letter = column_letter(index)
            texts = [column.zh, *(row[index - 1] for row in rows)]
            ws.column_dimensions[letter].width = min(MAX_WIDTH, max(_width(t) for t in texts) + 2)
            if column.kind in ("choice", "flag") and column.words is not None:
                # A warning, not a refusal: a cell may also hold a ${VARIABLE} reference.
                words = DataValidation(
                    type="list",
                    formula1='"' + ",".join(column.words.labels.values()) + '"',
                    allow_blank=True,
                    showErrorMessage=True,
                    errorStyle="warning",
                )
                words.add(f"{letter}2:{letter}{max(len(rows) + 1, 1000)}")
                ws.add_data_validation(words)
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{column_letter(len(table.columns))}{len(rows) + 1}"
    book.remove(blank)
    book.save(_partial(path))
    os.replace(_partial(path), path)


def _width(text: str) -> int:
    """Display width: a Chinese character takes two columns."""
    longest = max(text.splitlines() or [""], key=len)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in longest)
