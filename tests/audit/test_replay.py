"""Replay: a query answered under a grant, replayed after the grant was revoked."""

from __future__ import annotations

from tests.audit.conftest import Served

PHONES = 'query Phones { residents(first: 5, filter: {district: {eq: "east"}}) { nodes { residentId phone } } }'
REPLAY = """query R($seq: Int!) { auditReplay(seq: $seq) {
  seq policyVersionThen policyVersionNow resultReproduced recordedResultSha256 resultSha256Then resultSha256Now
  decisionsThen { resource item effect basis } decisionsNow { resource item effect }
  changed { resource item then now } } }"""


def _records(served: Served, **filter: str) -> list[dict[str, object]]:
    answer = served.post(
        "query A($f: AuditRecordFilter) { auditRecords(filter: $f) { nodes { seq kind outcome operationName } } }",
        department="hub", roles=("auditor",), purpose=None, variables={"f": filter},
    ).json()  # fmt: skip
    nodes: list[dict[str, object]] = answer["data"]["auditRecords"]["nodes"]
    return nodes


def test_allowed_then_denied_now_and_the_result_reproduces(served: Served) -> None:
    granted = served.post(
        'mutation { grantAdd(input: {department: "transport", resource: "Resident", items: ["phone"], '
        'purposes: ["work_reference"], effect: ALLOW}) { id } }',
        department="hub", roles=("authority",), purpose=None,
    ).json()["data"]["grantAdd"]["id"]  # fmt: skip
    answered = served.post(PHONES).json()
    assert all(n["phone"] for n in answered["data"]["residents"]["nodes"])
    served.post(
        f'mutation {{ grantRevoke(id: "{granted}") {{ id }} }}', department="hub", roles=("authority",), purpose=None
    )
    assert served.post(PHONES).json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    [recorded] = [r for r in _records(served, department="transport") if r["operationName"] == "Phones"][-1:]
    replayed = served.post(
        REPLAY, department="hub", roles=("auditor",), purpose=None, variables={"seq": recorded["seq"]}
    )
    report = replayed.json()["data"]["auditReplay"]
    assert report["changed"] == [{"resource": "Resident", "item": "phone", "then": "allow", "now": "deny"}]
    assert report["resultReproduced"] is True
    assert report["recordedResultSha256"] == report["resultSha256Then"] != report["resultSha256Now"]
    assert report["policyVersionThen"] < report["policyVersionNow"]
    assert {"resource": "Resident", "item": "phone", "effect": "allow", "basis": f"grant:{granted}"} in report[
        "decisionsThen"
    ]
    # The replay is an operation of the auditor's, and recorded as such.
    assert _records(served, department="hub")[0]["operationName"] == "R"


def test_only_auditors_read_the_log(served: Served) -> None:
    answer = served.post(
        "{ auditRecords { nodes { seq } } }", department="hub", roles=("authority",), purpose=None
    ).json()
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "auditor" in answer["errors"][0]["message"]


def test_mutations_and_unknown_records_are_not_replayed(served: Served) -> None:
    served.post('mutation { grantRevoke(id: "999") { id } }', department="hub", roles=("authority",), purpose=None)
    for seq, fragment in [(1, "only executed queries"), (999, "no audit record 999")]:
        answer = served.post(REPLAY, department="hub", roles=("auditor",), purpose=None, variables={"seq": seq}).json()
        assert fragment in answer["errors"][0]["message"]
