"""Writing the audit log: group commit, the chain head, checkpoints and retention.

Requests hand their record to the log and wait until it is committed; a
single writer task takes whatever records are waiting and commits them in
one transaction, so durable logging costs one commit per batch, not per
request. The chain head lives in the database and is read under a lock in
that transaction, so several gateway processes can share one log.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import hmac
import logging
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govshare import clock
from govshare.audit.record import AuditRecord
from govshare.store.tables import audit_checkpoints, audit_control, audit_records

log = logging.getLogger("govshare.audit")
MIN_RETENTION_DAYS = 365
BATCH = 500


class AuditUnavailable(Exception):
    """The record could not be made durable: the operation's result must not leave."""


class AuditLog:
    def __init__(self, engine: AsyncEngine, key: bytes, *, checkpoint_every: int = 1000) -> None:
        self.engine = engine
        self.key = key
        self.checkpoint_every = checkpoint_every
        self._queue: asyncio.Queue[tuple[AuditRecord, asyncio.Future[int]]] | None = None
        self._writer: asyncio.Task[None] | None = None

    async def append(self, record: AuditRecord) -> int:
        """Commit ``record`` durably; returns its sequence number or raises AuditUnavailable."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._writer = asyncio.create_task(self._write_forever(self._queue), name="govshare-audit-writer")
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        await self._queue.put((record, done))
        return await done

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = self._queue = None

    async def _write_forever(self, queue: asyncio.Queue[tuple[AuditRecord, asyncio.Future[int]]]) -> None:
        while True:
            batch = [await queue.get()]
            while not queue.empty() and len(batch) < BATCH:
                batch.append(queue.get_nowait())
            try:
                seqs = await self._commit([record for record, _ in batch])
            except Exception as exc:  # every waiting request learns that its record is not durable
                log.error("audit records could not be written", exc_info=True)
                for _, done in batch:
                    if not done.done():
                        done.set_exception(AuditUnavailable(type(exc).__name__))
                continue
            for (_, done), seq in zip(batch, seqs, strict=True):
                if not done.done():
                    done.set_result(seq)

    async def _commit(self, records: list[AuditRecord]) -> list[int]:
        async with self.engine.begin() as conn:
            head_seq, head_hash = await _lock_head(conn)
            now = clock.now()
            rows: list[dict[str, Any]] = []
            for record in records:
                head_seq += 1
                record.seq, record.recorded_at, record.prev_hash = head_seq, now, head_hash
                record.duration_ms = round(record.duration_ms, 3)
                record.hash = head_hash = record.chained_hash()
                rows.append({**record.as_dict(), "recorded_at": now, "touched": record.touched})
            await conn.execute(audit_records.insert(), rows)
            await conn.execute(
                update(audit_control).where(audit_control.c.id == 1).values(head_seq=head_seq, head_hash=head_hash)
            )
            if head_seq // self.checkpoint_every > (head_seq - len(records)) // self.checkpoint_every:
                await self._checkpoint(conn, head_seq, head_hash, now)
        return [r.seq for r in records]

    async def checkpoint(self) -> dict[str, Any]:
        """Sign the current head now (also done every ``checkpoint_every`` records)."""
        async with self.engine.begin() as conn:
            head_seq, head_hash = await _lock_head(conn)
            return await self._checkpoint(conn, head_seq, head_hash, clock.now())

    async def _checkpoint(
        self, conn: AsyncConnection, head_seq: int, head_hash: str, now: datetime.datetime
    ) -> dict[str, Any]:
        count = int((await conn.execute(select(func.count()).select_from(audit_records))).scalar_one())
        signature = sign(self.key, head_seq, head_hash, count, now)
        await conn.execute(
            audit_checkpoints.insert().values(
                created_at=now, head_seq=head_seq, head_hash=head_hash, count=count, signature=signature
            )
        )
        return {"head_seq": head_seq, "head_hash": head_hash, "count": count, "created_at": iso(now),
                "signature": signature}  # fmt: skip

    async def purge(self, retention_days: int) -> tuple[int, int]:
        """Delete the records older than the retention period; returns (deleted, new anchor seq).

        The last deleted record's hash becomes the anchor the remaining chain is verified from.
        """
        if retention_days < MIN_RETENTION_DAYS:
            raise ValueError(f"audit records are kept at least {MIN_RETENTION_DAYS} days (R10), not {retention_days}")
        cutoff = clock.now() - datetime.timedelta(days=retention_days)
        async with self.engine.begin() as conn:
            await _lock_head(conn)
            last = (
                await conn.execute(
                    select(audit_records.c.seq, audit_records.c.hash)
                    .where(audit_records.c.recorded_at < cutoff)
                    .order_by(audit_records.c.seq.desc())
                    .limit(1)
                )
            ).first()
            if last is None:
                return 0, int((await conn.execute(select(audit_control.c.anchor_seq))).scalar_one())
            # The triggers let DELETE through only before this cutoff, only inside this transaction.
            await conn.execute(update(audit_control).where(audit_control.c.id == 1).values(purge_before=cutoff))
            deleted = await conn.execute(audit_records.delete().where(audit_records.c.seq <= last.seq))
            await conn.execute(
                update(audit_control)
                .where(audit_control.c.id == 1)
                .values(purge_before=None, anchor_seq=last.seq, anchor_hash=last.hash)
            )
            return deleted.rowcount, last.seq


async def _lock_head(conn: AsyncConnection) -> tuple[int, str]:
    """The chain head, locked for this transaction (row lock on PostgreSQL, write lock on SQLite)."""
    if conn.dialect.name == "postgresql":
        row = (await conn.execute(text("SELECT head_seq, head_hash FROM audit_control WHERE id = 1 FOR UPDATE"))).one()
    else:
        await conn.execute(
            update(audit_control).where(audit_control.c.id == 1).values(head_seq=audit_control.c.head_seq)
        )
        row = (await conn.execute(select(audit_control.c.head_seq, audit_control.c.head_hash))).one()
    return int(row[0]), str(row[1])


def iso(moment: datetime.datetime) -> str:
    return clock.as_utc(moment).isoformat()


def sign(key: bytes, head_seq: int, head_hash: str, count: int, created_at: datetime.datetime) -> str:
    message = f"{head_seq}|{head_hash}|{count}|{iso(created_at)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def checkpoint_key(secret: str) -> bytes:
    """A key for checkpoint signatures, derived from the platform secret (not the token key itself)."""
    return hmac.new(secret.encode(), b"govshare audit checkpoints", hashlib.sha256).digest()
