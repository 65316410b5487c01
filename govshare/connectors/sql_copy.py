"""Export batches written by PostgreSQL itself (``COPY (SELECT …) TO STDOUT``).

The gateway's CSV encoder runs Python for every value; PostgreSQL's COPY writes rows
several times faster. So on PostgreSQL the select spells each value as the encoder would
(gateway.formats): masks (policies.masks) as string functions, ``true``/``false``, ISO
dates and times, floats as Python spells them. COPY sends the rows in its text format,
which escapes backslash, tab and control characters in values: so every tab in its output
ends a field and every newline a row. A batch whose values hold no comma, quote or
backslash (the usual case) is then CSV after two replacements done in C, and the row
count is a byte count; the lines of any other batch are quoted one by one (``chunk``).

A batch is two statements in one read-only repeatable-read transaction, so both see
the same rows: the COPY of up to ``limit`` rows, then the order values of its last
row (the cursor of the next batch and of a resumed export). A column whose type the
spelling is not known to match exactly (a ``char(n)``, a ``money``…) is not written
here: the batch is declined and the gateway encodes the rows itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.sql import Select as SqlSelect

from govshare.catalog.model import ItemType
from govshare.connectors.base import CsvBatch, CsvChunk, CsvField, Select
from govshare.connectors.sql_statements import Binds, Compiled, Statements

_TEXT = frozenset({"text", "varchar"})
_INTEGER = frozenset({"int2", "int4", "int8"})
# The source types each catalog type is written from here (others: declined).
WRITTEN: Mapping[ItemType, frozenset[str]] = {
    ItemType.ID: _TEXT | _INTEGER,
    ItemType.STRING: _TEXT | _INTEGER,
    ItemType.INT: _INTEGER,
    ItemType.FLOAT: frozenset({"float4", "float8", "numeric"}),
    ItemType.BOOLEAN: frozenset({"bool"}),
    ItemType.DATE: frozenset({"date"}),
    ItemType.DATETIME: frozenset({"timestamp", "timestamptz"}),
}
_LINES, _LAST = "csv lines", "last row"
# The first PostgreSQL whose floats are written in their shortest exact digits.
_COPY_SINCE = 12
# COPY's text format: backslash and these control characters are written escaped.
_ESCAPE = re.compile(rb"\\([\\bfnrtv])")
_ESCAPED = {b"\\": b"\\", b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}


def values_sql(fields: tuple[CsvField, ...], refs: list[str], types: list[str]) -> list[str]:
    """Each field's value as the CSV encoder spells it, NULL for none (``refs``: the columns as SQL)."""
    return [_field(f, ref, ty) for f, ref, ty in zip(fields, refs, types, strict=True)]


def _field(field: CsvField, ref: str, source_type: str) -> str:
    kind = field.type
    if kind in (ItemType.ID, ItemType.STRING):
        if field.mask is not None:
            # A mask shows part of a string; any other value is withheld (policies.masks.mask_for).
            return _mask(field.mask, ref) if source_type in _TEXT else "NULL"
        return ref
    if field.mask is not None:
        return "NULL"
    if kind is ItemType.INT:
        return ref
    if kind is ItemType.FLOAT:
        return _python_float(f"{ref}::float8")
    if kind is ItemType.BOOLEAN:
        return f"CASE WHEN {ref} THEN 'true' WHEN NOT {ref} THEN 'false' END"
    if kind is ItemType.DATE:
        return _finite(ref, f"{ref}::text", "0001-01-01", "9999-12-31")  # DateStyle ISO (the transaction's)
    aware = source_type == "timestamptz"
    utc = f"({ref} AT TIME ZONE 'UTC')" if aware else ref
    # datetime.isoformat(): microseconds only when there are some, the offset of an aware value
    iso = (f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
           f"CASE WHEN to_char({utc}, 'US') = '000000' THEN '' ELSE to_char({utc}, '.US') END")  # fmt: skip
    offset = "+00:00" if aware else ""
    return _finite(ref, f"{iso} || '{offset}'", f"0001-01-01T00:00:00{offset}", f"9999-12-31T23:59:59.999999{offset}")


def _finite(ref: str, spelled: str, low: str, high: str) -> str:
    """``spelled``, or the earliest and latest values Python has for PostgreSQL's infinities (as
    the driver reads them: date.min, datetime.max…)."""
    return (f"CASE WHEN isfinite({ref}) THEN {spelled} "
            f"WHEN {ref} < 'epoch' THEN '{low}' WHEN {ref} > 'epoch' THEN '{high}' END")  # fmt: skip


