"""Writing the audit log: group commit, the chain head, checkpoints and retention.

Requests hand their record to the log and wait until it is committed; a
single writer task takes whatever records are waiting and commits them in
one transaction, so durable logging costs one commit per batch, not per
request. The chain head lives in the database and is read under a lock in
that transaction, so several gateway processes can share one log.

One record never fails another: each is made storable before it joins a
batch, and a batch the store refuses is written again record by record. A
request waits for its record at most ``wait`` seconds: a locked or stalled
store answers AUDIT_UNAVAILABLE quickly instead of holding requests. The
log's times and its retention follow the real clock, never ``GOVSHARE_NOW``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govshare import clock
from govshare.audit.bulk import BulkAppend
from govshare.audit.keys import ResultKeys
from govshare.audit.record import AuditRecord
from govshare.audit.storable import make_storable, without_content
from govshare.store.database import lock_timed_out, lock_wait, session_lock_wait
from govshare.store.tables import audit_checkpoints, audit_control, audit_records

log = logging.getLogger("govshare.audit")
MIN_RETENTION_DAYS = 365
BATCH = 500
LOCK_WAIT = 5.0  # the longest a batch waits for another writer's lock
Waiting = tuple[AuditRecord, "asyncio.Future[int]"]


class AuditUnavailable(Exception):
    """The record could not be made durable: the operation's result must not leave."""


