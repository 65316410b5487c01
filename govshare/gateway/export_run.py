"""One export run: its batches encoded and handed on, then its closing audit record.

Shared by the streamed response and the export jobs: each gives where the bytes go and how
to tell that nobody is reading any more. All but the last chunk are handed on as they are
made; the last is returned only once the closing record is durable, so whatever receives it
holds the whole file only when the log says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from govshare.audit.log import AuditLog
from govshare.audit.record import AuditRecord
from govshare.errors import INTERNAL, GovshareError
from govshare.gateway.formats import Encoder
from govshare.resolvers.context import RequestContext
from govshare.resolvers.export import ExportPlan, PolicyWatch, Unwritten, batches, csv_request, shaper, written

log = logging.getLogger("govshare.export")
T = TypeVar("T")
Write = Callable[[bytes], Awaitable[None]]


@dataclass
class ExportRun:
    ctx: RequestContext
    plan: ExportPlan
    encoder: Encoder
    header: str  # names | titles | none
    opening: AuditRecord  # durable before ``pump`` starts
    audit: AuditLog
    closing: AuditRecord | None = None  # once ``pump`` has ended
    # Lets go of the catalog version the export runs on once ``pump`` ends (Runtime.hold).
    release: Callable[[], None] = field(default=lambda: None)

    async def pump(self, write: Write, gone: Callable[[], bool]) -> bytes | None:
        """Hand every chunk but the last to ``write``; the last once the closing record is durable.

        ``None`` when the export was cut (by ``gone``, a failure, a policy change) or its closing
        record could not be written: the receiver must not take what it has for the whole file.
        """
        try:
            return await self._pump(write, gone)
        finally:
            self.release()

    async def _pump(self, write: Write, gone: Callable[[], bool]) -> bytes | None:
        began = time.perf_counter()
        key_id, mac = self.audit.results.hasher()
        pending, pending_rows, pending_last = self.encoder.header(self.header), 0, None
        rows = size = 0
        last: dict[str, Any] | None = None
        cut: GovshareError | None = None
        # Looked at before each chunk leaves: one is read ahead while the one before is sent.
        watch = PolicyWatch(self.ctx)
        try:
            # Closed as soon as the loop ends, however it ends: the batch being read ahead stops then.
            async with contextlib.aclosing(_read_ahead(self._chunks())) as chunks:
                async for chunk, chunk_rows, chunk_last in chunks:
                    if gone():
                        break
                    if pending:
                        watch.check()
                        await write(pending)
                        mac.update(pending)
                        rows, size, last = rows + pending_rows, size + len(pending), pending_last or last
                    pending, pending_rows, pending_last = chunk, chunk_rows, chunk_last
            watch.check()
        except GovshareError as exc:
            cut = exc
        except Exception:
            error_id = uuid.uuid4().hex[:12]
            log.exception("internal error %s during export %d", error_id, self.opening.seq)
            cut = GovshareError(INTERNAL, f"Internal error (id {error_id})", errorId=error_id)
        complete = cut is None and not gone()
        if complete:
            mac.update(pending)
            rows, size, last = rows + pending_rows, size + len(pending), pending_last or last
        detail: dict[str, Any] = {"opening": self.opening.seq, "rows": rows, "bytes": size, "complete": complete}
        if last is not None:
            detail["last"] = _jsonable(last)
        if not complete:
            detail["cut"] = "the receiver went away" if cut is None else cut.message
        self.closing = replace(
            self.opening,
            outcome="answered" if complete else "partial",
            error_codes=[cut.code] if cut is not None else [],
            sources={n: {"statements": s.statements, "rows": s.rows} for n, s in self.ctx.stats.items()},
            result_key_id=key_id,
            result_sha256=mac.hexdigest(),
            duration_ms=(time.perf_counter() - began) * 1000,
            detail=detail,
            roles=list(self.opening.roles),
            seq=0,
            recorded_at=None,
            prev_hash="",
            hash="",
        )
        try:
            await self.audit.append(self.closing)
        except Exception:
            log.exception("the closing audit record of export %d could not be written", self.opening.seq)
            return None
        return pending if complete else None

    async def _chunks(self) -> AsyncGenerator[tuple[bytes, int, dict[str, Any]], None]:
        """The file's chunks after its header, each with its rows and the cursor after its last row:
        written by the source where it can write the CSV itself, else encoded here."""
        plan = self.plan
        request = csv_request(self.ctx, plan) if self.encoder.format == "csv" else None
        if request is not None:
            try:
                async for written_chunk in written(self.ctx, plan, request):
                    assert written_chunk.last is not None
                    yield (
                        written_chunk.data,
                        written_chunk.rows,
                        plan.cursor(dict(zip(plan.order_items, written_chunk.last, strict=True))),
                    )
                return
            except Unwritten:
                pass  # nothing was read yet
        shape = shaper(plan)
        async for batch in batches(self.ctx, plan):
            yield (
                self.encoder.encode(shape(batch)),
                len(batch),
                plan.cursor(dict(zip(plan.fetched, batch[-1], strict=True))),
            )


async def _read_ahead(chunks: AsyncGenerator[T, None]) -> AsyncGenerator[T, None]:
    """``chunks``, the next one read while the one before is sent (the source and the receiver
    work at the same time instead of in turn)."""
    following: asyncio.Task[T] = asyncio.ensure_future(anext(chunks))
    try:
        while True:
            try:
                chunk = await following
            except StopAsyncIteration:
                return
            following = asyncio.ensure_future(anext(chunks))
            yield chunk
    finally:
        following.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await following
        await chunks.aclose()


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, (datetime.date, datetime.datetime)) else v for k, v in values.items()}
