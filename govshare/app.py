"""The HTTP server: GraphQL over HTTP at /graphql (GraphiQL in a browser), /healthz, /readyz."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from strawberry.http.ides import get_graphql_ide_html

from govshare.auth import TokenError, verify_token
from govshare.catalog.model import Catalog
from govshare.connectors import open_connector
from govshare.connectors.base import Connector, SourceUnavailable
from govshare.errors import BAD_USER_INPUT, UNAUTHENTICATED
from govshare.gateway.executor import Gateway, GraphQLRequest
from govshare.policies.store import PolicyStore
from govshare.resolvers.context import Runtime
from govshare.schema.build import build_schema
from govshare.settings import Settings
from govshare.store.database import store_engine


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status, headers)


async def graphql(request: Request) -> Response:
    if request.method == "GET" and "query" not in request.query_params:
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(get_graphql_ide_html())
        return _error(400, BAD_USER_INPUT, "GET /graphql needs a 'query' parameter")
    parsed = await _read_request(request, request.app.state.settings)
    if isinstance(parsed, Response):
        return parsed
    gateway: Gateway = request.app.state.gateway
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(
            401,
            UNAUTHENTICATED,
            "Send 'Authorization: Bearer <token>'; issue a token with `govshare token issue`",
            **{"WWW-Authenticate": "Bearer"},
        )
    try:
        caller = verify_token(request.app.state.settings, token.strip(), gateway.runtime.catalog)
    except TokenError as exc:
        return _error(401, UNAUTHENTICATED, str(exc), **{"WWW-Authenticate": 'Bearer error="invalid_token"'})
    purpose = request.headers.get("x-purpose") or None
    outcome = await gateway.run(parsed, caller, purpose, allow_mutations=request.method == "POST")
    return JSONResponse(outcome.body, 200 if "data" in outcome.body else 400)


async def _read_request(request: Request, settings: Settings) -> GraphQLRequest | Response:
    limit = settings.max_body_bytes
    if int(request.headers.get("content-length") or 0) > limit:
        return _error(413, BAD_USER_INPUT, f"The request body exceeds {limit} bytes")
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        if params.get("variables"):
            try:
                params["variables"] = orjson.loads(params["variables"])
            except orjson.JSONDecodeError:
                return _error(400, BAD_USER_INPUT, "The 'variables' parameter is not valid JSON")
    else:
        body = await request.body()
        if len(body) > limit:
            return _error(413, BAD_USER_INPUT, f"The request body exceeds {limit} bytes")
        try:
            params = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            return _error(400, BAD_USER_INPUT, f"The request body is not valid JSON: {exc}")
    if not isinstance(params, dict) or not isinstance(params.get("query"), str):
        return _error(400, BAD_USER_INPUT, "The request needs a 'query' string")
    variables = params.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return _error(400, BAD_USER_INPUT, "'variables' must be a JSON object")
    name = params.get("operationName")
    if name is not None and not isinstance(name, str):
        return _error(400, BAD_USER_INPUT, "'operationName' must be a string")
    return GraphQLRequest(params["query"], variables, name)


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    connectors: dict[str, Connector] = request.app.state.gateway.runtime.connectors
    timeout = request.app.state.settings.statement_timeout

    async def check(connector: Connector) -> str:
        try:
            await asyncio.wait_for(connector.ping(), timeout)
        except SourceUnavailable as exc:
            return f"unavailable: {exc.reason}"
        except TimeoutError:
            return f"unavailable: no answer within {timeout:g} s"
        return "ok"

    states = await asyncio.gather(*(check(c) for c in connectors.values()))
    sources = dict(zip(connectors, states, strict=True))
    ready = all(s == "ok" for s in states)
    return JSONResponse({"status": "ready" if ready else "not ready", "sources": sources}, 200 if ready else 503)


async def open_runtime(catalog: Catalog, settings: Settings, *, poll: bool = True) -> Runtime:
    """Connect to the platform database and every source; the policy version in force is loaded."""
    policies = PolicyStore(store_engine(settings.effective_store_url), catalog, settings.policy_poll)
    runtime = Runtime(catalog, settings, {}, policies)
    try:
        await policies.start(poll=poll)
        for name, source in catalog.sources.items():
            runtime.connectors[name] = open_connector(source, statement_timeout=settings.statement_timeout)
    except BaseException:
        await close_runtime(runtime)
        raise
    return runtime


async def close_runtime(runtime: Runtime) -> None:
    await runtime.policies.close()
    await asyncio.gather(*(c.close() for c in runtime.connectors.values()), return_exceptions=True)
    await runtime.policies.engine.dispose()


def create_app(catalog: Catalog, settings: Settings) -> Starlette:
    schema = build_schema(catalog)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = await open_runtime(catalog, settings)
        app.state.gateway = Gateway(runtime, schema)
        try:
            yield
        finally:
            await close_runtime(runtime)

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app
