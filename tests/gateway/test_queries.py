"""Lookups, lists, filters, ordering, keyset pages, aggregates and relations, checked
against answers computed in Python from the same generated rows."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

import pytest

from tests.testville import City, Client

ROW = "residentId fullName district birthDate score income married note"


def _graphql(row: dict[str, Any]) -> dict[str, Any]:
    """A generated resident as GraphQL shows it."""
    return {
        "residentId": row["resident_id"],
        "fullName": row["full_name"],
        "district": row["district"],
        "birthDate": row["birth_date"].isoformat(),
        "score": row["score"],
        "income": row["income"],
        "married": row["married"],
        "note": row["note"],
    }


async def test_lookup_by_key_with_relations(client: Client, city: City) -> None:
    resident = next(
        r for r in city.data.residents if any(v["owner_id"] == r["resident_id"] for v in city.data.vehicles)
    )
    rid = resident["resident_id"]
    data = await client.data(
        f'{{ resident(residentId: "{rid}") {{ {ROW} vehicles {{ plate owner {{ residentId }} }} }} '
        '  missing: resident(residentId: "nobody") { residentId } }'
    )
    found = data["resident"]
    assert {k: v for k, v in found.items() if k != "vehicles"} == _graphql(resident)
    plates = sorted(v["plate"] for v in city.data.vehicles if v["owner_id"] == rid)
    assert sorted(v["plate"] for v in found["vehicles"]) == plates
    assert all(v["owner"] == {"residentId": rid} for v in found["vehicles"])
    assert data["missing"] is None


FILTERS: list[tuple[str, Any]] = [
    ('{district: {eq: "east"}}', lambda r: r["district"] == "east"),
    ('{district: {ne: "east"}}', lambda r: r["district"] is not None and r["district"] != "east"),
    ('{district: {in: ["east", "west"]}}', lambda r: r["district"] in ("east", "west")),
    ('{district: {nin: ["east", "west"]}}', lambda r: r["district"] not in (None, "east", "west")),
    ("{district: {isNull: true}}", lambda r: r["district"] is None),
    ("{score: {gte: 90}}", lambda r: r["score"] is not None and r["score"] >= 90),
    ("{score: {lt: 5}, married: {eq: true}}", lambda r: r["score"] is not None and r["score"] < 5 and r["married"]),
    ("{income: {gt: 85000.5}}", lambda r: r["income"] > 85000.5),
    ('{birthDate: {lte: "1955-06-30"}}', lambda r: r["birth_date"] <= datetime.date(1955, 6, 30)),
    ('{note: {contains: "%"}}', lambda r: r["note"] is not None and "%" in r["note"]),
    ('{note: {contains: "_"}}', lambda r: r["note"] is not None and "_" in r["note"]),
    ('{fullName: {startsWith: "name00"}}', lambda r: r["full_name"].startswith("name00")),
    (
        '{or: [{district: {eq: "north"}}, {score: {isNull: true}}]}',
        lambda r: r["district"] == "north" or r["score"] is None,
    ),
    # Comparisons with NULL are unknown, and so is their negation: as in SQL, NULLs match neither.
    (
        '{not: {district: {eq: "north"}}, married: {eq: false}}',
        lambda r: r["district"] not in (None, "north") and not r["married"],
    ),
    (
        "{and: [{score: {gte: 10}}, {score: {lte: 20}}], district: {isNull: false}}",
        lambda r: r["score"] is not None and 10 <= r["score"] <= 20 and r["district"] is not None,
    ),
]


@pytest.mark.parametrize(("filter_text", "predicate"), FILTERS, ids=[f[0] for f in FILTERS])
async def test_filters_match_python(client: Client, city: City, filter_text: str, predicate: Any) -> None:
    data = await client.data(
        f"{{ residents(filter: {filter_text}, first: 1000) {{ totalCount nodes {{ residentId }} }} }}"
    )
    expected = sorted(r["resident_id"] for r in city.data.residents if predicate(r))
    assert [n["residentId"] for n in data["residents"]["nodes"]] == expected
    assert data["residents"]["totalCount"] == len(expected)


async def test_ordering_puts_nulls_first_ascending_and_last_descending(client: Client, city: City) -> None:
    data = await client.data(
        "{ asc: residents(orderBy: [{score: ASC}], first: 1000) { nodes { residentId } }"
        "  desc: residents(orderBy: [{score: DESC}], first: 1000) { nodes { residentId } } }"
    )
    rows = city.data.residents
    # Ties are broken by the key, ascending, in both directions.
    asc = sorted(rows, key=lambda r: (r["score"] is not None, r["score"] or 0, r["resident_id"]))
    desc = sorted(rows, key=lambda r: (r["score"] is None, -(r["score"] or 0), r["resident_id"]))
    assert [n["residentId"] for n in data["asc"]["nodes"]] == [r["resident_id"] for r in asc]
    assert [n["residentId"] for n in data["desc"]["nodes"]] == [r["resident_id"] for r in desc]
    assert asc[0]["score"] is None
    assert desc[-1]["score"] is None


async def test_keyset_pages_cover_every_row_once(client: Client, city: City) -> None:
    query = """query Page($after: String) {
      residents(orderBy: [{district: DESC}, {score: ASC}], first: 97, after: $after,
                filter: {married: {eq: true}}) {
        totalCount edges { cursor node { residentId district score } } pageInfo { hasNextPage endCursor }
      }
    }"""
    seen: list[dict[str, Any]] = []
    after = None
    pages = 0
    while True:
        page = (await client.data(query, {"after": after}))["residents"]
        seen += [e["node"] for e in page["edges"]]
        pages += 1
        if page["edges"]:
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    married = [r for r in city.data.residents if r["married"]]
    assert page["totalCount"] == len(married)
    assert pages == -(-len(married) // 97)
    ids = [n["residentId"] for n in seen]
    assert len(ids) == len(set(ids)) == len(married)

    def rank(r: dict[str, Any]) -> tuple[Any, ...]:
        district, score = r["district"], r["score"]
        # district DESC (NULLs last), then score ASC (NULLs first), then key ASC
        return (
            district is None,
            tuple(-ord(c) for c in district) if district else (),
            score is not None,
            score or 0,
            r["resident_id"],
        )

    assert ids == [r["resident_id"] for r in sorted(married, key=rank)]


async def test_aggregate_groups_and_counts(client: Client, city: City) -> None:
    data = await client.data(
        "{ residentsAggregate(groupBy: [district, married], filter: {score: {isNull: false}}) { count groups { key count } }"
        "  all: residentsAggregate { count groups { key count } } }"
    )
    rows = [r for r in city.data.residents if r["score"] is not None]
    expected = Counter((r["district"], r["married"]) for r in rows)
    groups = data["residentsAggregate"]["groups"]
    assert {(g["key"]["district"], g["key"]["married"]): g["count"] for g in groups} == expected
    assert data["residentsAggregate"]["count"] == len(rows)
    assert data["all"] == {
        "count": len(city.data.residents),
        "groups": [{"key": {}, "count": len(city.data.residents)}],
    }


async def test_three_level_join_follows_every_relation(client: Client, city: City) -> None:
    data = await client.data(
        "{ residents(first: 1000) { nodes { residentId vehicles { plate brand inspections { year passed } } } } }"
    )
    inspections: dict[str, list[tuple[int, bool]]] = {}
    for i in city.data.inspections:
        inspections.setdefault(i["plate"], []).append((i["year"], i["passed"]))
    vehicles: dict[str, list[str]] = {}
    for v in city.data.vehicles:
        vehicles.setdefault(v["owner_id"], []).append(v["plate"])
    for node in data["residents"]["nodes"]:
        assert sorted(v["plate"] for v in node["vehicles"]) == sorted(vehicles.get(node["residentId"], []))
        for v in node["vehicles"]:
            assert sorted((i["year"], i["passed"]) for i in v["inspections"]) == sorted(inspections.get(v["plate"], []))


async def test_fragments_aliases_and_directives_shape_the_fetch(client: Client) -> None:
    query = """query Q($withVehicles: Boolean!) {
      residents(first: 3) { nodes { ...Who id: residentId cars: vehicles @include(if: $withVehicles) { plate }
                                    again: vehicles @skip(if: true) { brand } } }
    }
    fragment Who on Resident { fullName }"""
    shown = (await client.data(query, {"withVehicles": True}))["residents"]["nodes"]
    hidden = (await client.data(query, {"withVehicles": False}))["residents"]["nodes"]
    assert set(shown[0]) == {"fullName", "id", "cars"}
    assert set(hidden[0]) == {"fullName", "id"}


async def test_catalog_and_me_need_no_purpose(client: Client) -> None:
    data = await client.data(
        "{ me { department { code name } user roles } catalog { platform resources { name key items { name sharing } } } }",
        purpose=None,
    )
    assert data["me"] == {"department": {"code": "civil", "name": "民政局"}, "user": "tester", "roles": ["member"]}
    resident = next(r for r in data["catalog"]["resources"] if r["name"] == "Resident")
    assert resident["key"] == "residentId"
    assert {"name": "phone", "sharing": "conditional"} in resident["items"]


async def test_an_object_asked_only_its_typename_answers_it(client: Client, city: City) -> None:
    rid = city.data.residents[0]["resident_id"]
    data = await client.data(
        f'{{ me {{ __typename }} catalog {{ __typename }} resident(residentId: "{rid}") {{ __typename }} }}'
    )
    assert data == {"me": {"__typename": "Me"}, "catalog": {"__typename": "Catalog"},
                    "resident": {"__typename": "Resident"}}  # fmt: skip
