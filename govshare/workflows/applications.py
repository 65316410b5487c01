"""Sharing applications (R5): a department applies for conditional items; the provider answers.

The deadline is 10 working days after submission on the official calendar
(:mod:`govshare.workflows.calendar`), stored with the application. An application still
submitted after its deadline is overdue; that is derived from the date, never stored.
An approval becomes a grant at once; a refusal must give its reason.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, not_
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare import clock
from govshare.catalog.model import Item, Resource, Sharing
from govshare.identity import Caller
from govshare.policies.granting import revoke_grant
from govshare.policies.live import PolicyStore
from govshare.store.grant_rows import Grant, get_grant
from govshare.store.shares import Share
from govshare.store.tables import applications as table
from govshare.workflows.deadlines import answer_deadline, cst_day, working_days_taken
from govshare.workflows.events import APPLICATION, record_event
from govshare.workflows.permissions import (
    forbidden,
    require_applicant,
    require_provider_admin,
    require_visible,
    visible_where,
)
from govshare.workflows.records import (
    APPROVED,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
    Application,
    fetch,
    fetch_one,
    insert,
    with_grants,
)
from govshare.workflows.requests import Request, blank, check_request, refuse, require_own
from govshare.workflows.steps import advance, advance_with_grant, grant_for

COORDINATION_MUTATION = "coordinationRequest"


@dataclass(frozen=True, slots=True)
class Approval:
    """The provider's approval; scope and end date default to those applied for."""

    effect: str
    scope: dict[str, Any] | None = None
    valid_until: datetime.date | None = None
    note: str | None = None


def _sharing_problem(resource: Resource, item: Item) -> str | None:
    if item.sharing is Sharing.UNCONDITIONAL:
        return f"{resource.name}.{item.name} is already shared unconditionally, no application needed"
    if item.sharing is Sharing.WITHHELD:
        return (
            f"{resource.name}.{item.name} is withheld (legal basis {item.legal_basis}): request coordination "
            f"by the platform authority instead ({COORDINATION_MUTATION})"
        )
    return None


async def submit(store: PolicyStore, caller: Caller, request: Request) -> Application:
    """File an application for ``caller``'s department; its deadline runs from now."""
    require_applicant(caller, "applying for items")
    require_own(caller, request)
    request = request.cleaned()
    asked = request.share
    now = clock.now()
    catalog = store.catalog
    problems = check_request(catalog, request, cst_day(now), _sharing_problem, store.current)
    if problems:
        resource = catalog.resources.get(asked.resource)
        withheld = resource is not None and any(
            resource.items[i].sharing is Sharing.WITHHELD for i in asked.items if i in resource.items
        )
        extensions = {"coordinate": COORDINATION_MUTATION} if withheld else {}
        refuse("The application cannot be submitted", problems, **extensions)
    deadline = answer_deadline(now)
    async with store.engine.begin() as conn:
        await _refuse_duplicate(conn, asked)
        application_id = await insert(
            conn,
            table,
            {
                **request.columns(),
                "state": SUBMITTED,
                "submitted_at": now,
                "submitted_by": caller.actor,
                "deadline": deadline.due,
                "deadline_provisional": deadline.provisional,
                "deadline_basis": deadline.basis,
            },
        )
        details = {"deadline": deadline.due.isoformat(), "provisional": deadline.provisional}
        await record_event(conn, caller, "application.submitted", APPLICATION, application_id, now, details)
    return await get(store, caller, application_id)


async def _refuse_duplicate(conn: AsyncConnection, asked: Share) -> None:
    """One waiting application per department, item and purpose: the provider answers each once."""
    waiting = await fetch(
        conn, Application, table,
        table.c.department == asked.department, table.c.resource == asked.resource, table.c.state == SUBMITTED,
    )  # fmt: skip
    for other in waiting:
        items = sorted(set(other.items) & set(asked.items))
        purposes = sorted(set(other.purposes) & set(asked.purposes))
        if items and purposes:
            refuse(
                "The application cannot be submitted",
                [f"application {other.id} for {asked.resource}.{{{','.join(items)}}} ({', '.join(purposes)}) "
                 f"is still waiting for an answer, due {other.deadline}; withdraw it first to apply again"],
            )  # fmt: skip


def _answer(caller: Caller, application: Application, now: datetime.datetime, reason: str | None) -> dict[str, Any]:
    """The answer's columns: who, when, and whether it came within the deadline."""
    return {
        "answered_at": now,
        "answered_by": caller.actor,
        "reason": reason,
        "working_days_taken": working_days_taken(application.submitted_at, now),
        "late": cst_day(now) > application.deadline,
    }


async def approve(store: PolicyStore, caller: Caller, application_id: int, approval: Approval) -> Application:
    """The provider's administrator approves: the grant holds from the next request on."""
    application = await _answerable(store, caller, application_id, "approved")
    now = clock.now()
    note = approval.note.strip() if approval.note and approval.note.strip() else None
    reason = f"application {application.id}: {application.justification}"
    new = grant_for(application, APPLICATION, approval.effect, approval.scope, approval.valid_until, reason)
    values = {"state": APPROVED, **_answer(caller, application, now, note)}
    await advance_with_grant(store, caller, table, APPLICATION, application.id, SUBMITTED, values, now, new)
    return await get(store, caller, application.id)


