"""Supervision signals (R9, art. 17, 28): what the platform authority should look into, each
explained — what, who, since when, and the audit records behind it — and acknowledgeable
with a note.

Data and catalog: *late data* (a resource's newest record, by its catalog ``updated_item``, is
older than its ``update_cycle`` allows), *unreachable sources* and *sources that lack declared
columns* (one row of every declared column is asked for), *stale catalog entries* (unchanged
for longer than ``GOVSHARE_CATALOG_STALE_DAYS``). Use: a grant used *far beyond* the usual
monthly volume of grants for its purpose, *bursts of denied attempts* by a department on one
day, reads *after a grant ended*, and verify quotas *exhausted*. The use signals are read from
the statistics roll-up (as far as it has counted), the others from the sources and the store.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, and_, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govshare import clock
from govshare.catalog import parse_catalog
from govshare.catalog.model import Catalog, Resource
from govshare.connectors.base import Connector, Declined, Select, SourceUnavailable, TableRef
from govshare.filters import OrderKey
from govshare.runtime import Runtime, table_refs
from govshare.store.tables import (
    audit_records,
    catalog_versions,
    grants,
    stats_items,
    supervision_notes,
    verify_checks,
)

# How old the newest record may be, in days, for each update cycle (a cycle and a day's grace).
ALLOWED_AGE = {"realtime": 1, "daily": 2, "weekly": 8, "monthly": 32, "quarterly": 93, "yearly": 367}
BURST_FLOOR = 50  # denied items in a day below which no burst is signalled
BURST_TIMES = 5  # … nor below this many times the department's median day of denials
VOLUME_FLOOR = 200  # item values read through a grant in a month below which no volume is signalled
VOLUME_TIMES = 5  # … nor below this many times the median month of grants for the same purpose
RECORDS = 10  # audit records named behind a signal


@dataclass(slots=True)
class Signal:
    key: str  # stable: the same finding has the same key, so its note stays with it
    kind: str
    department: str  # whom it concerns: the provider (data, catalog) or the user (use)
    resource: str | None
    since: datetime.date
    what: str
    records: list[int] = field(default_factory=list)  # seq of audit records behind it
    note: str | None = None
    noted_by: str | None = None
    noted_at: datetime.datetime | None = None


async def signals(runtime: Runtime, *, department: str | None = None) -> list[Signal]:
    """Every signal (concerning ``department`` only, when given), newest first, with their notes."""
    engine = runtime.audit.engine
    today = clock.today()
    found = [*await data_signals(runtime.catalog, runtime.connectors, today), *await _stale(runtime, today)]
    async with engine.connect() as conn:
        found += await _bursts(conn)
        found += await _volumes(conn)
        found += await _after_end(conn, today)
        found += await _quotas(conn, runtime.settings.verify_checks_per_day)
        notes = {row.signal: row for row in await conn.execute(select(supervision_notes))}
    chosen = [s for s in found if department is None or s.department == department]
    for signal in chosen:
        note = notes.get(signal.key)
        if note is not None:
            signal.note, signal.noted_by, signal.noted_at = note.note, note.noted_by, clock.as_utc(note.noted_at)
    return sorted(chosen, key=lambda s: (s.since, s.key), reverse=True)


async def acknowledge(engine: AsyncEngine, key: str, note: str, by: str) -> None:
    """Keep the authority's note on the signal ``key`` (a second note replaces the first)."""
    async with engine.begin() as conn:
        await conn.execute(supervision_notes.delete().where(supervision_notes.c.signal == key))
        await conn.execute(supervision_notes.insert().values(signal=key, note=note, noted_at=clock.now(), noted_by=by))


# -- data and catalog ---------------------------------------------------------------------------


async def data_signals(catalog: Catalog, connectors: Mapping[str, Connector], today: datetime.date) -> list[Signal]:
    """Late data, unreachable sources and missing columns: each resource's source is asked."""
    found = []
    tables = table_refs(catalog)
    for resource in catalog.resources.values():
        table, connector = tables[resource.name], connectors[resource.source]
        try:
            await connector.select(Select(table, tuple(table.columns), limit=1))
            newest = await _newest(connector, table, resource)
        except Declined:
            continue  # a source that cannot order by the update item: its freshness is not known
        except Exception as exc:
            found.append(await _source_problem(connector, table, resource, exc, today))
            continue
        if newest is None or resource.updated_item is None:
            continue
        age = (today - newest).days
        allowed = ALLOWED_AGE.get(resource.update_cycle, 367)
        if age > allowed:
            found.append(Signal(
                f"late_data:{resource.name}", "late_data", resource.provider, resource.name, newest,
                f"{resource.name} ({resource.title}): its newest record was updated on {newest} ({age} days ago, by "
                f"{resource.updated_item}); update_cycle {resource.update_cycle} allows {allowed}",
            ))  # fmt: skip
    return found


