"""One workflow step: a state change and its event, and, for decisions that grant, the grant.

A step moves a record only out of the state it was read in, so two answers given at the
same moment cannot both succeed: the second is told that another step came first.
"""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import Table, update

from govshare.errors import GovshareError, bad_input
from govshare.identity import Caller
from govshare.policies.granting import add_grant, check_grant
from govshare.policies.live import PolicyStore
from govshare.store.grant_rows import Grant, NewGrant
from govshare.workflows.deadlines import cst_day
from govshare.workflows.events import record_event
from govshare.workflows.records import Application, Coordination, transition


def grant_for(
    request: Application | Coordination,
    origin: str,
    effect: str,
    scope: dict[str, Any] | None,
    until: datetime.date | None,
    reason: str,
) -> NewGrant:
    """The grant an answer to ``request`` makes: what was asked for, narrowed by the answer."""
    return NewGrant(
        department=request.department,
        resource=request.resource,
        items=request.items,
        purposes=request.purposes,
        effect=effect,
        scope=scope if scope is not None else request.scope,
        valid_until=until if until is not None else request.valid_until,
        origin=origin,
        origin_id=request.id,
        reason=reason,
    )


def _came_first(target: str, record_id: int, from_state: str) -> GovshareError:
    what = target.replace("_", " ")
    return bad_input(f"{what} {record_id} is no longer {from_state}: another step came first; read it again")


async def advance(
    store: PolicyStore,
    caller: Caller,
    table: Table,
    target: str,
    record_id: int,
    from_state: str,
    values: dict[str, Any],
    now: datetime.datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """Apply ``values`` (including the new ``state``) and record ``<target>.<state>`` at once."""
    async with store.engine.begin() as conn:
        if not await transition(conn, table, record_id, from_state, values):
            raise _came_first(target, record_id, from_state)
        await record_event(conn, caller, f"{target}.{values['state']}", target, record_id, now, details)


async def advance_with_grant(
    store: PolicyStore,
    caller: Caller,
    table: Table,
    target: str,
    record_id: int,
    from_state: str,
    values: dict[str, Any],
    now: datetime.datetime,
    new: NewGrant,
    details: dict[str, Any] | None = None,
) -> Grant:
    """Like :func:`advance`, and make ``new`` a grant: a new policy version, seen by the next request.

    The record is claimed first, so that only one decision creates a grant; if the grant
    cannot be made after all, the claim is undone and the record is as it was.
    """
    check_grant(
        store.catalog, new, cst_day(now), store.current
    )  # refuse before claiming, with the grant's own messages
    async with store.engine.begin() as conn:
        if not await transition(conn, table, record_id, from_state, values):
            raise _came_first(target, record_id, from_state)
    try:
        grant = await add_grant(store, new, caller)
    except Exception:
        undo = {name: None for name in values if name != "state"}
        async with store.engine.begin() as conn:
            await conn.execute(update(table).where(table.c.id == record_id).values(state=from_state, **undo))
        raise
    granted = {
        "grant": grant.id,
        "effect": grant.effect,
        "scope": grant.scope,
        "until": grant.valid_until.isoformat() if grant.valid_until else None,
        "policyVersion": store.current.version,
    }
    async with store.engine.begin() as conn:
        await conn.execute(update(table).where(table.c.id == record_id).values(grant_id=grant.id))
        await record_event(
            conn, caller, f"{target}.{values['state']}", target, record_id, now, {**(details or {}), **granted}
        )
    return grant
