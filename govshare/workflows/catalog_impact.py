"""Whom a new catalog version affects: the grants it ends, the applications it overtakes, the clients it breaks.

The report is made before the version is published, for the authority and the departments;
the grants it lists as ending are ended (:func:`end_grants`) in the transaction that
publishes the version, so the policy version written after it no longer holds them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare.catalog.changes import CatalogChanges, change_lines
from govshare.catalog.model import Sharing
from govshare.clock import as_utc
from govshare.policies.ruleset import grant_basis
from govshare.store.grant_rows import Grant, list_grants, revoke_grant
from govshare.store.tables import applications as applications_table
from govshare.store.tables import audit_records
from govshare.workflows.deadlines import cst_day
from govshare.workflows.records import SUBMITTED, Application, fetch

DAYS = 90
# Patterns per statement: SQLite parses a chain of ORs as deep as it is long (limit 1000).
PATTERNS_PER_STATEMENT = 200
# An auditor's replay reruns a recorded operation; it is not a client's use.
NOT_CLIENT_KINDS = ("replay",)
Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class GrantRef:
    """An active grant the change reaches; ``affected``: those of its items it reaches."""

    id: int
    department: str
    resource: str
    items: tuple[str, ...]
    purposes: tuple[str, ...]
    effect: str
    origin: str
    valid_until: datetime.date | None
    affected: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ApplicationRef:
    """An open (submitted) application naming an item the change reaches."""

    id: int
    department: str
    resource: str
    items: tuple[str, ...]
    purposes: tuple[str, ...]
    state: str
    overdue: bool
    deadline: datetime.date
    affected: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClientUse:
    """Operations of one client (department, address, operation name) that touched a broken item,
    or read an item through a grant that ends."""

    department: str | None
    client: str | None  # the address the operation came from
    operation_name: str | None
    count: int
    last_used: datetime.datetime
    items: tuple[str, ...]  # "Resource.item" of those items


@dataclass(frozen=True, slots=True)
class Impact:
    # Grants on ended items (gone, or turned withheld and made on application): ended on publication.
    grants_ended: tuple[GrantRef, ...]
    # Grants on items turned unconditional: no longer needed, left as they are.
    grants_moot: tuple[GrantRef, ...]
    # Grants of the authority (direct or by coordination) on items turned withheld: they keep
    # holding, as the authority may open withheld items, and are listed for it to review.
    applications: tuple[ApplicationRef, ...]
    clients: tuple[ClientUse, ...]
    since: datetime.datetime  # the start of the audit window the clients are read from
    days: int = DAYS


async def impact(conn: AsyncConnection, changes: CatalogChanges, *, now: datetime.datetime, days: int = DAYS) -> Impact:
    """Whom ``changes`` affect, read from the platform database as ``conn`` sees it."""
    ended, moot = await _grants(conn, changes, cst_day(now))
    # UTC: SQLite compares the stored times as text.
    since = as_utc(now) - datetime.timedelta(days=days)
    return Impact(
        grants_ended=ended,
        grants_moot=moot,
        applications=await _applications(conn, changes, cst_day(now)),
        clients=await _clients(conn, changes, ended, since),
        since=since,
        days=days,
    )


async def end_grants(
    conn: AsyncConnection, impact: Impact, *, by: str, reason: str, now: datetime.datetime
) -> list[int]:
    """Revoke exactly ``impact.grants_ended``; the ids of those revoked (one revoked meanwhile is left out).

    Run it in the write of the policy change that publishes the version (``PolicyStore.change``),
    so the new policy version is derived without them."""
    revoked: list[int] = []
    for grant in impact.grants_ended:
        if await revoke_grant(conn, grant.id, by=by, reason=reason, now=now):
            revoked.append(grant.id)
    return revoked


def report_lines(changes: CatalogChanges, impact: Impact | None) -> list[str]:
    """The change report, one line per fact: the grants that end first, then whom else the
    change reaches, then the catalog's changes themselves."""
    lines: list[str] = []
    if impact is not None:
        lines += [_ended_line(changes, g) for g in impact.grants_ended]
        lines += [_moot_line(g) for g in impact.grants_moot]
        lines += [_application_line(changes, a) for a in impact.applications]
        lines += [_client_line(c, impact.days) for c in impact.clients]
    return lines + change_lines(changes)


