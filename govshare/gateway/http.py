"""GraphQL over HTTP: read the request, authenticate, run, and audit before answering.

Every request to /graphql that carries an operation — answered, partly
denied, rejected, malformed or unauthenticated — is written to the audit log
before its response leaves; if the record cannot be made durable, no data
leaves (AUDIT_UNAVAILABLE, HTTP 503).
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html

from govshare.audit.log import AuditUnavailable
from govshare.audit.record import AuditRecord
from govshare.auth import TokenError
from govshare.errors import AUDIT_UNAVAILABLE, BAD_USER_INPUT, UNAUTHENTICATED
from govshare.gateway.executor import Gateway, GraphQLRequest, Outcome
from govshare.settings import Settings

Answer = tuple[int, dict[str, Any], dict[str, str]]


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def graphql(request: Request) -> Response:
    if (
        request.method == "GET"
        and "query" not in request.query_params
        and "text/html" in request.headers.get("accept", "")
    ):
        return HTMLResponse(get_graphql_ide_html())
    started = time.perf_counter()
    gateway: Gateway = request.app.state.gateway
    record = AuditRecord(kind="query", outcome="malformed", client=request.client.host if request.client else None)
    status, body, headers = await _answer(request, gateway, record)
    record.duration_ms = (time.perf_counter() - started) * 1000
    try:
        await gateway.runtime.audit.append(record)
    except AuditUnavailable:
        message = "The operation could not be recorded in the audit log, so its result is withheld; retry later"
        return JSONResponse(error_body(AUDIT_UNAVAILABLE, message), 503)
    return JSONResponse(body, status, headers)


async def _answer(request: Request, gateway: Gateway, record: AuditRecord) -> Answer:
    settings: Settings = request.app.state.settings
    try:
        parsed = await read_request(request, settings)
    except BadRequest as exc:
        record.error_codes = [BAD_USER_INPUT]
        return exc.status, error_body(BAD_USER_INPUT, str(exc)), {}
    record.query, record.variables, record.operation_name = parsed.query, parsed.variables, parsed.operation_name
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenError("Send 'Authorization: Bearer <token>'; issue a token with `govshare token issue`")
        caller = request.app.state.tokens.verify(token.strip())
    except TokenError as exc:
        record.outcome, record.error_codes = "unauthenticated", [UNAUTHENTICATED]
        challenge = 'Bearer error="invalid_token"' if token.strip() else "Bearer"
        return 401, error_body(UNAUTHENTICATED, str(exc)), {"WWW-Authenticate": challenge}
    record.department, record.user, record.roles = caller.department, caller.user, list(caller.roles)
    record.purpose = request.headers.get("x-purpose") or None
    outcome = await gateway.run(parsed, caller, record.purpose, allow_mutations=request.method == "POST")
    describe(record, outcome)
    return (200 if "data" in outcome.body else 400), outcome.body, {}


def describe(record: AuditRecord, outcome: Outcome) -> None:
    """Copy what an executed (or rejected) operation did into its audit record."""
    record.kind = outcome.kind
    record.outcome = outcome.outcome
    record.error_codes = outcome.codes
    record.operation_name = outcome.operation_name or record.operation_name
    if "data" in outcome.body and outcome.context is not None:
        record.result_key_id, record.result_sha256 = outcome.context.runtime.audit.digest(outcome.body["data"])
    context = outcome.context
    if context is not None:
        record.policy_version = context.policy.version if context.policy else None
        record.decisions = context.decisions()
        record.sources = {name: {"statements": s.statements, "rows": s.rows} for name, s in context.stats.items()}


async def read_request(request: Request, settings: Settings) -> GraphQLRequest:
    limit = settings.max_body_bytes
    if int(request.headers.get("content-length") or 0) > limit:
        raise BadRequest(413, f"The request body exceeds {limit} bytes")
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        if params.get("variables"):
            try:
                params["variables"] = orjson.loads(params["variables"])
            except orjson.JSONDecodeError:
                raise BadRequest(400, "The 'variables' parameter is not valid JSON") from None
    else:
        body = await request.body()
        if len(body) > limit:
            raise BadRequest(413, f"The request body exceeds {limit} bytes")
        try:
            params = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(400, f"The request body is not valid JSON: {exc}") from None
    if not isinstance(params, dict) or not isinstance(params.get("query"), str):
        raise BadRequest(400, "The request needs a 'query' string")
    variables = params.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise BadRequest(400, "'variables' must be a JSON object")
    name = params.get("operationName")
    if name is not None and not isinstance(name, str):
        raise BadRequest(400, "'operationName' must be a string")
    return GraphQLRequest(params["query"], variables, name)
