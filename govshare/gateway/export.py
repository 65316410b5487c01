"""Bulk export over HTTP: ``GET /export/{Resource}``, streamed as it is read, audited twice.

An export is checked like a query (token, purpose, share method, the caller's rights) and
refused or answered with an error like one, each with its audit record. One that may start
is recorded (outcome ``started``) before its first byte leaves, so no data leaves without a
durable record. When it ends, a second record says how: ``answered`` with the row count, the
byte count and the keyed digest (HMAC-SHA256 under the result key) of exactly the bytes
sent, or ``partial`` with what was sent before it was cut (the client went away, a source
failed, the policy changed). The last part of a complete file is held back until that record
is durable; an export that cannot be recorded or is cut ends without the response's final
chunk, so the client sees an incomplete transfer, never a file that looks whole.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from govshare import clock
from govshare.audit.log import AuditLog
from govshare.audit.record import AuditRecord
from govshare.connectors.exchange import CURRENT, Exchange
from govshare.errors import (
    BAD_USER_INPUT,
    FORBIDDEN,
    PURPOSE_REQUIRED,
    SOURCE_UNAVAILABLE,
    UNKNOWN_PURPOSE,
    GovshareError,
)
from govshare.gateway.export_jobs import ExportJobs, described
from govshare.gateway.export_run import ExportRun
from govshare.gateway.formats import FORMATS, HEADERS, MEDIA_TYPES, Encoder
from govshare.gateway.http import (
    Answer,
    JSONResponse,
    authenticate,
    error_body,
    exchange_detail,
    internal,
    recorded,
)
from govshare.identity import Caller
from govshare.resolvers.context import RequestContext
from govshare.resolvers.export import Refused, plan_export

PARAMETERS = ("items", "filter", "order", "after", "format", "header", "async")
_FLAGS = {"1": True, "true": True, "0": False, "false": False}
_STATUS = {BAD_USER_INPUT: 400, PURPOSE_REQUIRED: 400, UNKNOWN_PURPOSE: 400, FORBIDDEN: 403, SOURCE_UNAVAILABLE: 503}


async def export(request: Request) -> Response:
    # The export runs on the catalog version in force when it arrives, to its end (Runtime.hold).
    runtime = request.app.state.gateway.runtime
    with runtime.serving():
        return await _export(request, runtime.audit)


async def _export(request: Request, audit: AuditLog) -> Response:
    started = time.perf_counter()
    record = AuditRecord(kind="export", outcome="malformed", client=request.client.host if request.client else None,
                         detail=exchange_detail(request, request.app.state.gateway))  # fmt: skip
    try:
        prepared = await _prepare(request, record)
    except Exception:
        prepared = internal(request, record)
    record.duration_ms = (time.perf_counter() - started) * 1000
    if isinstance(prepared, tuple):
        status, body, headers = prepared
        return await recorded(request, audit, record) or JSONResponse(body, status, headers)
    record.outcome = "started"
    withheld = await recorded(request, audit, record)
    if withheld is not None:
        return withheld
    # The request's own task (and an export job's, started from it) reads platforms under this exchange.
    CURRENT.set(Exchange(record.detail["request"] if record.detail else "", record.purpose))
    prepared.release = prepared.ctx.runtime.hold()  # until its pump ends
    if record.variables and record.variables["async"]:
        jobs: ExportJobs = request.app.state.export_jobs
        return JSONResponse(described(jobs.start(prepared)), 202)
    return Stream(prepared)


async def _prepare(request: Request, record: AuditRecord) -> Answer | ExportRun:
    settings = request.app.state.settings
    query = request.url.query
    if len(query) > settings.max_body_bytes:
        record.error_codes = [BAD_USER_INPUT]
        message = f"The query string exceeds {settings.max_body_bytes} bytes; ask for fewer items or a shorter filter"
        return 413, error_body(BAD_USER_INPUT, message), {}
    record.query = f"GET {request.url.path}" + (f"?{query}" if query else "")
    name = request.path_params["resource"]
    try:
        params = _parameters(request)
    except GovshareError as exc:
        record.error_codes = [exc.code]
        return 400, _errors([exc]), {}
    record.variables = params
    caller = authenticate(request, record)
    if not isinstance(caller, Caller):
        return caller
    gateway = request.app.state.gateway
    ctx = RequestContext(gateway.runtime, caller, record.purpose)
    record.policy_version = ctx.policy.version if ctx.policy else None
    resource = ctx.catalog.resources.get(name)
    try:
        if resource is None:
            offered = [r for r, res in ctx.catalog.resources.items() if "download" in res.share_methods]
            raise GovshareError(
                BAD_USER_INPUT,
                f"There is no resource {name!r} in the catalog; resources offered for download: {', '.join(offered)}",
            )
        plan = plan_export(ctx, resource, params["items"], params["filter"], params["order"], params["after"])
    except GovshareError as exc:
        record.outcome, record.error_codes = "rejected", [exc.code]
        record.decisions = ctx.decisions()
        errors = exc.errors if isinstance(exc, Refused) else [exc]
        return (404 if resource is None else _STATUS.get(exc.code, 400)), _errors(errors), {}
    record.decisions = ctx.decisions()
    header = params["header"] or ("none" if params["after"] is not None else "names")
    return ExportRun(ctx, plan, Encoder(params["format"], resource, plan.items), header, record, gateway.runtime.audit)


def _parameters(request: Request) -> dict[str, Any]:
    given = request.query_params
    unknown = sorted(set(given) - set(PARAMETERS))
    if unknown:
        raise GovshareError(
            BAD_USER_INPUT, f"Unknown parameter {unknown[0]!r}; an export takes {', '.join(PARAMETERS)}"
        )
    for name in given:
        if len(given.getlist(name)) > 1:
            raise GovshareError(BAD_USER_INPUT, f"The parameter {name!r} is given twice; give it once")
    format = given.get("format") or "csv"
    header = given.get("header") or None
    background = given.get("async") or "0"
    for which, value, allowed in (
        ("format", format, FORMATS),
        ("header", header, HEADERS),
        ("async", background, _FLAGS),
    ):
        if value is not None and value not in allowed:
            raise GovshareError(BAD_USER_INPUT, f"{which} must be one of {', '.join(allowed)}")
    return {
        "items": _names(given.get("items")),
        "filter": _json(given, "filter", '{"district": {"eq": "龙亭区"}}'),
        "order": _names(given.get("order")) or [],
        "after": _json(given, "after", '{"idNumber": "…"} (the last row received)'),
        "format": format,
        "header": header,
        "async": _FLAGS[background],
    }


def _names(value: str | None) -> list[str] | None:
    return [n.strip() for n in value.split(",") if n.strip()] if value else None


def _json(given: Any, name: str, example: str) -> Any:
    if not given.get(name):
        return None
    try:
        return orjson.loads(given[name])
    except orjson.JSONDecodeError:
        raise GovshareError(BAD_USER_INPUT, f"{name} is not valid JSON; write e.g. {name}={example}") from None


def _errors(errors: list[GovshareError]) -> dict[str, Any]:
    return {"errors": [{"message": e.message, "extensions": e.extensions} for e in errors]}


class Stream(Response):
    """The export's response: rows as they are read, the final chunk once the export is recorded."""

    def __init__(self, run: ExportRun) -> None:
        self.run = run
        self.status_code, self.background = 200, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone = asyncio.Event()
        listener = asyncio.create_task(_listen(receive, gone))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self._start_headers()})

            async def write(chunk: bytes) -> None:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})

            final = await self.run.pump(write, gone.is_set)
            if final is not None:
                await send({"type": "http.response.body", "body": final, "more_body": False})
            # A cut export returns without finishing its response, so that the client sees the cut.
        finally:
            listener.cancel()

    def _start_headers(self) -> list[tuple[bytes, bytes]]:
        run = self.run
        plan, resource, format = run.plan, run.plan.resource, run.encoder.format
        headers = {
            "content-type": MEDIA_TYPES[format],
            "content-disposition": f'attachment; filename="{resource.name}-{clock.today().isoformat()}.{format}"',
            "cache-control": "no-store",
            "x-export-id": str(run.opening.seq),
            "x-export-items": ",".join(plan.items),
            "x-export-order": ",".join(plan.order),
        }
        if plan.omitted:
            headers["x-export-omitted"] = ",".join(plan.omitted)
        return [(k.encode(), v.encode()) for k, v in headers.items()]


async def _listen(receive: Receive, gone: asyncio.Event) -> None:
    """Sets ``gone`` once the client disconnects (a GET has no body to read)."""
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return
