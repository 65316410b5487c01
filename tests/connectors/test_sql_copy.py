"""PostgreSQL writing an export's CSV itself (connectors.sql_copy): for generated values of every
column type it writes, masked or not, the bytes equal what the gateway's encoder writes from the
rows the same connector reads; a column type it does not write is declined, not guessed."""

from __future__ import annotations

import datetime
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from govshare.catalog.model import ItemType
from govshare.connectors import CsvBatch, CsvField, OrderKey, Select, TableRef
from govshare.connectors.sql import SqlConnector
from govshare.gateway.formats import csv_lines
from govshare.policies.masks import STRATEGIES, mask_for
from tests.services import run_async

# column → (PostgreSQL type, the catalog types it may be declared as)
COLUMNS: dict[str, tuple[str, tuple[ItemType, ...]]] = {
    "k": ("int8", (ItemType.ID,)),
    "t": ("text", (ItemType.STRING, ItemType.ID)),
    "v": ("varchar(40)", (ItemType.STRING,)),
    "i": ("int4", (ItemType.INT, ItemType.STRING)),
    "f": ("float8", (ItemType.FLOAT,)),
    "r": ("float4", (ItemType.FLOAT,)),
    "n": ("numeric", (ItemType.FLOAT,)),
    "b": ("bool", (ItemType.BOOLEAN,)),
    "d": ("date", (ItemType.DATE,)),
    "ts": ("timestamp", (ItemType.DATETIME,)),
    "tz": ("timestamptz", (ItemType.DATETIME,)),
}
# Text that needs quoting or escaping, wide characters, and PostgreSQL's own markers.
_SPECIAL = st.sampled_from([",", '"', "\r", "\n", "\t", "\\", "\\.", "\\N", " ", "张", "𠀀", "\x7f", "\x01", "é"])
_TEXT = st.lists(st.one_of(_SPECIAL, st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))),
                 max_size=6).map("".join)  # fmt: skip
_UTC_OFFSETS = st.sampled_from([datetime.UTC, datetime.timezone(datetime.timedelta(hours=8)),
                                datetime.timezone(datetime.timedelta(hours=-5, minutes=-30))])  # fmt: skip
_MOMENTS = st.datetimes(min_value=datetime.datetime(1, 1, 2), max_value=datetime.datetime(9999, 12, 30))
_FLOATS = st.one_of(st.floats(), st.sampled_from([1e15, 1e16, -1e15 - 0.5, 123456789012345.6, 1e-5, 5e-324, 0.0]))
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "t": _TEXT,
    "v": _TEXT.map(lambda s: s[:40]),
    "i": st.integers(-(2**31), 2**31 - 1),
    "f": _FLOATS,
    "r": st.floats(width=32),
    "n": st.decimals(allow_nan=True, allow_infinity=False, places=None).filter(
        lambda d: d.is_nan() or abs(d.adjusted()) < 300
    ),
    "b": st.booleans(),
    "d": st.one_of(st.dates(min_value=datetime.date(1, 1, 2)), st.sampled_from([datetime.date.max])),
    "ts": st.one_of(_MOMENTS, st.sampled_from([datetime.datetime.max])),
    "tz": st.builds(lambda m, z: m.replace(tzinfo=z), _MOMENTS, _UTC_OFFSETS),
}
_ROW = st.fixed_dictionaries({c: st.none() | v for c, v in _VALUES.items()})


@pytest.fixture(scope="module")
def table(postgres_url: str) -> str:
    columns = ", ".join(f"{c} {ty}" + (" PRIMARY KEY" if c == "k" else "") for c, (ty, _) in COLUMNS.items())

    async def create() -> None:
        conn = await asyncpg.connect(_plain(postgres_url))
        try:
            await conn.execute(f"CREATE TABLE copy_values ({columns})")
        finally:
            await conn.close()

    run_async(create)
    return postgres_url


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_ROW, max_size=12), data=st.data())
def test_postgresql_writes_the_encoders_bytes(table: str, rows: list[dict[str, Any]], data: st.DataObject) -> None:
    chosen = data.draw(
        st.lists(st.sampled_from([c for c in COLUMNS if c != "k"]), min_size=1, max_size=6, unique=True), "columns"
    )
    fields = []
    for c in chosen:
        kind = data.draw(st.sampled_from(COLUMNS[c][1]), f"type of {c}")
        mask = data.draw(st.none() | st.sampled_from(sorted(STRATEGIES)), f"mask of {c}")
        fields.append(CsvField(c, kind, mask))
    run_async(lambda: _compare(table, rows, tuple(fields)))


async def _compare(url: str, rows: list[dict[str, Any]], fields: tuple[CsvField, ...]) -> None:
    conn = await asyncpg.connect(_plain(url))
    try:
        await conn.execute("TRUNCATE copy_values")
        names = list(COLUMNS)
        await conn.executemany(
            f"INSERT INTO copy_values VALUES ({', '.join(f'${n + 1}' for n in range(len(names)))})",
            [[n, *(row[c] for c in names[1:])] for n, row in enumerate(rows)],
        )
    finally:
        await conn.close()
    table = TableRef("copy_values", "k", {"k": ItemType.ID, **{f.column: f.type for f in fields}})
    connector = SqlConnector("pg", url)
    try:
        order = (OrderKey("k", True),)
        chunk = await connector.export_csv(CsvBatch(Select(table, ("k",), None, order, None, 100), fields))
        read = await connector.select(Select(table, tuple(f.column for f in fields), None, order))
    finally:
        await connector.close()
    columns = [[mask_for(f.mask)(r[i]) if f.mask else r[i] for r in read] for i, f in enumerate(fields)]
    assert chunk is not None and chunk.rows == len(rows)
    assert chunk.data == csv_lines([f.type for f in fields], columns)
    assert chunk.last == ((0,) if rows else None)


def test_a_column_type_it_does_not_write_is_declined(postgres_url: str) -> None:
    async def go() -> None:
        conn = await asyncpg.connect(_plain(postgres_url))
        try:
            await conn.execute("CREATE TABLE copy_padded (k text PRIMARY KEY, c char(5))")
            await conn.execute("INSERT INTO copy_padded VALUES ('a', 'x')")
        finally:
            await conn.close()
        table = TableRef("copy_padded", "k", {"k": ItemType.ID, "c": ItemType.STRING})
        connector = SqlConnector("pg", postgres_url)
        try:
            request = CsvBatch(
                Select(table, ("k",), None, (OrderKey("k"),), None, 10), (CsvField("c", ItemType.STRING),)
            )
            assert await connector.export_csv(request) is None  # char(n) pads: the gateway encodes it instead
        finally:
            await connector.close()

    run_async(go)
