"""Catalogs the platform has served: tools read the one in force from here."""

from __future__ import annotations

import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare.catalog.model import Catalog
from govshare.store.tables import catalog_versions


async def record_catalog(conn: AsyncConnection, catalog: Catalog, now: datetime.datetime) -> None:
    """Remember ``catalog`` as the newest one served (once per distinct text)."""
    found = (
        await conn.execute(select(catalog_versions.c.id).where(catalog_versions.c.digest == catalog.digest))
    ).first()
    if found is not None:
        await conn.execute(catalog_versions.update().where(catalog_versions.c.id == found.id).values(loaded_at=now))
        return
    await conn.execute(
        catalog_versions.insert().values(
            digest=catalog.digest, path=catalog.path, text=catalog.text, loaded_at=now, first_loaded_at=now
        )
    )


async def newest_catalog(conn: AsyncConnection) -> tuple[str, str] | None:
    """(path, text) of the catalog served most recently, or None before any was."""
    row = (
        await conn.execute(
            select(catalog_versions.c.path, catalog_versions.c.text)
            .order_by(catalog_versions.c.loaded_at.desc(), catalog_versions.c.id.desc())
            .limit(1)
        )
    ).first()
    return (row.path, row.text) if row is not None else None
