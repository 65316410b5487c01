"""Data-issue reports (R8, 校核): a using department reports a suspected error to the provider.

The provider's administrator answers with a verdict (corrected, or not an error) and a note.
Business goes on meanwhile: a report changes no decision. The authority sees every open
report and how long each has been open, or took.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from govshare import clock
from govshare.catalog.model import Sharing
from govshare.identity import Caller
from govshare.policies.live import PolicyStore
from govshare.store import grant_rows as grant_rows
from govshare.store.tables import data_issues as table
from govshare.workflows.deadlines import cst_day, working_days, working_days_taken
from govshare.workflows.events import DATA_ISSUE, record_event
from govshare.workflows.permissions import require_applicant, require_provider_admin, require_visible, visible_where
from govshare.workflows.records import OPEN, VERDICTS, DataIssue, fetch, fetch_one, insert
from govshare.workflows.requests import blank, refuse
from govshare.workflows.steps import advance

KEY_LENGTH = 256  # the column's width


@dataclass(frozen=True, slots=True)
class Report:
    resource: str
    record_key: str
    description: str
    item: str | None = None


async def report(store: PolicyStore, caller: Caller, issue: Report) -> DataIssue:
    """Report a suspected error in a record (and item) the department uses."""
    require_applicant(caller, "reporting a data issue")
    catalog = store.catalog
    problems: list[str] = []
    resource = catalog.resources.get(issue.resource)
    if resource is None:
        problems.append(f"resource '{issue.resource}' is not in the catalog; resources: {', '.join(catalog.resources)}")
    elif resource.provider == caller.department:
        problems.append(f"{caller.department} provides {resource.name}: correct its own data directly")
    elif issue.item is not None and issue.item not in resource.items:
        problems.append(f"{resource.name} has no item '{issue.item}'; items: {', '.join(resource.items)}")
    elif issue.item is not None and not await _has_used(store, caller.department, resource.name, issue.item):
        problems.append(f"{caller.department} has never been granted {resource.name}.{issue.item}: "
                        "only data a department receives can be reported")  # fmt: skip
    if blank(issue.record_key):
        problems.append("name the record by its key")
    elif len(issue.record_key.strip()) > KEY_LENGTH:
        problems.append(f"a record key has at most {KEY_LENGTH} characters")
    if blank(issue.description):
        problems.append("describe the suspected error")
    if problems:
        refuse("The data issue cannot be reported", problems)
    now = clock.now()
    async with store.engine.begin() as conn:
        issue_id = await insert(
            conn,
            table,
            {
                "department": caller.department,
                "resource": issue.resource,
                "record_key": issue.record_key.strip(),
                "item": issue.item,
                "description": issue.description.strip(),
                "state": OPEN,
                "reported_at": now,
                "reported_by": caller.actor,
            },
        )
        await record_event(conn, caller, "data_issue.reported", DATA_ISSUE, issue_id, now)
    return await get(store, caller, issue_id)


async def _has_used(store: PolicyStore, department: str, resource: str, item: str) -> bool:
    """Unconditional items reach everyone; others only departments that hold or held a grant."""
    if store.catalog.resources[resource].items[item].sharing is Sharing.UNCONDITIONAL:
        return True
    async with store.engine.connect() as conn:
        held = await grant_rows.list_grants(conn, department=department, resource=resource)
    return any(item in grant.items for grant in held)


async def answer(store: PolicyStore, caller: Caller, issue_id: int, verdict: str, note: str) -> DataIssue:
    """The provider's administrator answers: corrected, or not an error; a note is mandatory."""
    issue = await _load(store, issue_id)
    require_provider_admin(store.catalog, caller, issue.resource, f"answering data issue {issue_id}")
    problems = []
    if issue.state != OPEN:
        assert issue.answered_at is not None
        problems.append(f"it was answered on {cst_day(issue.answered_at)} by {issue.answered_by} ({issue.state})")
    if verdict not in VERDICTS:
        problems.append(f"the verdict '{verdict}' is not one of {', '.join(VERDICTS)}")
    if blank(note):
        problems.append("add a note: what was corrected, or why the data is right")
    if problems:
        refuse(f"Data issue {issue_id} cannot be answered", problems)
    now = clock.now()
    values = {"state": verdict, "answered_at": now, "answered_by": caller.actor, "note": note.strip(),
              "working_days_taken": working_days_taken(issue.reported_at, now)}  # fmt: skip
    await advance(store, caller, table, DATA_ISSUE, issue_id, OPEN, values, now)
    return await get(store, caller, issue_id)


def age(issue: DataIssue, today: datetime.date) -> tuple[int, int]:
    """(days, working days) the report has been open, up to its answer if it has one."""
    start = cst_day(issue.reported_at)
    end = cst_day(issue.answered_at) if issue.answered_at is not None else today
    return (end - start).days, working_days(start, end)


async def get(store: PolicyStore, caller: Caller, issue_id: int) -> DataIssue:
    issue = await _load(store, issue_id)
    require_visible(store.catalog, caller, f"data issue {issue_id}", issue.department, issue.resource)
    return issue


async def list_issues(
    store: PolicyStore, caller: Caller, *, state: str | None = None, resource: str | None = None
) -> list[DataIssue]:
    """Reports the caller may see (its own, those about its resources; all for overseers), newest first."""
    where = visible_where(table, store.catalog, caller)
    if state is not None:
        where.append(table.c.state == state)
    if resource is not None:
        where.append(table.c.resource == resource)
    async with store.engine.connect() as conn:
        return await fetch(conn, DataIssue, table, *where, newest_first=True)


async def _load(store: PolicyStore, issue_id: int) -> DataIssue:
    async with store.engine.connect() as conn:
        found = await fetch_one(conn, DataIssue, table, issue_id)
    if found is None:
        refuse("Unknown data issue", [f"there is no data issue {issue_id}"])
    return found
