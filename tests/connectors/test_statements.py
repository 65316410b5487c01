"""The SQL connector's compiled statements (connectors.sql_statements), on every SQL source.

A request shape is built and compiled once; later requests of that shape only pull
their values out. Answers must stay what the conformance suite expects.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from govshare.connectors import And, Cmp, Count, Filter, Not, OrderKey, Select, SqlConnector
from govshare.connectors.sql_statements import Compiled, StatementCache
from tests.connectors.conftest import TABLE, Target, open_kind
from tests.connectors.test_conformance import ALL, as_tuples, by_key, first_per, matching, ordered


@pytest.fixture(
    params=[
        pytest.param("sqlite"),
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ]
)
async def sql(request: pytest.FixtureRequest) -> AsyncIterator[SqlConnector]:
    target: Target = request.getfixturevalue(f"{request.param}_target")
    connector = open_kind(target.kind, target.url, 10.0)
    assert isinstance(connector, SqlConnector)
    yield connector
    await connector.close()


def _keys(*numbers: int) -> tuple[str, ...]:
    return tuple(f"k{i:03d}" for i in numbers)


async def _second_compiles_nothing(
    sql: SqlConnector, first: Awaitable[Any], second: Callable[[], Awaitable[Any]]
) -> Any:
    """Await ``first``, then ``second()`` of the same shape: no new statement. Its answer."""
    await first
    cache = sql.statements
    before = (cache.misses, cache.hits, len(cache))
    answer = await second()
    assert (cache.misses, cache.hits, len(cache)) == (before[0], before[1] + 1, before[2])
    return answer


def _page(keys: tuple[str, ...], day: date) -> Filter:
    return And((Cmp("id", "in", keys), Not(Cmp("day", "lt", day)), Cmp("name", "ne", None)))


async def test_a_shape_seen_before_compiles_nothing(sql: SqlConnector) -> None:
    order = (OrderKey("n", True), OrderKey("id"))
    first = Select(TABLE, ALL, _page(_keys(1, 2, 3), date(2024, 1, 3)), order, None, 2)
    where = _page(_keys(5, 8, 9, 10), date(2024, 1, 2))  # 4 values: the same bucket as 3
    second = Select(TABLE, ALL, where, order, None, 3)
    rows = await _second_compiles_nothing(sql, sql.select(first), lambda: sql.select(second))
    assert rows == as_tuples(ordered(matching(where), order))[:3]


async def test_pages_groups_and_counts_reuse_their_statements(sql: SqlConnector) -> None:
    order = (OrderKey("x"), OrderKey("id"))
    after = Select(TABLE, ALL, None, order, (0.1, "k007"), 4)
    later = Select(TABLE, ALL, None, order, (2.5, "k005"), 4)
    rows = await _second_compiles_nothing(sql, sql.select(after), lambda: sql.select(later))
    expected = [r for r in ordered(matching(None), order) if r["x"] is not None and (r["x"], r["id"]) > (2.5, "k005")]
    assert rows == as_tuples(expected[:4])
    per = Select(TABLE, ("id",), Cmp("n", "gte", 0), order, None, 1, "flag")
    more = Select(TABLE, ("id",), Cmp("n", "gte", -3), order, None, 2, "flag")
    rows = await _second_compiles_nothing(sql, sql.select(per), lambda: sql.select(more))
    assert rows == as_tuples(first_per(ordered(matching(Cmp("n", "gte", -3)), order), "flag", 2), ("id",))
    total = await _second_compiles_nothing(
        sql, sql.count(Count(TABLE, Cmp("flag", "eq", True))), lambda: sql.count(Count(TABLE, Cmp("flag", "eq", False)))
    )
    assert total == len(matching(Cmp("flag", "eq", False)))


async def test_null_where_it_changes_the_sql_is_another_shape(sql: SqlConnector) -> None:
    for where in (Cmp("n", "eq", 3), Cmp("n", "eq", None), Cmp("n", "in", (3, None)), Cmp("n", "in", (3, 4))):
        assert await sql.select(Select(TABLE, ALL, where, (OrderKey("id"),))) == by_key(where)
    assert sql.statements.misses == 4 and sql.statements.hits == 0


@pytest.mark.postgres
async def test_postgres_binds_a_list_as_one_typed_array(postgres_target: Target) -> None:
    sql = open_kind("postgres", postgres_target.url, 10.0)
    assert isinstance(sql, SqlConnector)
    try:
        cases = [
            (Cmp("id", "in", _keys(*range(1000))), "items.id = ANY ($1::VARCHAR[])"),
            (Cmp("n", "nin", (1, 2, None)), "items.n != ALL ($1::BIGINT[])"),
            (Cmp("day", "in", (date(2024, 1, 3),)), "items.day = ANY ($1::DATE[])"),
        ]
        for where, expected in cases:
            assert await sql.select(Select(TABLE, ALL, where, (OrderKey("id"),))) == by_key(where)
            [compiled] = [c for c in sql.statements.statements() if expected in c.sql]
            assert compiled.sql.count("$") == 1, compiled.sql
    finally:
        await sql.close()


async def test_lists_share_a_statement_per_bucket(sql: SqlConnector) -> None:
    for size in (3, 4, 500, 512, 4_097, 5_000):
        where = Cmp("id", "in", _keys(*range(size)))
        rows = await sql.select(Select(TABLE, ("id",), where, (OrderKey("id"),)))
        assert rows == [row[:1] for row in by_key(where)]
    arrays = all("ANY" in c.sql for c in sql.statements.statements())
    assert len(sql.statements) == (1 if arrays else 3)  # one array, or buckets of 4, 512 and 5,120


async def test_five_thousand_keys_with_null(sql: SqlConnector) -> None:
    numbers = (None, *range(-2_500, 2_499))
    for op in ("in", "nin"):
        where = Cmp("n", op, numbers)
        assert await sql.select(Select(TABLE, ALL, where, (OrderKey("id"),))) == by_key(where)
        assert await sql.select(Select(TABLE, ALL, Not(where), (OrderKey("id"),))) == by_key(Not(where))


async def test_dates_and_booleans_come_back_typed_every_time(sql: SqlConnector) -> None:
    request = Select(TABLE, ("day", "flag", "at"), Cmp("id", "in", _keys(*range(12))), (OrderKey("id"),))
    for _ in range(2):  # compiled, then from the cache
        rows = await sql.select(request)
        assert rows == as_tuples(ordered(matching(request.where), [OrderKey("id")]), ("day", "flag", "at"))
        assert {type(v) for row in rows for v in row} == {date, bool, datetime, type(None)}


def test_the_cache_keeps_the_most_recently_used_shapes() -> None:
    cache = StatementCache(size=2)
    made = [Compiled.__new__(Compiled) for _ in range(3)]
    cache.put("a", made[0])
    cache.put("b", made[1])
    assert cache.get("a") is made[0]  # now the most recent
    cache.put("c", made[2])
    assert cache.get("b") is None and cache.get("a") is made[0] and cache.get("c") is made[2]
    assert (cache.hits, cache.misses, len(cache)) == (3, 1, 2)


async def test_a_statement_with_values_in_its_text_runs_through_sqlalchemy(sqlite_target: Target) -> None:
    # Some dialects render values into the SQL (SQL Server's TOP): such shapes are not run as driver SQL.
    sql = open_kind("sqlite", sqlite_target.url, 10.0)
    assert isinstance(sql, SqlConnector)
    try:
        value = sa.bindparam("v0", type_=sa.Integer(), literal_execute=True)
        stmt: sa.Select[Any] = sa.select(sa.literal_column("1")).where(value == 1)
        compiled = sql._statements._compile(stmt, 1)
        assert compiled.statement is not None
        assert await sql._fetch(compiled, [1]) == [(1,)]
        assert await sql._fetch(compiled, [2]) == []
    finally:
        await sql.close()


@pytest.mark.postgres
async def test_a_burst_waits_for_the_fixed_pool(postgres_target: Target) -> None:
    sql = SqlConnector("burst", postgres_target.url, pool_size=2)
    opened: list[object] = []
    sa.event.listen(sql._engine.sync_engine, "connect", lambda *_: opened.append(None))
    try:
        requests = [Select(TABLE, ("id",), Cmp("id", "in", _keys(i)), (OrderKey("id"),)) for i in range(12)]
        answers = await asyncio.gather(*(sql.select(r) for r in requests))
        assert answers == [[(f"k{i:03d}",)] for i in range(12)]
        assert len(opened) <= 2  # no overflow connections opened (and closed again)
    finally:
        await sql.close()