def _python_float(x: str) -> str:
    """``repr(float)`` of the float8 ``x``, from PostgreSQL's spelling of it. Below 1e15 PostgreSQL
    writes the same shortest digits, but Python writes ``5.0`` for ``5`` and ``inf``/``nan`` for
    ``Infinity``/``NaN``; up to 1e16 Python keeps fixed notation where PostgreSQL has turned to an
    exponent. From 2**53 on (whole numbers all) PostgreSQL may write more digits than the shortest
    that reads back as the same float: those are found by rounding the exact value (``_shortest``).
    Tested on the float, not its text: the text is made once in the usual case."""
    s = f"{x}::text"
    digits = f"replace(split_part(ltrim({s}, '-'), 'e', 1), '.', '')"
    sign = f"CASE WHEN {x} < 0 THEN '-' ELSE '' END"
    fixed = (f"{sign} || CASE WHEN length({digits}) <= 16 THEN rpad({digits}, 16, '0') || '.0' "
             f"ELSE left({digits}, 16) || '.' || substr({digits}, 17) END")  # fmt: skip
    # The usual case first. NaN sorts above every number in PostgreSQL (and equals NaN).
    return (f"CASE WHEN abs({x}) < 1e15 THEN CASE WHEN {x} = trunc({x}) THEN {s} || '.0' ELSE {s} END "
            f"WHEN {x} = 'NaN' THEN 'nan' WHEN {x} = 'Infinity' THEN 'inf' WHEN {x} = '-Infinity' THEN '-inf' "
            f"WHEN abs({x}) >= 9007199254740992 THEN {_shortest(x)} ELSE {fixed} END")  # fmt: skip


def _shortest(x: str) -> str:
    """Python's spelling of a whole float8 ``x`` of at least 2**53: its exact value (the top bits as
    int8, times a power of two) rounded to the fewest significant digits that read back as ``x``,
    in fixed notation below 1e16, else as ``d.ddde+XX``. Fifteen digits or fewer: then the value
    rounded to 15 digits is that one (a float8's spacing is finer than a unit of the 15th digit,
    so at most one 15-digit value reads back as it); else 16, else 17, the nearest of each."""
    shift = f"greatest(0, floor(ln(abs({x})) / ln(2))::int - 60)"
    exact = f"(({x}) / power(2::float8, {shift}))::int8::numeric * power(2::numeric, {shift})"
    length = f"length(trunc(abs({exact}))::text)"

    def rounded(p: int) -> str:
        return f"round({exact}, {p} - {length})"

    def reads_back(v: str) -> str:
        # A value from half a unit past the largest float8 on is no float8 (and no match).
        return f"CASE WHEN abs({v}) < power(2::numeric, 1024) - power(2::numeric, 970) THEN {v}::float8 = {x} END"

    def spelled(v: str) -> str:
        whole = f"trunc(abs({v}))::text"
        mantissa = f"rtrim({whole}, '0')"
        exponent = f"length({whole}) - 1"
        return (f"CASE WHEN {exponent} < 16 THEN trunc({v})::text || '.0' ELSE "
                f"CASE WHEN {v} < 0 THEN '-' ELSE '' END || left({mantissa}, 1) || "
                f"CASE WHEN length({mantissa}) > 1 THEN '.' || substr({mantissa}, 2) ELSE '' END || "
                f"'e+' || CASE WHEN {exponent} < 10 THEN '0' ELSE '' END || ({exponent})::text END")  # fmt: skip

    return (
        f"CASE WHEN {reads_back(rounded(15))} THEN {spelled(rounded(15))} "
        f"WHEN {reads_back(rounded(16))} THEN {spelled(rounded(16))} ELSE {spelled(rounded(17))} END"
    )


def _keep(v: str, head: int, tail: int) -> str:
    hidden = f"repeat('*', length({v}) - {head + tail})"
    return (f"CASE WHEN length({v}) <= {head + tail} THEN repeat('*', length({v})) "
            f"ELSE left({v}, {head}) || {hidden} || right({v}, {tail}) END")  # fmt: skip


# The strategies of policies.masks, as SQL over a text value (held equal by a generated test).
_MASKS: dict[str, Callable[[str], str]] = {
    "id_number": lambda v: _keep(v, 6, 4),
    "phone": lambda v: _keep(v, 3, 4),
    "name": lambda v: f"left({v}, 1) || repeat('*', length({v}) - 1)",
    "address": lambda v: f"CASE WHEN length({v}) > 6 THEN left({v}, 6) || '****' ELSE repeat('*', length({v})) END",
    "full": lambda v: f"CASE WHEN {v} IS NOT NULL THEN '******' END",
}


def _mask(strategy: str, v: str) -> str:
    return _MASKS[strategy](v)


