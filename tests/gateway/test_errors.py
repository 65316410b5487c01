"""Every way a request can go wrong gets a specific code and message; rejected
operations never reach a source; a failing source only nulls its own fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from govshare.catalog import parse_catalog
from govshare.runtime import close_runtime
from tests import world
from tests.testville import City, Client, open_client


async def test_reading_data_needs_a_known_purpose(client: Client) -> None:
    missing = await client.run("{ residents { totalCount } }", purpose=None)
    unknown = await client.run("{ residents { totalCount } }", purpose="curiosity")
    assert missing.codes == ["PURPOSE_REQUIRED"]
    assert "work_reference" in missing.body["errors"][0]["message"]
    assert unknown.codes == ["UNKNOWN_PURPOSE"]
    assert "'curiosity'" in unknown.body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("{ residents(first: 1001) { totalCount } }", "between 0 and 1000"),
        ("{ residents(first: -1) { totalCount } }", "between 0 and 1000"),
        ('{ residents(after: "garbage") { totalCount } }', "not a cursor"),
        ("{ residents(orderBy: [{score: ASC, district: DESC}]) { totalCount } }", "exactly one item"),
        ("{ residents(filter: {district: {eq: null}}) { totalCount } }", "isNull: true"),
        ("{ residents { nodes { nosuchitem } } }", "Cannot query field 'nosuchitem'"),
        ("{ residents(filter: {score: {contains: 1}}) { totalCount } }", "contains"),
        ("{ residents { ", "Syntax Error"),
    ],
)
async def test_bad_input_is_explained(
    client: Client, statements: list[tuple[str, str]], query: str, fragment: str
) -> None:
    outcome = await client.run(query)
    assert outcome.codes == ["BAD_USER_INPUT"]
    assert fragment in outcome.body["errors"][0]["message"]
    assert statements == []


async def test_cursor_of_another_ordering_is_refused(client: Client) -> None:
    page = await client.data("{ residents(first: 2, orderBy: [{score: ASC}]) { pageInfo { endCursor } } }")
    cursor = page["residents"]["pageInfo"]["endCursor"]
    outcome = await client.run(f'{{ residents(first: 2, after: "{cursor}") {{ totalCount }} }}')
    assert outcome.codes == ["BAD_USER_INPUT"]
    assert "another ordering" in outcome.body["errors"][0]["message"]


def _deep(levels: int) -> str:
    inner = "residentId"
    for n in range(levels):
        inner = f"owner {{ vehicles {{ {inner} }} }}" if n % 2 else f"vehicles {{ plate {inner} }}"
    return f'{{ resident(residentId: "r00001") {{ {inner} }} }}'


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        (_deep(12), "levels deep; at most 10"),
        (
            "{ " + " ".join(f'a{n}: resident(residentId: "r{n:05d}") {{ fullName }}' for n in range(16)) + " }",
            "16 aliases",
        ),
        ("{ residents { nodes { " + "fullName " * 2100 + "} } }", "more than 2000 tokens"),
    ],
    ids=["depth", "aliases", "tokens"],
)
async def test_limits_reject_before_any_source_is_called(
    client: Client, statements: list[tuple[str, str]], query: str, fragment: str
) -> None:
    outcome = await client.run(query)
    assert outcome.codes == ["QUERY_TOO_COMPLEX"]
    assert fragment in outcome.body["errors"][0]["message"]
    assert "data" not in outcome.body
    assert statements == []


async def test_a_down_source_nulls_only_its_own_fields(city: City, tmp_path: Path) -> None:
    urls = {**city.urls, "inspect_db": "postgresql+asyncpg://postgres@127.0.0.1:9/nothing"}
    catalog = parse_catalog(world.catalog_text(urls))
    gateway = await open_client(catalog, tmp_path, statement_timeout=3.0)
    try:
        outcome = await Client(gateway).run(
            '{ resident(residentId: "r00001") { fullName vehicles { plate inspections { year } } }'
            "  inspections(first: 5) { totalCount nodes { year } } }"
        )
    finally:
        await close_runtime(gateway.runtime)
    data, errors = outcome.body["data"], outcome.body["errors"]
    assert data["resident"]["fullName"]
    vehicles = data["resident"]["vehicles"]
    assert vehicles and all(v["plate"] and v["inspections"] is None for v in vehicles)
    assert data["inspections"] == {"totalCount": None, "nodes": None}
    assert {e["extensions"]["code"] for e in errors} == {"SOURCE_UNAVAILABLE"}
    paths = sorted(tuple(e["path"]) for e in errors)
    expected = [("resident", "vehicles", n, "inspections") for n in range(len(vehicles))]
    assert paths == sorted([*expected, ("inspections", "nodes"), ("inspections", "totalCount")])
    for error in errors:
        assert error["extensions"]["source"] == "inspect_db"
        assert "127.0.0.1" not in error["message"] and "postgres" not in error["message"]
        # Refused at once: no field waits for the 3 s statement timeout.
        assert "cannot connect" in error["message"] and "no answer" not in error["message"], error