async def _source_problem(
    connector: Connector, table: TableRef, resource: Resource, failed: Exception, today: datetime.date
) -> Signal:
    """Why a source cannot give a resource's declared columns: it does not answer at all, or it
    answers for the key but not for some columns (each asked for alone, to name them)."""
    try:
        await connector.select(Select(table, (table.key,), limit=1))
    except Exception as exc:
        reason = exc.reason if isinstance(exc, SourceUnavailable) else str(exc).splitlines()[0][:300]
        what = f"{resource.name}: its source '{resource.source}' does not answer: {reason}"
        return Signal(f"unreachable_source:{resource.name}", "unreachable_source", resource.provider,
                      resource.name, today, what)  # fmt: skip
    missing = []
    for column in table.columns:
        try:
            await connector.select(Select(table, (column,), limit=1))
        except Exception:
            missing.append(column)
    columns = ", ".join(missing) or f"(each answers alone; together: {str(failed).splitlines()[0][:200]})"
    what = f"{resource.name}: table '{resource.table}' of source '{resource.source}' lacks declared columns: {columns}"
    return Signal(f"missing_columns:{resource.name}", "missing_columns", resource.provider, resource.name, today, what)


async def _newest(connector: Connector, table: TableRef, resource: Resource) -> datetime.date | None:
    if resource.updated_item is None:
        return None
    column = resource.items[resource.updated_item].column
    order = (OrderKey(column, descending=True), OrderKey(table.key))
    rows = await connector.select(Select(table, (column,), order=order, limit=1))
    value = rows[0][0] if rows else None
    if isinstance(value, datetime.datetime):
        return clock.as_utc(value).astimezone(clock.CHINA).date()
    return value if isinstance(value, datetime.date) else None


async def _stale(runtime: Runtime, today: datetime.date) -> list[Signal]:
    """Catalog entries unchanged for longer than the setting allows: since the first version that
    defines the resource as the catalog in force does."""
    async with runtime.audit.engine.connect() as conn:
        versions = (await conn.execute(
            select(catalog_versions.c.text, catalog_versions.c.first_loaded_at).order_by(catalog_versions.c.id.desc())
        )).all()  # fmt: skip
    limit = runtime.settings.catalog_stale_days
    parsed = [(_resources_in(text), first) for text, first in versions]  # newest first
    found = []
    for resource in runtime.catalog.resources.values():
        since: datetime.datetime | None = None
        for resources, first in parsed:
            if resources.get(resource.name) != resource or first is None:
                break
            since = clock.as_utc(first)
        if since is None:
            continue
        day = since.astimezone(clock.CHINA).date()
        if (today - day).days > limit:
            found.append(Signal(
                f"stale_entry:{resource.name}", "stale_entry", resource.provider, resource.name, day,
                f"{resource.name} ({resource.title}): its catalog entry is unchanged since {day}, "
                f"{(today - day).days} days; entries are to be reviewed every {limit} days",
            ))  # fmt: skip
    return found


def _resources_in(text: str) -> dict[str, Resource]:
    try:
        return parse_catalog(text, "<catalog version>", env=_ANY_ENV).resources
    except Exception:  # a version that no longer parses: none of its entries is the same as today's
        return {}


class _AnyEnv(dict[str, str]):
    """Every ${VAR} of an old catalog version expands (to a placeholder): only entries are compared."""

    def __missing__(self, key: str) -> str:
        return f"<{key}>"

    def get(self, key: str, default: Any = None) -> Any:
        return self[key]


_ANY_ENV = _AnyEnv()


# -- use ------------------------------------------------------------------------------------------


async def _bursts(conn: AsyncConnection) -> list[Signal]:
    c = stats_items.c
    rows = (await conn.execute(
        select(c.department, c.day, c.operations).where(c.span == "day", c.effect == "deny")
    )).all()  # fmt: skip
    per_day: dict[str, dict[datetime.date, int]] = defaultdict(lambda: defaultdict(int))
    for department, day, n in rows:
        per_day[department][day] += n
    found = []
    for department, days in per_day.items():
        for (day, n), usual in zip(days.items(), median_of_others(list(days.values())), strict=True):
            if n >= BURST_FLOOR and n >= BURST_TIMES * usual and department:
                found.append(Signal(
                    f"denied_burst:{department}:{day}", "denied_burst", department, None, day,
                    f"{department} was refused {n} items on {day}, against {usual:g} on its usual day",
                    await _records(conn, department, day, day, '"deny"'),
                ))  # fmt: skip
    return found


