"""Sharing applications over HTTP with real tokens: apply, approve, reject, withdraw, revoke (R5)."""

from __future__ import annotations

import pytest

from tests.policies.world import LEGAL_BASIS, OTHER, PHONE, PHONE_MASKED, PROVIDER, STRANGER
from tests.workflows.desk import (
    APPLICANT,
    APPLICANT_ADMIN,
    APPLICATIONS,
    AUTHORITY_ROLE,
    ONE_APPLICATION,
    PROVIDER_ADMIN,
    REJECT,
    REVOKE,
    SUBMIT,
    WITHDRAW,
    Desk,
    actions,
    phone_application,
)


def test_apply_approve_with_mask_revoke_end_to_end(desk: Desk) -> None:
    application = desk.apply()
    assert application["state"] == "SUBMITTED" and application["provider"] == PROVIDER
    assert desk.phone() is None  # applying grants nothing

    approved = desk.approve(application["id"], "MASK", note="仅限联系车主")
    assert approved["state"] == "APPROVED" and approved["reason"] == "仅限联系车主"
    assert approved["grant"]["effect"] == "mask" and approved["grant"]["origin"] == "application"
    assert desk.phone() == PHONE_MASKED  # the very next request

    revoked = desk.ok(REVOKE, {"id": application["id"], "reason": "业务结束"}, PROVIDER_ADMIN)
    assert revoked["state"] == "APPROVED" and revoked["grant"]["active"] is False
    assert desk.phone() is None
    assert actions(revoked) == ["application.submitted", "application.approved", "application.revoked"]


def test_an_approval_can_allow_for_the_purposes_applied_for_only(desk: Desk) -> None:
    application = desk.apply(purposes=["data_verification"])
    desk.approve(application["id"], "ALLOW")
    assert desk.phone() is None  # read for work_reference: not applied for
    assert desk.api.phone(OTHER, purpose="data_verification") == PHONE


def test_scope_and_end_date_default_to_those_applied_for_and_can_be_narrowed(desk: Desk) -> None:
    scope = {"fullName": {"eq": "张三丰"}}
    application = desk.apply(scope=scope, until="2026-12-31")
    grant = desk.approve(application["id"], "ALLOW")["grant"]
    assert (grant["scope"], grant["until"]) == (scope, "2026-12-31")
    other = desk.apply(purposes=["data_verification"], until="2026-12-31")
    grant = desk.approve(other["id"], "VERIFY", until="2026-06-30")["grant"]
    assert (grant["effect"], grant["scope"], grant["until"]) == ("verify", None, "2026-06-30")


@pytest.mark.parametrize("reason", ["", "   \n\t"], ids=["empty", "whitespace"])
def test_a_rejection_without_a_reason_is_refused(desk: Desk, reason: str) -> None:
    application = desk.apply()
    error = desk.refused(REJECT, {"id": application["id"], "reason": reason}, PROVIDER_ADMIN)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "must give its reason" in error["message"]
    assert desk.ok(ONE_APPLICATION, {"id": application["id"]})["state"] == "SUBMITTED"


def test_a_rejection_without_the_reason_argument_is_not_even_run(desk: Desk) -> None:
    application = desk.apply()
    body = desk.send(f'mutation {{ applicationReject(id: "{application["id"]}") {{ id }} }}', None, PROVIDER_ADMIN)
    assert "data" not in body and "reason" in body["errors"][0]["message"]


def test_a_rejection_reaches_the_applicant_with_its_reason(desk: Desk) -> None:
    application = desk.apply()
    desk.reject(application["id"], "  申请用途与电话号码无关  ")
    seen = desk.ok(ONE_APPLICATION, {"id": application["id"]}, APPLICANT)
    assert (seen["state"], seen["reason"], seen["grant"]) == ("REJECTED", "申请用途与电话号码无关", None)
    assert seen["answeredBy"] == f"{PROVIDER}/{PROVIDER}-user"
    [decision] = desk.inbox(APPLICANT)["decisionsReceived"]
    assert decision == {"target": "APPLICATION", "id": application["id"], "resource": "Citizen",
                        "outcome": "rejected", "note": "申请用途与电话号码无关", "decidedAt": seen["answeredAt"],
                        "decidedBy": seen["answeredBy"]}  # fmt: skip
    assert desk.phone() is None


def test_an_answer_is_given_once(desk: Desk) -> None:
    application = desk.apply()
    desk.reject(application["id"])
    for query, variables in [(REJECT, {"reason": "again"}), (REVOKE, {})]:
        error = desk.refused(query, {"id": application["id"], **variables}, PROVIDER_ADMIN)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
    error = desk.refused(
        "mutation($id: ID!) { applicationApprove(id: $id, effect: ALLOW) { id } }", {"id": application["id"]},
        PROVIDER_ADMIN,
    )  # fmt: skip
    assert "it was rejected on 2026-03-02" in error["message"] and "only a submitted application" in error["message"]


def test_the_applicant_withdraws_an_unanswered_application(desk: Desk) -> None:
    application = desk.apply()
    withdrawn = desk.ok(WITHDRAW, {"id": application["id"], "reason": "另行办理"}, APPLICANT_ADMIN)
    assert (withdrawn["state"], withdrawn["withdrawReason"]) == ("WITHDRAWN", "另行办理")
    assert withdrawn["answeredAt"] is None and desk.inbox(PROVIDER_ADMIN)["applicationsToAnswer"] == []
    error = desk.refused(REJECT, {"id": application["id"], "reason": "x"}, PROVIDER_ADMIN)
    assert "it was withdrawn on 2026-03-02" in error["message"]
    again = desk.apply()  # a withdrawn application no longer blocks a new one
    assert again["id"] != application["id"]


