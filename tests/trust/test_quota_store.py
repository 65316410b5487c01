"""The verify quota's count on both platform databases: never more checks than the quota, even at once."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from govshare import clock
from govshare.errors import GovshareError
from govshare.policies.quota import count_check
from govshare.store import grant_rows as grant_rows
from govshare.store.database import migrate, store_engine
from govshare.store.grant_rows import NewGrant

DAY = datetime.date(2026, 12, 2)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'platform.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


async def _grant(engine: AsyncEngine) -> int:
    await migrate(engine)
    async with engine.begin() as conn:
        new = NewGrant("market", "Person", ("address",), ("data_verification",), "verify")
        return await grant_rows.insert_grant(conn, new, by="tests", now=clock.now())


async def _outcomes(engine: AsyncEngine, grant: int, day: datetime.date, checks: int) -> list[str]:
    async def check() -> str:
        try:
            await count_check(engine, grant, "Person.address", day, 7)
        except GovshareError as exc:
            return exc.code
        return "made"

    return list(await asyncio.gather(*(check() for _ in range(checks))))


async def test_concurrent_checks_never_pass_the_quota(store: str) -> None:
    engine = store_engine(store)
    try:
        grant = await _grant(engine)
        outcomes = await _outcomes(engine, grant, DAY, 20)
        assert outcomes.count("made") == 7 and outcomes.count("QUOTA_EXCEEDED") == 13
        # The next day starts afresh; another grant counts on its own.
        assert (await _outcomes(engine, grant, DAY + datetime.timedelta(days=1), 3)).count("made") == 3
        other = await _grant(engine)
        assert (await _outcomes(engine, other, DAY, 8)).count("made") == 7
    finally:
        await engine.dispose()
