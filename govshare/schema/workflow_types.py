"""GraphQL types of the sharing workflows, and how workflow records become them.

Dates are China Standard Time dates (deadlines, end dates); times are UTC.
"""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from govshare.catalog.model import Catalog
from govshare.resolvers.context import RequestContext
from govshare.schema.grant_fields import GrantInfo, grant_info
from govshare.schema.supervision import SupervisionSignal, supervision_signals
from govshare.workflows import reports
from govshare.workflows.deadlines import working_days
from govshare.workflows.events import APPLICATION, COORDINATION, DATA_ISSUE, events_of
from govshare.workflows.inbox import Inbox
from govshare.workflows.records import Application, Coordination, DataIssue


@strawberry.enum(description="Where an application stands; overdue is shown by `overdue`, not a state.")
class ApplicationState(Enum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


@strawberry.enum(description="Where a coordination request stands; a decision is final.")
class CoordinationState(Enum):
    OPEN = "open"
    GRANTED = "granted"
    REFUSED = "refused"


@strawberry.enum(description="Where a data-issue report stands.")
class DataIssueState(Enum):
    OPEN = "open"
    CORRECTED = "corrected"
    NOT_AN_ERROR = "not_an_error"


@strawberry.enum(description="The provider's verdict on a data-issue report.")
class DataIssueVerdict(Enum):
    CORRECTED = "corrected"
    NOT_AN_ERROR = "not_an_error"


@strawberry.enum(description="The kind of workflow record.")
class WorkflowTarget(Enum):
    APPLICATION = APPLICATION
    COORDINATION = COORDINATION
    DATA_ISSUE = DATA_ISSUE


@strawberry.type(name="WorkflowEvent", description="One step of a workflow: who did what, when.")
class WorkflowEventInfo:
    id: strawberry.ID
    at: datetime.datetime
    department: str
    user: str
    roles: list[str]
    action: str = strawberry.field(description="e.g. application.submitted, application.approved")
    target: WorkflowTarget
    targetId: strawberry.ID
    details: JSON


def _events_field(target: str) -> Any:
    """The ``events`` field of a workflow record type (read when asked for, oldest first)."""

    async def resolve(root: Any, info: strawberry.Info) -> list[WorkflowEventInfo]:
        ctx: RequestContext = info.context
        async with ctx.runtime.policies.engine.connect() as conn:
            found = await events_of(conn, target, int(root.id))
        return [
            WorkflowEventInfo(
                id=strawberry.ID(str(e.id)), at=e.at, department=e.department, user=e.user, roles=list(e.roles),
                action=e.action, target=WorkflowTarget(e.target), targetId=strawberry.ID(str(e.target_id)),
                details=e.details,  # type: ignore[arg-type]
            )
            for e in found
        ]  # fmt: skip

    return strawberry.field(resolver=resolve, description="Every step, oldest first.")


@strawberry.type(name="Application", description="A department's application for conditional items (R5).")
class ApplicationInfo:
    id: strawberry.ID
    department: str = strawberry.field(description="The applying department")
    provider: str = strawberry.field(description="The department that answers")
    resource: str
    items: list[str]
    purposes: list[str]
    justification: str
    scope: JSON | None = strawberry.field(description="Row scope applied for, in the filter language")
    until: datetime.date | None = strawberry.field(description="End date applied for")
    state: ApplicationState
    submittedAt: datetime.datetime
    submittedBy: str
    deadline: datetime.date = strawberry.field(description="Last day for an answer: 10 working days (R5)")
    deadlineProvisional: bool = strawberry.field(description="The deadline counts days without official schedule")
    deadlineBasis: str
    overdue: bool = strawberry.field(description="Still submitted after its deadline")
    workingDaysOverdue: int | None = strawberry.field(description="Working days past the deadline, if overdue")
    answeredAt: datetime.datetime | None
    answeredBy: str | None
    reason: str | None = strawberry.field(description="The refusal's reason, or the approval's note")
    workingDaysTaken: int | None = strawberry.field(description="Working days from submission to the answer")
    answeredLate: bool | None = strawberry.field(description="Answered after the deadline")
    withdrawnAt: datetime.datetime | None
    withdrawnBy: str | None
    withdrawReason: str | None
    grant: GrantInfo | None = strawberry.field(description="The grant the approval created")
    events: list[WorkflowEventInfo] = _events_field(APPLICATION)


@strawberry.type(name="Coordination", description="A request for the platform authority's decision (R6).")
class CoordinationInfo:
    id: strawberry.ID
    department: str = strawberry.field(description="The requesting department")
    provider: str
    resource: str
    items: list[str]
    purposes: list[str]
    justification: str
    scope: JSON | None
    until: datetime.date | None
    application: strawberry.ID | None = strawberry.field(description="The rejected application escalated, if any")
    state: CoordinationState
    requestedAt: datetime.datetime
    requestedBy: str
    decidedAt: datetime.datetime | None
    decidedBy: str | None
    reasoning: str | None = strawberry.field(description="The authority's reasoning")
    grant: GrantInfo | None = strawberry.field(description="The grant the decision created")
    events: list[WorkflowEventInfo] = _events_field(COORDINATION)


@strawberry.type(name="DataIssue", description="A suspected error in shared data, reported to its provider (R8).")
class DataIssueInfo:
    id: strawberry.ID
    department: str = strawberry.field(description="The reporting department")
    provider: str
    resource: str
    recordKey: str
    item: str | None
    description: str
    state: DataIssueState
    reportedAt: datetime.datetime
    reportedBy: str
    answeredAt: datetime.datetime | None
    answeredBy: str | None
    note: str | None
    ageDays: int = strawberry.field(description="Days open so far, or until the answer")
    ageWorkingDays: int = strawberry.field(description="Working days open so far, or until the answer")
    events: list[WorkflowEventInfo] = _events_field(DATA_ISSUE)


@strawberry.type(name="InboxDecision", description="An answer or decision on one of the department's requests.")
class InboxDecision:
    target: WorkflowTarget
    id: strawberry.ID
    resource: str
    outcome: str = strawberry.field(description="approved | rejected | granted | refused | corrected | not_an_error")
    note: str | None
    decidedAt: datetime.datetime
    decidedBy: str


async def _unacknowledged(info: strawberry.Info) -> list[SupervisionSignal] | None:
    if not info.context.caller.has("authority"):
        return None
    return [s for s in await supervision_signals(info) if s.note is None]


@strawberry.type(name="Inbox", description="What waits for the caller's department.")
class InboxInfo:
    department: str
    since: datetime.date = strawberry.field(description="Decisions received from this day on")
    applicationsToAnswer: list[ApplicationInfo] = strawberry.field(description="As provider, by deadline")
    dataIssuesToCheck: list[DataIssueInfo] = strawberry.field(description="As provider")
    decisionsReceived: list[InboxDecision] = strawberry.field(description="On the department's requests, newest first")
    overdueApplications: list[ApplicationInfo] | None = strawberry.field(description="Authority only")
    coordinationRequests: list[CoordinationInfo] | None = strawberry.field(description="Authority only: open ones")
    openDataIssues: list[DataIssueInfo] | None = strawberry.field(description="Authority only")

    signals: list[SupervisionSignal] | None = strawberry.field(
        resolver=_unacknowledged,
        description="Authority only: the supervision signals not yet acknowledged (late data, unreachable sources, "
        "stale entries, misuse), with the department each concerns",
    )


@strawberry.input(name="ApplicationInput", description="An application for conditional items of one resource.")
class ApplicationInput:
    resource: str
    items: list[str]
    purposes: list[str]
    justification: str
    scope: JSON | None = strawberry.field(default=None, description="Row scope, in the filter language")
    until: datetime.date | None = strawberry.field(default=None, description="Last day the grant is needed")


@strawberry.input(
    name="CoordinationInput",
    description="Either `application` (a rejected one, whose items are asked for) or resource, items and purposes "
    "(withheld items).",
)
class CoordinationInput:
    justification: str
    application: strawberry.ID | None = None
    resource: str | None = None
    items: list[str] | None = None
    purposes: list[str] | None = None
    scope: JSON | None = None
    until: datetime.date | None = None


@strawberry.input(name="DataIssueInput", description="A suspected error in one record (and item).")
class DataIssueInput:
    resource: str
    recordKey: str
    description: str
    item: str | None = None


# --- records → GraphQL ------------------------------------------------------------------------------------


def _provider(catalog: Catalog, resource: str) -> str:
    found = catalog.resources.get(resource)
    return found.provider if found is not None else ""


def application_info(a: Application, catalog: Catalog, today: datetime.date) -> ApplicationInfo:
    overdue = a.overdue_on(today)
    return ApplicationInfo(
        id=strawberry.ID(str(a.id)), department=a.department, provider=_provider(catalog, a.resource),
        resource=a.resource, items=list(a.items), purposes=list(a.purposes), justification=a.justification,
        scope=a.scope, until=a.valid_until, state=ApplicationState(a.state),  # type: ignore[arg-type]
        submittedAt=a.submitted_at, submittedBy=a.submitted_by, deadline=a.deadline,
        deadlineProvisional=a.deadline_provisional, deadlineBasis=a.deadline_basis, overdue=overdue,
        workingDaysOverdue=working_days(a.deadline, today) if overdue else None,
        answeredAt=a.answered_at, answeredBy=a.answered_by, reason=a.reason, workingDaysTaken=a.working_days_taken,
        answeredLate=a.late, withdrawnAt=a.withdrawn_at, withdrawnBy=a.withdrawn_by, withdrawReason=a.withdraw_reason,
        grant=grant_info(a.grant) if a.grant is not None else None,
    )  # fmt: skip


def coordination_info(c: Coordination, catalog: Catalog) -> CoordinationInfo:
    return CoordinationInfo(
        id=strawberry.ID(str(c.id)), department=c.department, provider=_provider(catalog, c.resource),
        resource=c.resource, items=list(c.items), purposes=list(c.purposes), justification=c.justification,
        scope=c.scope, until=c.valid_until,  # type: ignore[arg-type]
        application=strawberry.ID(str(c.application_id)) if c.application_id is not None else None,
        state=CoordinationState(c.state), requestedAt=c.requested_at, requestedBy=c.requested_by,
        decidedAt=c.decided_at, decidedBy=c.decided_by, reasoning=c.reasoning,
        grant=grant_info(c.grant) if c.grant is not None else None,
    )  # fmt: skip


def data_issue_info(d: DataIssue, catalog: Catalog, today: datetime.date) -> DataIssueInfo:
    days, working_days = reports.age(d, today)
    return DataIssueInfo(
        id=strawberry.ID(str(d.id)), department=d.department, provider=_provider(catalog, d.resource),
        resource=d.resource, recordKey=d.record_key, item=d.item, description=d.description,
        state=DataIssueState(d.state), reportedAt=d.reported_at, reportedBy=d.reported_by, answeredAt=d.answered_at,
        answeredBy=d.answered_by, note=d.note, ageDays=days, ageWorkingDays=working_days,
    )  # fmt: skip


def inbox_info(box: Inbox, catalog: Catalog, today: datetime.date) -> InboxInfo:
    def many(records: list[Application] | None) -> list[ApplicationInfo] | None:
        return None if records is None else [application_info(a, catalog, today) for a in records]

    def issues(records: list[DataIssue] | None) -> list[DataIssueInfo] | None:
        return None if records is None else [data_issue_info(d, catalog, today) for d in records]

    coordinations = box.coordination_requests
    return InboxInfo(
        department=box.department,
        since=box.since,
        applicationsToAnswer=many(box.applications_to_answer) or [],
        dataIssuesToCheck=issues(box.data_issues_to_check) or [],
        decisionsReceived=[
            InboxDecision(
                target=WorkflowTarget(d.target),
                id=strawberry.ID(str(d.id)),
                resource=d.resource,
                outcome=d.outcome,
                note=d.note,
                decidedAt=d.decided_at,
                decidedBy=d.decided_by,
            )
            for d in box.decisions_received
        ],
        overdueApplications=many(box.overdue_applications),
        coordinationRequests=None if coordinations is None else [coordination_info(c, catalog) for c in coordinations],
        openDataIssues=issues(box.open_data_issues),
    )
