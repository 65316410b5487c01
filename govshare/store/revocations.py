"""Revoked bearer tokens: a token's jti and the moment until which it is refused."""

from __future__ import annotations

import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare import clock
from govshare.store.tables import revoked_tokens


async def revoke_token(
    conn: AsyncConnection, jti: str, until: datetime.datetime, by: str, reason: str | None, now: datetime.datetime
) -> None:
    """Refuse the token ``jti`` until ``until``; revoking it again sets a new moment (sooner or later)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    values = {"revoked_until": until, "revoked_at": now, "revoked_by": by, "reason": reason}
    statement = insert(revoked_tokens).values(jti=jti, **values)
    await conn.execute(statement.on_conflict_do_update(index_elements=[revoked_tokens.c.jti], set_=values))
    # Revocations past their moment refuse nothing any more.
    await conn.execute(delete(revoked_tokens).where(revoked_tokens.c.revoked_until <= now))


async def revoked_now(conn: AsyncConnection, now: datetime.datetime) -> dict[str, datetime.datetime]:
    """The jti of every token refused at ``now``, and until when (UTC)."""
    rows = await conn.execute(
        select(revoked_tokens.c.jti, revoked_tokens.c.revoked_until).where(revoked_tokens.c.revoked_until > now)
    )
    return {row.jti: clock.as_utc(row.revoked_until) for row in rows}
