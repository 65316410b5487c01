"""The file formats of an export: CSV (RFC 4180, UTF-8) and JSON Lines.

CSV: a header of item names or titles, then one line per row; a missing value is an empty
field, booleans are ``true``/``false``, dates and times ISO 8601. JSON Lines: one object per
row, item name → value (null when missing). Both encode a batch of rows at once.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from govshare.catalog.model import ItemType, Resource

FORMATS = ("csv", "jsonl")
HEADERS = ("names", "titles", "none")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}


def _moment(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.datetime) else value


# What CSV cannot write as str() would: Python's True and 2026-01-01 10:00:00 (no T).
_BOOLEAN = {True: "true", False: "false", None: None}
_CSV_TEXT: dict[ItemType, Callable[[Any], Any]] = {ItemType.BOOLEAN: _BOOLEAN.__getitem__, ItemType.DATETIME: _moment}


@dataclass(slots=True)
class Encoder:
    """Encodes batches of exported rows, given as the columns of ``items``, in one format."""

    format: str
    resource: Resource
    items: tuple[str, ...]

    def header(self, kind: str) -> bytes:
        """The first line of the file (CSV only; ``kind``: names, titles or none)."""
        if self.format != "csv" or kind == "none":
            return b""
        names = [self.resource.items[n].title if kind == "titles" else n for n in self.items]
        return self._csv([names])

    def encode(self, columns: Sequence[Sequence[Any]]) -> bytes:
        if self.format == "jsonl":
            items, dumps = self.items, orjson.dumps
            return b"".join([dumps(dict(zip(items, row, strict=True))) + b"\n" for row in zip(*columns, strict=True)])
        return csv_lines([self.resource.items[n].type for n in self.items], columns)

    @staticmethod
    def _csv(rows: Iterable[Sequence[Any]]) -> bytes:
        out = io.StringIO()
        csv.writer(out).writerows(rows)  # RFC 4180: CRLF line ends, quotes where needed
        return out.getvalue().encode()


def csv_lines(types: Sequence[ItemType], columns: Sequence[Sequence[Any]]) -> bytes:
    """The CSV lines of rows given as columns of values of ``types`` (what a source writing the
    CSV itself must match byte for byte: connectors.sql_copy)."""
    texts = [_CSV_TEXT.get(t) for t in types]
    shown = [column if text is None else list(map(text, column)) for column, text in zip(columns, texts, strict=True)]
    return Encoder._csv(zip(*shown, strict=True))
