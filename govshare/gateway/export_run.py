"""One export run: its batches encoded and handed on, then its closing audit record.

Shared by the streamed response and the export jobs: each gives where the bytes go and how
to tell that nobody is reading any more. All but the last chunk are handed on as they are
made; the last is returned only once the closing record is durable, so whatever receives it
holds the whole file only when the log says so.
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from govshare.audit.log import AuditLog
from govshare.audit.record import AuditRecord
from govshare.errors import INTERNAL, GovshareError
from govshare.gateway.formats import Encoder
from govshare.resolvers.context import RequestContext
from govshare.resolvers.export import ExportPlan, batches, shaper

log = logging.getLogger("govshare.export")
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

    async def pump(self, write: Write, gone: Callable[[], bool]) -> bytes | None:
        """Hand every chunk but the last to ``write``; the last once the closing record is durable.

        ``None`` when the export was cut (by ``gone``, a failure, a policy change) or its closing
        record could not be written: the receiver must not take what it has for the whole file.
        """
        began = time.perf_counter()
        plan = self.plan
        key_id, mac = self.audit.results.hasher()
        pending, pending_rows, pending_last = self.encoder.header(self.header), 0, None
        rows = size = 0
        last: dict[str, Any] | None = None
        cut: GovshareError | None = None
        shape = shaper(plan)
        try:
            async for batch in batches(self.ctx, plan):
                chunk = self.encoder.encode(shape(batch))
                if gone():
                    break
                if pending:
                    await write(pending)
                    mac.update(pending)
                    rows, size, last = rows + pending_rows, size + len(pending), pending_last or last
                pending, pending_rows = chunk, len(batch)
                pending_last = plan.cursor(dict(zip(plan.fetched, batch[-1], strict=True)))
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


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, (datetime.date, datetime.datetime)) else v for k, v in values.items()}
