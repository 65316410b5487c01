"""Many relations take orderBy, filter and first: a dashboard can page a person's licences, and two
runs of one query give the same answer. Still one statement per source per level."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from govshare.catalog import parse_catalog
from govshare.runtime import close_runtime
from tests import world
from tests.testville import City, Client, open_client

PAGE = "residents(first: 200, orderBy: [{residentId: ASC}])"


def _vehicles_of(city: City, resident: str) -> list[dict[str, Any]]:
    return [v for v in city.data.vehicles if v["owner_id"] == resident]


async def test_related_rows_come_in_key_order_by_default_and_in_the_asked_order(client: Client, city: City) -> None:
    data = await client.data(
        f"{{ {PAGE} {{ nodes {{ residentId plain: vehicles {{ plate }}"
        " newest: vehicles(orderBy: [{registeredOn: DESC}]) { plate registeredOn } } } }"
    )
    for node in data["residents"]["nodes"]:
        owned = _vehicles_of(city, node["residentId"])
        assert [v["plate"] for v in node["plain"]] == sorted(v["plate"] for v in owned)
        expected = sorted(owned, key=lambda v: (-v["registered_on"].toordinal(), v["plate"]))
        assert [v["plate"] for v in node["newest"]] == [v["plate"] for v in expected]
        assert [datetime.date.fromisoformat(v["registeredOn"]) for v in node["newest"]] == [
            v["registered_on"] for v in expected
        ]


async def test_first_limits_rows_per_parent_and_filter_narrows_them(client: Client, city: City) -> None:
    data = await client.data(
        f"{{ {PAGE} {{ nodes {{ residentId"
        " top: vehicles(first: 1, orderBy: [{brand: DESC}]) { plate brand }"
        ' some: vehicles(filter: {brand: {eq: "byd"}}) { plate }'
        " none: vehicles(first: 0) { plate } } } }"
    )
    seen_two = False
    for node in data["residents"]["nodes"]:
        owned = _vehicles_of(city, node["residentId"])
        seen_two |= len(owned) > 1
        best = sorted(owned, key=lambda v: (v["brand"], v["plate"]))
        # DESC on brand, ties by the key ascending
        expected = sorted(best, key=lambda v: v["brand"], reverse=True)[:1]
        if expected:
            top_brand = expected[0]["brand"]
            ties = sorted(v["plate"] for v in owned if v["brand"] == top_brand)
            assert node["top"] == [{"plate": ties[0], "brand": top_brand}]
        else:
            assert node["top"] == []
        assert [v["plate"] for v in node["some"]] == sorted(v["plate"] for v in owned if v["brand"] == "byd")
        assert node["none"] == []
    assert seen_two  # the limit was put to the test


async def test_arguments_of_relations_cost_no_extra_statements(
    client: Client, statements: list[tuple[str, str]]
) -> None:
    await client.data(
        f"{{ {PAGE} {{ nodes {{ residentId a: vehicles(first: 1) {{ plate }} b: vehicles(first: 1) {{ brand }}"
        " vehicles { plate inspections(first: 1, orderBy: [{year: DESC}]) { year } } } } }"
    )
    per_db = [db for db, sql in statements if sql.lstrip().upper().startswith("SELECT")]
    # residents once; vehicles once for the two identical aliases and once for the plain one; inspections once
    assert sorted(per_db) == sorted(["civil_db", "vehicle_db", "vehicle_db", "inspect_db"])


async def test_bad_relation_arguments_fail_that_field_at_its_path_only(client: Client) -> None:
    outcome = await client.run(
        '{ resident(residentId: "r00002") { fullName vehicles(first: -1) { plate } ok: vehicles { plate } } }'
    )
    [error] = outcome.body["errors"]
    assert error["path"] == ["resident", "vehicles"] and "first must be 0 or more" in error["message"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    person = outcome.body["data"]["resident"]
    assert person["fullName"] and person["vehicles"] is None and isinstance(person["ok"], list)


async def test_a_relation_cannot_be_filtered_or_ordered_by_an_item_the_caller_may_not_read(
    city: City, tmp_path: Path
) -> None:
    text = world.catalog_text(city.urls).replace(
        "brand: {type: String, title: 品牌, sharing: unconditional}",
        "brand: {type: String, title: 品牌, sharing: conditional, condition: 仅限执法}",
    )
    assert "仅限执法" in text
    gateway = await open_client(parse_catalog(text), tmp_path)
    client = Client(gateway)
    try:
        for arguments, use in [('filter: {brand: {eq: "byd"}}', "filter vehicles by it"),
                               ("orderBy: [{brand: ASC}]", "order vehicles by it")]:  # fmt: skip
            outcome = await client.run(
                f'{{ resident(residentId: "r00002") {{ residentId vehicles({arguments}) {{ plate }} }} }}'
            )
            [error] = outcome.body["errors"]
            assert error["path"] == ["resident", "vehicles"] and error["extensions"]["code"] == "FORBIDDEN"
            assert use in error["message"]
            assert outcome.body["data"]["resident"] == {"residentId": "r00002", "vehicles": None}
        # Ordered by what the caller may read, the same relation answers.
        fine = await client.data('{ resident(residentId: "r00002") { vehicles(orderBy: [{plate: DESC}]) { plate } } }')
        assert fine["resident"]["vehicles"]
    finally:
        await close_runtime(gateway.runtime)
