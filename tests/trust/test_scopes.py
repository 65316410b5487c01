"""Leak 3: a row scope that tests an item the grantee may not read reveals that item.

An application for Person.maritalStatus scoped by ``criminalRecord isNull: false`` would,
once approved, list exactly the people with a criminal record. A scope may test only items
the department may read in full: refused when applied for, approved, granted, and decided.
"""

from __future__ import annotations

from typing import Any

from govshare.store.grant_rows import NewGrant
from tests.trust.demo import Demo, errors_of

CRIMINAL = {"criminalRecord": {"isNull": False}}
SUBMIT = "mutation($input: ApplicationInput!) { applicationSubmit(input: $input) { id state } }"
APPROVE = "mutation($id: ID!, $scope: JSON) { applicationApprove(id: $id, effect: ALLOW, scope: $scope) { id state } }"
PAGE = "{ people(first: 1000) { nodes { idNumber maritalStatus } } }"


def _application(scope: dict[str, Any] | None) -> dict[str, Any]:
    return {"resource": "Person", "items": ["maritalStatus"], "purposes": ["work_reference"],
            "justification": "住房保障资格审核", "scope": scope}  # fmt: skip


def _names_the_scope_item(body: dict[str, Any]) -> bool:
    [error] = errors_of(body, "BAD_USER_INPUT")
    return "Person.criminalRecord" in error["message"] and "scope" in error["message"]


def test_an_application_scoped_by_a_withheld_item_is_refused(demo: Demo) -> None:
    body = demo.post(SUBMIT, {"input": _application(CRIMINAL)}, department="hrss")
    assert _names_the_scope_item(body)
    nested = {"or": [{"district": {"eq": "龙亭区"}}, {"not": CRIMINAL}]}  # hidden inside or/not: the same
    assert _names_the_scope_item(demo.post(SUBMIT, {"input": _application(nested)}, department="hrss"))


def test_an_approval_that_adds_such_a_scope_is_refused_and_changes_nothing(demo: Demo) -> None:
    submitted = demo.post(SUBMIT, {"input": _application(None)}, department="ndrc")
    application = submitted["data"]["applicationSubmit"]["id"]
    body = demo.post(APPROVE, {"id": application, "scope": CRIMINAL}, department="police", roles=("dept_admin",))
    assert _names_the_scope_item(body)
    listed = demo.post(f'{{ application(id: "{application}") {{ state }} }}', department="ndrc")
    assert listed["data"]["application"]["state"] == "SUBMITTED"  # still waiting for a proper answer
    approved = demo.post(APPROVE, {"id": application, "scope": {"district": {"eq": "杞县"}}},
                         department="police", roles=("dept_admin",))  # fmt: skip
    assert approved["data"]["applicationApprove"]["state"] == "APPROVED"


def test_a_direct_grant_with_such_a_scope_is_refused(demo: Demo) -> None:
    assert _names_the_scope_item(
        demo.grant("market", "Person", ["maritalStatus"], ["work_reference"], "allow", CRIMINAL)
    )
    # A conditional item the department may only see masked is no better than a withheld one.
    body = demo.grant(
        "market", "Person", ["maritalStatus"], ["data_verification"], "allow", {"phone": {"isNull": False}}
    )
    [error] = errors_of(body, "BAD_USER_INPUT")
    assert "Person.phone" in error["message"]


def test_a_stored_grant_with_such_a_scope_reveals_nothing(demo: Demo) -> None:
    criminals = {k for k, row in demo.rows["Person"].items() if row["criminalRecord"]}
    assert 0 < len(criminals) < len(demo.rows["Person"])
    demo.stored_grant(NewGrant("health", "Person", ("maritalStatus",), ("work_reference",), "allow", CRIMINAL))
    body = demo.post(PAGE, department="health")
    nodes = body["data"]["people"]["nodes"]
    assert {n["idNumber"] for n in nodes} == set(demo.rows["Person"])  # every row: the scope does not apply
    assert all(n["maritalStatus"] is None for n in nodes)
    refused = errors_of(body, "FORBIDDEN")
    assert refused and all("criminalRecord" in e["message"] for e in refused)


def test_a_scope_on_a_readable_item_still_narrows(demo: Demo) -> None:
    scope = {"district": {"eq": "杞县"}}
    assert "errors" not in demo.grant("elicense", "Person", ["maritalStatus"], ["work_reference"], "allow", scope)
    nodes = demo.post(PAGE, department="elicense")["data"]["people"]["nodes"]
    inside = {k for k, row in demo.rows["Person"].items() if row["district"] == "杞县"}
    assert {n["idNumber"] for n in nodes} == inside
    assert all(n["maritalStatus"] == demo.rows["Person"][n["idNumber"]]["maritalStatus"] for n in nodes)


def test_a_scope_may_not_test_an_item_readable_on_some_rows_only(demo: Demo) -> None:
    """Phone readable in 杞县 only: a scope on phone would tell, elsewhere, who has one."""
    assert "errors" not in demo.grant(
        "natres", "Person", ["phone"], ["work_reference"], "allow", {"district": {"eq": "杞县"}}
    )
    body = demo.grant("natres", "Person", ["maritalStatus"], ["work_reference"], "allow", {"phone": {"isNull": False}})
    [error] = errors_of(body, "BAD_USER_INPUT")
    assert "Person.phone" in error["message"] and "some rows only" in error["message"]
