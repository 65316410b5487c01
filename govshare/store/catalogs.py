"""Catalogs the platform has served and published: the one in force is the one published last.

Every distinct catalog text a gateway loads is recorded (tools and replays read the catalog in
force from here). Publishing gives a text the next place in the order of publication, whether
it came from the file a process started with (``record_file_catalog``) or from a department's
draft the authority approved (``publish_catalog``); every gateway process sharing the store
serves the newest (govshare.reload).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare.catalog.model import Catalog
from govshare.store.tables import catalog_versions


@dataclass(frozen=True, slots=True)
class Published:
    """A published catalog: its version (the row id), its place in the order of publication, its text."""

    version: int
    seq: int
    path: str
    text: str
    by: str


FILE = "file:"  # how a publication from the file a process started with is signed


async def record_catalog(conn: AsyncConnection, catalog: Catalog, now: datetime.datetime) -> int:
    """Remember ``catalog`` as the newest one served (once per distinct text); its version id."""
    found = (
        await conn.execute(select(catalog_versions.c.id).where(catalog_versions.c.digest == catalog.digest))
    ).first()
    if found is not None:
        await conn.execute(catalog_versions.update().where(catalog_versions.c.id == found.id).values(loaded_at=now))
        return int(found.id)
    inserted = await conn.execute(
        catalog_versions.insert()
        .values(digest=catalog.digest, path=catalog.path, text=catalog.text, loaded_at=now, first_loaded_at=now)
        .returning(catalog_versions.c.id)
    )
    return int(inserted.scalar_one())


async def record_file_catalog(conn: AsyncConnection, catalog: Catalog, now: datetime.datetime) -> int:
    """Record the catalog of the file a process starts with, and publish it, unless the catalog in
    force was published from a department's draft: the file then predates it (an edited file, a
    text never published, replaces it). Its version id."""
    version = await record_catalog(conn, catalog, now)
    newest = await published_catalog(conn)
    if newest is None or (
        newest.version != version and (newest.by.startswith(FILE) or not await _published(conn, version))
    ):
        await _publish(conn, version, FILE + catalog.path, now)
    return version


async def _published(conn: AsyncConnection, version: int) -> bool:
    seq = (
        await conn.execute(select(catalog_versions.c.published_seq).where(catalog_versions.c.id == version))
    ).scalar()
    return seq is not None


async def publish_catalog(conn: AsyncConnection, catalog: Catalog, by: str, now: datetime.datetime) -> int:
    """Publish ``catalog`` (recorded if new; published again if it was before): its version id."""
    version = await record_catalog(conn, catalog, now)
    await _publish(conn, version, by, now)
    return version


async def _publish(conn: AsyncConnection, version: int, by: str, now: datetime.datetime) -> None:
    last = (await conn.execute(select(func.max(catalog_versions.c.published_seq)))).scalar()
    await conn.execute(
        catalog_versions.update()
        .where(catalog_versions.c.id == version)
        .values(published_seq=(last or 0) + 1, published_at=now, published_by=by)
    )


async def published_catalog(conn: AsyncConnection) -> Published | None:
    """The catalog in force: the one published last, or None before any was."""
    c = catalog_versions.c
    row = (
        await conn.execute(
            select(c.id, c.published_seq, c.path, c.text, c.published_by)
            .where(c.published_seq.is_not(None))
            .order_by(c.published_seq.desc())
            .limit(1)
        )
    ).first()
    return Published(row.id, row.published_seq, row.path, row.text, row.published_by) if row is not None else None


async def newest_catalog(conn: AsyncConnection) -> tuple[str, str] | None:
    """(path, text) of the catalog in force: the one published last, else the one served most recently."""
    published = await published_catalog(conn)
    if published is not None:
        return published.path, published.text
    row = (
        await conn.execute(
            select(catalog_versions.c.path, catalog_versions.c.text)
            .order_by(catalog_versions.c.loaded_at.desc(), catalog_versions.c.id.desc())
            .limit(1)
        )
    ).first()
    return (row.path, row.text) if row is not None else None
