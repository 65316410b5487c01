"""Structural performance facts: statements per level and the columns they select."""

from __future__ import annotations

import re

from tests.testville import RESIDENTS, Client

THREE_LEVELS = """{ residents(first: 1000%s) { %s nodes { fullName vehicles { brand inspections { year } } } } }"""


def _selected_columns(sql: str) -> set[str]:
    listed = re.search(r"SELECT (.*?)\s+FROM", sql, re.S)
    assert listed, sql
    return {part.strip().split(".")[-1].strip('"`') for part in listed.group(1).split(",")}


async def test_three_levels_over_1000_rows_take_one_statement_per_source_per_level(
    client: Client, statements: list[tuple[str, str]]
) -> None:
    outcome = await client.run(THREE_LEVELS % ("", ""))
    assert "errors" not in outcome.body
    assert len(outcome.body["data"]["residents"]["nodes"]) == RESIDENTS
    assert [db for db, _ in statements] == ["civil_db", "vehicle_db", "inspect_db"]
    civil, vehicles, inspections = (sql for _, sql in statements)
    # Only what was asked for, plus the keys and join items the next level needs.
    assert _selected_columns(civil) == {"resident_id", "full_name"}
    assert _selected_columns(vehicles) == {"plate", "owner_id", "brand"}
    assert _selected_columns(inspections) == {"inspection_id", "plate", "year"}
    assert " IN " in vehicles and " IN " in inspections


async def test_total_count_adds_exactly_one_statement(client: Client, statements: list[tuple[str, str]]) -> None:
    outcome = await client.run(THREE_LEVELS % ("", "totalCount"))
    assert outcome.body["data"]["residents"]["totalCount"] == RESIDENTS
    assert sorted(db for db, _ in statements) == sorted(["civil_db", "civil_db", "vehicle_db", "inspect_db"])
    assert sum("count(*)" in sql.lower() for _, sql in statements) == 1


async def test_filters_order_and_limit_are_pushed_down(client: Client, statements: list[tuple[str, str]]) -> None:
    await client.run(
        '{ residents(first: 7, filter: {district: {eq: "east"}}, orderBy: [{score: DESC}]) { nodes { fullName } } }'
    )
    [(_, sql)] = statements
    assert "WHERE" in sql and "ORDER BY" in sql and "LIMIT" in sql


async def test_repeated_lookups_are_batched_and_deduplicated(client: Client, statements: list[tuple[str, str]]) -> None:
    data = await client.data(
        '{ a: resident(residentId: "r00001") { fullName } b: resident(residentId: "r00002") { fullName }'
        '  c: resident(residentId: "r00001") { fullName } }'
    )
    assert data["a"] == data["c"] and data["b"]["fullName"]
    assert len(statements) == 1