class AuditLog:
    def __init__(
        self,
        engine: AsyncEngine,
        key: bytes,
        results: ResultKeys,
        *,
        checkpoint_every: int = 1000,
        wait: float = 30.0,
        now: Callable[[], datetime.datetime] = clock.real_now,
    ) -> None:
        self.engine = engine
        self.key = key
        self.results = results
        self.checkpoint_every = checkpoint_every
        self.wait = wait
        # A request may wait behind the batch before its own: two lock waits fit in its wait.
        self.lock_wait = min(LOCK_WAIT, wait / 3)
        self.now = now
        self._waiting: list[Waiting] = []  # records handed in, in order, not yet taken by the writer
        self._wake: asyncio.Future[None] | None = None  # the idle writer waits on it for the next record
        self._writer: asyncio.Task[None] | None = None
        # The writer's own connection, kept between batches: no pool checkout, liveness ping or
        # lock-wait setting per batch. Dropped on any failure, and opened again for the next.
        self._conn: AsyncConnection | None = None
        self._head: tuple[int, str] | None = None  # PostgreSQL: the head this writer last wrote
        self._bulk: BulkAppend | None = None

    def digest(self, data: Any) -> tuple[str, str]:
        """(key id, HMAC-SHA256) of a response's ``data``, for its record's ``result_sha256``."""
        return self.results.digest(data)

    async def append(self, record: AuditRecord) -> int:
        """Commit ``record`` durably; returns its sequence number or raises AuditUnavailable."""
        make_storable(record)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_forever(), name="govshare-audit-writer")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[int] = loop.create_future()
        self._waiting.append((record, done))  # unbounded, as the requests that wait are
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)
        # A timer, not a timeout scope: the writer leaves out a record whose request stopped waiting.
        timer = loop.call_later(self.wait, _give_up, done, self.wait)
        try:
            # A request cancelled while it waits cancels ``done`` (no shield: it costs a future and
            # two callbacks per record), and the writer writes a record whose future is cancelled.
            return await done
        finally:
            timer.cancel()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        await self._drop()

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self.engine.connect()
            if conn.dialect.name == "postgresql":  # each statement its own transaction (_append_at_head)
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                await session_lock_wait(conn, self.lock_wait)
                await conn.commit()
            except BaseException:
                await conn.close()
                raise
            self._conn = conn
        return self._conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()  # whatever state it is in, it is not used again

    async def _write_forever(self) -> None:
        # A list and one future rather than an asyncio.Queue: a queue's put and get cost more per
        # record than the rest of its way to the batch.
        loop = asyncio.get_running_loop()
        while True:
            if not self._waiting:
                self._wake = loop.create_future()
                try:
                    await self._wake
                finally:
                    self._wake = None
            if len(self._waiting) <= BATCH:
                batch, self._waiting = self._waiting, []
            else:
                batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
            await self._write(batch)

    async def _write(self, batch: list[Waiting]) -> None:
        try:
            await self._commit(batch)
        except Exception as exc:
            if lock_timed_out(exc):  # the store is held by another writer: nothing to retry now
                log.error("the audit store stayed locked for %g s; %d records not written", self.lock_wait, len(batch))
                _fail(batch, exc)
                return
            log.warning("a batch of %d audit records failed; writing them one by one", len(batch), exc_info=True)
            await self._write_one_by_one(batch, exc)

    async def _write_one_by_one(self, batch: list[Waiting], refused: Exception) -> None:
        for n, waiting in enumerate(batch):
            try:
                await self._commit_alone(waiting, refused if len(batch) == 1 else None)
            except Exception as exc:  # not the record's content but the store: the rest would fail alike
                log.error("audit records could not be written", exc_info=True)
                _fail(batch[n:], exc)
                return

    async def _commit_alone(self, waiting: Waiting, refused: Exception | None) -> None:
        """One record; if the store refuses it (again), the record without its request's content."""
        record, done = waiting
        if refused is None:
            try:
                await self._commit([waiting])
                return
            except Exception as exc:
                if lock_timed_out(exc):
                    raise
                refused = exc
        bare = without_content(record, refused)
        await self._commit([(bare, done)])
        log.error("audit record %d was stored without its request's content", bare.seq, exc_info=refused)

    async def _commit(self, batch: list[Waiting]) -> None:
        """Write the records whose requests still wait, atomically; then tell each its sequence number."""
        # A request that stopped waiting meanwhile was answered 503: it must not be recorded as answered.
        # One that was cancelled (its client went away) was not answered at all: it is recorded.
        batch = [(record, done) for record, done in batch if not done.done() or done.cancelled()]
        if not batch:
            return
        try:
            if self._head is None or not await self._append_at_head(batch):
                await self._append_locked(batch)
        except BaseException:
            self._head = None
            await self._drop()
            raise
        for record, done in batch:
            if not done.done():
                done.set_result(record.seq)

    async def _append_at_head(self, batch: list[Waiting]) -> bool:
        """PostgreSQL, the head known from this writer's last batch: one statement, no lock held.

        The records and the moved head are one statement, so one atomic step. If another
        process wrote meanwhile, its records hold the sequence numbers these would take: the
        statement fails whole on the primary key, and the batch goes the locked way.
        """
        assert self._head is not None
        conn = await self._connection()
        head_seq, head_hash = self._head
        now = self.now()
        sealed = _chain(batch, head_seq, head_hash, now)
        head_seq, head_hash = head_seq + len(sealed), batch[-1][0].hash
        if self._bulk is None:
            self._bulk = BulkAppend(conn.dialect)
        if not await self._bulk.run(conn, sealed, head_seq, head_hash):
            self._head = None
            return False
        self._head = (head_seq, head_hash)
        if head_seq // self.checkpoint_every > (head_seq - len(sealed)) // self.checkpoint_every:
            await self.checkpoint()
        return True

    async def _append_locked(self, batch: list[Waiting]) -> None:
        """Read the head under a lock and write after it, in one transaction."""
        postgres = self.engine.dialect.name == "postgresql"
        # PostgreSQL: a pooled transaction (the writer's own connection commits each statement);
        # SQLite: the writer's own connection.
        async with contextlib.AsyncExitStack() as stack:
            if postgres:
                conn = await stack.enter_async_context(self.engine.begin())
                await stack.enter_async_context(lock_wait(conn, self.lock_wait))
            else:
                conn = await self._connection()
                await stack.enter_async_context(conn.begin())
            head_seq, head_hash = await _lock_head(conn)
            now = self.now()
            sealed = _chain(batch, head_seq, head_hash, now)
            rows = [{**record.fields(), "touched": record.touched} for record, _ in sealed]
            head_seq, head_hash = head_seq + len(rows), batch[-1][0].hash
            await conn.execute(audit_records.insert(), rows)
            await conn.execute(
                update(audit_control).where(audit_control.c.id == 1).values(head_seq=head_seq, head_hash=head_hash)
            )
            if head_seq // self.checkpoint_every > (head_seq - len(rows)) // self.checkpoint_every:
                await self._checkpoint(conn, head_seq, head_hash, now)
        if postgres:
            self._head = (head_seq, head_hash)

    async def checkpoint(self) -> dict[str, Any]:
        """Sign the current head now (also done every ``checkpoint_every`` records)."""
        async with self.engine.begin() as conn:
            head_seq, head_hash = await _lock_head(conn)
            return await self._checkpoint(conn, head_seq, head_hash, self.now())

    async def _checkpoint(
        self, conn: AsyncConnection, head_seq: int, head_hash: str, now: datetime.datetime
    ) -> dict[str, Any]:
        # The records kept: those after the retention anchor, numbered without gaps up to the head
        # (not a count(*), which would scan the whole log every checkpoint).
        anchor = int(
            (await conn.execute(select(audit_control.c.anchor_seq).where(audit_control.c.id == 1))).scalar_one()
        )
        count = head_seq - anchor
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
        cutoff = self.now() - datetime.timedelta(days=retention_days)
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


def _chain(
    batch: list[Waiting], head_seq: int, head_hash: str, now: datetime.datetime
) -> list[tuple[AuditRecord, bytes]]:
    """Number and chain the batch's records after the head; each with the canonical content its hash covers."""
    sealed: list[tuple[AuditRecord, bytes]] = []
    for record, _ in batch:
        head_seq += 1
        record.seq, record.recorded_at, record.prev_hash = head_seq, now, head_hash
        record.duration_ms = round(record.duration_ms, 3)
        sealed.append((record, record.seal()))
        head_hash = record.hash
    return sealed


def _give_up(done: asyncio.Future[int], wait: float) -> None:
    if not done.done():
        done.set_exception(AuditUnavailable(f"the audit store did not take the record within {wait:g} s"))


def _fail(batch: list[Waiting], exc: Exception) -> None:
    for _, done in batch:
        if not done.done():
            done.set_exception(AuditUnavailable(type(exc).__name__))


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
