"""Coordination by the platform authority (R6): withheld items, refused applications, final decisions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.world import OTHER, PHONE_MASKED, RECORD, read_query
from tests.workflows.desk import (
    APPLICANT,
    AUTHORITY_ROLE,
    DECIDE,
    REQUEST,
    STRANGER_ADMIN,
    Desk,
    actions,
)

RECORD_REQUEST = {"resource": "Citizen", "items": ["record"], "purposes": ["work_reference"],
                  "justification": "核查驾驶人违法记录"}  # fmt: skip


def _record(desk: Desk) -> str | None:
    """Citizen.record as transport reads it; None when FORBIDDEN."""
    body = desk.send(read_query("record"), None, APPLICANT)
    value: str | None = body["data"]["citizen"]["record"]
    assert (value is None) == ("errors" in body), body
    return value


def _decide(desk: Desk, coordination_id: str, grant: bool, **extra: Any) -> dict[str, Any]:
    return {"id": coordination_id, "grant": grant, "reasoning": "确属执法必需", **extra}


def test_the_authority_grants_a_withheld_item(desk: Desk) -> None:
    assert _record(desk) is None
    coordination = desk.ok(REQUEST, {"input": RECORD_REQUEST})
    assert coordination["state"] == "OPEN" and coordination["application"] is None
    [queued] = desk.inbox(AUTHORITY_ROLE)["coordinationRequests"]
    assert queued["id"] == coordination["id"] and queued["justification"] == "核查驾驶人违法记录"

    decided = desk.ok(DECIDE, _decide(desk, coordination["id"], True, effect="ALLOW", until="2026-12-31"),
                      AUTHORITY_ROLE)  # fmt: skip
    assert (decided["state"], decided["reasoning"]) == ("GRANTED", "确属执法必需")
    assert decided["grant"]["origin"] == "coordination" and decided["grant"]["until"] == "2026-12-31"
    assert _record(desk) == RECORD
    assert desk.inbox(AUTHORITY_ROLE)["coordinationRequests"] == []
    [decision] = desk.inbox(APPLICANT)["decisionsReceived"]
    assert (decision["target"], decision["outcome"], decision["note"]) == ("COORDINATION", "granted", "确属执法必需")
    assert actions(decided) == ["coordination.requested", "coordination.granted"]


def test_the_decision_is_final(desk: Desk) -> None:
    coordination = desk.ok(REQUEST, {"input": RECORD_REQUEST})
    refused = desk.ok(DECIDE, _decide(desk, coordination["id"], False, reasoning="无法律依据"), AUTHORITY_ROLE)
    assert (refused["state"], refused["reasoning"], refused["grant"]) == ("REFUSED", "无法律依据", None)
    for grant, extra in [(True, {"effect": "ALLOW"}), (False, {})]:
        error = desk.refused(DECIDE, _decide(desk, coordination["id"], grant, **extra), AUTHORITY_ROLE)
        assert "the decision is final" in error["message"] and "(refused)" in error["message"]
    assert _record(desk) is None
    assert actions(desk.ok("query($id: ID!) { coordination(id: $id) { events { action } } }",
                           {"id": coordination["id"]})) == ["coordination.requested", "coordination.refused"]  # fmt: skip


@pytest.mark.parametrize(
    ("grant", "extra", "fragment"),
    [
        (False, {"reasoning": " "}, "the decision must give its reasoning"),
        (True, {}, "a decision to grant names the effect"),
        (True, {"effect": "ALLOW", "scope": {"record": {"gt": 3}}}, "not a String"),
        (True, {"effect": "ALLOW", "until": "2026-01-31"}, "the end date 2026-01-31 is in the past"),
    ],
    ids=["no-reasoning", "grant-without-effect", "bad-scope", "past-end-date"],
)
def test_a_decision_is_checked(desk: Desk, grant: bool, extra: dict[str, Any], fragment: str) -> None:
    coordination = desk.ok(REQUEST, {"input": RECORD_REQUEST})
    error = desk.refused(DECIDE, _decide(desk, coordination["id"], grant, **extra), AUTHORITY_ROLE)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and fragment in error["message"], error
    # nothing was decided: the request still waits, and a valid decision still goes through
    assert desk.inbox(AUTHORITY_ROLE)["coordinationRequests"][0]["state"] == "OPEN"
    desk.ok(DECIDE, _decide(desk, coordination["id"], False), AUTHORITY_ROLE)


def test_a_refused_application_is_escalated(desk: Desk) -> None:
    application = desk.apply()
    desk.reject(application["id"], "电话仅限本部门使用")
    escalation = {"application": application["id"], "justification": "联系车主属于法定职责"}
    coordination = desk.ok(REQUEST, {"input": escalation})
    assert coordination["application"] == application["id"]
    assert (coordination["items"], coordination["purposes"]) == (["phone"], ["work_reference"])
    assert coordination["justification"] == "联系车主属于法定职责"
    again = desk.refused(REQUEST, {"input": escalation})
    assert f"escalated already (coordination {coordination['id']}, open)" in again["message"]

    desk.ok(DECIDE, _decide(desk, coordination["id"], True, effect="MASK"), AUTHORITY_ROLE)
    assert desk.phone() == PHONE_MASKED


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda desk, a: {"application": a, "justification": " "}, "give a justification"),
        (lambda desk, a: {"application": a, "justification": "x", "items": ["record"]},
         "items come from application"),
        (lambda desk, a: {"application": "777", "justification": "x"}, "there is no application 777"),
    ],
    ids=["blank-justification", "items-given-too", "unknown-application"],
)  # fmt: skip
def test_an_escalation_is_checked(desk: Desk, make: Any, fragment: str) -> None:
    application = desk.apply()
    desk.reject(application["id"])
    error = desk.refused(REQUEST, {"input": make(desk, application["id"])})
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and fragment in error["message"], error


def test_only_a_rejected_application_of_ones_own_is_escalated(desk: Desk) -> None:
    application = desk.apply()
    escalation = {"application": application["id"], "justification": "等不及了"}
    error = desk.refused(REQUEST, {"input": escalation})
    assert "is submitted; coordination follows a refusal" in error["message"]
    desk.reject(application["id"])
    error = desk.refused(REQUEST, {"input": escalation}, STRANGER_ADMIN)
    assert error["extensions"]["code"] == "FORBIDDEN" and f"only {OTHER}, which applied" in error["message"]


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        ("phone", "Citizen.phone is conditional: apply to its provider first (applicationSubmit)"),
        ("fullName", "Citizen.fullName is already shared unconditionally, no coordination needed"),
    ],
)
def test_a_direct_request_is_for_withheld_items(refusals: Desk, item: str, fragment: str) -> None:
    error = refusals.refused(REQUEST, {"input": {**RECORD_REQUEST, "items": [item]}})
    assert fragment in error["message"]
