"""The platform a command works on: the database in the data directory and the catalog it serves.

A command never creates a platform: the server does (`govshare serve` or `govshare demo`).
A data directory without a platform database is most often the wrong one, and saying so
beats acting on a new, empty platform that no server uses.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from typing import TYPE_CHECKING

from govshare.commands.errors import CommandError
from govshare.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from govshare.catalog import Catalog
    from govshare.policies.live import PolicyStore


def _start_hint(settings: Settings) -> str:
    where = settings.data_dir
    return (f"start `govshare serve --catalog FILE --dir {where}` (or `govshare demo --dir {where}`) once, "
            "or give the --dir of the running platform")  # fmt: skip


def require_platform(settings: Settings) -> None:
    """Refuse a data directory without a platform database (with a store of its own, the server's URL)."""
    if not settings.store_url and not settings.default_store_file.is_file():
        raise CommandError(f"there is no platform database in {settings.data_dir} (no catalog yet): "
                           + _start_hint(settings))  # fmt: skip


def _no_catalog(settings: Settings) -> CommandError:
    return CommandError(f"the platform database in {settings.data_dir} has no catalog yet: " + _start_hint(settings))


def _parsed(path: str, text: str) -> Catalog:
    from govshare.catalog import CatalogError, parse_catalog  # not for the commands that need no catalog

    try:
        return parse_catalog(text, path)
    except CatalogError as exc:
        raise CommandError(f"the recorded catalog {path} no longer parses: {exc.problems[0]}") from None


async def _newest(engine: AsyncEngine) -> Catalog | None:
    from govshare.store.catalogs import newest_catalog

    async with engine.connect() as conn:
        found = await newest_catalog(conn)
    return _parsed(*found) if found else None


async def recorded_catalog(engine: AsyncEngine, settings: Settings) -> Catalog:
    """The catalog the gateway serves, as recorded in the platform database (of current schema)."""
    found = await _newest(engine)
    if found is None:
        raise _no_catalog(settings)
    return found


def served_catalog(settings: Settings) -> Catalog | None:
    """The catalog the platform serves, read without opening the store; None before there is one.

    For the default SQLite store this reads the file directly: a command like `token issue` then
    starts without loading SQLAlchemy. Another store is read through the store's own code.
    """
    if settings.store_url:
        import asyncio

        return asyncio.run(_served_by_store(settings))
    if not settings.default_store_file.is_file():
        return None
    uri = f"{settings.default_store_file.as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as db:
        try:
            row = db.execute(
                "SELECT path, text FROM catalog_versions ORDER BY loaded_at DESC, id DESC LIMIT 1"
            ).fetchone()
        except sqlite3.OperationalError:  # no tables yet
            row = None
    return _parsed(row[0], row[1]) if row else None


async def _served_by_store(settings: Settings) -> Catalog | None:
    async with platform_engine(settings) as engine:
        return await _newest(engine)


@asynccontextmanager
async def platform_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The platform database, its schema brought up to date (cheap when it is already)."""
    from govshare.store.database import migrate, store_engine

    require_platform(settings)
    engine = store_engine(settings.effective_store_url)
    try:
        await migrate(engine)
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def policy_store(settings: Settings) -> AsyncIterator[PolicyStore]:
    """The policy store over the served catalog, as the gateway runs it (without polling)."""
    from govshare.policies.live import PolicyStore

    async with platform_engine(settings) as engine:
        store = PolicyStore(engine, await recorded_catalog(engine, settings))
        await store.start(poll=False)
        yield store