async def _grants(
    conn: AsyncConnection, changes: CatalogChanges, today: datetime.date
) -> tuple[tuple[GrantRef, ...], tuple[GrantRef, ...]]:
    """(ended, moot) among the active grants."""
    ended_items, moot_items = changes.ended_items(), changes.moot_items()
    resources = sorted({r for r, _ in ended_items | moot_items})
    ended: list[GrantRef] = []
    moot: list[GrantRef] = []
    for resource in resources:
        for grant in await list_grants(conn, resource=resource):
            if not grant.active_on(today):
                continue
            named = [(grant.resource, item) for item in grant.items]
            # A grant was made for the item as it was: one turned withheld or gone ends it, whoever
            # made it (the authority may open a withheld item again, by a grant of its own).
            ending = [p for p in named if p in ended_items]
            if ending:
                ended.append(_grant_ref(grant, ending))
            elif any(p in moot_items for p in named):
                moot.append(_grant_ref(grant, [p for p in named if p in moot_items]))
    return _by_id(ended), _by_id(moot)


def _by_id(refs: list[GrantRef]) -> tuple[GrantRef, ...]:
    return tuple(sorted(refs, key=lambda g: g.id))


def _grant_ref(grant: Grant, affected: list[Pair]) -> GrantRef:
    return GrantRef(
        id=grant.id,
        department=grant.department,
        resource=grant.resource,
        items=grant.items,
        purposes=grant.purposes,
        effect=grant.effect,
        origin=grant.origin,
        valid_until=grant.valid_until,
        affected=tuple(item for _, item in affected),
    )


async def _applications(
    conn: AsyncConnection, changes: CatalogChanges, today: datetime.date
) -> tuple[ApplicationRef, ...]:
    changed = changes.changed_items()
    resources = sorted({r for r, _ in changed})
    if not resources:
        return ()
    table = applications_table
    found = await fetch(conn, Application, table, table.c.state == SUBMITTED, table.c.resource.in_(resources))
    refs = [
        ApplicationRef(
            id=a.id,
            department=a.department,
            resource=a.resource,
            items=a.items,
            purposes=a.purposes,
            state=a.state,
            overdue=a.overdue_on(today),
            deadline=a.deadline,
            affected=tuple(i for i in a.items if (a.resource, i) in changed),
        )
        for a in found
    ]
    return tuple(r for r in refs if r.affected)


@dataclass(slots=True)
class _Use:
    count: int = 0
    last_used: datetime.datetime | None = None
    items: set[str] = field(default_factory=set)


async def _clients(
    conn: AsyncConnection, changes: CatalogChanges, ended: Iterable[GrantRef], since: datetime.datetime
) -> tuple[ClientUse, ...]:
    """Uses of broken items in the audit records since ``since``, and reads of any item through a
    grant that ends (its decision's basis names the grant).

    ``touched`` holds " Resource.item=effect " tokens, so the database passes on only records
    that name a broken item (the window bounded by the index on ``recorded_at``); their
    ``decisions`` then say exactly which. A record is counted in the statement of the first
    target it matches, so none is counted twice across statements."""
    removed = frozenset(changes.resources_removed)
    bases = frozenset(grant_basis(g.id) for g in ended)
    granted = {(g.resource, i) for g in ended for i in g.items}
    targets: list[tuple[str, str | None]] = [(r, None) for r in sorted(removed)]
    broken = changes.broken_items()
    targets += sorted((r, i) for r, i in broken | granted if r not in removed)
    if not targets:
        return ()
    rank = {target: n for n, target in enumerate(targets)}
    uses: dict[tuple[str | None, str | None, str | None], _Use] = {}
    c = audit_records.c
    for start in range(0, len(targets), PATTERNS_PER_STATEMENT):
        chunk = targets[start : start + PATTERNS_PER_STATEMENT]
        stmt = select(c.department, c.client, c.operation_name, c.recorded_at, c.decisions).where(
            c.recorded_at >= since, c.kind.not_in(NOT_CLIENT_KINDS), or_(*_touched_like(chunk))
        )
        result = await conn.stream(stmt)
        async for row in result:
            hits = {k: t for k, t in _hits(row.decisions, removed, broken, bases).items() if t in rank}
            if not hits or not start <= min(rank[t] for t in hits.values()) < start + len(chunk):
                continue  # matched by a pattern only, or counted in another statement
            use = uses.setdefault((row.department, row.client, row.operation_name), _Use())
            use.count += 1
            moment = as_utc(row.recorded_at)
            use.last_used = moment if use.last_used is None else max(use.last_used, moment)
            use.items.update(hits)
    found = [
        ClientUse(department, client, operation, use.count, use.last_used, tuple(sorted(use.items)))
        for (department, client, operation), use in uses.items()
        if use.last_used is not None
    ]
    return tuple(sorted(found, key=lambda u: (u.department or "", u.client or "", u.operation_name or "")))


