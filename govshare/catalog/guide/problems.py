"""Where something is in a workbook or a set of CSV files, and what is wrong there.

A place reads as a spreadsheet user finds it: ``guide.xlsx: 信息项!E7 (共享类型)`` in a
workbook, ``guide/信息项.csv:7 (column E, 共享类型)`` in a CSV file (whose line numbers are
what a text editor shows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def column_letter(column: int) -> str:
    """Excel's name of a 1-based column: 1 → A, 27 → AA."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True, slots=True)
class Where:
    """A cell, a row (``column`` 0), a sheet (``row`` 0) or a whole file (``sheet`` empty)."""

    file: str  # the workbook, or the CSV file (inside a zip: zip/member)
    sheet: str = ""  # the sheet's title as written; for CSV, the table the file holds
    row: int = 0  # 1-based row of the sheet, or line of the CSV file
    column: int = 0  # 1-based
    header: str = ""  # the column's header as written
    csv: bool = False

    def cell(self, column: int, header: str) -> Where:
        return Where(self.file, self.sheet, self.row, column, header, self.csv)

    def at_row(self, row: int) -> Where:
        return Where(self.file, self.sheet, row, 0, "", self.csv)

    @property
    def short(self) -> str:
        """The place without the file, to cite inside a message: ``信息项!B5`` or ``信息项.csv:5``."""
        if self.csv:
            return f"{self.file.rsplit('/', 1)[-1]}:{self.row}" if self.row else self.file
        if not self.row:
            return f"sheet {self.sheet}"
        return f"{self.sheet}!{column_letter(self.column)}{self.row}" if self.column else f"{self.sheet} row {self.row}"

    def __str__(self) -> str:
        if not self.sheet:
            return self.file
        if self.csv:
            where = f"{self.file}:{self.row}" if self.row else self.file
            column = f"column {column_letter(self.column)}, {self.header}" if self.column else ""
            return f"{where} ({column})" if column else where
        header = f" ({self.header})" if self.column and self.header else ""
        return f"{self.file}: {self.short}{header}"


@dataclass(frozen=True, slots=True)
class GuideProblem:
    """One thing wrong (or, as a note, worth knowing) about a tabular catalog."""

    where: Where
    message: str
    hint: str = ""

    def __str__(self) -> str:
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{self.where}: {self.message}{hint}"


class GuideError(Exception):
    """A tabular catalog was rejected; ``problems`` lists every reason, ``notes`` what else was noticed."""

    def __init__(self, problems: Iterable[GuideProblem], notes: Iterable[GuideProblem] = ()) -> None:
        self.problems = list(problems)
        self.notes = list(notes)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class Problems:
    """Gathers the problems of one import; the same message at the same place is said once."""

    def __init__(self) -> None:
        self.found: list[GuideProblem] = []

    def add(self, where: Where, message: str, hint: str = "") -> None:
        problem = GuideProblem(where, message, hint)
        if problem not in self.found:
            self.found.append(problem)
