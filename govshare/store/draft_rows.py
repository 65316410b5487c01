"""Drafts of catalog entries: a provider writes one, submits it, the authority publishes or returns it.

A draft moves only out of the state it was read in (:func:`move`), so two steps taken at the
same moment cannot both succeed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare.store.rows import from_row
from govshare.store.tables import catalog_drafts as table
from govshare.store.tables import catalog_versions

DRAFT, SUBMITTED, RETURNED, PUBLISHED, WITHDRAWN = "draft", "submitted", "returned", "published", "withdrawn"
STATES = (DRAFT, SUBMITTED, RETURNED, PUBLISHED, WITHDRAWN)
EDITABLE = (DRAFT, RETURNED)  # the provider may still change the text


@dataclass(frozen=True, slots=True)
class Draft:
    """One resource's entry as a department proposes it; ``text`` empty: the resource is removed."""

    id: int
    department: str
    resource: str
    text: str
    state: str
    reasons: str | None
    base_version: int | None  # the catalog version it was written against
    published_version: int | None
    created_by: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    reviewed_by: str | None
    reviewed_at: datetime.datetime | None

    @property
    def removes(self) -> bool:
        return not self.text.strip()


async def insert_draft(
    conn: AsyncConnection,
    *,
    department: str,
    resource: str,
    text: str,
    by: str,
    now: datetime.datetime,
    base_version: int | None,
) -> int:
    result = await conn.execute(
        table.insert().values(
            department=department, resource=resource, text=text, state=DRAFT, base_version=base_version,
            created_by=by, created_at=now, updated_at=now,
        )
    )  # fmt: skip
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


async def get_draft(conn: AsyncConnection, draft_id: int) -> Draft | None:
    row = (await conn.execute(select(table).where(table.c.id == draft_id))).first()
    return from_row(Draft, row) if row is not None else None


async def list_drafts(conn: AsyncConnection, *, department: str | None = None, state: str | None = None) -> list[Draft]:
    """Drafts, newest first; of one department, in one state, when given."""
    where: list[ColumnElement[bool]] = []
    if department is not None:
        where.append(table.c.department == department)
    if state is not None:
        where.append(table.c.state == state)
    rows = await conn.execute(select(table).where(*where).order_by(table.c.id.desc()))
    return [from_row(Draft, row) for row in rows]


async def update_text(
    conn: AsyncConnection, draft_id: int, *, resource: str, text: str, now: datetime.datetime, base_version: int | None
) -> bool:
    """Replace an editable draft's text (a returned one becomes a draft again); False when it is not editable."""
    result = await conn.execute(
        update(table)
        .where(table.c.id == draft_id, table.c.state.in_(EDITABLE))
        .values(resource=resource, text=text, state=DRAFT, base_version=base_version, updated_at=now)
    )
    return result.rowcount == 1


async def move(
    conn: AsyncConnection,
    draft_id: int,
    from_states: tuple[str, ...],
    to_state: str,
    now: datetime.datetime,
    **values: Any,
) -> bool:
    """Move a draft out of one of ``from_states``; False when another step moved it first."""
    assert to_state in STATES
    result = await conn.execute(
        update(table)
        .where(table.c.id == draft_id, table.c.state.in_(from_states))
        .values(state=to_state, updated_at=now, **values)
    )
    return result.rowcount == 1


async def catalog_version_of(conn: AsyncConnection, digest: str) -> int | None:
    """The recorded version of the catalog text with ``digest``, if it was recorded."""
    found = await conn.execute(select(catalog_versions.c.id).where(catalog_versions.c.digest == digest))
    version = found.scalar()
    return int(version) if version is not None else None
