"""Several gateway processes share one audit log: each writer appends after whatever the others
wrote, and the chain stays whole (on PostgreSQL a writer appends at the head it knows in one
statement, and takes the locked way when another wrote first)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from govshare.audit.keys import ResultKeys
from govshare.audit.log import AuditLog, checkpoint_key
from govshare.audit.record import AuditRecord
from govshare.audit.verify import verify_log
from govshare.store.database import migrate, store_engine
from govshare.store.tables import audit_checkpoints, audit_records

KEY = checkpoint_key("writers-tests-key")


def _record(writer: int, n: int) -> AuditRecord:
    return AuditRecord(kind="query", outcome="answered", department="civil", user=f"w{writer}-{n}",
                       query="{ me { user } }", duration_ms=1.0)  # fmt: skip


async def test_two_writers_interleave_into_one_whole_chain(store_url: str, tmp_path: Path) -> None:
    engines = [store_engine(store_url), store_engine(store_url)]
    await migrate(engines[0])
    keys = ResultKeys(tmp_path / "audit-keys.json", "writers")
    logs = [AuditLog(engine, KEY, keys, checkpoint_every=50) for engine in engines]
    try:
        # Rounds of concurrent appends through both writers: each round's batches race.
        for n in range(30):
            seqs = await asyncio.gather(*(log.append(_record(w, n * 4 + k)) for w, log in enumerate(logs)
                                          for k in range(4)))  # fmt: skip
            assert len(set(seqs)) == len(seqs)
        async with engines[0].connect() as conn:
            stored = (await conn.execute(select(audit_records.c.seq, audit_records.c.user))).all()
            checkpoints = (await conn.execute(select(func.count()).select_from(audit_checkpoints))).scalar_one()
        assert sorted(seq for seq, _ in stored) == list(range(1, 241))  # no gap, no duplicate
        assert {user for _, user in stored} == {f"w{w}-{n}" for w in range(2) for n in range(120)}
        assert checkpoints >= 4  # every 50 records, whoever wrote them
        report = await verify_log(engines[0], KEY)
        assert report.ok, report
    finally:
        for log in logs:
            await log.close()
        for engine in engines:
            await engine.dispose()
