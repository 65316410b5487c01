"""Coordination by the platform authority (R6): withheld items, and conditional ones refused.

A department asks the authority, either directly for withheld items or by escalating an
application its provider rejected. The authority decides once, with its reasoning: a grant
(effect, row scope, end date) or a refusal. The decision is final.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from govshare import clock
from govshare.catalog.model import Item, Resource, Sharing
from govshare.identity import Caller
from govshare.policies.live import PolicyStore
from govshare.store.shares import Share
from govshare.store.tables import applications, coordinations
from govshare.workflows.deadlines import cst_day
from govshare.workflows.events import COORDINATION, record_event
from govshare.workflows.permissions import (
    forbidden,
    require_applicant,
    require_authority,
    require_visible,
    visible_where,
)
from govshare.workflows.records import (
    GRANTED,
    OPEN,
    REFUSED,
    REJECTED,
    Application,
    Coordination,
    fetch,
    fetch_one,
    insert,
    with_grants,
)
from govshare.workflows.requests import Request, blank, check_request, refuse, require_own
from govshare.workflows.steps import advance, advance_with_grant, grant_for

table = coordinations


@dataclass(frozen=True, slots=True)
class Decision:
    """The authority's decision; a grant's scope and end date default to those requested."""

    grant: bool
    reasoning: str
    effect: str | None = None
    scope: dict[str, Any] | None = None
    valid_until: datetime.date | None = None


def _sharing_problem(resource: Resource, item: Item) -> str | None:
    if item.sharing is Sharing.UNCONDITIONAL:
        return f"{resource.name}.{item.name} is already shared unconditionally, no coordination needed"
    if item.sharing is Sharing.CONDITIONAL:
        return (
            f"{resource.name}.{item.name} is conditional: apply to its provider first (applicationSubmit); "
            "coordination follows a refusal (coordinationRequest with the rejected application)"
        )
    return None


async def request(store: PolicyStore, caller: Caller, asked: Request) -> Coordination:
    """Ask the authority directly for withheld items."""
    require_applicant(caller, "requesting coordination")
    require_own(caller, asked)
    asked = asked.cleaned()
    now = clock.now()
    problems = check_request(store.catalog, asked, cst_day(now), _sharing_problem, store.current)
    if problems:
        refuse("Coordination cannot be requested", problems)
    return await _open(store, caller, asked, None, now)


async def escalate(store: PolicyStore, caller: Caller, application_id: int, justification: str) -> Coordination:
    """Ask the authority to decide on an application the provider rejected."""
    require_applicant(caller, "requesting coordination")
    async with store.engine.connect() as conn:
        application = await fetch_one(conn, Application, applications, application_id)
        earlier = await fetch(conn, Coordination, table, table.c.application_id == application_id)
    if application is None:
        refuse("Coordination cannot be requested", [f"there is no application {application_id}"])
    if application.department != caller.department:
        raise forbidden(f"only {application.department}, which applied, may escalate application {application_id}")
    problems = []
    if application.state != REJECTED:
        problems.append(f"application {application_id} is {application.state}; coordination follows a refusal")
    if earlier:
        problems.append(f"application {application_id} was escalated already (coordination {earlier[0].id}, "
                        f"{earlier[0].state})")  # fmt: skip
    if blank(justification):
        problems.append("give a justification: why the refusal should be overturned")
    if problems:
        refuse("Coordination cannot be requested", problems)
    share = Share(application.department, application.resource, application.items, application.purposes,
                  application.scope, application.valid_until)  # fmt: skip
    asked = Request(share, justification.strip())
    return await _open(store, caller, asked, application_id, clock.now())


async def _open(
    store: PolicyStore, caller: Caller, asked: Request, application_id: int | None, now: datetime.datetime
) -> Coordination:
    async with store.engine.begin() as conn:
        coordination_id = await insert(
            conn,
            table,
            {
                **asked.columns(),
                "application_id": application_id,
                "state": OPEN,
                "requested_at": now,
                "requested_by": caller.actor,
            },
        )
        details = {"application": application_id} if application_id is not None else {}
        await record_event(conn, caller, "coordination.requested", COORDINATION, coordination_id, now, details)
    return await get(store, caller, coordination_id)


async def decide(store: PolicyStore, caller: Caller, coordination_id: int, decision: Decision) -> Coordination:
    """The authority's final decision: grant (a new policy version at once) or refuse."""
    require_authority(caller, "deciding a coordination request")
    coordination = await _load(store, coordination_id)
    problems = []
    if coordination.state != OPEN:
        assert coordination.decided_at is not None
        problems.append(f"it was decided on {cst_day(coordination.decided_at)} by {coordination.decided_by} "
                        f"({coordination.state}); the decision is final")  # fmt: skip
    if blank(decision.reasoning):
        problems.append("the decision must give its reasoning")
    if decision.grant and decision.effect is None:
        problems.append("a decision to grant names the effect: allow, mask or verify")
    if problems:
        refuse(f"Coordination {coordination_id} cannot be decided", problems)
    now = clock.now()
    values = {"decided_at": now, "decided_by": caller.actor, "reasoning": decision.reasoning.strip()}
    if not decision.grant:
        await advance(store, caller, table, COORDINATION, coordination_id, OPEN, {"state": REFUSED, **values}, now)
        return await get(store, caller, coordination_id)
    assert decision.effect is not None
    reason = f"coordination {coordination_id}: {decision.reasoning.strip()}"
    new = grant_for(coordination, COORDINATION, decision.effect, decision.scope, decision.valid_until, reason)
    values = {"state": GRANTED, **values}
    await advance_with_grant(store, caller, table, COORDINATION, coordination_id, OPEN, values, now, new)
    return await get(store, caller, coordination_id)


async def get(store: PolicyStore, caller: Caller, coordination_id: int) -> Coordination:
    coordination = await _load(store, coordination_id)
    what = f"coordination request {coordination_id}"
    require_visible(store.catalog, caller, what, coordination.department, coordination.resource)
    async with store.engine.connect() as conn:
        return (await with_grants(conn, [coordination]))[0]


async def list_coordinations(store: PolicyStore, caller: Caller, *, state: str | None = None) -> list[Coordination]:
    """Requests the caller may see (its own, those about its resources; all for overseers), newest first."""
    where = visible_where(table, store.catalog, caller)
    if state is not None:
        where.append(table.c.state == state)
    async with store.engine.connect() as conn:
        return await with_grants(conn, await fetch(conn, Coordination, table, *where, newest_first=True))


async def _load(store: PolicyStore, coordination_id: int) -> Coordination:
    async with store.engine.connect() as conn:
        found = await fetch_one(conn, Coordination, table, coordination_id)
    if found is None:
        refuse("Unknown coordination request", [f"there is no coordination request {coordination_id}"])
    return found
