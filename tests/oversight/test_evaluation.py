"""The evaluation of departments (art. 19) over hand-built scenarios in Policyville, read as the
authority and department administrators read it, checked against the documented formula."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from govshare.oversight.evaluation import WEIGHTS
from govshare.settings import Settings
from tests.policies.world import CITIZEN_ID, OTHER, PROVIDER, SECRET, STRANGER
from tests.workflows.conftest import desk, policyville, set_now
from tests.workflows.desk import ANSWER, AUTHORITY_ROLE, PROVIDER_ADMIN, REPORT, Desk
from tests.worlds import read_audit

# Policyville's workflow desk, at the workflow tests' fixed time (set_now: autouse, in this module only).
__all__ = ["desk", "policyville", "set_now"]
FIELDS = (
    "department received answered meanAnswerDays maxAnswerDays overdue refused refusedWithReason refusalRate "
    "issues issuesAnswered meanIssueDays resources resourcesDescribed items itemsDescribed dated late parts score"
)
EVALUATION = f"""query($since: Date!, $until: Date!, $department: String) {{
  sharingEvaluation(since: $since, until: $until, department: $department) {{ {FIELDS} }} }}"""
SPAN = {"since": "2026-02-01", "until": "2026-03-31"}
VOLUMES = """query($since: Date!, $until: Date!) { sharingEvaluation(since: $since, until: $until) {
  department provided refusedItems operations rows denied } }"""
SPAN_NOW = {"since": "2026-01-01", "until": "2030-12-31"}  # the audit log's days are the real ones
HEALTH = (STRANGER, ("member",))
TRANSPORT_ADMIN = (OTHER, ("dept_admin",))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The workflow tests' platform, counting its statistics every 0.1 s (the volumes come from them)."""
    return Settings(data_dir=tmp_path / "platform", secret=SECRET, stats_interval=0.1)


def _score(parts: dict[str, float]) -> float:
    """docs/statistics.md: the weighted mean of the parts there are, 0–100."""
    return round(100 * sum(WEIGHTS[p] * s for p, s in parts.items()) / sum(WEIGHTS[p] for p in parts), 1)


def _spring_festival(desk: Desk, set_now: Callable[[str], None]) -> None:
    """civil answers one application on the 11th working day after a Friday before the Spring
    Festival (due 5 March), one on the 10th, leaves one unanswered past its deadline, answers a
    data-issue report in 5 working days and leaves one open; transport answers one in a day."""
    set_now("2026-02-13T18:30:00+08:00")
    late = desk.apply()
    on_time = desk.apply(HEALTH)
    set_now("2026-03-02T10:00:00+08:00")
    desk.apply(purposes=["data_verification"])  # due 16 March, never answered
    vehicle = desk.apply(HEALTH, resource="Vehicle", items=["insurer"])
    issue = desk.ok(REPORT, {"input": {"resource": "Citizen", "recordKey": CITIZEN_ID, "item": "fullName",
                                       "description": "姓名有误"}})  # fmt: skip
    set_now("2026-03-03T10:00:00+08:00")
    desk.approve(vehicle["id"], who=TRANSPORT_ADMIN)
    set_now("2026-03-05T16:00:00+08:00")
    desk.reject(on_time["id"], "申请用途与所需数据项不符")
    set_now("2026-03-06T10:00:00+08:00")
    assert desk.approve(late["id"])["answeredLate"] is True
    set_now("2026-03-09T10:00:00+08:00")
    desk.ok(ANSWER, {"id": issue["id"], "verdict": "CORRECTED", "note": "已更正"}, PROVIDER_ADMIN)
    set_now("2026-03-20T10:00:00+08:00")
    desk.ok(REPORT, {"input": {"resource": "Citizen", "recordKey": "c002", "description": "记录重复"}}, HEALTH)
    set_now("2026-04-15T10:00:00+08:00")


