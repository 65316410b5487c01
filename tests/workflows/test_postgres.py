"""The workflows on a PostgreSQL platform database: migration 0003 and the steps that write to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from govshare.settings import Settings
from tests.policies.world import PHONE_MASKED, RECORD, SECRET, World, read_query
from tests.workflows.conftest import serving
from tests.workflows.desk import (
    ANSWER,
    APPLICANT,
    AUTHORITY_ROLE,
    DECIDE,
    PROVIDER_ADMIN,
    REPORT,
    REQUEST,
    REVOKE,
    Desk,
    actions,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_desk(policyville: World, postgres_url: str, tmp_path: Path) -> Iterator[Desk]:
    with serving(policyville, Settings(data_dir=tmp_path, store_url=postgres_url, secret=SECRET)) as served:
        yield served


def test_every_workflow_on_postgresql(pg_desk: Desk) -> None:
    desk = pg_desk
    application = desk.apply()
    assert (application["deadline"], application["submittedAt"]) == ("2026-03-16", "2026-03-02T02:00:00+00:00")
    desk.approve(application["id"], "MASK")
    assert desk.phone() == PHONE_MASKED
    revoked = desk.ok(REVOKE, {"id": application["id"]}, PROVIDER_ADMIN)
    assert actions(revoked) == ["application.submitted", "application.approved", "application.revoked"]

    request = {"resource": "Citizen", "items": ["record"], "purposes": ["work_reference"], "justification": "执法"}
    coordination = desk.ok(REQUEST, {"input": request})
    desk.ok(DECIDE, {"id": coordination["id"], "grant": True, "reasoning": "同意", "effect": "ALLOW"}, AUTHORITY_ROLE)
    assert desk.send(read_query("record"), None, APPLICANT)["data"]["citizen"]["record"] == RECORD

    issue = desk.ok(REPORT, {"input": {"resource": "Citizen", "recordKey": "c001", "description": "重复记录"}})
    assert [i["id"] for i in desk.inbox(AUTHORITY_ROLE)["openDataIssues"]] == [issue["id"]]
    desk.ok(ANSWER, {"id": issue["id"], "verdict": "NOT_AN_ERROR", "note": "核对无误"}, PROVIDER_ADMIN)
    outcomes = {d["outcome"] for d in desk.inbox(APPLICANT)["decisionsReceived"]}
    assert outcomes == {"approved", "granted", "not_an_error"}
