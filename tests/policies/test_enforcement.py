"""Enforcement on the Testville world: what a denied, masked, verify-only or scoped item
does to the answer and to the statements sent to the sources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from govshare.identity import Caller
from govshare.policies.granting import add_grant
from govshare.runtime import close_runtime
from govshare.store.grant_rows import NewGrant
from tests.testville import City, Client, open_client

AUTHORITY = Caller("hub", "tester", ("authority",))


@pytest.fixture
async def guarded(city: City, tmp_path: Path) -> AsyncIterator[Client]:
    gateway = await open_client(city.catalog, tmp_path, city.schema)
    try:
        yield Client(gateway)
    finally:
        await close_runtime(gateway.runtime)


async def _grant(
    client: Client, effect: str, scope: dict[str, Any] | None = None, purpose: str = "work_reference"
) -> None:
    new = NewGrant("transport", "Resident", ("phone",), (purpose,), effect, scope=scope)
    await add_grant(client.gateway.runtime.policies, new, AUTHORITY)


PHONES = "{ residents(first: 5) { nodes { residentId fullName phone } } }"


async def test_an_ungranted_item_is_forbidden_per_row_and_never_selected(
    guarded: Client, statements: list[tuple[str, str]]
) -> None:
    outcome = await guarded.run(PHONES, department="transport")
    nodes = outcome.body["data"]["residents"]["nodes"]
    assert len(nodes) == 5 and all(n["fullName"] and n["phone"] is None for n in nodes)
    errors = outcome.body["errors"]
    assert [e["path"] for e in errors] == [["residents", "nodes", n, "phone"] for n in range(5)]
    extensions = errors[0]["extensions"]
    assert extensions["code"] == "FORBIDDEN" and extensions["sharing"] == "conditional"
    assert extensions["condition"] == "仅限联系本人" and "10 working days" in extensions["apply"]
    assert "phone" not in " ".join(sql for _, sql in statements)


async def test_the_provider_reads_everything(guarded: Client, city: City) -> None:
    nodes = (await guarded.data(PHONES, department="civil"))["residents"]["nodes"]
    assert [n["phone"] for n in nodes] == [r["phone"] for r in city.data.residents[:5]]


async def test_a_mask_grant_shows_the_masked_value(guarded: Client) -> None:
    await _grant(guarded, "mask")
    nodes = (await guarded.data(PHONES, department="transport"))["residents"]["nodes"]
    # Testville's phone names no mask strategy: the whole value is hidden.
    assert {n["phone"] for n in nodes} == {"******"}


async def test_a_grant_for_another_purpose_does_not_apply(guarded: Client) -> None:
    await _grant(guarded, "allow", purpose="data_verification")
    assert (await guarded.run(PHONES, department="transport")).codes == ["FORBIDDEN"] * 5
    nodes = (await guarded.data(PHONES, department="transport", purpose="data_verification"))["residents"]["nodes"]
    assert all(n["phone"] for n in nodes)


async def test_a_row_scope_is_pushed_down_where_the_item_is_read(
    guarded: Client, city: City, statements: list[tuple[str, str]]
) -> None:
    await _grant(guarded, "allow", scope={"district": {"eq": "east"}})
    statements.clear()
    data = await guarded.data(
        "{ residents(first: 1000) { totalCount nodes { residentId phone } } "
        "  all: residents(first: 1000) { totalCount } "
        "  vehicles(first: 1000) { nodes { plate owner { residentId phone } } } }",
        department="transport",
    )
    east = {r["resident_id"] for r in city.data.residents if r["district"] == "east"}
    assert {n["residentId"] for n in data["residents"]["nodes"]} == east
    assert data["residents"]["totalCount"] == len(east)
    # Reading only unconditional items is not narrowed by a grant's scope.
    assert data["all"]["totalCount"] == len(city.data.residents)
    owners = [v["owner"] for v in data["vehicles"]["nodes"]]
    assert {o["residentId"] for o in owners if o} <= east
    assert any(o is None for o in owners)  # owners outside the scope are not shown at all
    civil = [sql for db, sql in statements if db == "civil_db"]
    # the page, its count and the owners are scoped; the unscoped count is not
    assert len(civil) == 4
    assert sum("resident.district = " in sql for sql in civil) == 3


async def test_using_an_item_in_arguments_needs_allow(guarded: Client, statements: list[tuple[str, str]]) -> None:
    await _grant(guarded, "mask")
    statements.clear()
    for query, use in [
        ('{ residents(filter: {phone: {startsWith: "139"}}) { totalCount nodes { fullName } } }', "filter by it"),
        ("{ residents(orderBy: [{phone: ASC}]) { totalCount nodes { fullName } } }", "order by it"),
        ("{ residentsAggregate(groupBy: [phone]) { count groups { key count } } }", "group by it"),
    ]:
        outcome = await guarded.run(query, department="transport")
        assert set(outcome.codes) == {"FORBIDDEN"}, query
        assert use in outcome.body["errors"][0]["message"]
        field = next(iter(outcome.body["data"].values()))
        assert all(v is None for v in field.values())
    assert statements == []


async def test_verify_checks_claims_without_reading(guarded: Client, city: City) -> None:
    await _grant(guarded, "verify")
    resident = city.data.residents[7]
    rid, phone = resident["resident_id"], resident["phone"]
    read = await guarded.run(f'{{ resident(residentId: "{rid}") {{ phone }} }}', department="transport")
    assert read.codes == ["FORBIDDEN"] and read.body["errors"][0]["extensions"]["verifyWith"] == "residentVerify"
    right = await guarded.data(
        f'{{ residentVerify(residentId: "{rid}", claims: {{phone: "{phone}", fullName: "{resident["full_name"]}"}}) '
        "{ found matched mismatched } }",
        department="transport",
    )
    wrong = await guarded.data(
        f'{{ residentVerify(residentId: "{rid}", claims: {{phone: "10000000000"}}) {{ found matched mismatched }} }}',
        department="transport",
    )
    missing = await guarded.data(
        '{ residentVerify(residentId: "nobody", claims: {phone: "1"}) { found matched mismatched } }',
        department="transport",
    )
    assert right["residentVerify"] == {"found": True, "matched": True, "mismatched": []}
    assert wrong["residentVerify"] == {"found": True, "matched": False, "mismatched": ["phone"]}
    assert missing["residentVerify"] == {"found": False, "matched": False, "mismatched": ["phone"]}


async def test_verify_without_any_grant_is_forbidden(guarded: Client) -> None:
    outcome = await guarded.run(
        '{ residentVerify(residentId: "r00001", claims: {phone: "1"}) { matched } }', department="transport"
    )
    assert outcome.codes == ["FORBIDDEN"]
    assert "verify it" in outcome.body["errors"][0]["message"]
