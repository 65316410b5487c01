"""Aggregates through GraphQL: measures per item, date buckets, one statement, the decisions recorded."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from govshare.catalog import parse_catalog
from govshare.identity import Caller
from govshare.policies.granting import add_grant
from govshare.runtime import close_runtime
from govshare.store.grant_rows import NewGrant
from tests import world
from tests.testville import City, Client, open_client

MEASURED = """{ residentsAggregate(groupBy: [district], buckets: [{item: birthDate, by: YEAR}],
                                   filter: {married: {eq: true}}) {
  count groups { key count sum { score income } avg { score } min { birthDate score } max { birthDate income } } } }"""


def _reference(city: City) -> list[dict[str, Any]]:
    members: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in city.data.residents:
        if r["married"] is True:
            birth = r["birth_date"]
            members[(r["district"], None if birth is None else f"{birth:%Y}")].append(r)

    def present(rows: list[dict[str, Any]], column: str) -> list[Any]:
        return [r[column] for r in rows if r[column] is not None]

    groups = []
    for (district, year), rows in sorted(members.items(), key=lambda kv: [(v is not None, v) for v in kv[0]]):
        scores = present(rows, "score")
        groups.append({
            "key": {"district": district, "birthDate.year": year},
            "count": len(rows),
            "sum": {"score": float(sum(scores)) if scores else None, "income": math.fsum(present(rows, "income"))},
            "avg": {"score": sum(scores) / len(scores) if scores else None},
            "min": {"birthDate": min(present(rows, "birth_date")).isoformat(), "score": min(scores, default=None)},
            "max": {"birthDate": max(present(rows, "birth_date")).isoformat(), "income": max(present(rows, "income"))},
        })  # fmt: skip
    return groups


async def test_measures_and_buckets_answer_from_the_rows(
    client: Client, city: City, statements: list[tuple[str, str]]
) -> None:
    answer = (await client.data(MEASURED))["residentsAggregate"]
    expected = _reference(city)
    assert len(expected) > 20 and answer["count"] == sum(g["count"] for g in expected)
    for group, want in zip(answer["groups"], expected, strict=True):
        # Float sums differ from the correctly rounded one by SQLite's order of addition only.
        assert group["sum"]["income"] == pytest.approx(want["sum"]["income"], rel=1e-12)
        group["sum"]["income"] = want["sum"]["income"]
        assert group == want
    assert len(statements) == 1  # one statement per aggregate field
    [(_, sql)] = statements
    assert "GROUP BY" in sql and "strftime" in sql


async def test_each_measure_is_computed_only_when_asked(client: Client, statements: list[tuple[str, str]]) -> None:
    data = await client.data(
        "{ residentsAggregate { groups { count ...M } } } fragment M on ResidentAggregateGroup { a: max { score } }"
    )
    [group] = data["residentsAggregate"]["groups"]
    assert group["a"]["score"] == 99 and group["count"] == 1000
    [(_, sql)] = statements
    assert "max(" in sql.lower() and "sum(" not in sql.lower() and "min(" not in sql.lower()


async def test_no_rows_give_null_measures_and_one_group(client: Client) -> None:
    data = await client.data(
        '{ residentsAggregate(filter: {district: {eq: "nowhere"}}) { count groups { key count sum { income } '
        "avg { income } min { birthDate } max { score } } } }"
    )
    assert data["residentsAggregate"] == {
        "count": 0,
        "groups": [{"key": {}, "count": 0, "sum": {"income": None}, "avg": {"income": None},
                    "min": {"birthDate": None}, "max": {"score": None}}],
    }  # fmt: skip


async def test_buckets_by_day_month_and_year(client: Client, city: City) -> None:
    data = await client.data(
        "{ vehiclesAggregate(buckets: [{item: registeredOn, by: MONTH}, {item: registeredOn, by: DAY},"
        " {item: registeredOn, by: YEAR}]) { groups { key count } } }"
    )
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for v in city.data.vehicles:
        day = v["registered_on"]
        counts[(f"{day:%Y-%m}", f"{day:%Y-%m-%d}", f"{day:%Y}")] += 1
    keys = ("registeredOn.month", "registeredOn.day", "registeredOn.year")
    expected = [{"key": dict(zip(keys, k, strict=True)), "count": n} for k, n in sorted(counts.items())]
    assert data["vehiclesAggregate"]["groups"] == expected


async def test_the_decisions_recorded_list_the_aggregated_items(client: Client) -> None:
    outcome = await client.run(
        "{ residentsAggregate(groupBy: [district], buckets: [{item: birthDate, by: DAY}]) { groups { sum { income } } } }"
    )
    assert "errors" not in outcome.body and outcome.context is not None
    decided = {(resource, item) for resource, item, _, _ in outcome.context.decisions()}
    assert decided == {("Resident", "district"), ("Resident", "birthDate"), ("Resident", "income")}


_BIRTH = "birthDate: {column: birth_date, type: Date, title: 出生日期, sharing: unconditional}"
BUCKETED = "{ residentsAggregate(buckets: [{item: birthDate, by: MONTH}]) { count groups { key count } } }"


@pytest.fixture
async def guarded(city: City, tmp_path: Path) -> AsyncIterator[Client]:
    """Testville with a conditional birthDate: a Date item that may be denied, masked or verify-only."""
    text = world.catalog_text(city.urls)
    assert _BIRTH in text
    catalog = parse_catalog(text.replace(_BIRTH, _BIRTH.replace("unconditional", "conditional, condition: 仅限核验")))
    gateway = await open_client(catalog, tmp_path)
    try:
        yield Client(gateway)
    finally:
        await close_runtime(gateway.runtime)


@pytest.mark.parametrize(
    ("effect", "said"), [(None, "apply"), ("mask", "masked only"), ("verify", "may only be verified")]
)
async def test_a_date_item_is_bucketed_only_with_allow(
    guarded: Client, statements: list[tuple[str, str]], effect: str | None, said: str
) -> None:
    if effect is not None:
        new = NewGrant("transport", "Resident", ("birthDate",), ("work_reference",), effect)
        await add_grant(guarded.gateway.runtime.policies, new, Caller("hub", "tester", ("authority",)))
    statements.clear()
    outcome = await guarded.run(BUCKETED, department="transport")
    assert set(outcome.codes) == {"FORBIDDEN"}
    error = outcome.body["errors"][0]
    assert error["extensions"]["item"] == "birthDate" and "bucket by it" in error["message"]
    assert said in error["message"] or said in error["extensions"]
    assert outcome.body["data"]["residentsAggregate"] == {"count": None, "groups": None}
    assert statements == []  # refused before anything runs
    assert ["Resident", "birthDate", effect or "deny"] in [
        d[:3] for d in (outcome.context.decisions() if outcome.context else [])
    ]
