"""The live shape of a table at its source, and which item types a source column can serve.

A connector that can look at its source (``Connector.describe``) answers with a
:class:`TableShape`; the live check of a catalog (connectors.live_check) compares it with
the catalog's resource.

Which column types serve which item type (:func:`sql_item_types`), by the type's name:

- text (CHAR, VARCHAR, TEXT, CLOB…): ID and String;
- integers (INTEGER, BIGINT, SMALLINT, SERIAL…): Int and Float, and ID except on
  PostgreSQL, which has no comparison of an integer with a text value (an ID is bound as text);
- FLOAT, REAL, DOUBLE, NUMERIC, DECIMAL: Float (an Int item needs an integer column);
- BOOLEAN, and MariaDB/MySQL's TINYINT(1) (what their BOOLEAN is): Boolean (TINYINT(1) also Int);
- DATE: Date; DATETIME, TIMESTAMP (with or without time zone): DateTime;
- any other type: no item type (UUID, JSON, binary… need a view casting them).

SQLite reads a declared type name by its affinity rules: a name it does not know as such
is an integer when it contains INT, text when it contains CHAR, CLOB or TEXT, a float when
it contains REAL, FLOA or DOUB, and a column without a declared type holds anything (no
check). DATE, DATETIME, TIMESTAMP and BOOLEAN keep their meaning there, as SQLAlchemy
stores them (ISO text, 0/1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from govshare.catalog.model import ItemType


@dataclass(frozen=True, slots=True)
class ColumnShape:
    """One column as the source declares it."""

    name: str
    type_name: str  # as the source names it, e.g. "VARCHAR(32)", "TINYINT(1)"; "" when undeclared
    item_types: frozenset[ItemType] | None  # the item types it can serve; None: any (the source cannot tell)


@dataclass(frozen=True, slots=True)
class TableShape:
    """A table (sql) or collection (http) as it is at the source now.

    ``columns`` are keyed by the names the catalog reads them by. ``key_unique`` says whether
    the key column holds each value once (a primary key or unique constraint, or the data
    itself); None when the source cannot tell or the key column is missing.
    """

    name: str
    exists: bool = True
    columns: Mapping[str, ColumnShape] = field(default_factory=dict, hash=False)
    key_unique: bool | None = None


_ID, _STR, _INT, _FLOAT = ItemType.ID, ItemType.STRING, ItemType.INT, ItemType.FLOAT
TEXT = frozenset({_ID, _STR})
INTEGER = frozenset({_INT, _FLOAT, _ID})
FLOAT = frozenset({_FLOAT})
BOOLEAN = frozenset({ItemType.BOOLEAN})
DATE = frozenset({ItemType.DATE})
DATETIME = frozenset({ItemType.DATETIME})
NOTHING: frozenset[ItemType] = frozenset()

_FAMILIES: dict[str, frozenset[ItemType]] = {
    **dict.fromkeys(
        ("CHAR", "VARCHAR", "NCHAR", "NVARCHAR", "CHARACTER", "CHARACTER VARYING", "VARYING CHARACTER",
         "NATIONAL CHARACTER", "NATIVE CHARACTER", "BPCHAR", "TEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT",
         "NTEXT", "CLOB", "CITEXT", "STRING", "ENUM"),
        TEXT,
    ),
    **dict.fromkeys(
        ("INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "MEDIUMINT", "INT2", "INT4", "INT8",
         "SERIAL", "BIGSERIAL", "SMALLSERIAL", "SERIAL4", "SERIAL8", "UNSIGNED BIG INT"),
        INTEGER,
    ),
    **dict.fromkeys(
        ("FLOAT", "FLOAT4", "FLOAT8", "REAL", "DOUBLE", "DOUBLE PRECISION", "NUMERIC", "DECIMAL", "DEC",
         "FIXED", "NUMBER"),
        FLOAT,
    ),
    **dict.fromkeys(("BOOLEAN", "BOOL"), BOOLEAN),
    "DATE": DATE,
    **dict.fromkeys(
        ("DATETIME", "DATETIME2", "SMALLDATETIME", "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE",
         "TIMESTAMP WITHOUT TIME ZONE"),
        DATETIME,
    ),
}  # fmt: skip
# What follows the type itself in MariaDB's spelling: `LONGTEXT CHARACTER SET utf8mb4 COLLATE …`.
_TRAILER = re.compile(r"\s+(CHARACTER SET|CHARSET|COLLATE)\b.*$")
_ARGUMENTS = re.compile(r"\([^)]*\)")
_SIGN = re.compile(r"\b(UNSIGNED|SIGNED|ZEROFILL)\b")


def sql_item_types(type_name: str, dialect: str) -> frozenset[ItemType] | None:
    """The item types a column of ``type_name`` can serve on ``dialect`` (SQLAlchemy's dialect name);
    None when any can (a SQLite column without a declared type)."""
    written = _TRAILER.sub("", type_name.strip().upper())
    if dialect in ("mysql", "mariadb") and re.fullmatch(r"TINYINT\s*\(\s*1\s*\)(\s+UNSIGNED)?", written):
        return BOOLEAN | {_INT}
    base = " ".join(_SIGN.sub("", _ARGUMENTS.sub(" ", written)).split())
    found = _FAMILIES.get(base)
    if dialect == "sqlite" and found is None:
        found = _sqlite_affinity(base)
    if found is INTEGER and dialect == "postgresql":
        return INTEGER - {_ID}
    return found if found is not None or dialect == "sqlite" else NOTHING


def _sqlite_affinity(base: str) -> frozenset[ItemType] | None:
    """SQLite's rules for a declared type name (datatype3.html, 3.1), in their order."""
    if "INT" in base:
        return INTEGER
    if any(word in base for word in ("CHAR", "CLOB", "TEXT")):
        return TEXT
    if not base or "BLOB" in base:
        return None  # BLOB affinity: the column keeps any value as given
    return FLOAT  # REAL affinity (REAL, FLOA, DOUB), else NUMERIC: numbers either way
