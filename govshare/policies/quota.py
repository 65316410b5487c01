"""The verify quota: verification answers one yes/no question per check, so checks are counted.

Without a count, verify-only would read any item whose candidates can be enumerated (dates,
short codes) by checking them all. Each verify grant allows a number of checks per day,
counted in the platform database so that every gateway sharing it counts the same; an
operation may make only a few checks, so that aliases cannot multiply one request.
"""

from __future__ import annotations

import datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from govshare.clock import CHINA
from govshare.errors import QUERY_TOO_COMPLEX, QUOTA_EXCEEDED, SOURCE_UNAVAILABLE, GovshareError
from govshare.store.database import lock_timed_out, lock_wait
from govshare.store.quotas import take_check

LOCK_WAIT = 5.0  # seconds a check waits for another writer of the platform database


def resets_at(today: datetime.date) -> datetime.datetime:
    """Quotas are per day in China Standard Time: the next midnight there."""
    return datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(), tzinfo=CHINA)


async def count_check(engine: AsyncEngine, grant_id: int, owner: str, today: datetime.date, quota: int) -> None:
    """Count one check through ``grant_id``, or raise QUOTA_EXCEEDED when its day's checks are used up."""
    try:
        async with engine.begin() as conn, lock_wait(conn, LOCK_WAIT):
            taken = await take_check(conn, grant_id, today, quota)
    except DBAPIError as exc:
        if not lock_timed_out(exc):
            raise
        raise GovshareError(
            SOURCE_UNAVAILABLE,
            "verification checks are counted in the platform database, which is busy; the check was not made, "
            "retry shortly",
            source="platform",
        ) from None
    if taken is None:
        reset = resets_at(today)
        raise GovshareError(
            QUOTA_EXCEEDED,
            f"grant {grant_id} allows {quota} verification checks of {owner} a day, and today's are used up; "
            f"checks are possible again from {reset.isoformat()}",
            grant=grant_id,
            quota=quota,
            resetAt=reset.isoformat(),
        )


def too_many_checks(asked: int, cap: int) -> GovshareError:
    return GovshareError(
        QUERY_TOO_COMPLEX,
        f"the operation asks for {asked} verification checks; at most {cap} are made per operation, "
        "so none was made: send them in several operations",
        limit=cap,
    )