async def _volumes(conn: AsyncConnection) -> list[Signal]:
    c = stats_items.c
    rows = (await conn.execute(
        select(c.basis, c.department, c.purpose, c.day, c.operations)
        .where(c.span == "month", c.basis.like("grant:%"), c.effect != "deny")
    )).all()  # fmt: skip
    months: dict[tuple[str, str, str, datetime.date], int] = defaultdict(int)
    for basis, department, purpose, day, n in rows:
        months[(basis, department, purpose, day)] += n
    found = []
    by_purpose: dict[str, list[tuple[str, str, datetime.date]]] = defaultdict(list)
    for basis, department, purpose, month in months:
        by_purpose[purpose].append((basis, department, month))
    usual_of = {}
    for purpose, keys in by_purpose.items():
        values = median_of_others([months[(b, d, purpose, m)] for b, d, m in keys])
        usual_of.update({(b, d, purpose, m): u for (b, d, m), u in zip(keys, values, strict=True)})
    for (basis, department, purpose, month), n in months.items():
        usual = usual_of[(basis, department, purpose, month)]
        if n >= VOLUME_FLOOR and n >= VOLUME_TIMES * usual:
            end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
            found.append(Signal(
                f"grant_volume:{basis}:{month:%Y-%m}", "grant_volume", department, None, month,
                f"{department} read {n} item values through {basis.replace(':', ' ')} for '{purpose}' in "
                f"{month:%Y-%m}, against {usual:g} in the usual month of grants for that purpose",
                await _records(conn, department, month, end, f'"{basis}"'),
            ))  # fmt: skip
    return found


def median_of_others(values: list[int]) -> list[float]:
    """For each value, the median of the others (0 when there are none: only the floor holds then).

    Sorted once; the median without one element is read off the sorted list around it, so a log
    of many days or grants costs n log n, not n squared."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranked = [values[i] for i in order]
    found = [0.0] * len(values)
    rest = len(values) - 1
    for place, index in enumerate(order):
        if rest == 0:
            break

        def nth(k: int, place: int = place) -> int:  # the k-th of the others, in order
            return ranked[k if k < place else k + 1]

        found[index] = nth(rest // 2) if rest % 2 else (nth(rest // 2 - 1) + nth(rest // 2)) / 2
    return found


async def _after_end(conn: AsyncConnection, today: datetime.date) -> list[Signal]:
    """Denied reads of an item after the grant that opened it to the department ended."""
    ended = (await conn.execute(select(grants).where(
        (grants.c.revoked_at.is_not(None)) | (grants.c.valid_until < today)
    ))).all()  # fmt: skip
    found = []
    c = stats_items.c
    for grant in ended:
        end = grant.valid_until if grant.revoked_at is None else clock.as_utc(grant.revoked_at).astimezone(
            clock.CHINA).date()  # fmt: skip
        if grant.valid_until is not None and grant.revoked_at is not None:
            end = min(end, grant.valid_until)
        tried = await conn.scalar(select(func.sum(c.operations)).where(
            c.span == "day", c.effect == "deny", c.department == grant.department, c.resource == grant.resource,
            c.item.in_(list(grant.items)), c.purpose.in_(list(grant.purposes)), c.day > end,
        ))  # fmt: skip
        if tried:
            found.append(Signal(
                f"after_end:grant:{grant.id}", "after_end", grant.department, grant.resource, end,
                f"{grant.department} tried {tried} times to read {grant.resource}.{{{','.join(grant.items)}}} after "
                f"grant {grant.id} ended on {end}",
                await _records(conn, grant.department, end + datetime.timedelta(days=1), None, '"deny"'),
            ))  # fmt: skip
    return found


async def _quotas(conn: AsyncConnection, quota: int) -> list[Signal]:
    rows = (await conn.execute(
        select(verify_checks.c.grant_id, verify_checks.c.day, grants.c.department, grants.c.resource)
        .join(grants, grants.c.id == verify_checks.c.grant_id)
        .where(verify_checks.c.checks >= quota)
    )).all()  # fmt: skip
    return [
        Signal(
            f"quota_exhausted:grant:{grant_id}:{day}", "quota_exhausted", department, resource, day,
            f"{department} used up the {quota} verification checks a day of grant {grant_id} ({resource}) on {day}",
            await _records(conn, department, day, day, '"QUOTA_EXCEEDED"', column=audit_records.c.error_codes),
        )
        for grant_id, day, department, resource in rows
    ]  # fmt: skip


async def _records(
    conn: AsyncConnection,
    department: str,
    first: datetime.date,
    last: datetime.date | None,
    containing: str,
    *,
    column: Any = audit_records.c.decisions,
) -> list[int]:
    """The first audit records of ``department`` on those China days whose ``column`` holds ``containing``."""
    c = audit_records.c
    start = clock.day_start(first)
    end = clock.day_start(last + datetime.timedelta(days=1)) if last is not None and last < datetime.date.max else None
    where = [c.department == department, cast(column, Text).like(f"%{containing}%")]
    where += [*([c.recorded_at >= start] if start else []), *([c.recorded_at < end] if end else [])]
    found = await conn.execute(select(c.seq).where(and_(*where)).order_by(c.seq).limit(RECORDS))
    return [int(seq) for seq in found.scalars()]
