"""Answers given at the same moment: exactly one decision holds, and at most one grant exists."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from govshare import clock
from govshare.errors import GovshareError
from govshare.identity import Caller
from govshare.policies.live import PolicyStore
from govshare.runtime import close_runtime, open_runtime
from govshare.settings import Settings
from govshare.store import grant_rows as grant_rows
from govshare.store import tables
from govshare.store.grant_rows import NewGrant
from govshare.store.shares import Share
from govshare.workflows import applications, coordination
from govshare.workflows.events import APPLICATION
from govshare.workflows.records import Application, Coordination
from govshare.workflows.requests import Request
from govshare.workflows.steps import advance_with_grant
from tests.policies.world import AUTHORITY, OTHER, PROVIDER, SECRET, World

APPLICANT = Caller(OTHER, "clerk", ("member",))
ADMIN = Caller(PROVIDER, "head", ("dept_admin",))
DEPUTY = Caller(PROVIDER, "deputy", ("dept_admin",))
AUTHORITY_CALLER = Caller(AUTHORITY, "director", ("authority",))


@pytest.fixture
async def store(policyville: World, tmp_path: Path) -> AsyncIterator[PolicyStore]:
    runtime = await open_runtime(policyville.catalog, Settings(data_dir=tmp_path, secret=SECRET), poll=False)
    try:
        yield runtime.policies
    finally:
        await close_runtime(runtime)


async def _grants(store: PolicyStore) -> list[grant_rows.Grant]:
    async with store.engine.connect() as conn:
        return await grant_rows.list_grants(conn, department=OTHER)


async def test_two_administrators_answering_at_once_make_one_answer(store: PolicyStore) -> None:
    filed = await applications.submit(
        store, APPLICANT, Request(Share(APPLICANT.department, "Citizen", ("phone",), ("work_reference",)), "联系车主")
    )
    results = await asyncio.gather(
        applications.approve(store, ADMIN, filed.id, applications.Approval("allow")),
        applications.approve(store, DEPUTY, filed.id, applications.Approval("mask")),
        applications.reject(store, DEPUTY, filed.id, "不同意"),
        return_exceptions=True,
    )
    answers = [r for r in results if isinstance(r, Application)]
    refusals = [r for r in results if isinstance(r, GovshareError)]
    assert len(answers) == 1 and len(refusals) == 2, results
    assert all("another step came first" in e.message or "only a submitted application" in e.message
               for e in refusals)  # fmt: skip
    final = await applications.get(store, APPLICANT, filed.id)
    grants = await _grants(store)
    assert final.state == answers[0].state
    assert [g.id for g in grants] == ([final.grant_id] if final.state == "approved" else [])


async def test_two_decisions_at_once_leave_one_final_decision(store: PolicyStore) -> None:
    asked = await coordination.request(
        store, APPLICANT, Request(Share(APPLICANT.department, "Citizen", ("record",), ("work_reference",)), "执法")
    )
    results = await asyncio.gather(
        coordination.decide(store, AUTHORITY_CALLER, asked.id, coordination.Decision(True, "同意", "allow")),
        coordination.decide(store, AUTHORITY_CALLER, asked.id, coordination.Decision(False, "不同意")),
        return_exceptions=True,
    )
    decided = [r for r in results if isinstance(r, Coordination)]
    assert len(decided) == 1 and isinstance(next(r for r in results if r not in decided), GovshareError)
    assert len(await _grants(store)) == (1 if decided[0].state == "granted" else 0)


async def test_an_answer_based_on_a_stale_read_is_refused(store: PolicyStore) -> None:
    """What the guard does when a second answer read the application before the first was stored."""
    filed = await applications.submit(
        store, APPLICANT, Request(Share(APPLICANT.department, "Citizen", ("phone",), ("work_reference",)), "联系车主")
    )
    await applications.approve(store, ADMIN, filed.id, applications.Approval("allow"))
    stale = NewGrant(
        OTHER, "Citizen", ("phone",), ("work_reference",), "mask", origin="application", origin_id=filed.id
    )
    with pytest.raises(GovshareError, match="no longer submitted: another step came first"):
        await advance_with_grant(store, DEPUTY, tables.applications, APPLICATION, filed.id, "submitted",
                                 {"state": "approved"}, clock.now(), stale)  # fmt: skip
    assert [g.effect for g in await _grants(store)] == ["allow"]
