"""Every serving process follows the catalog published last (docs/catalog.md, "Publication and reload").

A process polls the platform store; when a newer catalog version is published (a draft the
authority approved, or another process started with an edited file), it builds the new
version's schema and runtime beside the one serving — off the request path — and swaps them
in at once. Requests that arrived before the swap finish on the version they started with;
that version is closed once the last of them has ended (at most ``catalog_grace`` seconds).
A version that does not load is logged and skipped: the process keeps serving the one it has.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from starlette.applications import Starlette

from govshare.catalog import CatalogError, parse_catalog
from govshare.gateway.executor import Gateway
from govshare.periodic import every
from govshare.runtime import Runtime, close_runtime, open_runtime
from govshare.schema.build import BuiltSchema, build_schema
from govshare.settings import Settings
from govshare.store.catalogs import published_catalog

log = logging.getLogger("govshare.catalog")

# What the app makes of a new gateway besides installing it (the token cache of its catalog).
Install = Callable[[Gateway], None]


class CatalogReloader:
    def __init__(self, app: Starlette, settings: Settings, make_gateway: Callable[[Runtime, BuiltSchema], Gateway],
                 install: Install) -> None:  # fmt: skip
        self.app = app
        self.settings = settings
        self.make_gateway = make_gateway
        self.install = install
        self._task: asyncio.Task[None] | None = None
        self._retiring: dict[asyncio.Task[None], Runtime] = {}
        self._skipped: int | None = None  # a version that did not load: not tried again

    @property
    def gateway(self) -> Gateway:
        current: Gateway = self.app.state.gateway
        return current

    async def start(self) -> None:
        """Serve the catalog in force from the first request on, then follow new ones."""
        await self.check()
        self._task = asyncio.create_task(self._follow(), name="govshare-catalog-poll")

    async def _follow(self) -> None:
        await every(self.settings.catalog_poll, self.check, log, "cannot follow the catalog in force")

    async def check(self) -> bool:
        """Switch to the catalog published last if it is not the one served; whether it switched."""
        serving = self.gateway.runtime
        async with serving.policies.engine.connect() as conn:
            newest = await published_catalog(conn)
        if newest is None or newest.version in (serving.catalog_version, self._skipped):
            return False
        try:
            catalog = parse_catalog(newest.text, newest.path)
            schema = await asyncio.to_thread(build_schema, catalog)  # seconds of CPU for a large catalog
        except CatalogError as exc:
            self._skipped = newest.version
            log.error("catalog version %s does not load, still serving %s: %s", newest.version,
                      serving.catalog_version, exc)  # fmt: skip
            return False
        try:
            runtime = await open_runtime(catalog, self.settings)
        except ValueError as exc:  # a source it cannot open (its URL, an option): not worth trying again
            self._skipped = newest.version
            log.error("catalog version %s cannot open its sources, still serving %s: %s", newest.version,
                      serving.catalog_version, exc)  # fmt: skip
            return False
        self.install(self.make_gateway(runtime, schema))
        log.info("catalog version %s is now served (was %s)", runtime.catalog_version, serving.catalog_version)
        retiring = asyncio.create_task(self._retire(serving), name=f"govshare-retire-{serving.catalog_version}")
        self._retiring[retiring] = serving
        retiring.add_done_callback(self._retiring.pop)
        return True

    async def _retire(self, runtime: Runtime) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.settings.catalog_grace):
                await runtime.idle.wait()
        if runtime.in_flight:
            log.warning("closing catalog version %s with %s requests still on it", runtime.catalog_version,
                        runtime.in_flight)  # fmt: skip
        try:
            await close_runtime(runtime)
        except Exception:  # its sources or store went away first: nothing is left to serve from it
            log.warning("catalog version %s did not close cleanly", runtime.catalog_version, exc_info=True)

    async def close(self) -> None:
        """Stop following; close the versions still retiring (the current one is the app's to close)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        retiring = dict(self._retiring)
        for task in retiring:
            task.cancel()
        await asyncio.gather(*retiring, return_exceptions=True)
        await asyncio.gather(*(close_runtime(r) for r in retiring.values()), return_exceptions=True)
