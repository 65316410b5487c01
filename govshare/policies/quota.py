"""The verify quota: verification answers one yes/no question per check, so checks are counted.

Without a count, verify-only would read any item whose candidates can be enumerated (dates,
short codes) by checking them all. Each verify grant allows a number of checks per day,
counted in the platform database so that every gateway sharing it counts the same; an
operation may make only a few checks, so that aliases cannot multiply one request.
"""

from __future__ import annotations

import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from govshare.clock import CHINA
from govshare.errors import QUERY_TOO_COMPLEX, QUOTA_EXCEEDED, GovshareError
from govshare.store.quotas import take_check


def resets_at(today: datetime.date) -> datetime.datetime:
    """Quotas are per day in China Standard Time: the next midnight there."""
    return datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(), tzinfo=CHINA)


async def count_check(engine: AsyncEngine, grant_id: int, owner: str, today: datetime.date, quota: int) -> None:
    """Count one check through ``grant_id``, or raise QUOTA_EXCEEDED when its day's checks are used up."""
    async with engine.begin() as conn:
        taken = await take_check(conn, grant_id, today, quota)
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
