"""GraphQL over HTTP: read the request, authenticate, run, and audit before answering.

This is the one boundary of the server: every request to /graphql that
carries an operation — answered, partly denied, rejected, malformed,
unauthenticated or failed inside — is written to the audit log before its
response leaves; if the record cannot be made durable, no data leaves
(AUDIT_UNAVAILABLE, HTTP 503). Whatever raises below it becomes INTERNAL with
an error id that is in the server log, and is recorded as such.
"""

from __future__ import annotations

import logging
import math
import re
import time
import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from govshare.audit.log import AuditLog, AuditUnavailable
from govshare.audit.record import AuditRecord
from govshare.auth import TokenError
from govshare.connectors.exchange import CURRENT, REQUEST_HEADER, Exchange, new_request_id
from govshare.errors import AUDIT_UNAVAILABLE, BAD_USER_INPUT, INTERNAL, UNAUTHENTICATED
from govshare.gateway import graphiql
from govshare.gateway.executor import Gateway, GraphQLRequest, Outcome
from govshare.gateway.limits import variables_problem
from govshare.identity import Caller, ProviderUnavailable
from govshare.settings import Settings

log = logging.getLogger("govshare.gateway")

Answer = tuple[int, dict[str, Any], dict[str, str]]
# A caller's own request id (an upper platform's, in a cascade), kept when it looks like one.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def serialise(body: dict[str, Any]) -> bytes:
    """An answer as JSON: a stage of its own, inside the boundary, so that its failure is recorded too."""
    return orjson.dumps(body)


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_body(code: str, message: str, **extensions: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


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
        return graphiql.page()
    started = time.perf_counter()
    # The request runs on the catalog version in force when it arrives, whatever is published meanwhile.
    gateway: Gateway = request.app.state.gateway
    with gateway.runtime.serving():
        record = AuditRecord(kind="query", outcome="malformed", client=request.client.host if request.client else None,
                             detail=exchange_detail(request, gateway))  # fmt: skip
        try:
            status, body, headers = await _answer(request, gateway, record)
            content = serialise(body)
        except AuditUnavailable:
            return _audit_unavailable()
        except Exception:
            status, body, headers = internal(request, record)
            content = orjson.dumps(body)
        record.duration_ms = (time.perf_counter() - started) * 1000
        withheld = await recorded(request, gateway.runtime.audit, record)
    headers = {**headers, REQUEST_HEADER: record.detail["request"]} if record.detail else headers
    return withheld or Response(content, status, headers, media_type="application/json")


def exchange_detail(request: Request, gateway: Gateway) -> dict[str, Any]:
    """The record's request id, the catalog version it runs on, and the caller's own request id
    when it sent one (a cascade's upper platform)."""
    detail: dict[str, Any] = {"request": new_request_id(), "catalog": gateway.runtime.catalog_version}
    upstream = request.headers.get(REQUEST_HEADER)
    if upstream is not None and _REQUEST_ID.fullmatch(upstream):
        detail["upstream"] = upstream
    return detail


def internal(request: Request, record: AuditRecord) -> Answer:
    """The answer to an unexpected failure below the boundary: masked, logged, recorded as failed."""
    return 500, failed(record, f"{request.method} {request.url.path}"), {}


def failed(record: AuditRecord, what: str) -> dict[str, Any]:
    """The body of an unexpected failure while answering ``what``: logged with an id, recorded as failed."""
    error_id = uuid.uuid4().hex[:12]
    log.exception("internal error %s while answering %s", error_id, what)
    record.outcome, record.error_codes, record.result_sha256 = "failed", [INTERNAL], None
    record.detail = {**(record.detail or {}), "errorId": error_id}
    message = f"Internal error (id {error_id}); the operators can find it in the server log"
    return error_body(INTERNAL, message, errorId=error_id)


async def recorded(request: Request, audit: AuditLog, record: AuditRecord) -> Response | None:
    """Make ``record`` durable; ``None`` when it is, else the 503 answer that withholds the result."""
    try:
        await audit.append(record)
    except AuditUnavailable:
        return _audit_unavailable()
    except Exception:
        # A record that cannot be written for any reason withholds the answer all the same.
        log.exception("the audit record of %s %s could not be written", request.method, request.url.path)
        return _audit_unavailable()
    return None


def _audit_unavailable() -> Response:
    message = "The operation could not be recorded in the audit log, so its result is withheld; retry later"
    return JSONResponse(error_body(AUDIT_UNAVAILABLE, message), 503)


async def _answer(request: Request, gateway: Gateway, record: AuditRecord) -> Answer:
    settings: Settings = request.app.state.settings
    try:
        parsed = await read_request(request, settings)
        record.query, record.operation_name = parsed.query, parsed.operation_name
        # Variables are bounded before anything walks them (the audit log included).
        problem = variables_problem(parsed.variables, settings)
        if problem is not None:
            record.variables = {"$refused": problem}
            raise BadRequest(400, problem)
    except BadRequest as exc:
        record.error_codes = [BAD_USER_INPUT]
        return exc.status, error_body(BAD_USER_INPUT, str(exc)), {}
    record.variables = parsed.variables
    caller = authenticate(request, record)
    if not isinstance(caller, Caller):
        return caller
    # Sources that are platforms themselves are read under this request's id and purpose.
    exchange = CURRENT.set(Exchange(record.detail["request"] if record.detail else "", record.purpose))
    try:
        outcome = await gateway.run(parsed, caller, record.purpose, allow_mutations=request.method == "POST")
    finally:
        CURRENT.reset(exchange)
    describe(record, outcome)
    return (200 if "data" in outcome.body else 400), outcome.body, {}


def authenticate(request: Request, record: AuditRecord) -> Caller | Answer:
    """The caller of the request's bearer token, and its purpose, written into ``record``;
    or the 401 answer, the record marked unauthenticated (503 when the identity provider's keys
    cannot be had: the token may be good, so the client is told to retry, not to get another).
    The app has fetched the keys a provider's token needs before (App.__call__)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenError("Send 'Authorization: Bearer <token>'; issue a token with `govshare token issue`")
        caller: Caller = request.app.state.tokens.verify(token.strip())
    except TokenError as exc:
        record.outcome, record.error_codes = "unauthenticated", [UNAUTHENTICATED]
        if isinstance(exc, ProviderUnavailable):
            retry = max(1, math.ceil(request.app.state.settings.oidc_refresh_interval))
            return 503, error_body(UNAUTHENTICATED, str(exc)), {"Retry-After": str(retry)}
        challenge = 'Bearer error="invalid_token"' if token.strip() else "Bearer"
        return 401, error_body(UNAUTHENTICATED, str(exc)), {"WWW-Authenticate": challenge}
    record.department, record.user, record.roles = caller.department, caller.user, list(caller.roles)
    record.purpose = request.headers.get("x-purpose") or None  # the log cuts it to its column
    return caller


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


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read no further than ``limit`` bytes whatever the headers say."""
    too_large = BadRequest(413, f"The request body exceeds {limit} bytes; send at most {limit} bytes")
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    # The ASGI messages themselves (Starlette's stream would wrap each in an async generator).
    while True:
        message = await request.receive()
        if message["type"] != "http.request":
            # No one will read the answer, but the attempt is recorded like any other.
            raise BadRequest(400, f"The client went away after {size} bytes, before the body ended")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def read_request(request: Request, settings: Settings) -> GraphQLRequest:
    limit = settings.max_body_bytes
    if request.method == "GET":
        if len(request.url.query) > limit:
            raise BadRequest(413, f"The query string exceeds {limit} bytes; POST the operation instead")
        params: Any = dict(request.query_params)
        if params.get("variables"):
            try:
                params["variables"] = orjson.loads(params["variables"])
            except orjson.JSONDecodeError:
                raise BadRequest(400, "The 'variables' parameter is not valid JSON") from None
    else:
        body = await read_body(request, limit)
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
