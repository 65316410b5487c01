"""Sharing workflows in GraphQL: applications, coordination, data-issue reports, inboxes.

The rules live in :mod:`govshare.workflows`; the resolvers here only map arguments to them
and records to the types of :mod:`govshare.schema.workflow_types`.
"""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from govshare import clock
from govshare.catalog.model import Catalog
from govshare.identity import Caller
from govshare.policies.live import PolicyStore
from govshare.resolvers.context import RequestContext
from govshare.schema.grant_fields import GrantEffect
from govshare.schema.workflow_types import (
    ApplicationInfo,
    ApplicationInput,
    ApplicationState,
    CoordinationInfo,
    CoordinationInput,
    CoordinationState,
    DataIssueInfo,
    DataIssueInput,
    DataIssueState,
    DataIssueVerdict,
    InboxInfo,
    application_info,
    coordination_info,
    data_issue_info,
    inbox_info,
)
from govshare.store.shares import Share
from govshare.workflows import applications, coordination, inbox, reports
from govshare.workflows.requests import Request, parse_id, refuse


def _session(info: strawberry.Info) -> tuple[PolicyStore, Caller, Catalog, datetime.date]:
    ctx: RequestContext = info.context
    return ctx.runtime.policies, ctx.caller, ctx.catalog, clock.today()


# --- applications -------------------------------------------------------------------------------------------


async def _application(info: strawberry.Info, id: strawberry.ID) -> ApplicationInfo | None:
    store, caller, catalog, today = _session(info)
    return application_info(await applications.get(store, caller, parse_id(id, "an application")), catalog, today)


async def _applications(
    info: strawberry.Info,
    state: ApplicationState | None = None,
    overdue: bool | None = None,
    resource: str | None = None,
    department: str | None = None,
) -> list[ApplicationInfo]:
    store, caller, catalog, today = _session(info)
    found = await applications.list_applications(
        store, caller, state=state.value if state else None, overdue=overdue, resource=resource, department=department
    )
    return [application_info(a, catalog, today) for a in found]


async def _submit(info: strawberry.Info, input: ApplicationInput) -> ApplicationInfo:
    store, caller, catalog, today = _session(info)
    share = Share(caller.department, input.resource, tuple(input.items), tuple(input.purposes),
                  _scope(input.scope), input.until)  # fmt: skip
    request = Request(share, input.justification)
    return application_info(await applications.submit(store, caller, request), catalog, today)


async def _approve(
    info: strawberry.Info,
    id: strawberry.ID,
    effect: GrantEffect,
    scope: JSON | None = None,
    until: datetime.date | None = None,
    note: str | None = None,
) -> ApplicationInfo:
    store, caller, catalog, today = _session(info)
    approval = applications.Approval(effect.value, _scope(scope), until, note)
    approved = await applications.approve(store, caller, parse_id(id, "an application"), approval)
    return application_info(approved, catalog, today)


async def _reject(info: strawberry.Info, id: strawberry.ID, reason: str) -> ApplicationInfo:
    store, caller, catalog, today = _session(info)
    return application_info(await applications.reject(store, caller, parse_id(id, "an application"), reason),
                            catalog, today)  # fmt: skip


async def _withdraw(info: strawberry.Info, id: strawberry.ID, reason: str | None = None) -> ApplicationInfo:
    store, caller, catalog, today = _session(info)
    return application_info(await applications.withdraw(store, caller, parse_id(id, "an application"), reason),
                            catalog, today)  # fmt: skip


async def _revoke(info: strawberry.Info, id: strawberry.ID, reason: str | None = None) -> ApplicationInfo:
    store, caller, catalog, today = _session(info)
    return application_info(await applications.revoke(store, caller, parse_id(id, "an application"), reason),
                            catalog, today)  # fmt: skip


# --- coordination -------------------------------------------------------------------------------------------


async def _coordination(info: strawberry.Info, id: strawberry.ID) -> CoordinationInfo | None:
    store, caller, catalog, _ = _session(info)
    return coordination_info(await coordination.get(store, caller, parse_id(id, "a coordination")), catalog)


async def _coordinations(info: strawberry.Info, state: CoordinationState | None = None) -> list[CoordinationInfo]:
    store, caller, catalog, _ = _session(info)
    found = await coordination.list_coordinations(store, caller, state=state.value if state else None)
    return [coordination_info(c, catalog) for c in found]


async def _request(info: strawberry.Info, input: CoordinationInput) -> CoordinationInfo:
    store, caller, catalog, _ = _session(info)
    if input.application is None:
        share = Share(caller.department, input.resource or "", tuple(input.items or ()),
                      tuple(input.purposes or ()), _scope(input.scope), input.until)  # fmt: skip
        asked = Request(share, input.justification)
        return coordination_info(await coordination.request(store, caller, asked), catalog)
    extra = [name for name in ("resource", "items", "purposes", "scope", "until") if getattr(input, name) is not None]
    if extra:
        refuse("Coordination cannot be requested",
               [f"{', '.join(extra)} come from application {input.application}; leave them out"])  # fmt: skip
    application_id = parse_id(input.application, "an application")
    return coordination_info(await coordination.escalate(store, caller, application_id, input.justification), catalog)