async def reject(store: PolicyStore, caller: Caller, application_id: int, reason: str) -> Application:
    """The provider's administrator refuses, giving the reason (R5: a refusal must say why)."""
    application = await _answerable(store, caller, application_id, "rejected")
    if blank(reason):
        refuse("The application cannot be rejected", ["a refusal must give its reason"])
    now = clock.now()
    values = {"state": REJECTED, **_answer(caller, application, now, reason.strip())}
    await advance(store, caller, table, APPLICATION, application.id, SUBMITTED, values, now)
    return await get(store, caller, application.id)


async def withdraw(store: PolicyStore, caller: Caller, application_id: int, reason: str | None) -> Application:
    """The applying department takes back an application that has no answer yet."""
    require_applicant(caller, "withdrawing an application")
    application = await _load(store, application_id)
    if caller.department != application.department:
        raise forbidden(f"only {application.department}, which applied, may withdraw application {application_id}")
    _require_submitted(application, "withdrawn")
    now = clock.now()
    values = {"state": WITHDRAWN, "withdrawn_at": now, "withdrawn_by": caller.actor,
              "withdraw_reason": reason.strip() if reason and reason.strip() else None}  # fmt: skip
    await advance(store, caller, table, APPLICATION, application.id, SUBMITTED, values, now)
    return await get(store, caller, application.id)


async def revoke(store: PolicyStore, caller: Caller, application_id: int, reason: str | None) -> Application:
    """End the grant an approval created: the provider's administrator or the authority."""
    application = await _load(store, application_id)
    if application.grant_id is None:
        refuse("Nothing to revoke", [f"application {application_id} is {application.state}; it created no grant"])
    grant = await revoke_grant(store, application.grant_id, caller, reason)
    async with store.engine.begin() as conn:
        details = {"grant": grant.id, "reason": reason, "policyVersion": store.current.version}
        await record_event(conn, caller, "application.revoked", APPLICATION, application.id, clock.now(), details)
    return await get(store, caller, application.id)


async def revoke_granted(store: PolicyStore, caller: Caller, grant_id: int, reason: str | None) -> Grant:
    """Revoke any grant; one an approval created is revoked through its application, so the
    application shows it and the step is among its events."""
    async with store.engine.connect() as conn:
        grant = await get_grant(conn, grant_id)
    if grant is not None and grant.origin == APPLICATION and grant.origin_id is not None:
        await revoke(store, caller, grant.origin_id, reason)
        async with store.engine.connect() as conn:
            revoked = await get_grant(conn, grant_id)
        assert revoked is not None
        return revoked
    return await revoke_grant(store, grant_id, caller, reason)


async def get(store: PolicyStore, caller: Caller, application_id: int) -> Application:
    """One application, for its two departments, the authority and auditors."""
    application = await _load(store, application_id)
    require_visible(
        store.catalog, caller, f"application {application_id}", application.department, application.resource
    )
    async with store.engine.connect() as conn:
        return (await with_grants(conn, [application]))[0]


async def list_applications(
    store: PolicyStore,
    caller: Caller,
    *,
    state: str | None = None,
    overdue: bool | None = None,
    resource: str | None = None,
    department: str | None = None,
) -> list[Application]:
    """Applications the caller may see, newest first; ``overdue`` selects by the deadline today."""
    where = visible_where(table, store.catalog, caller)
    if state is not None:
        where.append(table.c.state == state)
    if resource is not None:
        where.append(table.c.resource == resource)
    if department is not None:
        where.append(table.c.department == department)
    if overdue is not None:
        where.append(overdue_clause() if overdue else not_(overdue_clause()))
    async with store.engine.connect() as conn:
        return await with_grants(conn, await fetch(conn, Application, table, *where, newest_first=True))


def overdue_clause(today: datetime.date | None = None) -> ColumnElement[bool]:
    return and_(table.c.state == SUBMITTED, table.c.deadline < (today or clock.today()))


async def _load(store: PolicyStore, application_id: int) -> Application:
    async with store.engine.connect() as conn:
        found = await fetch_one(conn, Application, table, application_id)
    if found is None:
        refuse("Unknown application", [f"there is no application {application_id}"])
    return found


async def _answerable(store: PolicyStore, caller: Caller, application_id: int, verb: str) -> Application:
    application = await _load(store, application_id)
    require_provider_admin(store.catalog, caller, application.resource, f"answering application {application_id}")
    _require_submitted(application, verb)
    return application


def _require_submitted(application: Application, verb: str) -> None:
    if application.state == SUBMITTED:
        return
    when, by = (
        (application.withdrawn_at, application.withdrawn_by)
        if application.state == WITHDRAWN
        else (application.answered_at, application.answered_by)
    )
    assert when is not None
    refuse(
        f"Application {application.id} cannot be {verb}",
        [f"it was {application.state} on {cst_day(when)} by {by}; only a submitted application can be {verb}"],
    )