def test_answer_times_overdue_refusals_and_reports_per_provider(desk: Desk, set_now: Callable[[str], None]) -> None:
    _spring_festival(desk, set_now)
    found = {e["department"]: e for e in desk.ok(EVALUATION, SPAN, AUTHORITY_ROLE)}
    civil = found[PROVIDER]
    assert (civil["received"], civil["answered"], civil["maxAnswerDays"], civil["meanAnswerDays"]) == (3, 2, 11, 10.5)
    # the 11th working day across the Spring Festival, and one still open past 16 March on the span's last day
    assert civil["overdue"] == 2
    assert (civil["refused"], civil["refusedWithReason"], civil["refusalRate"]) == (1, 1, 0.5)
    # 5 working days to answer; the open one has waited 20–31 March: 7 working days
    assert (civil["issues"], civil["issuesAnswered"], civil["meanIssueDays"]) == (2, 1, 6.0)
    assert (civil["resources"], civil["resourcesDescribed"], civil["items"], civil["itemsDescribed"]) == (1, 0, 4, 0)
    assert (civil["dated"], civil["late"]) == (0, None)  # no entry names an updated_item: not part of the score
    parts = {"on_time": 1 / 3, "reasons": 1.0, "issues": 0.5, "catalog": 0.0}
    assert civil["parts"] == {p: round(s, 3) for p, s in parts.items()}
    assert civil["score"] == _score(parts) == 35.8
    transport = found[OTHER]
    assert (transport["received"], transport["overdue"], transport["maxAnswerDays"]) == (1, 0, 1)
    assert transport["score"] == _score({"on_time": 1.0, "catalog": 0.0})
    assert (found[STRANGER]["received"], found[STRANGER]["parts"], found[STRANGER]["score"]) == (0, {}, None)
    # The widest span the Date type can state holds the same applications.
    widest = desk.ok(EVALUATION, {"since": "0001-01-01", "until": "9999-12-31"}, AUTHORITY_ROLE)
    assert {e["department"]: e["received"] for e in widest}[PROVIDER] == 3
    # Read before the deadline of the open one had passed, it is not overdue yet.
    early = {e["department"]: e for e in desk.ok(EVALUATION, {**SPAN, "until": "2026-03-13"}, AUTHORITY_ROLE)}
    assert early[PROVIDER]["overdue"] == 1


def test_an_administrator_reads_its_own_evaluation_only(desk: Desk, set_now: Callable[[str], None]) -> None:
    _spring_festival(desk, set_now)
    [own] = desk.ok(EVALUATION, SPAN, PROVIDER_ADMIN)
    assert (own["department"], own["received"]) == (PROVIDER, 3)
    refused: Any = desk.send(EVALUATION, {**SPAN, "department": OTHER}, PROVIDER_ADMIN)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "reads civil's evaluation only" in refused["errors"][0]["message"]
    member = desk.send(EVALUATION, SPAN, (PROVIDER, ("member",)))
    assert "reading sharing evaluation is for" in member["errors"][0]["message"]
    unknown = desk.send(EVALUATION, {**SPAN, "department": "nobody"}, AUTHORITY_ROLE)
    assert "there is no department 'nobody'" in unknown["errors"][0]["message"]
    backwards = desk.send(EVALUATION, {"since": "2026-03-31", "until": "2026-02-01"}, AUTHORITY_ROLE)
    assert "until 2026-02-01 is before since 2026-03-31" in backwards["errors"][0]["message"]


def test_volumes_provided_refused_used_and_denied(desk: Desk, settings: Settings) -> None:
    read = f'{{ citizen(citizenId: "{CITIZEN_ID}") {{ fullName phone }} }}'  # phone: no grant yet
    for _ in range(3):
        assert desk.api.post(read, department=OTHER)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    desk.api.post(f'{{ citizen(citizenId: "{CITIZEN_ID}") {{ fullName }} }}', department=STRANGER)
    last = read_audit(settings)[-1].seq
    counted = '{ sharingOperations(since: "2020-01-01", until: "2030-12-31") { countedUpTo } }'
    deadline = time.monotonic() + 30
    while desk.ok(counted, None, AUTHORITY_ROLE)["countedUpTo"] < last:  # the volumes come from the counts
        assert time.monotonic() < deadline, "the statistics did not count the records within 30 s"
        time.sleep(0.1)
    found = {e["department"]: e for e in desk.ok(VOLUMES, SPAN_NOW, AUTHORITY_ROLE)}
    records = [r for r in read_audit(settings) if r.seq <= last]
    # civil gave the key looked up by and fullName in 4 lookups and withheld phone 3 times; transport asked
    # 3 times and was refused 3 items.
    assert (found[PROVIDER]["provided"], found[PROVIDER]["refusedItems"]) == (8, 3)
    given = sum(1 for r in records for _, _, effect, *_ in r.decisions if effect != "deny")
    assert found[PROVIDER]["provided"] == given
    transport = found[OTHER]
    assert (transport["operations"], transport["denied"]) == (3, 3)
    assert transport["rows"] == sum(s["rows"] for r in records if r.department == OTHER for s in r.sources.values())
    assert (found[STRANGER]["operations"], found[STRANGER]["denied"]) == (1, 0)
