"""Supervision signals over GraphQL (R9): the platform authority reads them all and acknowledges
them with a note; a department administrator reads those concerning its department."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry

from govshare.errors import FORBIDDEN, GovshareError, bad_input
from govshare.identity import require_role
from govshare.oversight.signals import Signal, acknowledge, signals
from govshare.resolvers.context import RequestContext


@strawberry.type(description="Something the platform authority should look into, explained (R9).")
class SupervisionSignal:
    key: str = strawberry.field(description="Stable: the same finding keeps its key, and its note")
    kind: str = strawberry.field(
        description="late_data, unreachable_source, missing_columns, stale_entry, grant_volume, denied_burst, "
        "after_end or quota_exhausted"
    )
    department: str = strawberry.field(description="Whom it concerns: the provider, or the using department")
    resource: str | None
    since: datetime.date
    what: str = strawberry.field(description="What was found, in words")
    records: list[int] = strawberry.field(description="The first audit records behind it (seq)")
    note: str | None = strawberry.field(description="The authority's acknowledgement")
    notedBy: str | None
    notedAt: datetime.datetime | None


def _info(signal: Signal) -> SupervisionSignal:
    return SupervisionSignal(
        key=signal.key, kind=signal.kind, department=signal.department, resource=signal.resource,
        since=signal.since, what=signal.what, records=signal.records, note=signal.note, notedBy=signal.noted_by,
        notedAt=signal.noted_at,
    )  # fmt: skip


async def supervision_signals(info: strawberry.Info, department: str | None = None) -> list[SupervisionSignal]:
    ctx: RequestContext = info.context
    caller = ctx.caller
    require_role(caller, "reading supervision signals", "authority", "dept_admin")
    if not caller.has("authority"):
        if department not in (None, caller.department):
            raise GovshareError(FORBIDDEN, f"a department administrator reads the signals of {caller.department} only")
        department = caller.department
    return [_info(s) for s in await signals(ctx.runtime, department=department)]


async def supervision_acknowledge(info: strawberry.Info, key: str, note: str) -> SupervisionSignal:
    ctx: RequestContext = info.context
    require_role(ctx.caller, "acknowledging a supervision signal", "authority")
    if not note.strip():
        raise bad_input("give a note: what was done about the signal, or why it needs nothing")
    current = {s.key: s for s in await signals(ctx.runtime)}
    if key not in current:
        raise bad_input(f"there is no signal {key!r} now; read supervisionSignals for the current keys")
    await acknowledge(ctx.runtime.audit.engine, key, note.strip(), ctx.caller.actor)
    [found] = [s for s in await signals(ctx.runtime, department=current[key].department) if s.key == key]
    return _info(found)


def supervision_fields() -> dict[str, Any]:
    return {
        "supervisionSignals": strawberry.field(
            resolver=supervision_signals,
            description="Late data, unreachable sources, sources lacking declared columns, stale catalog entries "
            "and signs of misuse, each explained; the authority's all, a department administrator's own",
        )
    }


@strawberry.type(description="Supervision operations.")
class SupervisionMutation:
    supervisionAcknowledge: SupervisionSignal = strawberry.field(
        resolver=supervision_acknowledge,
        description="The authority acknowledges a signal with a note (a second note replaces the first).",
    )
