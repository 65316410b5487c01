"""Records written before result digests were keyed: they verify as written, and still replay."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from govshare.audit.keys import ResultKeys, canonical_result
from govshare.audit.log import AuditLog, checkpoint_key
from govshare.audit.read import EVERY_RECORD, AuditFilter, get_record, list_records
from govshare.audit.record import GENESIS, AuditRecord
from govshare.audit.verify import verify_log
from govshare.store.database import migrate, store_engine
from govshare.store.tables import audit_control, audit_records
from tests.audit.conftest import Served

# The hash the previous version of the log gave the first record below.
LEGACY_HASH = "691f319937fcb6ec175b60c144a9e73789f44494092ce22bbb56cbda551a2028"
KEY = checkpoint_key("legacy-tests-key")


def _legacy(seq: int, prev_hash: str) -> AuditRecord:
    record = AuditRecord(
        kind="query", outcome="answered", department="transport", user="alice", roles=["member"],
        purpose="work_reference", client="127.0.0.1", operation_name="Old", query="query Old { me { user } }",
        variables={"x": seq}, policy_version=1, decisions=[["Resident", "fullName", "allow", "unconditional"]],
        sources={"civil_db": {"statements": 1, "rows": 1}}, result_sha256="ab" * 32, duration_ms=1.25,
        seq=seq, prev_hash=prev_hash,
    )  # fmt: skip
    record.recorded_at = datetime.datetime(2026, 11, 27, 1, 2, 3, 456789, tzinfo=datetime.UTC)
    record.hash = record.chained_hash()
    return record


async def _write_as_before(engine: AsyncEngine, records: list[AuditRecord]) -> None:
    """Insert records as a log without key ids wrote them (its table had no such column)."""
    rows = [{**r.as_dict(), "recorded_at": r.recorded_at, "touched": r.touched} for r in records]
    for row in rows:
        del row["result_key_id"]
    async with engine.begin() as conn:
        await conn.execute(audit_records.insert(), rows)
        await conn.execute(update(audit_control).values(head_seq=records[-1].seq, head_hash=records[-1].hash))


async def test_a_log_from_before_keyed_digests_verifies_after_the_migration(store_url: str, tmp_path: Path) -> None:
    engine = store_engine(store_url)
    try:
        await migrate(engine, "0003")
        old = [_legacy(1, GENESIS)]
        for seq in (2, 3):
            old.append(_legacy(seq, old[-1].hash))
        assert old[0].hash == LEGACY_HASH
        await _write_as_before(engine, old)
        await migrate(engine)
        assert (await verify_log(engine, KEY)).ok

        audit = AuditLog(engine, KEY, ResultKeys(tmp_path / "audit-keys.json", "legacy"))
        try:
            key_id, digest = audit.digest({"me": {"user": "alice"}})
            await audit.append(
                AuditRecord(kind="query", outcome="answered", result_sha256=digest, result_key_id=key_id)
            )
        finally:
            await audit.close()
        result = await verify_log(engine, KEY)
        assert (result.ok, result.records) == (True, 4)
        records = await list_records(engine, AuditFilter(), EVERY_RECORD, newest_first=False)
        assert [r.result_key_id for r in records] == [None, None, None, key_id]
        # The new column changed nothing of the append-only guards.
        for statement in ("UPDATE audit_records SET result_key_id = 'x' WHERE seq = 1",
                          "DELETE FROM audit_records WHERE seq = 4"):  # fmt: skip
            with pytest.raises(DBAPIError, match="append-only"):
                async with engine.begin() as conn:
                    await conn.execute(text(statement))
        assert (await verify_log(engine, KEY)).ok
    finally:
        await engine.dispose()


REPLAY = """query R($seq: Int!) { auditReplay(seq: $seq) {
  resultReproduced recordedResultSha256 recordedResultKeyId resultKeyId resultSha256Then } }"""


def test_a_legacy_record_replays_without_showing_a_plain_hash_of_todays_answer(served: Served) -> None:
    answered = served.post('query Names { resident(residentId: "r00001") { fullName } }').json()
    plain = hashlib.sha256(canonical_result(answered["data"])).hexdigest()

    async def write_legacy_copy() -> None:
        # The same query as the previous version recorded it: a plain SHA-256 and no key id.
        engine = store_engine(served.settings.effective_store_url)
        try:
            first = await get_record(engine, 1, EVERY_RECORD)
            assert first is not None and first.recorded_at is not None
            copy = dataclasses.replace(first, seq=2, prev_hash=first.hash, result_sha256=plain, result_key_id=None)
            copy.hash = copy.chained_hash()
            await _write_as_before(engine, [copy])
        finally:
            await engine.dispose()

    asyncio.run(write_legacy_copy())
    report = served.post(REPLAY, department="hub", roles=("auditor",), purpose=None, variables={"seq": 2}).json()
    replayed = report["data"]["auditReplay"]
    assert replayed["resultReproduced"] is True
    assert (replayed["recordedResultSha256"], replayed["recordedResultKeyId"]) == (plain, None)
    # Today's answer is shown only keyed, under the current key.
    assert replayed["resultKeyId"] and replayed["resultSha256Then"] != plain
    verified = served.post("{ auditVerify { ok records } }", department="hub", roles=("auditor",), purpose=None).json()
    assert verified["data"]["auditVerify"]["ok"] is True
