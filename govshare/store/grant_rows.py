"""Grants: a department's right to conditional (or, by coordination, withheld) items."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare.store.rows import from_row
from govshare.store.shares import Share
from govshare.store.tables import grants

EFFECTS = ("allow", "mask", "verify")
ORIGINS = ("authority", "application", "coordination")


@dataclass(frozen=True, slots=True)
class Grant:
    id: int
    department: str
    resource: str
    items: tuple[str, ...]
    purposes: tuple[str, ...]
    effect: str
    scope: dict[str, Any] | None
    valid_until: datetime.date | None
    origin: str
    origin_id: int | None
    created_at: datetime.datetime
    created_by: str
    reason: str | None
    revoked_at: datetime.datetime | None
    revoked_by: str | None
    revoke_reason: str | None
    policy_version: int | None = None  # the version the grant created

    def active_on(self, day: datetime.date) -> bool:
        return self.revoked_at is None and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True, slots=True, init=False)
class NewGrant:
    """A grant to make: a share, the effect it gives, and where it comes from."""

    share: Share
    effect: str
    origin: str = "authority"  # authority (a direct grant), application or coordination
    origin_id: int | None = None  # the application or coordination it answers
    reason: str | None = None

    # Every path (GraphQL, the command line, workflows, tests) names a grant flat.
    def __init__(
        self,
        department: str,
        resource: str,
        items: tuple[str, ...],
        purposes: tuple[str, ...],
        effect: str,
        scope: dict[str, Any] | None = None,
        valid_until: datetime.date | None = None,
        origin: str = "authority",
        origin_id: int | None = None,
        reason: str | None = None,
    ) -> None:
        set_field = object.__setattr__  # the dataclass is frozen
        set_field(self, "share", Share(department, resource, items, purposes, scope, valid_until))
        set_field(self, "effect", effect)
        set_field(self, "origin", origin)
        set_field(self, "origin_id", origin_id)
        set_field(self, "reason", reason)


def _grant(row: Row[Any]) -> Grant:
    return from_row(Grant, row)


async def insert_grant(conn: AsyncConnection, new: NewGrant, *, by: str, now: datetime.datetime) -> int:
    result = await conn.execute(
        grants.insert().values(
            **new.share.columns(),
            effect=new.effect,
            origin=new.origin,
            origin_id=new.origin_id,
            created_at=now,
            created_by=by,
            reason=new.reason,
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


async def revoke_grant(
    conn: AsyncConnection, grant_id: int, *, by: str, reason: str | None, now: datetime.datetime
) -> bool:
    """Mark a grant revoked; False when it does not exist or was revoked already."""
    result = await conn.execute(
        update(grants)
        .where(grants.c.id == grant_id, grants.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=by, revoke_reason=reason)
    )
    return result.rowcount == 1


async def set_policy_version(conn: AsyncConnection, grant_id: int, version: int) -> None:
    await conn.execute(update(grants).where(grants.c.id == grant_id).values(policy_version=version))


async def get_grant(conn: AsyncConnection, grant_id: int) -> Grant | None:
    row = (await conn.execute(select(grants).where(grants.c.id == grant_id))).first()
    return _grant(row) if row is not None else None


async def list_grants(
    conn: AsyncConnection, *, department: str | None = None, resource: str | None = None
) -> list[Grant]:
    stmt = select(grants).order_by(grants.c.id)
    if department is not None:
        stmt = stmt.where(grants.c.department == department)
    if resource is not None:
        stmt = stmt.where(grants.c.resource == resource)
    return [_grant(row) for row in await conn.execute(stmt)]


async def unrevoked_grants(conn: AsyncConnection) -> list[Grant]:
    stmt = select(grants).where(grants.c.revoked_at.is_(None)).order_by(grants.c.id)
    return [_grant(row) for row in await conn.execute(stmt)]


async def ending_grants(conn: AsyncConnection) -> list[Grant]:
    """Grants that are revoked or have an end date: those that have ended or will."""
    stmt = select(grants).where(grants.c.revoked_at.is_not(None) | grants.c.valid_until.is_not(None))
    return [_grant(row) for row in await conn.execute(stmt.order_by(grants.c.id))]
