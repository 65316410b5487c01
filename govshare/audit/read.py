"""Reading the audit log: filters, pages, single records, exports (JSON lines and CSV).

Every read names whose records its reader may see (``Visibility``): an auditor
of a department sees that department's records only, an auditor of the
platform authority every record, and so does the operator's command line.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncEngine

from govshare.audit.record import AuditRecord
from govshare.store.tables import audit_records


@dataclass(frozen=True, slots=True)
class Visibility:
    """Whose records a reader sees: one department's, or with ``department=None`` every record."""

    department: str | None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        return stmt if self.department is None else stmt.where(audit_records.c.department == self.department)


EVERY_RECORD = Visibility(None)


def auditor_visibility(department: str, authority: str) -> Visibility:
    """An auditor's sight: the platform authority's auditors see every department's records, others their own."""
    return EVERY_RECORD if department == authority else Visibility(department)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    department: str | None = None
    user: str | None = None
    resource: str | None = None
    item: str | None = None  # with resource: that item; alone: an item of any resource
    decision: str | None = None  # allow | mask | verify | deny
    outcome: str | None = None
    purpose: str | None = None
    kind: str | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        c = audit_records.c
        for column, value in (
            (c.department, self.department),
            (c.user, self.user),
            (c.outcome, self.outcome),
            (c.purpose, self.purpose),
            (c.kind, self.kind),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if self.since is not None:
            stmt = stmt.where(c.recorded_at >= self.since)
        if self.until is not None:
            stmt = stmt.where(c.recorded_at < self.until)
        # `touched` holds " Resource.item=effect " tokens: one LIKE serves every combination.
        resource = f" {self.resource}." if self.resource else " %."
        item = f"{self.item}=" if self.item else "%="
        decision = f"{self.decision} " if self.decision else "% "
        if self.resource or self.item or self.decision:
            pattern = f"%{resource}{item}{decision}%".replace("%%", "%")
            stmt = stmt.where(c.touched.like(pattern))
        return stmt


def record_from_row(row: Row[Any]) -> AuditRecord:
    m = row._mapping
    return AuditRecord(
        kind=m["kind"],
        outcome=m["outcome"],
        department=m["department"],
        user=m["user"],
        roles=list(m["roles"]),
        purpose=m["purpose"],
        client=m["client"],
        operation_name=m["operation_name"],
        query=m["query"],
        variables=m["variables"],
        policy_version=m["policy_version"],
        decisions=[list(d) for d in m["decisions"]],
        sources=dict(m["sources"]),
        error_codes=list(m["error_codes"]),
        result_sha256=m["result_sha256"],
        result_key_id=m["result_key_id"],
        duration_ms=m["duration_ms"],
        detail=m["detail"],
        seq=m["seq"],
        recorded_at=m["recorded_at"],
        prev_hash=m["prev_hash"],
        hash=m["hash"],
    )


async def list_records(
    engine: AsyncEngine,
    where: AuditFilter,
    seen_by: Visibility,
    *,
    first: int = 50,
    after: int | None = None,
    newest_first: bool = True,
) -> list[AuditRecord]:
    stmt = seen_by.apply(where.apply(select(audit_records)))
    if after is not None:
        stmt = stmt.where(audit_records.c.seq < after if newest_first else audit_records.c.seq > after)
    stmt = stmt.order_by(audit_records.c.seq.desc() if newest_first else audit_records.c.seq).limit(first)
    async with engine.connect() as conn:
        return [record_from_row(r) for r in await conn.execute(stmt)]


async def get_record(engine: AsyncEngine, seq: int, seen_by: Visibility) -> AuditRecord | None:
    """The record ``seq``, or None when there is none or its reader may not see it (the two look alike)."""
    async with engine.connect() as conn:
        row = (await conn.execute(seen_by.apply(select(audit_records).where(audit_records.c.seq == seq)))).first()
    return record_from_row(row) if row is not None else None


async def all_records(
    engine: AsyncEngine, where: AuditFilter, seen_by: Visibility, page: int = 1000
) -> AsyncIterator[AuditRecord]:
    after: int | None = None
    while True:
        batch = await list_records(engine, where, seen_by, first=page, after=after, newest_first=False)
        for record in batch:
            yield record
        if len(batch) < page:
            return
        after = batch[-1].seq


CSV_COLUMNS = ("seq", "recorded_at", "kind", "outcome", "department", "user", "roles", "purpose", "client",
               "operation_name", "policy_version", "decisions", "sources", "error_codes", "result_sha256",
               "result_key_id", "duration_ms", "query", "variables", "detail", "prev_hash", "hash")  # fmt: skip


def to_jsonl(record: AuditRecord) -> str:
    return orjson.dumps(record.as_dict()).decode() + "\n"


def to_csv_rows(records: list[AuditRecord], header: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(CSV_COLUMNS)
    for record in records:
        data = record.as_dict()
        writer.writerow(
            [orjson.dumps(data[c]).decode() if isinstance(data[c], (list, dict)) else data[c] for c in CSV_COLUMNS]
        )
    return out.getvalue()
