"""Checking the audit log: the chain record by record, then the signed checkpoints.

Verification names the first bad record: a changed byte breaks that record's
hash; a deleted, inserted or reordered record breaks the sequence or the
link to the previous hash; a truncated tail falls short of the newest
checkpoint (or of one kept outside, passed in by the auditor).
"""

from __future__ import annotations

import datetime
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from govshare.audit.log import sign
from govshare.audit.read import record_from_row
from govshare.store.tables import audit_checkpoints, audit_control, audit_records

PAGE = 2000


@dataclass(slots=True)
class Verification:
    ok: bool = True
    records: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    checkpoints: int = 0
    problem: str | None = None
    bad_seq: int | None = None
    notes: list[str] = field(default_factory=list)

    def fail(self, seq: int | None, problem: str) -> Verification:
        self.ok, self.bad_seq, self.problem = False, seq, problem
        return self


async def verify_log(engine: AsyncEngine, key: bytes, outside: Iterable[dict[str, Any]] = ()) -> Verification:
    result = Verification()
    async with engine.connect() as conn:
        control = (await conn.execute(select(audit_control))).one()._mapping
        expected_seq, expected_prev = control["anchor_seq"] + 1, control["anchor_hash"]
        after = control["anchor_seq"]
        hashes: dict[int, str] = {}
        while True:
            rows = (
                await conn.execute(
                    select(audit_records).where(audit_records.c.seq > after).order_by(audit_records.c.seq).limit(PAGE)
                )
            ).all()
            for row in rows:
                record = record_from_row(row)
                if record.seq != expected_seq:
                    missing = (
                        f"records {expected_seq}–{record.seq - 1} are missing" if record.seq > expected_seq else ""
                    )
                    return result.fail(expected_seq, missing or f"record {record.seq} is out of sequence")
                if record.prev_hash != expected_prev:
                    return result.fail(record.seq, f"record {record.seq} does not link to record {record.seq - 1}")
                if record.chained_hash() != record.hash:
                    return result.fail(record.seq, f"record {record.seq} was altered after it was written")
                hashes[record.seq] = record.hash
                expected_seq, expected_prev = record.seq + 1, record.hash
                result.records += 1
                result.first_seq = result.first_seq or record.seq
                result.last_seq = record.seq
            if len(rows) < PAGE:
                break
            after = rows[-1].seq
        last_seq = expected_seq - 1
        if control["head_seq"] != last_seq:
            return result.fail(
                last_seq + 1, f"the log's head is record {control['head_seq']}, the chain ends at {last_seq}"
            )
        stored = [
            dict(r._mapping) for r in (await conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.id)))
        ]
    for checkpoint in [*stored, *outside]:
        problem = _check_point(key, checkpoint, hashes, control["anchor_seq"], last_seq)
        if problem:
            return result.fail(*problem)
        result.checkpoints += 1
    return result


def _check_point(
    key: bytes, point: dict[str, Any], hashes: dict[int, str], anchor: int, last_seq: int
) -> tuple[int, str] | None:
    created = point["created_at"]
    if isinstance(created, str):
        created = datetime.datetime.fromisoformat(created)
    head_seq, head_hash = int(point["head_seq"]), str(point["head_hash"])
    expected = sign(key, head_seq, head_hash, int(point["count"]), created)
    if not hmac.compare_digest(expected, str(point["signature"])):
        return head_seq, f"the checkpoint at record {head_seq} has a bad signature (forged or altered)"
    if head_seq > last_seq:
        return last_seq + 1, f"the log ends at record {last_seq} but a checkpoint saw it reach {head_seq}: truncated"
    if head_seq > anchor and hashes.get(head_seq) != head_hash:
        return head_seq, f"record {head_seq} differs from the checkpoint signed when it was written"
    return None
