"""Tampering with the log is refused by the database and, done behind its back, detected.

Each case writes a small log, then changes it as an attacker with the database
owner's rights would (triggers disabled), and checks that verification names
the first bad record. Run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare.audit.keys import ResultKeys
from govshare.audit.log import AuditLog, checkpoint_key
from govshare.audit.record import AuditRecord
from govshare.audit.verify import verify_log
from govshare.store.database import migrate, store_engine
from govshare.store.tables import audit_records

KEY = checkpoint_key("tamper-tests-key")


@pytest.fixture
async def log(store_url: str, tmp_path: Path) -> AsyncIterator[AuditLog]:
    engine = store_engine(store_url)
    await migrate(engine)
    audit = AuditLog(engine, KEY, ResultKeys(tmp_path / "audit-keys.json", "tamper"), checkpoint_every=1000)
    for n in range(1, 11):
        await audit.append(
            AuditRecord(kind="query", outcome="answered", department="civil", user=f"u{n}",
                        query=f'{{ resident(residentId: "r{n:05d}") {{ fullName }} }}', duration_ms=n / 3)
        )  # fmt: skip
    await audit.checkpoint()
    try:
        yield audit
    finally:
        await audit.close()
        await engine.dispose()


async def _as_owner(audit: AuditLog, change: Callable[[AsyncConnection], Awaitable[object]]) -> None:
    """Change the log with its protections switched off, as the database's owner could."""
    async with audit.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in ("audit_records", "audit_checkpoints"):
                await conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            for name in ("audit_records_no_update", "audit_records_no_delete", "audit_checkpoints_no_update",
                         "audit_checkpoints_no_delete"):  # fmt: skip
                await conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        await change(conn)


async def _run(conn: AsyncConnection, *statements: str) -> None:
    for statement in statements:
        await conn.execute(text(statement))


async def test_an_untouched_log_verifies(log: AuditLog) -> None:
    result = await verify_log(log.engine, KEY)
    assert result.ok and result.records == 10 and result.checkpoints == 1


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_records SET department = 'x'",
        "DELETE FROM audit_records WHERE seq = 3",
        "UPDATE audit_checkpoints SET count = 1",
        "DELETE FROM audit_checkpoints",
    ],
)
async def test_the_database_refuses_update_and_delete(log: AuditLog, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        async with log.engine.begin() as conn:
            await conn.execute(text(statement))
    assert (await verify_log(log.engine, KEY)).ok


async def _query_of(conn: AsyncConnection, seq: int) -> str:
    return str((await conn.execute(text(f"SELECT query FROM audit_records WHERE seq = {seq}"))).scalar_one())


async def test_a_flipped_byte_is_found(log: AuditLog) -> None:
    async def flip(conn: AsyncConnection) -> None:
        query = await _query_of(conn, 4)
        await conn.execute(
            text("UPDATE audit_records SET query = :q WHERE seq = 4"), {"q": query.replace("r00004", "r00005")}
        )

    await _as_owner(log, flip)
    result = await verify_log(log.engine, KEY)
    assert (result.ok, result.bad_seq) == (False, 4) and "altered" in (result.problem or "")


async def test_a_deleted_record_is_found(log: AuditLog) -> None:
    await _as_owner(log, lambda conn: _run(conn, "DELETE FROM audit_records WHERE seq = 6"))
    result = await verify_log(log.engine, KEY)
    assert (result.ok, result.bad_seq) == (False, 6) and "missing" in (result.problem or "")


async def test_an_inserted_record_is_found(log: AuditLog) -> None:
    async def insert(conn: AsyncConnection) -> None:
        # Make room after record 5 and forge a record there whose own hash is right.
        for seq in range(10, 5, -1):
            await conn.execute(text(f"UPDATE audit_records SET seq = {seq + 1} WHERE seq = {seq}"))
        prev = (await conn.execute(text("SELECT hash FROM audit_records WHERE seq = 5"))).scalar_one()
        forged = AuditRecord(
            kind="query", outcome="answered", department="civil", user="mallory", seq=6, prev_hash=prev
        )
        forged.recorded_at = datetime(2026, 11, 26, tzinfo=UTC)
        forged.hash = forged.chained_hash()
        row = {**forged.as_dict(), "recorded_at": forged.recorded_at, "touched": forged.touched}
        await conn.execute(audit_records.insert().values(**row))

    await _as_owner(log, insert)
    result = await verify_log(log.engine, KEY)
    assert (result.ok, result.bad_seq) == (False, 7) and "does not link" in (result.problem or "")


async def test_reordered_records_are_found(log: AuditLog) -> None:
    await _as_owner(log, lambda conn: _run(
        conn,
        "UPDATE audit_records SET seq = 100 WHERE seq = 3",
        "UPDATE audit_records SET seq = 3 WHERE seq = 7",
        "UPDATE audit_records SET seq = 7 WHERE seq = 100",
    ))  # fmt: skip
    result = await verify_log(log.engine, KEY)
    assert (result.ok, result.bad_seq) == (False, 3) and "does not link" in (result.problem or "")


async def test_a_truncated_tail_is_found_by_the_checkpoint(log: AuditLog) -> None:
    # A careful attacker moves the head back too; the signed checkpoint still saw record 10.
    await _as_owner(log, lambda conn: _run(
        conn,
        "DELETE FROM audit_records WHERE seq > 7",
        "UPDATE audit_control SET head_seq = 7, head_hash = (SELECT hash FROM audit_records WHERE seq = 7)",
    ))  # fmt: skip
    result = await verify_log(log.engine, KEY)
    assert (result.ok, result.bad_seq) == (False, 8) and "truncated" in (result.problem or "")


async def test_checkpoints_kept_outside_catch_what_the_database_no_longer_shows(log: AuditLog) -> None:
    outside = [await log.checkpoint()]
    await _as_owner(log, lambda conn: _run(
        conn,
        "DELETE FROM audit_records WHERE seq > 7",
        "DELETE FROM audit_checkpoints",
        "UPDATE audit_control SET head_seq = 7, head_hash = (SELECT hash FROM audit_records WHERE seq = 7)",
    ))  # fmt: skip
    assert (await verify_log(log.engine, KEY)).ok  # nothing inside the database tells
    result = await verify_log(log.engine, KEY, outside)
    assert (result.ok, result.bad_seq) == (False, 8)


async def test_a_forged_checkpoint_is_found(log: AuditLog) -> None:
    await _as_owner(log, lambda conn: _run(conn, "UPDATE audit_checkpoints SET count = 11"))
    result = await verify_log(log.engine, KEY)
    assert not result.ok and "bad signature" in (result.problem or "")
