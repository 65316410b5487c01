"""One durable record per operation, whatever became of it, written before the response leaves."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3

import httpx

from govshare.audit.keys import canonical_result
from govshare.audit.platform import result_keys
from govshare.audit.read import EVERY_RECORD, AuditFilter, list_records
from govshare.audit.record import AuditRecord
from govshare.store.database import store_engine
from tests.audit.conftest import Served


def _records(served: Served) -> list[AuditRecord]:
    async def read() -> list[AuditRecord]:
        engine = store_engine(served.settings.effective_store_url)
        try:
            return await list_records(engine, AuditFilter(), EVERY_RECORD, first=1000, newest_first=False)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_every_outcome_is_recorded_with_what_it_did(served: Served) -> None:
    answered = served.post('{ resident(residentId: "r00001") { fullName vehicles { plate } } }', operationName=None)
    partial = served.post('{ resident(residentId: "r00001") { fullName phone } }')
    rejected = served.post("{ residents { nosuch } }")
    failed = served.post("{ residents { totalCount } }", purpose=None)
    malformed = httpx.post(
        f"{served.url}/graphql", content=b"{oops", headers={"Authorization": f"Bearer {served.token()}"}
    )
    anonymous = httpx.post(f"{served.url}/graphql", json={"query": "{ me { user } }"})
    assert [r.status_code for r in (answered, partial, rejected, failed, malformed, anonymous)] == [
        200,
        200,
        400,
        200,
        400,
        401,
    ]
    records = _records(served)
    assert [r.outcome for r in records] == ["answered", "partial", "rejected", "failed", "malformed", "unauthenticated"]
    assert [r.seq for r in records] == list(range(1, 7))
    first = records[0]
    assert (first.department, first.user, first.roles, first.purpose) == (
        "transport",
        "alice",
        ["member"],
        "work_reference",
    )
    assert first.client == "127.0.0.1" and first.kind == "query" and first.policy_version
    keys = result_keys(served.settings)
    assert first.result_key_id == keys.current
    assert first.result_sha256 == keys.digest_under(keys.current, answered.json()["data"])
    assert first.result_sha256 != hashlib.sha256(canonical_result(answered.json()["data"])).hexdigest()
    assert first.sources == {
        "civil_db": {"statements": 1, "rows": 1},
        "vehicle_db": {"statements": 1, "rows": len(answered.json()["data"]["resident"]["vehicles"])},
    }
    assert ["Resident", "fullName", "allow", "unconditional"] in first.decisions
    assert first.duration_ms > 0 and first.query and "resident(" in first.query
    assert ["Resident", "phone", "deny", "none"] in records[1].decisions
    assert records[1].error_codes == ["FORBIDDEN"]
    assert records[2].error_codes == ["BAD_USER_INPUT"] and records[2].result_sha256 is records[2].result_key_id is None
    assert records[3].error_codes == ["PURPOSE_REQUIRED"]
    assert records[4].query is None and records[5].department is None
    assert records[5].error_codes == ["UNAUTHENTICATED"]


def test_mutations_are_recorded_as_such(served: Served) -> None:
    served.post(
        'mutation Give { grantAdd(input: {department: "transport", resource: "Resident", items: ["phone"], '
        'purposes: ["work_reference"], effect: MASK}) { id } }',
        department="hub",
        roles=("authority",),
        purpose=None,
    )
    [record] = _records(served)
    assert (record.kind, record.operation_name, record.outcome) == ("mutation", "Give", "answered")


def test_filters_by_resource_item_and_decision(served: Served) -> None:
    served.post('{ resident(residentId: "r00001") { fullName phone } }')
    served.post('{ vehicle(plate: "p000010") { brand } }')

    async def read(where: AuditFilter) -> list[int]:
        engine = store_engine(served.settings.effective_store_url)
        try:
            return [r.seq for r in await list_records(engine, where, EVERY_RECORD)]
        finally:
            await engine.dispose()

    assert asyncio.run(read(AuditFilter(resource="Resident"))) == [1]
    assert asyncio.run(read(AuditFilter(item="brand"))) == [2]
    assert asyncio.run(read(AuditFilter(resource="Resident", item="phone", decision="deny"))) == [1]
    assert asyncio.run(read(AuditFilter(decision="deny"))) == [1]
    assert asyncio.run(read(AuditFilter(department="civil"))) == []


def test_no_data_leaves_when_the_record_cannot_be_written(served: Served) -> None:
    assert served.post("{ me { user } }").status_code == 200
    database = served.settings.effective_store_url.split("///", 1)[1]
    with sqlite3.connect(database) as conn:  # the log's table is gone: nothing can be recorded
        conn.execute("ALTER TABLE audit_records RENAME TO audit_records_moved")
    response = served.post('{ resident(residentId: "r00001") { fullName } }')
    assert response.status_code == 503
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
