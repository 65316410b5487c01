"""Each department's inbox: what waits for it, and the decisions it received lately.

Every department sees the applications it must answer and the data issues it must check
(as a provider), and the answers and decisions on its own requests. The platform authority
also sees its queue: overdue applications, open coordination requests and open reports.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from govshare import clock
from govshare.clock import CHINA
from govshare.errors import bad_input
from govshare.identity import Caller
from govshare.policies.live import PolicyStore
from govshare.store.tables import applications, coordinations, data_issues
from govshare.workflows.applications import overdue_clause
from govshare.workflows.events import APPLICATION, COORDINATION, DATA_ISSUE
from govshare.workflows.permissions import provided_by
from govshare.workflows.records import (
    APPROVED,
    OPEN,
    REJECTED,
    SUBMITTED,
    Application,
    Coordination,
    DataIssue,
    fetch,
    with_grants,
)

RECENT_DAYS = 30  # decisions received are listed for this many days by default
EARLIEST = datetime.date(1970, 1, 1)  # no platform decision is older; earlier days overflow as UTC times


@dataclass(frozen=True, slots=True)
class Decision:
    """An answer or decision on one of the department's own requests."""

    target: str  # application | coordination | data_issue
    id: int
    resource: str
    outcome: str  # approved | rejected | granted | refused | corrected | not_an_error
    note: str | None
    decided_at: datetime.datetime
    decided_by: str


@dataclass(frozen=True, slots=True)
class Inbox:
    department: str
    since: datetime.date
    applications_to_answer: list[Application]
    data_issues_to_check: list[DataIssue]
    decisions_received: list[Decision]
    # The authority's queue; None for everyone else.
    overdue_applications: list[Application] | None = None
    coordination_requests: list[Coordination] | None = None
    open_data_issues: list[DataIssue] | None = None


async def inbox(store: PolicyStore, caller: Caller, since: datetime.date | None = None) -> Inbox:
    today = clock.today()
    since = since or today - datetime.timedelta(days=RECENT_DAYS)
    if since < EARLIEST:
        raise bad_input(f"'since' is {since}; give a date from {EARLIEST} on (decisions are listed from that day)")
    provided = provided_by(store.catalog, caller.department)
    async with store.engine.connect() as conn:
        to_answer = await fetch(
            conn, Application, applications, applications.c.resource.in_(provided), applications.c.state == SUBMITTED
        )
        to_check = await fetch(
            conn, DataIssue, data_issues, data_issues.c.resource.in_(provided), data_issues.c.state == OPEN
        )
        found = Inbox(
            department=caller.department,
            since=since,
            applications_to_answer=sorted(await with_grants(conn, to_answer), key=lambda a: (a.deadline, a.id)),
            data_issues_to_check=to_check,
            decisions_received=await _decisions(conn, caller.department, since),
        )
        if not caller.has("authority"):
            return found
        overdue = await fetch(conn, Application, applications, overdue_clause(today))
        return dataclasses.replace(
            found,
            overdue_applications=sorted(overdue, key=lambda a: (a.deadline, a.id)),
            coordination_requests=await fetch(conn, Coordination, coordinations, coordinations.c.state == OPEN),
            open_data_issues=await fetch(conn, DataIssue, data_issues, data_issues.c.state == OPEN),
        )


async def _decisions(conn: AsyncConnection, department: str, since: datetime.date) -> list[Decision]:
    start = datetime.datetime.combine(since, datetime.time(), CHINA).astimezone(datetime.UTC)
    answered = await fetch(
        conn, Application, applications,
        applications.c.department == department, applications.c.state.in_((APPROVED, REJECTED)),
        applications.c.answered_at >= start,
    )  # fmt: skip
    decided = await fetch(
        conn, Coordination, coordinations,
        coordinations.c.department == department, coordinations.c.state != OPEN, coordinations.c.decided_at >= start,
    )  # fmt: skip
    checked = await fetch(
        conn, DataIssue, data_issues,
        data_issues.c.department == department, data_issues.c.state != OPEN, data_issues.c.answered_at >= start,
    )  # fmt: skip
    decisions = [
        *(Decision(APPLICATION, a.id, a.resource, a.state, a.reason, a.answered_at, a.answered_by or "")
          for a in answered if a.answered_at),
        *(Decision(COORDINATION, c.id, c.resource, c.state, c.reasoning, c.decided_at, c.decided_by or "")
          for c in decided if c.decided_at),
        *(Decision(DATA_ISSUE, d.id, d.resource, d.state, d.note, d.answered_at, d.answered_by or "")
          for d in checked if d.answered_at),
    ]  # fmt: skip
    return sorted(decisions, key=lambda d: d.decided_at, reverse=True)
