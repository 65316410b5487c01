"""A lone lookup and its relation on one source come in one statement, answering exactly as two do.

Vehicles and their inspections are put on one PostgreSQL source (whose connector joins, with
LATERAL); every operation below runs twice, once joined and once with the connector's ``joins``
capability switched off, for the provider and for a department that some items are withheld from.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from govshare.catalog import parse_catalog
from govshare.connectors import Connector
from govshare.gateway.executor import Outcome
from govshare.runtime import close_runtime
from tests import world
from tests.services import run_async
from tests.testville import City, Client, open_client

pytestmark = pytest.mark.postgres

ARGUMENTS = [
    "",
    "(first: 1)",
    "(first: 0)",
    "(orderBy: [{year: DESC}], first: 2)",
    "(filter: {passed: {eq: true}})",
    "(filter: {year: {gte: 2019}}, orderBy: [{passed: ASC}, {year: DESC}])",
]
SHAPES = [
    "query($key: ID!) {{ vehicle(plate: $key) {{ plate brand registeredOn inspections{args} {{ inspectionId year passed }} }} }}",
    "query($key: ID!) {{ vehicle(plate: $key) {{ plate inspections{args} {{ year vehicle {{ plate registeredOn }} }} }} }}",
    "query($key: Int!) {{ inspection(inspectionId: $key) {{ inspectionId year passed vehicle {{ plate brand }} }} }}",
]


@pytest.fixture
async def joined(postgres_url: str, city: City, tmp_path: Path) -> AsyncIterator[Client]:
    run_async(lambda: world.load(dict.fromkeys(world.TABLES_BY_SOURCE, postgres_url), city.data))
    text = world.catalog_text(dict.fromkeys(world.TABLES_BY_SOURCE, postgres_url))
    text = text.replace("source: inspect_db", "source: vehicle_db")  # one transport database
    # Withheld from other departments: read through the relation, and filtered on.
    text = text.replace(
        "passed: {type: Boolean, title: 合格, sharing: unconditional}",
        "passed: {type: Boolean, title: 合格, sharing: conditional, condition: 仅限交通执法}",
    )
    gateway = await open_client(parse_catalog(text), tmp_path)
    try:
        yield Client(gateway)
    finally:
        await close_runtime(gateway.runtime)


def _statements(outcome: Outcome) -> int:
    assert outcome.context is not None
    return sum(s.statements for s in outcome.context.stats.values())


def _switch(connector: Connector, joins: bool) -> None:
    connector.capabilities = replace(connector.capabilities, joins=joins)


async def test_joined_lookups_answer_as_separate_statements_do(joined: Client, city: City) -> None:
    connector = joined.gateway.runtime.connectors["vehicle_db"]
    assert connector.capabilities.joins
    inspected = [i["plate"] for i in city.data.inspections]
    busiest = max(set(inspected), key=inspected.count)
    never = next(v["plate"] for v in city.data.vehicles if v["plate"] not in inspected)
    keys = {"ID": [busiest, never, "no-such-plate"], "Int": [city.data.inspections[0]["inspection_id"], -1]}
    saved = 0
    for shape, args, department in itertools.product(SHAPES, ARGUMENTS, ["transport", "civil"]):
        query = shape.format(args=args)
        if "inspection(" in shape and args:
            continue  # the to-one relation takes no arguments
        for key in keys["Int" if "Int!" in shape else "ID"]:
            _switch(connector, True)
            one = await joined.run(query, {"key": key}, department=department)
            _switch(connector, False)
            two = await joined.run(query, {"key": key}, department=department)
            assert one.body == two.body, (query, key, department)
            assert _statements(one) <= _statements(two)
            saved += _statements(two) - _statements(one)
    assert saved > 20  # most of those lookups took one statement fewer


async def test_a_vehicle_with_its_inspections_is_one_statement(joined: Client, city: City) -> None:
    plate = city.data.inspections[0]["plate"]
    query = "query($p: ID!) { vehicle(plate: $p) { plate inspections(orderBy: [{year: DESC}]) { year passed } } }"
    outcome = await joined.run(query, {"p": plate}, department="transport")
    expected = sorted(
        (i for i in city.data.inspections if i["plate"] == plate), key=lambda i: (-i["year"], i["inspection_id"])
    )
    assert outcome.body["data"]["vehicle"]["inspections"] == [
        {"year": i["year"], "passed": i["passed"]} for i in expected
    ]
    assert _statements(outcome) == 1
    # Beside another root field the lookup is batched with its peers, and stays two statements.
    both = await joined.run(query.replace("} } }", "} } __typename }"), {"p": plate}, department="transport")
    assert both.body["data"]["vehicle"] == outcome.body["data"]["vehicle"]
    assert _statements(both) == 2
    # Withheld from another department: the item fails at its path, the rest still joined.
    civil = await joined.run(query, {"p": plate}, department="civil")
    assert [e["path"][:3] for e in civil.body["errors"]] == [["vehicle", "inspections", 0]] * len(expected)
    assert {e["extensions"]["code"] for e in civil.body["errors"]} == {"FORBIDDEN"}
    assert _statements(civil) == 1


async def test_a_failing_relation_fails_at_its_path_and_the_lookup_still_answers(
    postgres_url: str, city: City, tmp_path: Path
) -> None:
    run_async(lambda: world.load(dict.fromkeys(world.TABLES_BY_SOURCE, postgres_url), city.data))
    text = world.catalog_text(dict.fromkeys(world.TABLES_BY_SOURCE, postgres_url))
    text = text.replace("source: inspect_db", "source: vehicle_db").replace("table: inspection", "table: gone")
    gateway = await open_client(parse_catalog(text), tmp_path)
    try:
        plate = city.data.inspections[0]["plate"]
        query = "query($p: ID!) { vehicle(plate: $p) { plate inspections { year } } }"
        outcome = await Client(gateway).run(query, {"p": plate}, department="transport")
        assert outcome.body["data"] == {"vehicle": {"plate": plate, "inspections": None}}
        [error] = outcome.body["errors"]
        assert error["path"] == ["vehicle", "inspections"] and error["extensions"]["code"] == "SOURCE_UNAVAILABLE"
        # The joined statement, then the two it stands for: the second is the one that failed.
        assert _statements(outcome) == 3
    finally:
        await close_runtime(gateway.runtime)
