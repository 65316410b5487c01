"""What a serving process holds for one catalog: its sources, the platform store, the policy, the audit log.

:func:`open_runtime` connects to all of them (the policy version in force is loaded) and
:func:`close_runtime` lets go of them; requests share one :class:`Runtime`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from govshare.audit import statistics
from govshare.audit.log import AuditLog
from govshare.audit.platform import platform_log
from govshare.catalog.model import Catalog
from govshare.connectors import Credential, load_credentials, open_connector
from govshare.connectors.base import Connector, SourceUnavailable, TableRef
from govshare.periodic import every
from govshare.policies.live import PolicyStore
from govshare.settings import Settings
from govshare.store.database import store_engine

log = logging.getLogger("govshare.statistics")


@dataclass(slots=True)
class Runtime:
    """What every request of one catalog version shares: connectors, table shapes, the policy."""

    catalog: Catalog
    settings: Settings
    connectors: dict[str, Connector]
    policies: PolicyStore
    audit: AuditLog
    tables: dict[str, TableRef] = field(default_factory=dict)
    # Plans the resolvers derived from compiled field nodes under one policy version (resolvers.plans).
    plans: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)  # what the process runs beside requests

    def __post_init__(self) -> None:
        self.tables.update(table_refs(self.catalog))
        self.idle.set()

    # Requests running on this runtime: one replaced by a newer catalog version is closed once
    # they have finished (govshare.reload).
    in_flight: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def hold(self) -> Callable[[], None]:
        """Count one more request as running here, until the function returned is called."""
        self.in_flight += 1
        self.idle.clear()
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.in_flight -= 1
                if not self.in_flight:
                    self.idle.set()

        return release

    @contextlib.contextmanager
    def serving(self) -> Iterator[Runtime]:
        """Count a request as running here while the block runs."""
        release = self.hold()
        try:
            yield self
        finally:
            release()

    @property
    def catalog_version(self) -> int:
        """The catalog's version in the platform store (its id there)."""
        return self.policies.catalog_version


def table_refs(catalog: Catalog) -> dict[str, TableRef]:
    """The table shape of each resource, as its connector reads it."""
    return {
        resource.name: TableRef(
            name=resource.table,
            key=resource.key_item.column,
            columns={item.column: item.type for item in resource.items.values()},
        )
        for resource in catalog.resources.values()
    }


def source_credentials(catalog: Catalog, settings: Settings) -> dict[str, Credential]:
    """The credential of each source that has one, from the file the settings name
    (CredentialsError when it names a source the catalog does not have)."""
    if not settings.source_credentials:
        return {}
    return load_credentials(settings.source_credentials, catalog.sources)


def open_sources(catalog: Catalog, settings: Settings) -> dict[str, Connector]:
    """A connector for every source of ``catalog``, each told the tables the catalog reads from it."""
    credentials = source_credentials(catalog, settings)
    refs = table_refs(catalog)
    connectors: dict[str, Connector] = {}
    for name, source in catalog.sources.items():
        tables = [refs[r.name] for r in catalog.resources.values() if r.source == name]
        connectors[name] = open_connector(source, statement_timeout=settings.statement_timeout,
                                          credential=credentials.get(name), tables=tables)  # fmt: skip
    return connectors


async def prepare_sources(connectors: dict[str, Connector]) -> None:
    """Let every source say what it offers; one that cannot answer now is asked again before its
    first request (the platform starts without it)."""
    results = await asyncio.gather(*(c.prepare() for c in connectors.values()), return_exceptions=True)
    for name, result in zip(connectors, results, strict=True):
        if isinstance(result, SourceUnavailable):
            log.warning("source %s could not be asked what it offers: %s", name, result.reason)
        elif isinstance(result, BaseException):
            raise result


@contextlib.asynccontextmanager
async def opened_sources(catalog: Catalog, settings: Settings) -> AsyncIterator[dict[str, Connector]]:
    """A connector for every source of ``catalog`` (closed after), for a command that reads the
    sources without serving."""
    connectors = open_sources(catalog, settings)
    try:
        await prepare_sources(connectors)
        yield connectors
    finally:
        await asyncio.gather(*(c.close() for c in connectors.values()), return_exceptions=True)


async def open_runtime(catalog: Catalog, settings: Settings, *, poll: bool = True, from_file: bool = False) -> Runtime:
    """Connect to the platform database and every source; the policy version in force is loaded.
    ``from_file``: the catalog is the file the process started with (published unless a draft's
    publication came after it, store.catalogs)."""
    engine = store_engine(settings.effective_store_url)
    policies = PolicyStore(engine, catalog, settings.policy_poll)
    audit = platform_log(engine, settings)
    runtime = Runtime(catalog, settings, {}, policies, audit)
    try:
        await policies.start(poll=poll, from_file=from_file)
        runtime.connectors.update(open_sources(catalog, settings))
        await prepare_sources(runtime.connectors)
        if poll:
            runtime.tasks.append(asyncio.create_task(_count_forever(runtime), name="govshare-statistics"))
    except BaseException:
        await close_runtime(runtime)
        raise
    return runtime


async def _count_forever(runtime: Runtime) -> None:
    """Keep the sharing statistics up with the audit log (each process takes its turn on the store)."""
    providers = {r.name: r.provider for r in runtime.catalog.resources.values()}

    async def count() -> None:
        await statistics.roll_up(runtime.policies.engine, providers)

    await every(runtime.settings.stats_interval, count, log, "the sharing statistics could not be brought up to date")


async def close_runtime(runtime: Runtime) -> None:
    for task in runtime.tasks:
        task.cancel()
    await asyncio.gather(*runtime.tasks, return_exceptions=True)
    await runtime.audit.close()
    await runtime.policies.close()
    await asyncio.gather(*(c.close() for c in runtime.connectors.values()), return_exceptions=True)
    await runtime.policies.engine.dispose()