class CsvStatements:
    """The two statements of a batch, compiled once per shape, and the source types they need."""

    def __init__(self, statements: Statements) -> None:
        self._statements = statements
        self._types: dict[tuple[str, tuple[str, ...]], list[str]] = {}

    def known_types(self, request: CsvBatch) -> list[str] | None:
        return self._types.get((request.select.table.name, tuple(f.column for f in request.fields)))

    def learn_types(self, request: CsvBatch, types: list[str]) -> list[str]:
        self._types[(request.select.table.name, tuple(f.column for f in request.fields))] = types
        return types

    def probe(self, request: CsvBatch) -> str:
        """A statement whose result describes the fields' columns (it returns no row)."""
        return self._statements.select(Select(request.select.table, tuple(f.column for f in request.fields)))[0].sql

    def lines(self, request: CsvBatch, types: list[str]) -> tuple[Compiled, list[Any]]:
        fields = request.fields
        select = Select(request.select.table, tuple(f.column for f in fields), request.select.where,
                        request.select.order, request.select.after, request.select.limit)  # fmt: skip
        dialect = self._statements.dialect

        def finish(stmt: SqlSelect[Any], _binds: Binds) -> SqlSelect[Any]:
            refs = [str(c.compile(dialect=dialect)) for c in stmt.selected_columns]
            spelled = values_sql(fields, refs, types)
            labelled: list[Any] = [sa.literal_column(v).label(f"v{n}") for n, v in enumerate(spelled)]
            return cast("SqlSelect[Any]", stmt.with_only_columns(*labelled))

        return self._statements.derived(select, (_LINES, fields, tuple(types)), finish)

    def last(self, request: CsvBatch, rows: int) -> tuple[Compiled, list[Any]]:
        """The order values of row ``rows`` of the batch."""

        def finish(stmt: SqlSelect[Any], binds: Binds) -> SqlSelect[Any]:
            return stmt.limit(1).offset(binds(sa.Integer()))

        select = request.select
        unlimited = Select(select.table, select.columns, select.where, select.order, select.after)
        return self._statements.derived(unlimited, _LAST, finish, [rows - 1])


async def copy_batch(driver: Any, csv: CsvStatements, request: CsvBatch, seconds: float) -> CsvChunk | None:
    """The batch through ``driver`` (asyncpg's connection), each statement given ``seconds``;
    None when it cannot be written here."""
    if driver.get_server_version().major < _COPY_SINCE:
        return None
    timeout = seconds
    parts: list[bytes] = []
    rows = 0
    width = len(request.fields)

    async def take(data: bytes) -> None:
        # Whole rows each time (the driver hands on whole messages): turned into CSV while the
        # source writes the rest.
        nonlocal rows
        lines, count = chunk(data, width)
        parts.append(lines)
        rows += count

    # One snapshot for both statements; begun first (a statement described outside it would
    # leave asyncpg's implicit transaction open, and BEGIN could no longer set the isolation).
    async with driver.transaction(isolation="repeatable_read", readonly=True):
        types = csv.known_types(request)
        if types is None:
            described = await driver.prepare(csv.probe(request), timeout=timeout)
            types = csv.learn_types(request, [a.type.name for a in described.get_attributes()])
        if any(ty not in WRITTEN[f.type] for f, ty in zip(request.fields, types, strict=True)):
            return None
        lines, values = csv.lines(request, types)
        if lines.statement is not None:  # values rendered into the SQL text: not for COPY
            return None
        # The spellings the SQL of the lines relies on (floats' shortest exact digits, ISO dates),
        # and no JIT: compiling the long expressions of a line costs seconds, running them less.
        await driver.execute("SET LOCAL extra_float_digits = 1; SET LOCAL DateStyle = ISO; SET LOCAL jit = off")
        await driver.copy_from_query(
            lines.sql, *lines.parameters(values), output=take, timeout=timeout, format="text", null=""
        )
        data = b"".join(parts)
        last: tuple[Any, ...] | None = None
        if rows:
            compiled, at = csv.last(request, rows)
            prepared = await driver.prepare(compiled.sql, timeout=timeout)
            found = await prepared.fetch(*compiled.parameters(at), timeout=timeout)
            last = compiled.rows(found, [(a.name, a.type.oid) for a in prepared.get_attributes()])[0]
    return CsvChunk(data, rows, last, 2 if rows else 1)


def chunk(copied: bytes, width: int) -> tuple[bytes, int]:
    """COPY's text output (NULL written as nothing) of rows of ``width`` fields as CSV lines
    (CRLF), and the number of rows."""
    rows = copied.count(b"\n")
    if width > 1 and b"," not in copied and b'"' not in copied and b"\\" not in copied:
        return copied.replace(b"\t", b",").replace(b"\n", b"\r\n"), rows
    return b"".join([_line(line) for line in copied.split(b"\n")[:-1]]), rows


def _line(line: bytes) -> bytes:
    fields = line.split(b"\t")
    if len(fields) == 1 and not line:  # Python's csv writes a line of one empty field as ""
        return b'""\r\n'
    return b",".join([_quoted(_ESCAPE.sub(_unescaped, f) if b"\\" in f else f) for f in fields]) + b"\r\n"


def _unescaped(m: re.Match[bytes]) -> bytes:
    return _ESCAPED[m.group(1)]


def _quoted(field: bytes) -> bytes:
    """As Python's csv writes a field (QUOTE_MINIMAL): quoted when it holds , " CR or LF."""
    if b"," in field or b'"' in field or b"\r" in field or b"\n" in field:
        return b'"' + field.replace(b'"', b'""') + b'"'
    return field