def _touched_like(targets: Iterable[tuple[str, str | None]]) -> list[ColumnElement[bool]]:
    column = audit_records.c.touched
    patterns = (f"% {_escaped(r)}.%" if i is None else f"% {_escaped(r)}.{_escaped(i)}=%" for r, i in targets)
    return [column.like(p, escape="\\") for p in patterns]


def _escaped(name: str) -> str:
    """A name as a literal in a LIKE pattern: GraphQL names hold '_', a LIKE wildcard."""
    return name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _hits(
    decisions: Any, removed: frozenset[str], broken: frozenset[Pair], bases: frozenset[str]
) -> dict[str, tuple[str, str | None]]:
    """The items a record's decisions ([resource, item, effect, basis]) name that break, each with
    the target (pattern) that finds it."""
    hits: dict[str, tuple[str, str | None]] = {}
    for decision in decisions or ():
        resource, item = decision[0], decision[1]
        basis = decision[3] if len(decision) > 3 else None
        if resource in removed:
            hits[f"{resource}.{item}"] = (resource, None)
        elif (resource, item) in broken or basis in bases:
            hits[f"{resource}.{item}"] = (resource, item)
    return hits


def _share(g: GrantRef | ApplicationRef) -> str:
    return f"{g.department}, {g.resource}: {', '.join(g.items)}; purposes {', '.join(g.purposes)}"


def _fates(changes: CatalogChanges, resource: str, items: Iterable[str]) -> str:
    return "; ".join(dict.fromkeys(changes.item_fate(resource, item) for item in items))


def _ended_line(changes: CatalogChanges, g: GrantRef) -> str:
    line = f"grant {g.id} ({_share(g)}) ends: {_fates(changes, g.resource, g.affected)}"
    others = [i for i in g.items if i not in g.affected and (g.resource, i) not in changes.moot_items()]
    if others:
        line += f"; its other items ({', '.join(others)}) end with it: apply again for them"
    return line


def _moot_line(g: GrantRef) -> str:
    items = ", ".join(f"{g.resource}.{i}" for i in g.affected)
    return f"grant {g.id} ({_share(g)}) is no longer needed for {items}: it turns {Sharing.UNCONDITIONAL.value}"


def _application_line(changes: CatalogChanges, a: ApplicationRef) -> str:
    state = f"{a.state}, overdue since {a.deadline}" if a.overdue else f"{a.state}, due {a.deadline}"
    return f"application {a.id} ({_share(a)}; {state}) is affected: {_fates(changes, a.resource, a.affected)}"


def _client_line(use: ClientUse, days: int) -> str:
    operation = f"operation {use.operation_name}" if use.operation_name else "unnamed operations"
    client = f"client {use.client}" if use.client else "an unknown client"
    department = use.department or "no department"
    return (
        f"{client} of {department}, {operation}: {use.count} operation{'s' if use.count != 1 else ''} "
        f"in the last {days} days touched {', '.join(use.items)}, last on {use.last_used:%Y-%m-%d %H:%M} UTC"
    )
