"""Data-issue reports (R8, 校核): reported by a using department, answered by the provider,
watched by the authority with their age."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.policies.world import CITIZEN_ID, OTHER, PROVIDER, STRANGER
from tests.workflows.desk import (
    ANSWER,
    APPLICANT,
    AUTHORITY_ROLE,
    DATA_ISSUES,
    PROVIDER_ADMIN,
    REPORT,
    Desk,
    actions,
)


def _report(**changes: Any) -> dict[str, Any]:
    return {"input": {"resource": "Citizen", "recordKey": CITIZEN_ID, "item": "fullName",
                      "description": "姓名应为张三峰", **changes}}  # fmt: skip


def test_a_report_travels_to_the_provider_and_back(desk: Desk, set_now: Callable[[str], None]) -> None:
    issue = desk.ok(REPORT, _report())
    assert (issue["state"], issue["provider"], issue["ageDays"]) == ("OPEN", PROVIDER, 0)
    assert [i["id"] for i in desk.inbox(PROVIDER_ADMIN)["dataIssuesToCheck"]] == [issue["id"]]

    set_now("2026-03-09T10:00:00+08:00")  # a week later
    [watched] = desk.inbox(AUTHORITY_ROLE)["openDataIssues"]
    assert (watched["id"], watched["ageDays"], watched["ageWorkingDays"]) == (issue["id"], 7, 5)

    answered = desk.ok(
        ANSWER, {"id": issue["id"], "verdict": "CORRECTED", "note": " 已按户籍档案更正 "}, PROVIDER_ADMIN
    )
    assert (answered["state"], answered["note"], answered["answeredBy"]) == (
        "CORRECTED", "已按户籍档案更正", f"{PROVIDER}/{PROVIDER}-user")  # fmt: skip
    assert desk.inbox(AUTHORITY_ROLE)["openDataIssues"] == []
    assert desk.inbox(PROVIDER_ADMIN)["dataIssuesToCheck"] == []
    [decision] = desk.inbox(APPLICANT)["decisionsReceived"]
    assert (decision["target"], decision["outcome"], decision["note"]) == (
        "DATA_ISSUE",
        "corrected",
        "已按户籍档案更正",
    )
    assert actions(answered) == ["data_issue.reported", "data_issue.corrected"]

    set_now("2026-04-09T10:00:00+08:00")  # an answered report keeps the time it took
    [kept] = desk.ok(DATA_ISSUES, {}, AUTHORITY_ROLE)
    assert (kept["ageDays"], kept["ageWorkingDays"]) == (7, 5)


def test_not_an_error_and_the_note_is_mandatory(desk: Desk) -> None:
    issue = desk.ok(REPORT, _report(item=None, description="记录重复"))
    error = desk.refused(ANSWER, {"id": issue["id"], "verdict": "NOT_AN_ERROR", "note": "  "}, PROVIDER_ADMIN)
    assert "add a note" in error["message"]
    answered = desk.ok(ANSWER, {"id": issue["id"], "verdict": "NOT_AN_ERROR", "note": "核对无误"}, PROVIDER_ADMIN)
    assert answered["state"] == "NOT_AN_ERROR"
    again = desk.refused(ANSWER, {"id": issue["id"], "verdict": "CORRECTED", "note": "x"}, PROVIDER_ADMIN)
    assert "it was answered on 2026-03-02" in again["message"]


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"item": "phone"}, f"{OTHER} has never been granted Citizen.phone"),
        ({"item": "record"}, f"{OTHER} has never been granted Citizen.record"),
        ({"item": "shoeSize"}, "Citizen has no item 'shoeSize'"),
        ({"resource": "Dog"}, "resource 'Dog' is not in the catalog"),
        ({"recordKey": " "}, "name the record by its key"),
        ({"recordKey": "c" * 257}, "a record key has at most 256 characters"),
        ({"description": ""}, "describe the suspected error"),
    ],
    ids=[
        "conditional-never-granted",
        "withheld",
        "unknown-item",
        "unknown-resource",
        "no-key",
        "long-key",
        "no-description",
    ],
)
def test_a_report_is_checked(refusals: Desk, changes: dict[str, Any], fragment: str) -> None:
    error = refusals.refused(REPORT, _report(**changes))
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and fragment in error["message"], error


def test_a_granted_item_can_be_reported(desk: Desk) -> None:
    desk.approve(desk.apply()["id"], "MASK")
    assert desk.ok(REPORT, _report(item="phone"))["item"] == "phone"


def test_the_provider_corrects_its_own_data_without_a_report(refusals: Desk) -> None:
    error = refusals.refused(REPORT, _report(), (PROVIDER, ("member",)))
    assert "correct its own data directly" in error["message"]


def test_reports_are_seen_by_their_two_departments_and_overseers(desk: Desk) -> None:
    issue = desk.ok(REPORT, _report())
    for who in [APPLICANT, PROVIDER_ADMIN, AUTHORITY_ROLE]:
        assert [i["id"] for i in desk.ok(DATA_ISSUES, {"state": "OPEN"}, who)] == [issue["id"]]
    assert desk.ok(DATA_ISSUES, {}, (STRANGER, ("member",))) == []
    error = desk.refused("query($id: ID!) { dataIssue(id: $id) { id } }", {"id": issue["id"]}, (STRANGER, ("member",)))
    assert error["extensions"]["code"] == "FORBIDDEN"
