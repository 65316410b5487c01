"""Who may take which workflow step: each refusal is FORBIDDEN and changes nothing."""

from __future__ import annotations

import pytest

from tests.policies.world import PHONE_MASKED, PROVIDER
from tests.workflows.desk import (
    ANSWER,
    APPLICANT,
    APPLICANT_ADMIN,
    AUDITOR,
    AUTHORITY_ROLE,
    DECIDE,
    ONE_APPLICATION,
    PROVIDER_ADMIN,
    PROVIDER_MEMBER,
    REJECT,
    REPORT,
    REQUEST,
    REVOKE,
    STRANGER_ADMIN,
    SUBMIT,
    Desk,
    Who,
    actions,
    phone_application,
)

NOT_THE_PROVIDERS_ADMIN = [STRANGER_ADMIN, APPLICANT_ADMIN, PROVIDER_MEMBER, AUTHORITY_ROLE, AUDITOR]
NOT_THE_PROVIDERS_ADMIN_IDS = ["other-department-admin", "applicant-admin", "provider-member", "authority", "auditor"]


def _forbidden(desk: Desk, query: str, variables: dict[str, object], who: Who) -> str:
    error = desk.refused(query, variables, who)
    assert error["extensions"]["code"] == "FORBIDDEN", error
    message: str = error["message"]
    return message


@pytest.mark.parametrize("who", NOT_THE_PROVIDERS_ADMIN, ids=NOT_THE_PROVIDERS_ADMIN_IDS)
def test_only_the_providers_admin_answers_an_application(desk: Desk, who: Who) -> None:
    application = desk.apply()
    approve = "mutation($id: ID!) { applicationApprove(id: $id, effect: ALLOW) { id } }"
    for query, variables in [(approve, {}), (REJECT, {"reason": "不同意"})]:
        message = _forbidden(desk, query, {"id": application["id"], **variables}, who)
        assert f"an administrator (dept_admin) of {PROVIDER}" in message
    seen = desk.ok(ONE_APPLICATION, {"id": application["id"]})
    assert seen["state"] == "SUBMITTED" and actions(seen) == ["application.submitted"]
    assert desk.phone() is None


@pytest.mark.parametrize("who", [AUDITOR, AUTHORITY_ROLE], ids=["auditor", "authority"])
def test_only_members_and_admins_ask_for_their_department(desk: Desk, who: Who) -> None:
    message = _forbidden(desk, SUBMIT, {"input": phone_application()}, who)
    assert "'member' or 'dept_admin'" in message
    withheld = {"resource": "Citizen", "items": ["record"], "purposes": ["work_reference"], "justification": "x"}
    _forbidden(desk, REQUEST, {"input": withheld}, who)
    report = {"resource": "Citizen", "recordKey": "c001", "description": "x"}
    _forbidden(desk, REPORT, {"input": report}, who)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [(PROVIDER_ADMIN, True), (AUTHORITY_ROLE, True), (PROVIDER_MEMBER, False), (APPLICANT_ADMIN, False)],
    ids=["provider-admin", "authority", "provider-member", "holder-admin"],
)
def test_who_revokes_an_approval(desk: Desk, who: Who, allowed: bool) -> None:
    application = desk.apply()
    desk.approve(application["id"])
    if allowed:
        assert desk.ok(REVOKE, {"id": application["id"]}, who)["grant"]["active"] is False
        assert desk.phone() is None
    else:
        _forbidden(desk, REVOKE, {"id": application["id"]}, who)
        assert desk.phone() == PHONE_MASKED


@pytest.mark.parametrize(
    "who", [PROVIDER_ADMIN, AUDITOR, APPLICANT_ADMIN], ids=["provider-admin", "auditor", "applicant"]
)
def test_only_the_authority_coordinates(desk: Desk, who: Who) -> None:
    withheld = {"resource": "Citizen", "items": ["record"], "purposes": ["work_reference"], "justification": "x"}
    coordination = desk.ok(REQUEST, {"input": withheld}, APPLICANT)
    message = _forbidden(desk, DECIDE, {"id": coordination["id"], "grant": True, "reasoning": "同意",
                                        "effect": "ALLOW"}, who)  # fmt: skip
    assert "platform authority (role 'authority')" in message


@pytest.mark.parametrize("who", NOT_THE_PROVIDERS_ADMIN, ids=NOT_THE_PROVIDERS_ADMIN_IDS)
def test_only_the_providers_admin_answers_a_data_issue(desk: Desk, who: Who) -> None:
    report = {"resource": "Citizen", "recordKey": "c001", "item": "fullName", "description": "姓名错字"}
    issue = desk.ok(REPORT, {"input": report}, APPLICANT)
    _forbidden(desk, ANSWER, {"id": issue["id"], "verdict": "CORRECTED", "note": "已更正"}, who)
    assert desk.inbox(PROVIDER_ADMIN)["dataIssuesToCheck"][0]["state"] == "OPEN"
