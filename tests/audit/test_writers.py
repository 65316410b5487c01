"""Several gateway processes share one audit log: each writer appends after whatever the others
wrote, and the chain stays whole (on PostgreSQL a writer appends at the head it knows in one
statement, and takes the locked way when another wrote first)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from govshare.audit.keys import ResultKeys
from govshare.audit.log import AuditLog, checkpoint_key
from govshare.audit.read import EVERY_RECORD, AuditFilter, list_records
from govshare.audit.record import AuditRecord
from govshare.audit.verify import verify_log
from govshare.store.database import migrate, store_engine
from govshare.store.tables import audit_checkpoints, audit_records
from tests.audit.conftest import new_log

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


async def test_a_postgresql_writer_appends_each_batch_in_one_statement_and_keeps_every_value(
    store_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = await new_log(store_url, KEY, tmp_path / "writers.json", checkpoint_every=10_000)
    engine = log.engine
    through_sqlalchemy: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        through_sqlalchemy.append(statement)

    try:
        await log.append(_record(0, 0))  # the first batch reads the head
        event.listen(engine.sync_engine, "before_cursor_execute", executed)
        sent = [
            AuditRecord(
                kind="query",
                outcome="partial",
                department="civil",
                user=f"u{n}",
                roles=["官员", "r\\2"],
                purpose="work_reference",
                query=f"query Q{n} {{ me {{ user }} }}",
                operation_name=f"Q{n}",
                variables={"名字": "张三", "n": n, "f": 0.1 + n, "deep": {"list": [None, True, 2**62]}},
                policy_version=3,
                decisions=[["Person", "name", "allow", "unconditional"]],
                sources={"police": {"statements": 2, "rows": n}},
                error_codes=["FORBIDDEN_FIELD"],
                duration_ms=1.25 + n,
            )
            for n in range(24)
        ]
        await asyncio.gather(*(log.append(r) for r in sent))
    finally:
        if event.contains(engine.sync_engine, "before_cursor_execute", executed):
            event.remove(engine.sync_engine, "before_cursor_execute", executed)
        await log.close()
    try:
        if engine.dialect.name == "postgresql":
            # Batches at the known head go straight to the driver: nothing falls back to the locked way.
            assert [s for s in through_sqlalchemy if "audit_" in s] == []
        assert not [r for r in caplog.records if r.name == "govshare.audit" and r.levelname in ("WARNING", "ERROR")]
        stored = {r.user: r for r in await list_records(engine, AuditFilter(), EVERY_RECORD, first=100)}
        for record in sent:
            kept = stored[record.user]
            assert (kept.roles, kept.variables, kept.decisions, kept.sources, kept.error_codes) == (
                record.roles, record.variables, record.decisions, record.sources, record.error_codes,
            )  # fmt: skip
            assert (kept.query, kept.operation_name, kept.duration_ms, kept.hash) == (
                record.query, record.operation_name, record.duration_ms, record.hash,
            )  # fmt: skip
        assert (await verify_log(engine, KEY)).ok
    finally:
        await engine.dispose()


async def test_a_request_cancelled_while_its_record_commits_is_still_recorded(store_url: str, tmp_path: Path) -> None:
    log = await new_log(store_url, KEY, tmp_path / "cancelled.json")
    try:
        await log.append(_record(0, 0))
        waiting = asyncio.create_task(log.append(_record(1, 0)))
        await asyncio.sleep(0)  # its record is queued; it waits for the commit
        waiting.cancel()  # the client went away
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await log.append(_record(2, 0))
        async with log.engine.connect() as conn:
            users = (await conn.execute(select(audit_records.c.user).order_by(audit_records.c.seq))).scalars().all()
        assert users == ["w0-0", "w1-0", "w2-0"]
        assert (await verify_log(log.engine, KEY)).ok
    finally:
        await log.close()
        await log.engine.dispose()
