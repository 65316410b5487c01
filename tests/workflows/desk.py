"""The workflow operations as Policyville's departments send them over HTTP, and what they get back.

Policyville (tests/policies/world.py): civil provides Citizen (fullName unconditional, phone
conditional with the phone mask, record withheld); transport provides Vehicle (insurer
conditional) and uses Citizen; health provides nothing; hub is the platform authority.
"""

from __future__ import annotations

from typing import Any

from tests.policies.world import AUTHORITY, OTHER, PROVIDER, STRANGER, Api

Who = tuple[str, tuple[str, ...]]

APPLICANT: Who = (OTHER, ("member",))
APPLICANT_ADMIN: Who = (OTHER, ("dept_admin",))
PROVIDER_ADMIN: Who = (PROVIDER, ("dept_admin",))
PROVIDER_MEMBER: Who = (PROVIDER, ("member",))
STRANGER_ADMIN: Who = (STRANGER, ("dept_admin",))
AUTHORITY_ROLE: Who = (AUTHORITY, ("authority",))
AUDITOR: Who = (AUTHORITY, ("auditor",))

GRANT = "grant { id department effect scope until origin active revokedAt }"
EVENTS = "events { action department user roles details }"
APPLICATION = (
    "id department provider resource items purposes justification scope until state submittedAt submittedBy "
    "deadline deadlineProvisional deadlineBasis overdue workingDaysOverdue answeredAt answeredBy reason "
    f"workingDaysTaken answeredLate withdrawnAt withdrawnBy withdrawReason {GRANT} {EVENTS}"
)
COORDINATION = (
    "id department provider resource items purposes justification scope until application state requestedAt "
    f"requestedBy decidedAt decidedBy reasoning {GRANT} {EVENTS}"
)
DATA_ISSUE = (
    "id department provider resource recordKey item description state reportedAt reportedBy answeredAt "
    f"answeredBy note ageDays ageWorkingDays {EVENTS}"
)
SUBMIT = f"mutation($input: ApplicationInput!) {{ applicationSubmit(input: $input) {{ {APPLICATION} }} }}"
APPROVE = (
    "mutation($id: ID!, $effect: GrantEffect!, $scope: JSON, $until: Date, $note: String) { applicationApprove("
    f"id: $id, effect: $effect, scope: $scope, until: $until, note: $note) {{ {APPLICATION} }} }}"
)
REJECT = f"mutation($id: ID!, $reason: String!) {{ applicationReject(id: $id, reason: $reason) {{ {APPLICATION} }} }}"
WITHDRAW = (
    f"mutation($id: ID!, $reason: String) {{ applicationWithdraw(id: $id, reason: $reason) {{ {APPLICATION} }} }}"
)
REVOKE = f"mutation($id: ID!, $reason: String) {{ applicationRevoke(id: $id, reason: $reason) {{ {APPLICATION} }} }}"
APPLICATIONS = (
    "query($state: ApplicationState, $overdue: Boolean) { applications(state: $state, overdue: $overdue) "
    f"{{ {APPLICATION} }} }}"
)
ONE_APPLICATION = f"query($id: ID!) {{ application(id: $id) {{ {APPLICATION} }} }}"
REQUEST = f"mutation($input: CoordinationInput!) {{ coordinationRequest(input: $input) {{ {COORDINATION} }} }}"
DECIDE = (
    "mutation($id: ID!, $grant: Boolean!, $reasoning: String!, $effect: GrantEffect, $scope: JSON, $until: Date) "
    "{ coordinationDecide(id: $id, grant: $grant, reasoning: $reasoning, effect: $effect, scope: $scope, "
    f"until: $until) {{ {COORDINATION} }} }}"
)
REPORT = f"mutation($input: DataIssueInput!) {{ dataIssueReport(input: $input) {{ {DATA_ISSUE} }} }}"
ANSWER = (
    "mutation($id: ID!, $verdict: DataIssueVerdict!, $note: String!) { dataIssueAnswer(id: $id, verdict: $verdict, "
    f"note: $note) {{ {DATA_ISSUE} }} }}"
)
DATA_ISSUES = f"query($state: DataIssueState) {{ dataIssues(state: $state) {{ {DATA_ISSUE} }} }}"
INBOX = (
    "query($since: Date) { inbox(since: $since) { department since "
    f"applicationsToAnswer {{ {APPLICATION} }} dataIssuesToCheck {{ {DATA_ISSUE} }} "
    "decisionsReceived { target id resource outcome note decidedAt decidedBy } "
    f"overdueApplications {{ {APPLICATION} }} coordinationRequests {{ {COORDINATION} }} "
    f"openDataIssues {{ {DATA_ISSUE} }} }} }}"
)


def phone_application(**changes: Any) -> dict[str, Any]:
    """ApplicationInput for Citizen.phone, for work reference."""
    return {"resource": "Citizen", "items": ["phone"], "purposes": ["work_reference"],
            "justification": "联系车主处理违章", **changes}  # fmt: skip


class Desk:
    """Sends workflow operations as a department (with roles) and unwraps the answers."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def send(self, query: str, variables: dict[str, Any] | None, who: Who) -> dict[str, Any]:
        department, roles = who
        return self.api.post(query, variables, department=department, roles=roles)

    def ok(self, query: str, variables: dict[str, Any] | None = None, who: Who = APPLICANT) -> Any:
        """The value of the operation's one root field; no errors allowed."""
        body = self.send(query, variables, who)
        assert "errors" not in body, body["errors"]
        [value] = body["data"].values()
        return value

    def refused(self, query: str, variables: dict[str, Any] | None = None, who: Who = APPLICANT) -> dict[str, Any]:
        """The one error of an operation that did not happen."""
        body = self.send(query, variables, who)
        [error] = body["errors"]
        assert not any((body.get("data") or {}).values()), body
        return error  # type: ignore[no-any-return]

    def apply(self, who: Who = APPLICANT, **changes: Any) -> dict[str, Any]:
        application: dict[str, Any] = self.ok(SUBMIT, {"input": phone_application(**changes)}, who)
        return application

    def approve(self, application_id: str, effect: str = "MASK", who: Who = PROVIDER_ADMIN, **extra: Any) -> Any:
        return self.ok(APPROVE, {"id": application_id, "effect": effect, **extra}, who)

    def reject(self, application_id: str, reason: str = "不符合共享条件", who: Who = PROVIDER_ADMIN) -> Any:
        return self.ok(REJECT, {"id": application_id, "reason": reason}, who)

    def inbox(self, who: Who, since: str | None = None) -> Any:
        return self.ok(INBOX, {"since": since}, who)

    def phone(self, department: str = OTHER) -> str | None:
        """Citizen.phone as ``department`` reads it for work reference; None when FORBIDDEN."""
        return self.api.phone(department)


def actions(record: dict[str, Any]) -> list[str]:
    return [event["action"] for event in record["events"]]
