"""The auditor's pages: the log with filters, one record with its decisions, the chain verified,
and a recorded query replayed under the policy of then and of now. The API's audit fields, read
as the signed-in caller: their visibility rules decide what each role sees."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from govshare.console import session
from govshare.console.pages import page, refused, signed
from govshare.console.workflow_pages import run_as

RECORD = ("seq recordedAt kind outcome department user roles purpose client operationName query variables "
          "policyVersion decisions { resource item effect basis } sources errorCodes resultSha256 durationMs "
          "detail")  # fmt: skip
LOG = f"""query($filter: AuditRecordFilter, $after: String) {{ me {{ department {{ code name }} user roles }}
  auditRecords(filter: $filter, first: 50, after: $after) {{ nodes {{ {RECORD} }} endCursor hasNextPage }} }}"""
ONE = f"query($seq: Int!) {{ me {{ department {{ code name }} user roles }} auditRecord(seq: $seq) {{ {RECORD} }} }}"
REPLAY = """query($seq: Int!) { me { department { code name } user roles } auditReplay(seq: $seq) {
  seq policyVersionThen policyVersionNow changed { resource item then now } resultReproduced } }"""
VERIFY = """{ me { department { code name } user roles } auditVerify { ok records checkpoints badSeq problem } }"""
FILTERS = ("department", "purpose", "outcome", "resource", "kind")


def _filter(request: Request) -> dict[str, Any]:
    asked = request.query_params
    found: dict[str, Any] = {k: asked[k].strip() for k in FILTERS if asked.get(k, "").strip()}
    if asked.get("since"):
        found["since"] = f"{asked['since']}T00:00:00+08:00"  # China days
    if asked.get("until"):
        found["until"] = f"{asked['until']}T23:59:59.999999+08:00"
    return found


@signed
async def log(request: Request, current: session.Session) -> Response:
    variables = {"filter": _filter(request) or None, "after": request.query_params.get("after") or None}
    body = await run_as(request, current, LOG, variables)
    if body.get("errors"):
        return refused(request, "；".join(e["message"] for e in body["errors"]))
    data = body["data"]
    more = {k: v for k, v in request.query_params.items() if k != "after"}
    return page(request, "audit.html", me=data["me"], csrf=current.csrf, records=data["auditRecords"],
                asked=request.query_params, more=more)  # fmt: skip


@signed
async def record(request: Request, current: session.Session) -> Response:
    seq = request.path_params["seq"]
    body = await run_as(request, current, ONE, {"seq": seq})
    if body.get("errors") or not (body.get("data") or {}).get("auditRecord"):
        why = "；".join(e["message"] for e in body.get("errors", [])) or f"没有第 {seq} 条审计记录 (no record {seq})"
        return refused(request, why, 404)
    replayed = None
    if request.query_params.get("replay"):
        replay = await run_as(request, current, REPLAY, {"seq": seq})
        replayed = replay.get("data", {}).get("auditReplay") if not replay.get("errors") else replay["errors"]
    return page(request, "audit_record.html", me=body["data"]["me"], csrf=current.csrf,
                record=body["data"]["auditRecord"], replayed=replayed)  # fmt: skip


@signed
async def verify(request: Request, current: session.Session) -> Response:
    body = await run_as(request, current, VERIFY)
    if body.get("errors"):
        return refused(request, "；".join(e["message"] for e in body["errors"]))
    return page(request, "audit_verify.html", me=body["data"]["me"], csrf=current.csrf,
                verification=body["data"]["auditVerify"])  # fmt: skip
