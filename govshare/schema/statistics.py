"""Sharing statistics over GraphQL (R12): the platform authority reads every department's, a
department administrator its own — what it used, and (for items) what it provided.

The counts are those rolled up from the audit log (audit.statistics), as far as the last roll-up
has read (``countedUpTo``); the server counts new records every ``GOVSHARE_STATS_INTERVAL`` s.
"""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from govshare.audit import statistics
from govshare.audit.statistics import ITEM_KEYS, OPERATION_KEYS, Query
from govshare.errors import FORBIDDEN, GovshareError, bad_input
from govshare.identity import require_role
from govshare.resolvers.context import RequestContext


@strawberry.type(description="One line of counts: its period (when asked by one) and the values it is grouped by.")
class StatisticsLine:
    period: str | None = strawberry.field(description="2026-03-08, 2026-03 or 2026 (China time)")
    key: JSON = strawberry.field(description="dimension → value, for the dimensions asked for")
    operations: int
    rows: int | None = strawberry.field(description="Rows the operations read (operations only)")


@strawberry.type(description="Counts of a span of days, from the audit log.")
class SharingStatistics:
    lines: list[StatisticsLine]
    countedUpTo: int = strawberry.field(description="The last audit record counted (its seq)")


def seen_department(
    ctx: RequestContext, department: str | None, what: str, since: datetime.date, until: datetime.date
) -> str | None:
    """Whose figures the caller may read: the authority any department's (None: all), a
    department administrator its own only."""
    caller = ctx.caller
    require_role(caller, f"reading sharing {what}", "authority", "dept_admin")
    if until < since:
        raise bad_input(f"until {until} is before since {since}")
    if caller.has("authority"):
        return department
    if department not in (None, caller.department):
        raise GovshareError(FORBIDDEN, f"a department administrator reads {caller.department}'s {what} only")
    return caller.department


async def _statistics(
    info: strawberry.Info,
    since: datetime.date,
    until: datetime.date,
    by: str | None,
    group: list[str] | None,
    department: str | None,
    keys: tuple[str, ...],
    items: bool,
) -> SharingStatistics:
    ctx: RequestContext = info.context
    seen = seen_department(ctx, department, "statistics", since, until)
    dimensions = tuple(group or ())
    unknown = [g for g in dimensions if g not in keys]
    if unknown or (by is not None and by not in statistics.PERIODS):
        problem = f"group {unknown[0]!r}: group by {', '.join(keys)}" if unknown else f"by {by!r}: day, month or year"
        raise bad_input(f"cannot read statistics by {problem}")
    engine = ctx.runtime.audit.engine
    query = Query(since, until, by, dimensions, seen)
    found = await (statistics.items if items else statistics.operations)(engine, query)
    return SharingStatistics(
        lines=[_line(row, dimensions) for row in found], countedUpTo=await statistics.counted_up_to(engine)
    )


def _line(row: dict[str, Any], dimensions: tuple[str, ...]) -> StatisticsLine:
    return StatisticsLine(
        period=row.get("period"),
        key={d: row[d] for d in dimensions},  # type: ignore[arg-type]
        operations=row["operations"],
        rows=row.get("rows"),
    )


def _resolver(keys: tuple[str, ...], *, items: bool) -> Any:
    async def resolve(
        info: strawberry.Info,
        since: datetime.date,
        until: datetime.date,
        by: str | None = None,
        group: list[str] | None = None,
        department: str | None = None,
    ) -> SharingStatistics:
        return await _statistics(info, since, until, by, group, department, keys, items)

    return resolve


def statistics_fields() -> dict[str, Any]:
    return {
        "sharingOperations": strawberry.field(
            resolver=_resolver(OPERATION_KEYS, items=False),
            description="Operations per period and dimension (department, kind, purpose, outcome), with the rows "
            "they read; the authority's of every department, a department administrator's own",
        ),
        "sharingItems": strawberry.field(
            resolver=_resolver(ITEM_KEYS, items=True),
            description="Decided items per period and dimension (department, provider, resource, item, purpose, "
            "effect, basis, outcome): use by grant (basis grant:<id>), denied attempts (effect deny); a "
            "department administrator's as user and as provider",
        ),
    }
