"""Stored policy versions: append-only, each with the full policy text."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare.store.rows import from_row
from govshare.store.tables import policy_lock, policy_versions


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    id: int
    created_at: datetime.datetime
    actor_department: str
    actor_user: str
    reason: str
    catalog_digest: str
    policy_digest: str
    policy_text: str


async def lock_policy(conn: AsyncConnection) -> None:
    """Serialise policy changes: held until the transaction ends, on SQLite and PostgreSQL."""
    await conn.execute(update(policy_lock).where(policy_lock.c.id == 1).values(changes=policy_lock.c.changes + 1))


async def latest_version_id(conn: AsyncConnection) -> int | None:
    value = (await conn.execute(select(func.max(policy_versions.c.id)))).scalar()
    return int(value) if value is not None else None


async def get_version(conn: AsyncConnection, version_id: int) -> PolicyVersion | None:
    row = (await conn.execute(select(policy_versions).where(policy_versions.c.id == version_id))).first()
    if row is None:
        return None
    return from_row(PolicyVersion, row)


async def insert_version(
    conn: AsyncConnection,
    *,
    now: datetime.datetime,
    department: str,
    user: str,
    reason: str,
    catalog_digest: str,
    policy_digest: str,
    policy_text: str,
) -> int:
    result = await conn.execute(
        policy_versions.insert().values(
            created_at=now,
            actor_department=department,
            actor_user=user,
            reason=reason,
            catalog_digest=catalog_digest,
            policy_digest=policy_digest,
            policy_text=policy_text,
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])
