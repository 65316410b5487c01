"""PostgreSQL through asyncpg directly: the connections that path keeps checked out.

More statements at once than the pool has connections all get their rows; a
statement shape running for the first time (through SQLAlchemy) is not starved
by them; statements cancelled while they wait leak no connection; and closing
the connector leaves nothing open on the server.
"""

from __future__ import annotations

import asyncio

import asyncpg

from govshare.catalog.model import Source
from govshare.connectors import Connector, open_connector
from govshare.connectors.base import Select
from govshare.filters import Cmp, OrderKey
from tests.connectors.conftest import COLUMNS, TABLE, Target, _row

ALL = tuple(COLUMNS)
POOL = 3
HANG = 30.0  # a bound on a wait that would otherwise never end (not a measure of speed)


def _open(target: Target) -> Connector:
    options: dict[str, object] = {"statement_timeout": 5.0, "connect_timeout": 5.0, "pool_size": POOL}
    return open_connector(Source("held", "test", "sql", target.url, options))


def _by_key(key: str) -> Select:
    return Select(TABLE, ALL, Cmp("id", "in", (key,)), (OrderKey("id"),))


async def _connections(target: Target) -> int:
    dsn = target.url.replace("postgresql+asyncpg://", "postgresql://", 1)
    server = await asyncpg.connect(dsn)
    try:
        found = await server.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(found)
    finally:
        await server.close()


async def test_more_statements_than_connections_all_get_their_rows(postgres_target: Target) -> None:
    connector = _open(postgres_target)
    try:
        await connector.select(_by_key("k001"))  # the shape runs once through SQLAlchemy, then directly
        keys = [f"k{i % 40:03d}" for i in range(200)]
        found = await asyncio.wait_for(asyncio.gather(*(connector.select(_by_key(k)) for k in keys)), HANG)
        assert [rows[0][0] for rows in found] == keys
        assert [rows[0][1] for rows in found] == [_row(i % 40)["name"] for i in range(200)]
    finally:
        await connector.close()


async def test_a_new_statement_shape_runs_while_direct_statements_hold_the_connections(
    postgres_target: Target,
) -> None:
    connector = _open(postgres_target)
    try:
        await connector.select(_by_key("k001"))
        direct = [connector.select(_by_key(f"k{i % 40:03d}")) for i in range(60)]
        # Every round a shape never seen before: each goes through SQLAlchemy's pool.
        fresh = [
            connector.select(Select(TABLE, ALL[: 1 + n % 6], None, (OrderKey("id"),), limit=n + 1)) for n in range(6)
        ]
        done = await asyncio.wait_for(asyncio.gather(*direct, *fresh), HANG)
        assert [len(rows) for rows in done[60:]] == [n + 1 for n in range(6)]
    finally:
        await connector.close()


async def test_statements_cancelled_while_waiting_leak_no_connection(postgres_target: Target) -> None:
    connector = _open(postgres_target)
    try:
        await connector.select(_by_key("k001"))
        for _ in range(5):
            waiting = [asyncio.ensure_future(connector.select(_by_key("k002"))) for _ in range(12)]
            await asyncio.sleep(0)
            for task in waiting[::2]:
                task.cancel()
            await asyncio.gather(*waiting, return_exceptions=True)
        after = await asyncio.wait_for(asyncio.gather(*(connector.select(_by_key("k003")) for _ in range(30))), HANG)
        assert all(rows[0][0] == "k003" for rows in after)
        assert await _connections(postgres_target) <= POOL
    finally:
        await connector.close()
    assert await _connections(postgres_target) == 0
