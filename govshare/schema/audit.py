"""The auditor's GraphQL interface (role ``auditor``): list, show, verify and replay records.

An auditor sees the records of their own department; an auditor of the
platform authority sees every department's (``auditor_visibility``).
"""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from govshare.audit.read import AuditFilter, Visibility, auditor_visibility, get_record, list_records
from govshare.audit.record import AuditRecord
from govshare.audit.verify import verify_log
from govshare.errors import bad_input
from govshare.identity import require_role
from govshare.resolvers.context import RequestContext


@strawberry.type(description="One decision an operation relied on.")
class AuditDecision:
    resource: str
    item: str
    effect: str
    basis: str = strawberry.field(description="provider | unconditional | grant:<id> | none")


@strawberry.type(name="AuditRecord", description="One operation as the audit log keeps it.")
class AuditRecordInfo:
    seq: int
    recordedAt: datetime.datetime
    kind: str
    outcome: str
    department: str | None
    user: str | None
    roles: list[str]
    purpose: str | None
    client: str | None
    operationName: str | None
    query: str | None
    variables: JSON | None
    policyVersion: int | None
    decisions: list[AuditDecision]
    sources: JSON
    errorCodes: list[str]
    resultSha256: str | None = strawberry.field(
        description="HMAC-SHA256 of the canonical result under the platform key resultKeyId "
        "(a plain SHA-256 when resultKeyId is null: a record from before digests were keyed)"
    )
    resultKeyId: str | None = strawberry.field(description="The id of the key resultSha256 was made under")
    durationMs: float
    detail: JSON | None
    prevHash: str
    hash: str


@strawberry.type(description="A page of audit records, newest first.")
class AuditRecordPage:
    nodes: list[AuditRecordInfo]
    endCursor: str | None
    hasNextPage: bool


@strawberry.input(description="Records matching every given condition.")
class AuditRecordFilter:
    department: str | None = None
    user: str | None = None
    resource: str | None = None
    item: str | None = None
    decision: str | None = strawberry.field(default=None, description="allow | mask | verify | deny")
    outcome: str | None = None
    purpose: str | None = None
    kind: str | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


@strawberry.type(description="A decision that differs between the recorded policy and today's.")
class AuditDecisionChange:
    resource: str
    item: str
    then: str
    now: str


@strawberry.type(description="A recorded query run again under the recorded policy and under today's.")
class AuditReplay:
    seq: int
    policyVersionThen: int | None
    policyVersionNow: int
    decisionsThen: list[AuditDecision]
    decisionsNow: list[AuditDecision]
    changed: list[AuditDecisionChange]
    recordedResultSha256: str | None
    recordedResultKeyId: str | None
    resultKeyId: str = strawberry.field(
        description="The key of resultSha256Then and resultSha256Now: the record's, or for a record "
        "without a key id the current one"
    )
    resultSha256Then: str | None
    resultSha256Now: str | None
    resultReproduced: bool = strawberry.field(
        description="The recorded result hash reproduces under the recorded policy"
    )


@strawberry.type(description="The result of checking the whole log.")
class AuditVerification:
    ok: bool
    records: int
    checkpoints: int
    badSeq: int | None
    problem: str | None


def _auditor(info: strawberry.Info) -> tuple[RequestContext, Visibility]:
    ctx: RequestContext = info.context
    require_role(ctx.caller, "reading the audit log", "auditor")
    return ctx, auditor_visibility(ctx.caller.department, ctx.runtime.catalog.platform.authority)


def _decisions(rows: list[list[str]]) -> list[AuditDecision]:
    return [AuditDecision(resource=r[0], item=r[1], effect=r[2], basis=r[3] if len(r) > 3 else "") for r in rows]


def record_info(record: AuditRecord) -> AuditRecordInfo:
    assert record.recorded_at is not None
    return AuditRecordInfo(
        seq=record.seq, recordedAt=record.recorded_at, kind=record.kind, outcome=record.outcome,
        department=record.department, user=record.user, roles=record.roles, purpose=record.purpose,
        client=record.client, operationName=record.operation_name, query=record.query,
        variables=record.variables,  # type: ignore[arg-type]
        policyVersion=record.policy_version, decisions=_decisions(record.decisions),
        sources=record.sources,  # type: ignore[arg-type]
        errorCodes=record.error_codes, resultSha256=record.result_sha256, resultKeyId=record.result_key_id,
        durationMs=record.duration_ms,
        detail=record.detail,  # type: ignore[arg-type]
        prevHash=record.prev_hash, hash=record.hash,
    )  # fmt: skip


async def audit_records(
    info: strawberry.Info,
    filter: AuditRecordFilter | None = None,
    first: int = 50,
    after: str | None = None,
) -> AuditRecordPage:
    ctx, seen_by = _auditor(info)
    if not 1 <= first <= 1000:
        raise bad_input(f"first must be between 1 and 1000, got {first}")
    try:
        start = int(after) if after else None
    except ValueError:
        raise bad_input(f"'after' must be an endCursor of auditRecords, got {after!r}") from None
    where = AuditFilter(**vars(filter)) if filter else AuditFilter()
    found = await list_records(ctx.runtime.audit.engine, where, seen_by, first=first + 1, after=start)
    page = found[:first]
    return AuditRecordPage(
        nodes=[record_info(r) for r in page],
        endCursor=str(page[-1].seq) if page else None,
        hasNextPage=len(found) > first,
    )


async def audit_record(info: strawberry.Info, seq: int) -> AuditRecordInfo | None:
    ctx, seen_by = _auditor(info)
    record = await get_record(ctx.runtime.audit.engine, seq, seen_by)
    return record_info(record) if record else None


async def audit_replay(info: strawberry.Info, seq: int) -> AuditReplay:
    ctx, seen_by = _auditor(info)
    if ctx.replay is None:
        raise bad_input("this server does not replay recorded operations")
    report = await ctx.replay(seq, seen_by)
    return AuditReplay(
        seq=report.seq, policyVersionThen=report.policy_version_then, policyVersionNow=report.policy_version_now,
        decisionsThen=_decisions(report.decisions_then), decisionsNow=_decisions(report.decisions_now),
        changed=[AuditDecisionChange(resource=c.resource, item=c.item, then=c.then, now=c.now) for c in report.changed],
        recordedResultSha256=report.recorded_result, recordedResultKeyId=report.recorded_key_id,
        resultKeyId=report.result_key_id, resultSha256Then=report.result_then,
        resultSha256Now=report.result_now, resultReproduced=report.reproduced,
    )  # fmt: skip


async def audit_verify(info: strawberry.Info) -> AuditVerification:
    # Every auditor may check the whole chain: the answer names sequence numbers, never content.
    ctx, _ = _auditor(info)
    result = await verify_log(ctx.runtime.audit.engine, ctx.runtime.audit.key)
    return AuditVerification(
        ok=result.ok, records=result.records, checkpoints=result.checkpoints, badSeq=result.bad_seq,
        problem=result.problem,
    )  # fmt: skip


def audit_fields() -> dict[str, Any]:
    """Fresh field objects for each schema build (Strawberry binds a field to its class)."""
    return {
        "auditRecords": strawberry.field(resolver=audit_records, description="Audit records, newest first (auditor)."),
        "auditRecord": strawberry.field(resolver=audit_record, description="One audit record (auditor)."),
        "auditReplay": strawberry.field(
            resolver=audit_replay, description="Run a recorded query again, then and now (auditor)."
        ),
        "auditVerify": strawberry.field(
            resolver=audit_verify, description="Check the chain and checkpoints (auditor)."
        ),
    }
