"""Sharing statistics (R12): counts rolled up from the audit log, kept incrementally.

A roll-up step reads the records after the last one counted (in ``seq`` order, a chunk at a
time) and adds them to per-day counts in the same transaction that moves its progress mark.
A step that stops half-way (killed, failed) so counts nothing, and the next one counts each
record exactly once. The progress row is written first in every step: two processes rolling
up at once take turns on its lock. Statistics are read from the counts alone, never from the
log itself.

On PostgreSQL the database counts each chunk itself (``statistics_sql``); elsewhere the
records are counted here.

Counts are kept per China day (the platform's calendar): operations per (department, kind,
purpose, outcome) with the rows they read, and decided items per (department, provider,
resource, item, purpose, effect, basis, outcome) — ``basis`` names the grant a decision
rested on, so how much each grant was used is a sum over its basis.
"""

from __future__ import annotations

import calendar
import datetime
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govshare import clock
from govshare.audit.statistics_sql import count_chunk
from govshare.store.tables import audit_records, stats_items, stats_operations, stats_progress

CHUNK = 5000
PERIODS = ("day", "month", "year")
OPERATION_KEYS = ("department", "kind", "purpose", "outcome")
ITEM_KEYS = ("department", "provider", "resource", "item", "purpose", "effect", "basis", "outcome")


async def roll_up(engine: AsyncEngine, providers: Mapping[str, str], *, chunk: int = CHUNK) -> int:
    """Count every record not counted yet, a chunk per transaction; returns how many were counted."""
    counted = 0
    while True:
        async with engine.begin() as conn:
            step = await _step(conn, providers, chunk)
        counted += step
        if step < chunk:
            return counted


async def _step(conn: AsyncConnection, providers: Mapping[str, str], chunk: int) -> int:
    last = await _take_progress(conn)
    if conn.dialect.name == "postgresql":
        return await count_chunk(conn, last, providers, chunk)
    c = audit_records.c
    found = await conn.execute(
        select(c.seq, c.recorded_at, c.department, c.kind, c.purpose, c.outcome, c.decisions, c.sources)
        .where(c.seq > last)
        .order_by(c.seq)
        .limit(chunk)
    )
    records = found.all()
    if not records:
        return 0
    operations: Counter[tuple[Any, ...]] = Counter()
    rows: Counter[tuple[Any, ...]] = Counter()
    items: Counter[tuple[Any, ...]] = Counter()
    for r in records:
        day = clock.as_utc(r.recorded_at).astimezone(clock.CHINA).date()
        department, purpose = r.department or "", r.purpose or ""
        key = (day, department, r.kind, purpose, r.outcome)
        operations[key] += 1
        rows[key] += sum(int(s.get("rows", 0)) for s in (r.sources or {}).values())
        for resource, item, effect, basis, *_ in r.decisions or ():
            provider = providers.get(resource, "")
            items[(day, department, provider, resource, item, purpose, effect, basis, r.outcome)] += 1
    ops = [(*k, n, rows[k]) for k, n in operations.items()]
    await _add(conn, stats_operations, ("span", "day", *OPERATION_KEYS), _spans(ops, 2), ("operations", "rows"))
    await _add(conn, stats_items, ("span", "day", *ITEM_KEYS), _spans([(*k, n) for k, n in items.items()], 1),
               ("operations",))  # fmt: skip
    await conn.execute(update(stats_progress).where(stats_progress.c.id == 1).values(last_seq=records[-1].seq))
    return len(records)


def _spans(counts: list[tuple[Any, ...]], width: int) -> list[tuple[Any, ...]]:
    """Each day's counts (the last ``width`` values of each), and the same added up per month
    (whose row is dated its first day)."""
    months: dict[tuple[Any, ...], list[int]] = {}
    for day, *rest in counts:
        total = months.setdefault((day.replace(day=1), *rest[:-width]), [0] * width)
        for n, value in enumerate(rest[-width:]):
            total[n] += value
    return [("day", *c) for c in counts] + [("month", *k, *v) for k, v in months.items()]


async def _take_progress(conn: AsyncConnection) -> int:
    """The last ``seq`` counted, the progress row locked for this transaction (made on first use)."""
    now = clock.real_now()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # Made once; a second process making it at the same moment waits, then finds it made.
    await conn.execute(dialect.insert(stats_progress).values(id=1, last_seq=0, updated_at=now).on_conflict_do_nothing())
    await conn.execute(update(stats_progress).where(stats_progress.c.id == 1).values(updated_at=now))
    last = await conn.scalar(select(stats_progress.c.last_seq).where(stats_progress.c.id == 1))
    return int(last or 0)