def test_only_the_applying_department_withdraws(desk: Desk) -> None:
    application = desk.apply()
    for who in [PROVIDER_ADMIN, (STRANGER, ("dept_admin",))]:
        error = desk.refused(WITHDRAW, {"id": application["id"]}, who)
        assert error["extensions"]["code"] == "FORBIDDEN" and f"only {OTHER}" in error["message"]


# --- what an application may ask for ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"items": ["fullName"]}, "Citizen.fullName is already shared unconditionally, no application needed"),
        ({"items": ["nickname"]}, "Citizen has no item 'nickname'; items: citizenId, fullName, phone, record"),
        ({"resource": "Dog"}, "resource 'Dog' is not in the catalog"),
        ({"items": []}, "name at least one item"),
        ({"purposes": ["curiosity"]}, "purpose 'curiosity' is not in the catalog"),
        ({"purposes": []}, "name at least one purpose"),
        ({"justification": "  "}, "give a justification"),
        ({"until": "2026-03-01"}, "the end date 2026-03-01 is in the past"),
        ({"scope": {"fullName": {"near": "x"}}}, "scope.fullName: 'near' is not an operator for String"),
        ({"scope": {"age": {"eq": 3}}}, "scope.age: Citizen has no item 'age'"),
    ],
    ids=["unconditional", "unknown-item", "unknown-resource", "no-items", "unknown-purpose", "no-purpose",
         "blank-justification", "past-end-date", "bad-scope-operator", "bad-scope-item"],
)  # fmt: skip
def test_an_application_is_checked_before_it_is_filed(
    refusals: Desk, changes: dict[str, object], fragment: str
) -> None:
    error = refusals.refused(SUBMIT, {"input": phone_application(**changes)})
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and fragment in error["message"], error
    assert refusals.ok(APPLICATIONS, {}, AUTHORITY_ROLE) == []


def test_a_withheld_item_points_to_coordination(refusals: Desk) -> None:
    error = refusals.refused(SUBMIT, {"input": phone_application(items=["phone", "record"])})
    assert f"Citizen.record is withheld (legal basis {LEGAL_BASIS})" in error["message"]
    assert "request coordination by the platform authority instead (coordinationRequest)" in error["message"]
    assert error["extensions"]["coordinate"] == "coordinationRequest"


def test_every_problem_is_named_at_once(refusals: Desk) -> None:
    error = refusals.refused(SUBMIT, {"input": phone_application(items=["fullName", "record"], purposes=["x"],
                                                             justification="")})  # fmt: skip
    assert len(error["extensions"]["problems"]) == 4


def test_the_provider_does_not_apply_for_its_own_data(refusals: Desk) -> None:
    error = refusals.refused(SUBMIT, {"input": phone_application()}, (PROVIDER, ("member",)))
    assert "civil provides Citizen and reads all of it already" in error["message"]


def test_one_waiting_application_per_item_and_purpose(desk: Desk) -> None:
    first = desk.apply(purposes=["work_reference", "data_verification"])
    error = desk.refused(SUBMIT, {"input": phone_application(purposes=["data_verification"])})
    assert f"application {first['id']} for Citizen.{{phone}} (data_verification) is still waiting" in error["message"]
    desk.apply(purposes=["administrative_basis"])  # another purpose is another question
    desk.apply((STRANGER, ("member",)), purposes=["data_verification"])  # another department too


def test_applications_are_seen_by_their_two_departments_and_overseers(desk: Desk) -> None:
    application = desk.apply()
    for who in [APPLICANT, PROVIDER_ADMIN, (PROVIDER, ("member",)), AUTHORITY_ROLE, ("hub", ("auditor",))]:
        assert [a["id"] for a in desk.ok(APPLICATIONS, {}, who)] == [application["id"]], who
    stranger = (STRANGER, ("member",))
    assert desk.ok(APPLICATIONS, {}, stranger) == []
    error = desk.refused(ONE_APPLICATION, {"id": application["id"]}, stranger)
    assert error["extensions"]["code"] == "FORBIDDEN"
    for unknown, fragment in [("999", "there is no application 999"), ("x", "'x' is not an application id")]:
        assert fragment in desk.refused(ONE_APPLICATION, {"id": unknown})["message"]


def test_every_step_is_an_event_with_its_actor(desk: Desk) -> None:
    application = desk.apply()
    approved = desk.approve(application["id"], "ALLOW")
    submitted, answered = approved["events"]
    assert submitted == {"action": "application.submitted", "department": OTHER, "user": f"{OTHER}-user",
                         "roles": ["member"], "details": {"deadline": "2026-03-16", "provisional": False}}  # fmt: skip
    assert answered["action"] == "application.approved" and answered["department"] == PROVIDER
    assert answered["roles"] == ["dept_admin"]
    assert answered["details"]["grant"] == int(approved["grant"]["id"]) and answered["details"]["effect"] == "allow"
    assert isinstance(answered["details"]["policyVersion"], int)


def test_revoking_the_grant_directly_is_recorded_on_its_application(desk: Desk) -> None:
    application = desk.apply()
    grant = desk.approve(application["id"], "ALLOW")["grant"]
    revoked = desk.ok('mutation R($id: ID!) { grantRevoke(id: $id, reason: "合作终止") { id active } }',
                      {"id": grant["id"]}, PROVIDER_ADMIN)  # fmt: skip
    assert revoked == {"id": grant["id"], "active": False}
    assert desk.phone() is None
    seen = desk.ok(ONE_APPLICATION, {"id": application["id"]}, APPLICANT)
    assert actions(seen)[-1] == "application.revoked"
