"""Counting verification checks against a grant's daily quota, atomically on every database."""

from __future__ import annotations

import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare.store.tables import verify_checks


async def take_check(conn: AsyncConnection, grant_id: int, day: datetime.date, quota: int) -> int | None:
    """Count one check of ``grant_id`` on ``day``; the day's count, or None when the quota is used up.

    One statement, so that gateways sharing the store never let more than ``quota`` checks through.
    """
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(verify_checks)
        .values(grant_id=grant_id, day=day, checks=1)
        .on_conflict_do_update(
            index_elements=[verify_checks.c.grant_id, verify_checks.c.day],
            set_={"checks": verify_checks.c.checks + 1},
            where=verify_checks.c.checks < quota,
        )
        .returning(verify_checks.c.checks)
    )
    taken = (await conn.execute(statement)).scalar_one_or_none()
    return None if taken is None else int(taken)
