"""The HTTP server: GraphQL over HTTP at /graphql (GraphiQL in a browser), bulk export at /export, /healthz, /readyz."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gc
import os
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from govshare.auth import TokenCache
from govshare.catalog.loader import load_catalog
from govshare.catalog.model import Catalog
from govshare.connectors.base import Connector, SourceUnavailable
from govshare.console.routes import routes as console_routes
from govshare.gateway import graphiql
from govshare.gateway.executor import Gateway
from govshare.gateway.export import export
from govshare.gateway.export_jobs import ExportJobs, job_file, job_status
from govshare.gateway.http import JSONResponse, graphql
from govshare.gateway.replay import replay
from govshare.reload import CatalogReloader
from govshare.revocation import RevokedTokens
from govshare.runtime import Runtime, close_runtime, open_runtime
from govshare.schema.build import BuiltSchema, build_schema
from govshare.settings import Settings, load_settings
from govshare.store.database import store_engine

# The catalog file of `govshare serve --workers N`: each worker process builds its app from it.
CATALOG_ENV = "GOVSHARE_SERVE_CATALOG"


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


class App(Starlette):
    """Starlette, with POST /graphql answered past its middleware and router.

    The GraphQL endpoint is the server's own boundary (whatever fails below it is answered
    and audited there), so the generic layers would add only their time to every request.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.state.tokens.provider is not None:
            await fetch_keys(self.state.tokens, scope)
        # Behind a root path, the router's path rules apply.
        if (
            scope["type"] == "http"
            and scope["path"] == "/graphql"
            and scope["method"] == "POST"
            and not scope.get("root_path")
        ):
            scope["app"] = self
            response = await graphql(Request(scope, receive, send))
            await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


async def fetch_keys(tokens: TokenCache, scope: Scope) -> None:
    """Fetch the identity provider's keys that the request's bearer token needs, if any: here, once
    for every route, as verifying a token (gateway.http.authenticate) never waits on the network."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                await tokens.prepare(token.strip())
            return


def serving_gc() -> None:
    """The garbage collector of a serving process, set once its runtime is up.

    What exists then (schema, catalog, plans' types, modules) lives as long as the
    process: frozen, no collection walks it again. A request makes thousands of
    containers that reference counting frees; collecting every 700 of them would
    walk the ones still in use several times per request.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def create_app(catalog: Catalog, settings: Settings, *, serving: bool = False) -> Starlette:
    """The app; ``serving``: the process does nothing else (``serving_gc`` once it has started)."""
    schema = build_schema(catalog)

    def make_gateway(runtime: Runtime, built: BuiltSchema) -> Gateway:
        return Gateway(runtime, built, replay=replay)

    def install(gateway: Gateway) -> None:
        tokens = TokenCache(settings, gateway.runtime.catalog, revoked)
        tokens.provider = app.state.tokens.provider  # its keys stay fetched
        app.state.gateway, app.state.tokens = gateway, tokens

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.gateway = make_gateway(await open_runtime(catalog, settings, from_file=True), schema)
        reloader = CatalogReloader(app, settings, make_gateway, install)
        # The revocations outlive every catalog version's runtime, so they read through an engine of their own.
        store = store_engine(settings.effective_store_url)
        try:
            await revoked.start(store)
            await reloader.start()  # the catalog in force may be newer than the file
            if serving:
                serving_gc()
            yield
        finally:
            await revoked.close()
            await store.dispose()
            await app.state.export_jobs.close(settings.statement_timeout + 1)  # before the runtimes they read
            await reloader.close()
            await close_runtime(app.state.gateway.runtime)

    app = App(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/export/{resource}", export),
            Route("/export-jobs/{job}", job_status),
            Route("/export-jobs/{job}/file", job_file),
            Mount(graphiql.PREFIX, graphiql.assets()),
            *console_routes(),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    revoked = RevokedTokens(settings.policy_poll)  # read from the store once the runtime is open
    app.state.tokens = TokenCache(settings, catalog, revoked)
    keep = datetime.timedelta(hours=settings.export_keep_hours)
    app.state.export_jobs = ExportJobs(Path(settings.data_dir) / "exports", keep)
    return app


def app_from_environment() -> Starlette:
    """One worker's app under `govshare serve --workers N`: uvicorn imports it by name in every worker.

    The serving command has checked the catalog and put it, and every setting, in the environment."""
    path = os.environ.get(CATALOG_ENV)
    if not path:
        raise RuntimeError(
            f"{CATALOG_ENV} names no catalog file: start several workers with `govshare serve --workers N`"
        )
    return create_app(load_catalog(path), load_settings(), serving=True)