async def _add(
    conn: AsyncConnection, table: Table, keys: Sequence[str], values: list[tuple[Any, ...]], counts: Sequence[str]
) -> None:
    """Add ``counts`` to the rows of ``keys`` (made when missing): one upsert for them all."""
    if not values:
        return
    names = [*keys, *counts]
    statement = sqlite.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={n: table.c[n] + statement.excluded[n] for n in counts},
    )
    await conn.execute(statement, [dict(zip(names, v, strict=True)) for v in values])


async def counted_up_to(engine: AsyncEngine) -> int:
    """The ``seq`` of the last audit record counted (0 before any)."""
    async with engine.connect() as conn:
        last = await conn.scalar(select(stats_progress.c.last_seq).where(stats_progress.c.id == 1))
    return int(last or 0)


@dataclass(frozen=True, slots=True)
class Query:
    """Which counts to read: a span of days, grouped by period and dimensions, for whom."""

    since: datetime.date
    until: datetime.date  # inclusive
    by: str | None = None  # day | month | year | None (the whole span)
    group: tuple[str, ...] = ()
    # A department admin's view: operations it made, items it used or provided.
    department: str | None = None


async def operations(engine: AsyncEngine, query: Query) -> list[dict[str, Any]]:
    """Operations and the rows they read, grouped as ``query`` asks (keys of OPERATION_KEYS)."""
    table = stats_operations
    where = [table.c.department == query.department] if query.department is not None else []
    return await _read(engine, table, query, OPERATION_KEYS, ("operations", "rows"), where)


async def items(engine: AsyncEngine, query: Query) -> list[dict[str, Any]]:
    """Decided items grouped as ``query`` asks (keys of ITEM_KEYS): denials are ``effect`` deny."""
    table = stats_items
    where = []
    if query.department is not None:
        where = [(table.c.department == query.department) | (table.c.provider == query.department)]
    return await _read(engine, table, query, ITEM_KEYS, ("operations",), where)


async def _read(
    engine: AsyncEngine, table: Table, query: Query, keys: Sequence[str], counts: Sequence[str], where: list[Any]
) -> list[dict[str, Any]]:
    unknown = [g for g in query.group if g not in keys]
    if unknown or (query.by is not None and query.by not in PERIODS):
        what = f"group {unknown[0]!r}" if unknown else f"period {query.by!r}"
        raise ValueError(f"cannot read statistics by {what}: group by {', '.join(keys)}; periods {', '.join(PERIODS)}")
    columns = [table.c[g] for g in query.group]
    if query.by is not None:
        columns.insert(0, _period(engine, table, query.by).label("period"))
    statement = (
        select(*columns, *(func.sum(table.c[n]).label(n) for n in counts))
        .where(_days(table, query), *where)
        .group_by(*columns)
        .order_by(*columns)
    )
    async with engine.connect() as conn:
        found = await conn.execute(statement)
        # Without groups, an empty span is one row of NULL sums: no line, as with groups.
        return [{**row._asdict(), **{n: int(row._mapping[n]) for n in counts}} for row in found
                if row._mapping[counts[0]] is not None]  # fmt: skip


def _days(table: Table, query: Query) -> Any:
    """The rows that make up the span: a month's row for every whole month in it (unless read by
    day), the days' rows for the rest."""
    c = table.c
    since, until = query.since, query.until
    # Months as numbers, so that no date past 9999-12-31 is ever made.
    first = _month(since) + (since.day != 1)  # the first whole month
    last = _month(until) - (until != _month_end(_month(until)))  # the last whole month
    if query.by == "day" or first > last:
        return (c.span == "day") & (c.day >= since) & (c.day <= until)
    months = (c.span == "month") & (c.day >= _month_start(first)) & (c.day <= _month_start(last))
    edges = ((c.day >= since) & (c.day < _month_start(first))) | ((c.day > _month_end(last)) & (c.day <= until))
    return months | ((c.span == "day") & edges)


def _month(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(month: int) -> datetime.date:
    return datetime.date(month // 12, month % 12 + 1, 1)


def _month_end(month: int) -> datetime.date:
    start = _month_start(month)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def _period(engine: AsyncEngine, table: Table, by: str) -> Any:
    """The day as its period's text: 2026-03-08, 2026-03 or 2026."""
    width = {"day": 10, "month": 7, "year": 4}[by]
    if engine.dialect.name == "postgresql":
        return func.substr(func.to_char(table.c.day, "YYYY-MM-DD"), 1, width)
    return func.substr(table.c.day, 1, width) + literal("")