async def _decide(
    info: strawberry.Info,
    id: strawberry.ID,
    grant: bool,
    reasoning: str,
    effect: GrantEffect | None = None,
    scope: JSON | None = None,
    until: datetime.date | None = None,
) -> CoordinationInfo:
    store, caller, catalog, _ = _session(info)
    decision = coordination.Decision(grant, reasoning, effect.value if effect else None, _scope(scope), until)
    return coordination_info(await coordination.decide(store, caller, parse_id(id, "a coordination"), decision),
                             catalog)  # fmt: skip


# --- data issues ----------------------------------------------------------------------------------------


async def _data_issue(info: strawberry.Info, id: strawberry.ID) -> DataIssueInfo | None:
    store, caller, catalog, today = _session(info)
    return data_issue_info(await reports.get(store, caller, parse_id(id, "a data issue")), catalog, today)


async def _data_issues(
    info: strawberry.Info, state: DataIssueState | None = None, resource: str | None = None
) -> list[DataIssueInfo]:
    store, caller, catalog, today = _session(info)
    found = await reports.list_issues(store, caller, state=state.value if state else None, resource=resource)
    return [data_issue_info(d, catalog, today) for d in found]


async def _report(info: strawberry.Info, input: DataIssueInput) -> DataIssueInfo:
    store, caller, catalog, today = _session(info)
    issue = reports.Report(input.resource, input.recordKey, input.description, input.item)
    return data_issue_info(await reports.report(store, caller, issue), catalog, today)


async def _answer(info: strawberry.Info, id: strawberry.ID, verdict: DataIssueVerdict, note: str) -> DataIssueInfo:
    store, caller, catalog, today = _session(info)
    answered = await reports.answer(store, caller, parse_id(id, "a data issue"), verdict.value, note)
    return data_issue_info(answered, catalog, today)


async def _inbox(info: strawberry.Info, since: datetime.date | None = None) -> InboxInfo:
    store, caller, catalog, today = _session(info)
    return inbox_info(await inbox.inbox(store, caller, since), catalog, today)


def _scope(scope: JSON | None) -> dict[str, Any] | None:
    return scope  # type: ignore[return-value]  # a JSON value; the workflows check it is a filter


def workflow_fields() -> dict[str, Any]:
    """The workflow query fields, made anew for each schema (Strawberry binds a field to its type)."""
    return {
        "inbox": strawberry.field(resolver=_inbox, description="What waits for the caller's department."),
        "application": strawberry.field(resolver=_application, description="One sharing application."),
        "applications": strawberry.field(
            resolver=_applications,
            description="Sharing applications, newest first: all for the authority and auditors; otherwise those the "
            "caller's department made or must answer. `overdue: true`: submitted and past the deadline.",
        ),
        "coordination": strawberry.field(resolver=_coordination, description="One coordination request."),
        "coordinations": strawberry.field(resolver=_coordinations, description="Coordination requests, newest first."),
        "dataIssue": strawberry.field(resolver=_data_issue, description="One data-issue report."),
        "dataIssues": strawberry.field(resolver=_data_issues, description="Data-issue reports, newest first."),
    }


@strawberry.type(description="Sharing workflow operations.")
class WorkflowMutation:
    applicationSubmit: ApplicationInfo = strawberry.field(
        resolver=_submit, description="Apply for conditional items; the provider answers within 10 working days."
    )
    applicationApprove: ApplicationInfo = strawberry.field(
        resolver=_approve,
        description="The provider's dept_admin approves; the grant holds from the next request. Scope and end "
        "date default to those applied for.",
    )
    applicationReject: ApplicationInfo = strawberry.field(
        resolver=_reject, description="The provider's dept_admin refuses; the reason is mandatory."
    )
    applicationWithdraw: ApplicationInfo = strawberry.field(
        resolver=_withdraw, description="The applying department takes back an unanswered application."
    )
    applicationRevoke: ApplicationInfo = strawberry.field(
        resolver=_revoke, description="Revoke the approval's grant: the provider's dept_admin or the authority."
    )
    coordinationRequest: CoordinationInfo = strawberry.field(
        resolver=_request,
        description="Ask the platform authority: for withheld items, or on a rejected application.",
    )
    coordinationDecide: CoordinationInfo = strawberry.field(
        resolver=_decide,
        description="The authority decides, with its reasoning: grant (effect, scope, end date) or not. Final.",
    )
    dataIssueReport: DataIssueInfo = strawberry.field(
        resolver=_report, description="Report a suspected error in shared data to its provider (R8)."
    )
    dataIssueAnswer: DataIssueInfo = strawberry.field(
        resolver=_answer, description="The provider's dept_admin answers a report, with a note."
    )
